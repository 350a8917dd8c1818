import XCTest
@testable import ARM

final class DisassemblerTests: XCTestCase {
    func testKnownInstructions() {
        for known in knownInstructions {
            XCTAssertEqual(Disassembler.text(word: known.word, address: knownAddress), known.text,
                           "0x\(String(known.word, radix: 16))")
        }
    }

    func testUndefinedWordPrintsAsData() {
        XCTAssertEqual(Disassembler.text(word: 0xFFFF_FFFF, address: 0), ".word 0xffffffff")
    }

    func testObjdumpSpellings() {
        // Shapes where objdump's choices are easy to get wrong.
        let cases: [(UInt32, String)] = [
            (0xE92D_0001, "stmfd sp!, {r0}"),          // push of one register via stm
            (0xE880_0003, "stm r0, {r0, r1}"),          // stmia without ! or ^ is plain stm
            (0xE8A0_0003, "stmia r0!, {r0, r1}"),
            (0xE511_0000, "ldr r0, [r1, #-0]"),
            (0xE5B1_0000, "ldr r0, [r1, #0]!"),
            (0xE3A0_0F7F, "mov r0, #508"),             // 127 ror 30
            (0xE3A0_0E1F, "mov r0, #496"),             // 31 ror 28
            (0xE3A0_0F1F, "mov r0, #31, 30"),          // non-canonical rotation: raw pair
            (0xE3E0_0102, "mvn r0, #-2147483648"),     // signed decimal
            (0xE1A0_0060, "rrx r0, r0"),
            (0xE1A0_0020, "lsr r0, r0, #32"),
            (0xF57F_F040, "ssbb"),
            (0xEAFF_FFFE, "b 8000"),                   // branch to self
        ]
        for (word, text) in cases {
            XCTAssertEqual(Disassembler.text(word: word, address: knownAddress), text, "0x\(String(word, radix: 16))")
        }
    }

    /// Random words of every supported encoding, printed by us and by GNU objdump (the oracle
    /// for syntax), must agree. Fails when objdump is missing.
    func testAgreesWithObjdumpOnRandomWords() throws {
        guard FileManager.default.isExecutableFile(atPath: Objdump.path) else {
            return XCTFail("\(Objdump.path) is missing: install binutils-arm-linux-gnueabi")
        }
        let run = try DifferentialRun(seed: 0x150_4025, wordsPerEncoding: 40)
        print("""
            objdump differential: \(run.compared) compared (\(run.unpredictable) of them UNPREDICTABLE), \
            \(run.mismatches.count) mismatches; skipped \(run.undefined) UNDEFINED, \
            \(run.namedCoprocessor) named-coprocessor, \(run.nonCanonical) non-canonical, \(run.vfpOrNeon) VFP
            """)
        XCTAssertGreaterThan(run.compared, 5_000)
        XCTAssertTrue(run.mismatches.isEmpty, run.mismatches.prefix(30).map(\.description).joined(separator: "\n"))
    }
}
