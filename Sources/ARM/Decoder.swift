/// Decodes A32 words by matching the patterns of `Op` (the encoding table). Where patterns
/// overlap, the one with more fixed bits wins: in the ARM ARM's tables the more specific
/// encoding is always the exception carved out of the more general one.
public enum Decoder {
    struct Entry {
        let op: Op
        let mask: UInt32
        let value: UInt32
        /// The encoding has a condition field, so it never matches cond 1111.
        let conditional: Bool
        /// Field letters with their bit positions, most significant first.
        let fields: [(letter: Character, bits: [Int])]
    }

    /// A compiled pattern: fixed-bit mask and value, and where each letter's bits are.
    struct Pattern {
        let mask: UInt32, value: UInt32
        let fields: [(letter: Character, bits: [Int])]
    }

    static func compile(_ pattern: String) -> Pattern {
        let chars = Array(pattern)
        precondition(chars.count == 32, "pattern \(pattern) is not 32 bits")
        var mask: UInt32 = 0, value: UInt32 = 0
        var order: [Character] = []
        var bits: [Character: [Int]] = [:]
        for (i, ch) in chars.enumerated() {
            let bit = 31 - i
            switch ch {
            case "0": mask |= 1 << bit
            case "1": mask |= 1 << bit; value |= 1 << bit
            case "y", "z", "-": break
            default:
                if bits[ch] == nil { order.append(ch) }
                bits[ch, default: []].append(bit)
            }
        }
        return Pattern(mask: mask, value: value, fields: order.map { ($0, bits[$0]!) })
    }

    /// Entries bucketed by bits 27:20, each bucket in priority order.
    static let buckets: [[Entry]] = {
        let entries = Op.allCases.map { op -> Entry in
            let p = compile(op.rawValue)
            return Entry(op: op, mask: p.mask, value: p.value,
                         conditional: op.rawValue.hasPrefix("cccc"), fields: p.fields)
        }.sorted { $0.mask.nonzeroBitCount > $1.mask.nonzeroBitCount }
        return (0..<256).map { b in
            let key = UInt32(b) << 20
            return entries.filter { ($0.mask & 0x0FF0_0000) & key == $0.value & 0x0FF0_0000 & $0.mask }
        }
    }()

    /// Decodes one word; nil when no encoding matches (an UNDEFINED instruction).
    public static func decode(_ word: UInt32) -> Instruction? {
        let cond = word >> 28
        for e in buckets[Int((word >> 20) & 0xFF)] where word & e.mask == e.value {
            if e.conditional && cond == 0xF { continue }
            var inst = Instruction(op: e.op, word: word)
            inst.cond = e.conditional ? Condition(rawValue: UInt8(cond))! : .al
            for (letter, bits) in e.fields {
                var v: UInt32 = 0
                for b in bits { v = (v << 1) | ((word >> UInt32(b)) & 1) }
                inst.setField(letter, v)
            }
            return inst
        }
        return nil
    }
}

extension Instruction {
    mutating func setField(_ letter: Character, _ v: UInt32) {
        switch letter {
        case "c": break
        case "n": n = Int(v)
        case "d": d = Int(v)
        case "m": m = Int(v)
        case "s": s = Int(v)
        case "a": a = Int(v)
        case "t": t = Int(v)
        case "i": imm = v
        case "v": shiftAmount = v
        case "r": shiftType = v
        case "R": rotation = v
        case "S": setFlags = v != 0
        case "P": index = v != 0
        case "U": add = v != 0
        case "W": writeBack = v != 0
        case "x": registerList = v
        case "w": width = v
        case "l": lsb = v
        case "k": mask = v
        case "o": opc1 = v
        case "q": opc2 = v
        case "p": coprocessor = v
        case "X": flagX = v != 0
        case "N": flagN = v != 0
        case "M": flagM = v != 0
        case "H": flagH = v != 0
        case "E": flagE = v != 0
        case "D": flagD = v != 0
        default: preconditionFailure("unknown pattern letter \(letter)")
        }
    }
}
