import XCTest
import ARM
import Lifter
import Semantics

/// Flag use per instruction (from the semantics) and flag liveness over a region, which decide
/// the flag stores compiled code leaves out.
final class FlagLivenessTests: XCTestCase {
    private func instruction(_ word: UInt32, file: StaticString = #filePath, line: UInt = #line) -> Instruction {
        guard let i = Decoder.decode(word) else {
            XCTFail("0x\(String(word, radix: 16)) does not decode", file: file, line: line)
            return Decoder.decode(0xE1A0_0000)!
        }
        return i
    }

    private func use(_ word: UInt32, faultsEscape: Bool = false) -> FlagUse {
        Semantics.flagUse(of: instruction(word), faultsEscape: faultsEscape)
    }

    func testFlagUseFollowsTheSemantics() {
        // cmp r0, #1: writes all four, reads none.
        XCTAssertEqual(use(0xE350_0001), FlagUse(writes: .all, kills: .all))
        // tst r3, #3: an unrotated immediate leaves C alone (and V: logical).
        XCTAssertEqual(use(0xE313_0003), FlagUse(writes: [.n, .z], kills: [.n, .z]))
        // movs r0, r1, lsl #1: C from the shifter.
        XCTAssertEqual(use(0xE1B0_0081), FlagUse(writes: [.n, .z, .c], kills: [.n, .z, .c]))
        // adc r0, r0, r1: reads C, writes nothing.
        XCTAssertEqual(use(0xE0A0_0001), FlagUse(reads: .c))
        // add r0, r1, r2, lsl r3: no flag at all (the shifter's carry is not wanted).
        XCTAssertEqual(use(0xE081_0312), FlagUse())
        // addeq r0, r0, #1: its condition reads Z.
        XCTAssertEqual(use(0x0280_0001), FlagUse(reads: .z))
        // subsne r0, r0, #1: may write all four, so kills none.
        XCTAssertEqual(use(0x1250_0001), FlagUse(reads: .z, writes: .all))
        // mrs r0, apsr reads them all; svc #0 lets them all escape.
        XCTAssertEqual(use(0xE10F_0000).reads, .all)
        XCTAssertEqual(use(0xEF00_0000).escapes, .all)
        // ldr r0, [r1]: a fault shows the flags only when faults are reported exactly.
        XCTAssertEqual(use(0xE591_0000, faultsEscape: false), FlagUse())
        XCTAssertEqual(use(0xE591_0000, faultsEscape: true).escapes, .all)
    }

    /// 0x1000 cmp r0, #0; beq 0x100c
    /// 0x1008 adds r1, r1, #1                      (falls through)
    /// 0x100c addeq r2, r2, #1; b 0x2000           (leaves the region)
    /// 0x2000 ldr r0, [r1]; cmp r3, #5; bx lr      (outside the region)
    private let code: [UInt32: [UInt32]] = [
        0x1000: [0xE350_0000, 0x0A00_0000],
        0x1008: [0xE291_1001],
        0x100C: [0x0282_2001, 0xEA00_03FA],
        0x2000: [0xE591_0000, 0xE353_0005, 0xE12F_FF1E],
    ]

    private func region(checksAccesses: Bool = false) -> Region {
        var region = Lifter.region(start: 0x1000, block: { pc in self.code[pc].map { $0.map { self.instruction($0) } } },
                                   include: { $0 < 0x2000 })
        region.checksAccesses = checksAccesses
        return region
    }

    private func liveness(_ region: Region) -> (liveAfter: [[ConditionFlags]], liveAtTarget: [UInt32: ConditionFlags]) {
        region.flagLiveness(region.blocks.map { $0.instructions.map { Semantics.flagUse(of: $0, faultsEscape: region.checksAccesses) } })
    }

    func testRegionLooksAtItsExitsOnlyAsFarAsTheFlagsAreDecided() {
        let region = region()
        XCTAssertEqual(region.blocks.map(\.start), [0x1000, 0x100C, 0x1008])
        XCTAssertEqual(region.exitCode.map(\.start), [0x2000])
        XCTAssertEqual(region.exitCode.first?.instructions.map(\.word), [0xE591_0000, 0xE353_0005])
        XCTAssertEqual(region.ranges.last, 0x2000..<0x2008)
    }

    func testFlagsWrittenAtTheExitBeforeTheyAreReadAreDeadInTheRegion() {
        let (liveAfter, liveAtTarget) = liveness(region())
        XCTAssertEqual(liveAtTarget[0x2000], [])
        XCTAssertEqual(liveAtTarget[0x100C], .z)  // addeq reads Z
        XCTAssertEqual(liveAtTarget[0x1008], [])  // adds writes all four first
        XCTAssertEqual(liveAfter[0], [.z, .z])    // after cmp (beq reads Z), after beq
        XCTAssertEqual(liveAfter[1], [[], []])    // after addeq, after b
        XCTAssertEqual(liveAfter[2], [.z])        // after adds: addeq reads Z
    }

    func testExactFaultsOrUnknownExitsKeepEveryFlag() {
        // With faults reported exactly, the load at 0x2000 may show all flags to a handler.
        XCTAssertEqual(liveness(region(checksAccesses: true)).liveAtTarget[0x2000], .all)
        var unknown = region()
        unknown.exitCode = []
        let (liveAfter, liveAtTarget) = liveness(unknown)
        XCTAssertNil(liveAtTarget[0x2000])
        XCTAssertEqual(liveAfter[1], [.all, .all])
    }
}
