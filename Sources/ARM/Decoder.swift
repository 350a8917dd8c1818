/// Decodes A32 words by matching the patterns of `Op` (the encoding table). Where patterns
/// overlap, the one with more fixed bits wins: in the ARM ARM's tables the more specific
/// encoding is always the exception carved out of the more general one.
///
/// The patterns are compiled once into flat tables of plain values, so decoding a word is a
/// few masks and shifts: the interpreter decodes every block it meets, and short runs of
/// dynamically linked programs spend much of their time there.
public enum Decoder {
    /// A compiled pattern: fixed-bit mask and value, and where each field's bits are.
    struct Pattern {
        let mask: UInt32, value: UInt32
        /// Runs of adjacent bits, grouped by field, most significant first within a field.
        let runs: [Run]
    }

    /// `width` adjacent bits of the word from bit `shift` up, which land at bit `fieldShift`
    /// of the field's value (a field's bits may be split, as movw's imm4:imm12).
    struct Run {
        let field: Field
        let shift: UInt8, width: UInt8, fieldShift: UInt8
    }

    struct Entry {
        let op: Op
        let mask: UInt32
        let value: UInt32
        /// The encoding has a condition field, so it never matches cond 1111.
        let conditional: Bool
        /// The entry's runs in `runs`.
        let firstRun: Int32, runCount: Int32
    }

    static func compile(_ pattern: String) -> Pattern {
        var mask: UInt32 = 0, value: UInt32 = 0
        // Each field's bit positions as a mask, fields in order of first appearance.
        var positions = [UInt32](repeating: 0, count: Field.allCases.count)
        var order: [Field] = []
        var bit = 32
        for ch in pattern.utf8 {
            bit -= 1
            precondition(bit >= 0, "pattern \(pattern) is longer than 32 bits")
            switch ch {
            case UInt8(ascii: "0"): mask |= 1 << bit
            case UInt8(ascii: "1"): mask |= 1 << bit; value |= 1 << bit
            case UInt8(ascii: "y"), UInt8(ascii: "z"), UInt8(ascii: "-"), UInt8(ascii: "c"): break
            default:
                guard let field = Field(ascii: ch) else {
                    preconditionFailure("unknown pattern letter \(Unicode.Scalar(ch)) in \(pattern)")
                }
                if positions[Int(field.rawValue)] == 0 { order.append(field) }
                positions[Int(field.rawValue)] |= 1 << bit
            }
        }
        precondition(bit == 0, "pattern \(pattern) is not 32 bits")
        var runs: [Run] = []
        for field in order {
            // Runs of adjacent set bits, from the top; the field's bits below a run put it in place.
            var rest = positions[Int(field.rawValue)]
            while rest != 0 {
                let top = 31 - rest.leadingZeroBitCount
                let width = (~(rest << (31 - top))).leadingZeroBitCount
                let shift = top - width + 1
                rest &= ~((UInt32.max >> (32 - width)) << shift)
                runs.append(Run(field: field, shift: UInt8(shift), width: UInt8(width),
                                fieldShift: UInt8(rest.nonzeroBitCount)))
            }
        }
        return Pattern(mask: mask, value: value, runs: runs)
    }

    /// Entries in priority order within buckets by bits 27:20 (`buckets[b]` is a range of
    /// `entries`), the runs the entries point into, and each encoding's fields by
    /// `Op.ordinal`. Built once; never freed.
    nonisolated(unsafe) static let (entries, buckets, runs, fieldSets):
        (UnsafeBufferPointer<Entry>, UnsafeBufferPointer<Range<Int>>, UnsafeBufferPointer<Run>, UnsafeBufferPointer<FieldSet>) = {
        var runs: [Run] = []
        var fieldSets: [FieldSet] = []
        let compiled = Op.allCases.enumerated().map { ordinal, op -> Entry in
            precondition(op.ordinal == ordinal, "Op.ordinal is not the declaration order")
            let p = compile(op.rawValue)
            fieldSets.append(FieldSet(p.runs.map(\.field)))
            let entry = Entry(op: op, mask: p.mask, value: p.value, conditional: op.rawValue.utf8.first == UInt8(ascii: "c"),
                              firstRun: Int32(runs.count), runCount: Int32(p.runs.count))
            runs += p.runs
            return entry
        }.sorted { $0.mask.nonzeroBitCount > $1.mask.nonzeroBitCount }
        // An entry goes in every bucket its fixed bits 27:20 allow: each subset of its free
        // bits there, added to its fixed value.
        var lists = [[Entry]](repeating: [], count: 256)
        for e in compiled {
            let fixedMask = (e.mask >> 20) & 0xFF, fixedValue = (e.value >> 20) & 0xFF
            let free = ~fixedMask & 0xFF
            var subset: UInt32 = 0
            repeat {
                lists[Int(fixedValue | subset)].append(e)
                subset = (subset &- free) & free
            } while subset != 0
        }
        var entries: [Entry] = []
        var buckets: [Range<Int>] = []
        for list in lists {
            buckets.append(entries.count..<entries.count + list.count)
            entries += list
        }
        func permanent<T>(_ array: [T]) -> UnsafeBufferPointer<T> {
            let buffer = UnsafeMutableBufferPointer<T>.allocate(capacity: array.count)
            _ = buffer.initialize(from: array)
            return UnsafeBufferPointer(buffer)
        }
        return (permanent(entries), permanent(buckets), permanent(runs), permanent(fieldSets))
    }()

