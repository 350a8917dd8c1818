import XCTest
import ARM
@testable import DiffTest

/// The generator and harness on their own, without qemu-arm.
final class GeneratorTests: XCTestCase {
    /// Every random instruction is a table encoding that the rules allow, and decodes back.
    func testGeneratedInstructionsAreTestableAndDefined() {
        func check(_ items: [Item]) {
            for item in items {
                switch item {
                case .instruction(let w):
                    guard let i = Decoder.decode(w) else { return XCTFail("0x\(String(w, radix: 16)) does not decode") }
                    XCTAssertNil(ExclusionRules.excludedEncoding(i.op), "\(i.op) generated")
                    XCTAssertNil(ExclusionRules.unpredictable(i), "\(Disassembler.text(word: w, address: 0)): \(ExclusionRules.unpredictable(i) ?? "")")
                    XCTAssertFalse(Generator.structural.contains(i.op))
                case .skip(_, _, let body), .loop(_, _, _, let body): check(body)
                case .call(_, _, let sub): check(sub.items)
                case .returnIf, .fault: break
                }
            }
        }
        for k in 0..<500 { check(Generator.sequence(seed: 7, index: k).items) }
    }

    func testGenerationIsDeterministicPerIndex() {
        XCTAssertEqual(Generator.sequence(seed: 3, index: 41), Generator.sequence(seed: 3, index: 41))
        XCTAssertNotEqual(Generator.sequence(seed: 3, index: 41), Generator.sequence(seed: 3, index: 42))
    }

    /// The README's smoke run (seed 1, 2000 sequences) reaches every testable encoding.
    func testSmokeRunCoversEveryTestableEncoding() {
        let seqs = (0..<2000).map { Generator.sequence(seed: 1, index: $0) }
        let coverage = Coverage(sequences: seqs, assembled: seqs.map { $0.assembled() })
        XCTAssertEqual(coverage.missing, [], coverage.report())
        XCTAssertGreaterThan(coverage.loops, 100)
        XCTAssertGreaterThanOrEqual(coverage.maxIterations, 1000)
        XCTAssertGreaterThan(coverage.calls, 100)
    }

    /// Encodings are excluded only with a reason, and the unsupported families are among them.
    func testExclusionsHaveReasons() {
        for op in Op.allCases where op.unsupportedReason != nil {
            XCTAssertNotNil(ExclusionRules.excludedEncoding(op))
        }
        XCTAssertTrue(ExclusionRules.testableEncodings.contains(.addImm))
        XCTAssertFalse(ExclusionRules.testableEncodings.contains(.svc))
    }

    /// Field encoding round-trips through the decoder for every encoding of the table.
    func testPatternEncodeDecodesBack() {
        var rng = SplitMix64(seed: 5)
        for op in Op.allCases where op.unsupportedReason == nil {
            let p = op.pattern
            var values: [Character: UInt32] = [:]
            for l in p.letters where l != "c" { values[l] = rng.field(width: p.width(l)) }
            let w = p.encode(values)
            XCTAssertEqual(p.fieldValues(of: w).filter { $0.key != "c" }, values, "\(op)")
            XCTAssertEqual(w & p.fixedMask, p.fixedValue, "\(op)")
        }
    }

    /// An empty sequence leaves r0–r14, the flags and the memory as the harness set them; a
    /// harness of several sequences reports each one.
    func testHarnessReportsTheInitialStateOfAnEmptySequence() throws {
        let regs = (0..<15).map { UInt32($0) &* 0x0101_0101 &+ 7 }
        let initial = InitialState(registers: regs, apsr: 0xA80B_0000, scratchSeed: 99, tpidrurw: 5)
        let empty = AssembledSequence(body: [], subroutines: [], initial: initial)
        let built = Harness.build([empty, empty, empty], tls: 1)
        let result = try InProcessInterpreterRunner().run(built.image, elfPath: "")
        XCTAssertEqual(result.termination, "exit 0")
        XCTAssertEqual(result.records.map(\.index), [0, 1, 2])
        let s = try XCTUnwrap(result.state(1))
        XCTAssertEqual(s.registers, regs)
        XCTAssertEqual(s.apsr & FinalState.flagMask, 0xA80B_0000)
        XCTAssertEqual(result.state(0)?.checksum, s.checksum)
    }

    /// A crash the harness's handler does not catch (here: entering Thumb state, which the
    /// in-process runner does not turn into a signal) ends the output at that sequence.
    func testCrashStopsTheRecords() throws {
        let initial = InitialState(registers: Array(repeating: 0, count: 15), apsr: 0, scratchSeed: 1, tpidrurw: 0)
        let ok = AssembledSequence(body: [], subroutines: [], initial: initial)
        let thumb = AssembledSequence(body: [Op.addImm.encode(["n": 15, "d": 0, "i": 1]), Op.bx.encode(["m": 0])],
                                      subroutines: [], initial: initial)
        let result = try InProcessInterpreterRunner().run(Harness.build([ok, thumb, ok], tls: 0).image, elfPath: "")
        XCTAssertEqual(result.records.map(\.index), [0])
        XCTAssertTrue(result.termination.hasPrefix("signal 4"), result.termination)
    }

    /// A faulting sequence reports the state of the signal's ucontext, and the next sequence
    /// runs normally after it.
    func testFaultIsRecordedAndTheNextSequenceRuns() throws {
        let regs = (0..<15).map { UInt32($0) * 3 }
        let initial = InitialState(registers: regs, apsr: 0x2000_0000, scratchSeed: 9, tpidrurw: 0)
        let load = Op.ldrImm.encode(["P": 1, "U": 1, "n": 1, "t": 2, "i": 0x100])   // ldr r2, [r1, #256]
        let faulting = AssembledSequence(body: [Op.movw.encode(["d": 1, "i": 0x2000]), load], subroutines: [], initial: initial)
        let ok = AssembledSequence(body: [], subroutines: [], initial: initial)
        let built = Harness.build([faulting, ok], tls: 0)
        let result = try InProcessInterpreterRunner().run(built.image, elfPath: "")
        XCTAssertEqual(result.termination, "exit 0")
        let fault = try XCTUnwrap(result.state(0))
        XCTAssertEqual(fault.signal, 11)
        XCTAssertEqual(fault.faultAddress, 0x2100)
        XCTAssertEqual(fault.faultPC, built.bodyAddresses[0] + 4)
        XCTAssertEqual(fault.registers[1], 0x2000)
        XCTAssertEqual(fault.registers[2], regs[2])
        XCTAssertEqual(result.state(1)?.registers, regs)
        XCTAssertEqual(result.state(1)?.signal, 0)
    }

    func testRegressionCaseTextRoundTrips() throws {
        let seq = Generator.sequence(seed: 11, index: 3)
        let c = RegressionCase(sequence: seq.assembled(), tls: 0x1234,
                               expected: FinalState(registers: Array(0..<15), apsr: 0x6000_0010, checksum: 42,
                                                    signal: 11, code: 1, faultAddress: 0x2000, faultPC: 0x11230),
                               notes: ["a note"])
        XCTAssertEqual(try RegressionCase(parsing: c.text), c)
    }
}
