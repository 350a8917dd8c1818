import XCTest
@testable import ARM

/// Sanity of the encoding table itself: well-formed patterns, no ambiguity, and a decoder that
/// honours the priority rule.
final class EncodingTableTests: XCTestCase {
    static let legalLetters = Set("01yzc-nmdsatiSvrRPUWxwlkoqpXNMHED")

    func testPatternsAreThirtyTwoLegalLetters() {
        for op in Op.allCases {
            XCTAssertEqual(op.rawValue.count, 32, "\(op)")
            let illegal = op.rawValue.filter { !Self.legalLetters.contains($0) }
            XCTAssertTrue(illegal.isEmpty, "\(op) uses \(illegal)")
            // `c` is all or nothing, and always the top nibble.
            let conds = op.rawValue.filter { $0 == "c" }.count
            XCTAssertTrue(conds == 0 || op.rawValue.hasPrefix("cccc") && conds == 4, "\(op)")
            // `-` is only for the families decoded just to be named.
            if op.rawValue.contains("-") { XCTAssertNotNil(op.unsupportedReason, "\(op)") }
        }
    }

    /// Two encodings overlap when some word matches both. The decoder picks the one with more
    /// fixed bits, so an overlap between equally specific encodings would be decided by
    /// table order: that must not happen.
    func testNoOverlapBetweenEncodingsOfEqualPriority() {
        let ops = Op.allCases.map { ($0, Decoder.compile($0.rawValue)) }
        var overlaps = 0
        for (index, (a, pa)) in ops.enumerated() {
            for (b, pb) in ops[(index + 1)...] where Self.overlap(a, pa, b, pb) {
                overlaps += 1
                XCTAssertNotEqual(pa.mask.nonzeroBitCount, pb.mask.nonzeroBitCount,
                                  "\(a) and \(b) match the same words with \(a.fixedBitCount) fixed bits each")
            }
        }
        XCTAssertGreaterThan(overlaps, 0, "the carve-outs (nop in msr, push in stm…) overlap by design")
    }

    static func overlap(_ a: Op, _ pa: Decoder.Pattern, _ b: Op, _ pb: Decoder.Pattern) -> Bool {
        guard (pa.mask & pb.mask) & (pa.value ^ pb.value) == 0 else { return false }
        // A conditional encoding never matches cond 1111, so it cannot meet one that requires it.
        let requiresNV = { (p: Decoder.Pattern) in p.mask >> 28 == 0xF && p.value >> 28 == 0xF }
        if a.isConditional && requiresNV(pb) || b.isConditional && requiresNV(pa) { return false }
        return true
    }

    func testConditionalEncodingsNeverMatchCond1111() {
        var rng = SplitMix64(seed: 0x1111)
        for op in Op.allCases where op.isConditional {
            for _ in 0..<64 {
                let word = op.randomWord(using: &rng) | 0xF000_0000
                if let decoded = Decoder.decode(word) {
                    XCTAssertFalse(decoded.op.isConditional,
                                   "0x\(String(word, radix: 16)) (cond 1111) decoded as \(decoded.op)")
                    XCTAssertEqual(decoded.cond, .al)
                }
            }
        }
    }

    /// A word generated from an encoding decodes to it, or to a more specific encoding that
    /// also matches (the carve-outs: nop is an msr, sxtb an sxtab with Rn = pc…).
    func testRandomWordsDecodeToTheirEncodingOrAMoreSpecificOne() {
        var rng = SplitMix64(seed: 0xDEC0DE)
        for op in Op.allCases {
            for _ in 0..<64 {
                let word = op.randomWord(using: &rng)
                guard let decoded = Decoder.decode(word) else {
                    XCTFail("0x\(String(word, radix: 16)) from \(op) did not decode"); continue
                }
                if decoded.op == op { continue }
                let p = Decoder.compile(decoded.op.rawValue)
                XCTAssertEqual(word & p.mask, p.value)
                XCTAssertGreaterThan(decoded.op.fixedBitCount, op.fixedBitCount,
                                     "0x\(String(word, radix: 16)) from \(op) decoded as \(decoded.op)")
            }
        }
    }

    /// The decoder's bucketing by bits 27:20 gives the same answer as scanning the whole table
    /// in priority order.
    func testBucketedDecodeAgreesWithLinearScan() {
        let byPriority = Op.allCases.map { ($0, Decoder.compile($0.rawValue)) }
            .sorted { $0.1.mask.nonzeroBitCount > $1.1.mask.nonzeroBitCount }
        var rng = SplitMix64(seed: 42)
        for _ in 0..<50_000 {
            let word = UInt32(truncatingIfNeeded: rng.next())
            let expected = byPriority.first { op, p in
                word & p.mask == p.value && !(op.isConditional && word >> 28 == 0xF)
            }?.0
            XCTAssertEqual(Decoder.decode(word)?.op, expected, "0x\(String(word, radix: 16))")
        }
    }

    /// Every field the decoder fills holds its letter's bits, concatenated most significant
    /// first, and `Decoder.fields(of:)` names exactly the pattern's fields.
    func testDecodedFieldsAreTheBitsOfTheirLetters() {
        var rng = SplitMix64(seed: 0xF1E1D)
        XCTAssertEqual(Op.allCases.map(\.ordinal), Array(0..<Op.allCases.count))
        for op in Op.allCases {
            for _ in 0..<16 {
                let word = op.randomWord(using: &rng)
                guard let i = Decoder.decode(word), i.op == op else { continue }
                var expected: [Character: UInt32] = [:]
                for (k, letter) in op.rawValue.enumerated() where Field(letter: letter) != nil {
                    expected[letter, default: 0] = expected[letter, default: 0] << 1 | (word >> UInt32(31 - k)) & 1
                }
                for (letter, value) in expected {
                    XCTAssertEqual(Self.field(letter, of: i), value, "\(op) field \(letter) of 0x\(String(word, radix: 16))")
                }
            }
            for field in Field.allCases {
                XCTAssertEqual(Decoder.fields(of: op).contains(field), Self.hasLetter(op, field), "\(op) \(field)")
            }
        }
    }

    static func hasLetter(_ op: Op, _ field: Field) -> Bool { op.rawValue.contains { Field(letter: $0) == field } }

    static func field(_ letter: Character, of i: Instruction) -> UInt32 {
        switch letter {
        case "n": return UInt32(i.n)
        case "d": return UInt32(i.d)
        case "m": return UInt32(i.m)
        case "s": return UInt32(i.s)
        case "a": return UInt32(i.a)
        case "t": return UInt32(i.t)
        case "i": return i.imm
        case "v": return i.shiftAmount
        case "r": return i.shiftType
        case "R": return i.rotation
        case "S": return i.setFlags ? 1 : 0
        case "P": return i.index ? 1 : 0
        case "U": return i.add ? 1 : 0
        case "W": return i.writeBack ? 1 : 0
        case "x": return i.registerList
        case "w": return i.width
        case "l": return i.lsb
        case "k": return i.mask
        case "o": return i.opc1
        case "q": return i.opc2
        case "p": return i.coprocessor
        case "X": return i.flagX ? 1 : 0
        case "N": return i.flagN ? 1 : 0
        case "M": return i.flagM ? 1 : 0
        case "H": return i.flagH ? 1 : 0
        case "E": return i.flagE ? 1 : 0
        case "D": return i.flagD ? 1 : 0
        default: XCTFail("letter \(letter)"); return 0
        }
    }
}