    /// Decodes one word; nil when no encoding matches (an UNDEFINED instruction).
    public static func decode(_ word: UInt32) -> Instruction? {
        let cond = word >> 28
        let entries = Decoder.entries, runs = Decoder.runs
        for index in buckets[Int((word >> 20) & 0xFF)] {
            let e = entries[index]
            guard word & e.mask == e.value, !(e.conditional && cond == 0xF) else { continue }
            var inst = Instruction(op: e.op, word: word)
            inst.cond = e.conditional ? Condition(rawValue: UInt8(cond))! : .al
            var r = Int(e.firstRun)
            let end = r + Int(e.runCount)
            while r < end {
                // One field: the OR of its runs.
                let field = runs[r].field
                var v: UInt32 = 0
                repeat {
                    let run = runs[r]
                    v |= ((word >> UInt32(run.shift)) & ((1 << UInt32(run.width)) &- 1)) << UInt32(run.fieldShift)
                    r += 1
                } while r < end && runs[r].field == field
                inst.set(field, v)
            }
            return inst
        }
        return nil
    }

    /// The fields `op`'s pattern names.
    public static func fields(of op: Op) -> FieldSet { fieldSets[op.ordinal] }
}

/// The fields of an instruction that pattern letters name (legend in EncodingTable.swift).
public enum Field: UInt8, CaseIterable, Sendable {
    case n, d, m, s, a, t, imm, shiftAmount, shiftType, rotation, setFlags, index, add, writeBack,
         registerList, width, lsb, mask, opc1, opc2, coprocessor, flagX, flagN, flagM, flagH, flagE, flagD

    /// The field a pattern letter names (nil for fixed bits, `c`, `y`, `z` and `-`).
    public init?(letter: Character) {
        guard let ascii = letter.asciiValue else { return nil }
        self.init(ascii: ascii)
    }

    init?(ascii: UInt8) {
        switch ascii {
        case UInt8(ascii: "n"): self = .n
        case UInt8(ascii: "d"): self = .d
        case UInt8(ascii: "m"): self = .m
        case UInt8(ascii: "s"): self = .s
        case UInt8(ascii: "a"): self = .a
        case UInt8(ascii: "t"): self = .t
        case UInt8(ascii: "i"): self = .imm
        case UInt8(ascii: "v"): self = .shiftAmount
        case UInt8(ascii: "r"): self = .shiftType
        case UInt8(ascii: "R"): self = .rotation
        case UInt8(ascii: "S"): self = .setFlags
        case UInt8(ascii: "P"): self = .index
        case UInt8(ascii: "U"): self = .add
        case UInt8(ascii: "W"): self = .writeBack
        case UInt8(ascii: "x"): self = .registerList
        case UInt8(ascii: "w"): self = .width
        case UInt8(ascii: "l"): self = .lsb
        case UInt8(ascii: "k"): self = .mask
        case UInt8(ascii: "o"): self = .opc1
        case UInt8(ascii: "q"): self = .opc2
        case UInt8(ascii: "p"): self = .coprocessor
        case UInt8(ascii: "X"): self = .flagX
        case UInt8(ascii: "N"): self = .flagN
        case UInt8(ascii: "M"): self = .flagM
        case UInt8(ascii: "H"): self = .flagH
        case UInt8(ascii: "E"): self = .flagE
        case UInt8(ascii: "D"): self = .flagD
        default: return nil
        }
    }
}

/// A set of `Field`s.
public struct FieldSet: Sendable, Equatable {
    var bits: UInt32 = 0
    init(_ fields: [Field]) { for f in fields { bits |= 1 << UInt32(f.rawValue) } }
    public func contains(_ field: Field) -> Bool { bits & (1 << UInt32(field.rawValue)) != 0 }
}

extension Op {
    /// The encoding's position in `allCases`, its declaration order: an enum without payloads
    /// is stored as that index (one byte for fewer than 256 cases). For tables by encoding.
    @inlinable public var ordinal: Int { Int(unsafeBitCast(self, to: UInt8.self)) }
}

extension Instruction {
    /// Sets a decoded field (the narrow ones truncate, as the pattern widths allow).
    mutating func set(_ field: Field, _ v: UInt32) {
        switch field {
        case .n: n = Int(v)
        case .d: d = Int(v)
        case .m: m = Int(v)
        case .s: s = Int(v)
        case .a: a = Int(v)
        case .t: t = Int(v)
        case .imm: imm = v
        case .shiftAmount: shiftAmount = v
        case .shiftType: shiftType = v
        case .rotation: rotation = v
        case .setFlags: setFlags = v != 0
        case .index: index = v != 0
        case .add: add = v != 0
        case .writeBack: writeBack = v != 0
        case .registerList: registerList = v
        case .width: width = v
        case .lsb: lsb = v
        case .mask: mask = v
        case .opc1: opc1 = v
        case .opc2: opc2 = v
        case .coprocessor: coprocessor = v
        case .flagX: flagX = v != 0
        case .flagN: flagN = v != 0
        case .flagM: flagM = v != 0
        case .flagH: flagH = v != 0
        case .flagE: flagE = v != 0
        case .flagD: flagD = v != 0
        }
    }
}
