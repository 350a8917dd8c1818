import XCTest
import ARM

/// Compiled code addresses CPUState fields by `CPUState.Offsets`: the Swift layout must match.
final class CPUStateLayoutTests: XCTestCase {
    func testOffsetsMatchTheSwiftLayout() {
        typealias O = CPUState.Offsets
        XCTAssertEqual(MemoryLayout<CPUState>.offset(of: \CPUState.r), O.r)
        XCTAssertEqual(MemoryLayout<CPUState>.offset(of: \CPUState.n), O.n)
        XCTAssertEqual(MemoryLayout<CPUState>.offset(of: \CPUState.z), O.z)
        XCTAssertEqual(MemoryLayout<CPUState>.offset(of: \CPUState.c), O.c)
        XCTAssertEqual(MemoryLayout<CPUState>.offset(of: \CPUState.v), O.v)
        XCTAssertEqual(MemoryLayout<CPUState>.offset(of: \CPUState.q), O.q)
        XCTAssertEqual(MemoryLayout<CPUState>.offset(of: \CPUState.ge), O.ge)
        XCTAssertEqual(MemoryLayout<CPUState>.offset(of: \CPUState.cpsrControl), O.cpsrControl)
        XCTAssertEqual(MemoryLayout<CPUState>.offset(of: \CPUState.tpidruro), O.tpidruro)
        XCTAssertEqual(MemoryLayout<CPUState>.offset(of: \CPUState.tpidrurw), O.tpidrurw)
        XCTAssertEqual(MemoryLayout<CPUState>.offset(of: \CPUState.exclusiveAddress), O.exclusiveAddress)
        XCTAssertEqual(MemoryLayout<CPUState>.offset(of: \CPUState.exclusiveOpen), O.exclusiveOpen)
        XCTAssertEqual(MemoryLayout<CPUState>.offset(of: \CPUState.loopBudget), O.loopBudget)
        XCTAssertEqual(MemoryLayout<CPUState>.offset(of: \CPUState.dispatchTable), O.dispatchTable)
        XCTAssertEqual(MemoryLayout<CPUState>.offset(of: \CPUState.chainedTransitions), O.chainedTransitions)
        XCTAssertEqual(MemoryLayout<CPUState>.offset(of: \CPUState.indirectLookups), O.indirectLookups)
        XCTAssertEqual(MemoryLayout<CPUState>.offset(of: \CPUState.indirectHits), O.indirectHits)
        XCTAssertEqual(MemoryLayout<CPUState>.size, O.size)
    }

    func testRegistersAreContiguousWords() {
        var s = CPUState()
        for r in 0..<16 { s[r] = UInt32(r * 3 + 1) }
        withUnsafeBytes(of: &s) { raw in
            for r in 0..<16 { XCTAssertEqual(raw.load(fromByteOffset: 4 * r, as: UInt32.self), UInt32(r * 3 + 1)) }
        }
    }
}
