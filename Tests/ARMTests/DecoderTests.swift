import XCTest
@testable import ARM

final class DecoderTests: XCTestCase {
    func testKnownInstructionsDecodeToTheirEncodingAndFields() {
        for known in knownInstructions {
            let hex = String(known.word, radix: 16)
            guard let inst = Decoder.decode(known.word) else { XCTFail("0x\(hex) did not decode"); continue }
            XCTAssertEqual(inst.op, known.op, "0x\(hex)")
            let actual = fieldValues(inst)
            for (name, expected) in known.fields {
                XCTAssertNotNil(actual[name], "no field \(name)")
                XCTAssertEqual(actual[name], expected, "0x\(hex) \(known.op) field \(name)")
            }
        }
    }

    func testUndefinedWordsDecodeToNil() {
        // cond 1111 spaces with no unconditional instruction; a media encoding the ARM ARM leaves undefined.
        for word: UInt32 in [0xFFFF_FFFF, 0xF000_0000, 0xF580_0000, 0xE600_0010] {
            XCTAssertNil(Decoder.decode(word), "0x\(String(word, radix: 16))")
        }
    }

    func testConditionFieldIsDecoded() {
        for cond in 0..<15 {
            let inst = Decoder.decode(UInt32(cond) << 28 | 0x0A00_0000)
            XCTAssertEqual(inst?.op, .b)
            XCTAssertEqual(inst?.cond.rawValue, UInt8(cond))
        }
    }
}
