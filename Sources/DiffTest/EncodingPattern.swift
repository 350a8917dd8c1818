import ARM

/// One encoding of the table (`Op`'s raw value) read as fields: the generator fills the
/// fields itself, so every instruction it makes comes from the table and nothing else.
public struct EncodingPattern: Sendable {
    public let op: Op
    /// Bits fixed by the pattern (`0`/`1`) and their values.
    public let fixedMask: UInt32
    public let fixedValue: UInt32
    /// Should-be-one bits (`y`), emitted canonically; should-be-zero bits (`z`) stay 0.
    public let shouldBeOne: UInt32
    /// Each field letter (`c` included) with its bit positions, most significant first.
    public let fields: [Character: [Int]]
    /// Field letters in the order they first appear.
    public let letters: [Character]
    /// The pattern has a condition field.
    public var isConditional: Bool { fields["c"] != nil }

    public init(_ op: Op) {
        self.op = op
        var mask: UInt32 = 0, value: UInt32 = 0, sbo: UInt32 = 0
        var fields: [Character: [Int]] = [:]
        var letters: [Character] = []
        for (index, ch) in op.rawValue.enumerated() {
            let bit = 31 - index
            switch ch {
            case "0": mask |= 1 << bit
            case "1": mask |= 1 << bit; value |= 1 << bit
            case "y": sbo |= 1 << bit
            case "z", "-": break
            default:
                if fields[ch] == nil { letters.append(ch) }
                fields[ch, default: []].append(bit)
            }
        }
        fixedMask = mask; fixedValue = value; shouldBeOne = sbo
        self.fields = fields; self.letters = letters
    }

    /// Width in bits of a field (0 when the encoding has no such field).
    public func width(_ letter: Character) -> Int { fields[letter]?.count ?? 0 }

    /// The word with the given field values (missing fields are 0; the condition is `cond`
    /// when the encoding has one).
    public func encode(_ values: [Character: UInt32], cond: Condition = .al) -> UInt32 {
        var word = fixedValue | shouldBeOne
        for (letter, bits) in fields {
            let v = letter == "c" ? UInt32(cond.rawValue) : (values[letter] ?? 0)
            let width = UInt32(bits.count)
            precondition(width == 32 || v >> width == 0, "\(op): field \(letter) value \(v) wider than \(width) bits")
            for (k, bit) in bits.enumerated() {
                word |= ((v >> (width - 1 - UInt32(k))) & 1) << UInt32(bit)
            }
        }
        return word
    }

    /// Field values read back from a word of this encoding.
    public func fieldValues(of word: UInt32) -> [Character: UInt32] {
        var values: [Character: UInt32] = [:]
        for (letter, bits) in fields {
            var v: UInt32 = 0
            for b in bits { v = (v << 1) | ((word >> UInt32(b)) & 1) }
            values[letter] = v
        }
        return values
    }

    /// The parsed pattern of every encoding in the table.
    public static let all: [Op: EncodingPattern] = Dictionary(uniqueKeysWithValues: Op.allCases.map { ($0, EncodingPattern($0)) })
}

extension Op {
    public var pattern: EncodingPattern { EncodingPattern.all[self]! }

    /// Encodes this instruction from field values: `Op.movw.encode(["d": 0, "i": 0x1234])`.
    public func encode(_ values: [Character: UInt32], cond: Condition = .al) -> UInt32 {
        pattern.encode(values, cond: cond)
    }

    /// The case name (`addRSR`), as printed in coverage tables.
    public var name: String { String(describing: self) }
}
