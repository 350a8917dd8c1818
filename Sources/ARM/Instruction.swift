/// A decoded A32 instruction: its encoding and the fields named in that encoding's pattern.
/// Fields an encoding does not have are zero.
public struct Instruction: Sendable, Equatable {
    public var op: Op
    public var word: UInt32
    public var cond: Condition = .al
    /// Registers Rn, Rd, Rm, Rs, Ra (also RdLo and Rt2), Rt: stored in bytes so a decoded
    /// block stays compact, read as Int.
    @usableFromInline var rn: UInt8 = 0, rd: UInt8 = 0, rm: UInt8 = 0, rs: UInt8 = 0, ra: UInt8 = 0, rt: UInt8 = 0
    @inlinable public var n: Int { get { Int(rn) } set { rn = UInt8(truncatingIfNeeded: newValue) } }
    @inlinable public var d: Int { get { Int(rd) } set { rd = UInt8(truncatingIfNeeded: newValue) } }
    @inlinable public var m: Int { get { Int(rm) } set { rm = UInt8(truncatingIfNeeded: newValue) } }
    @inlinable public var s: Int { get { Int(rs) } set { rs = UInt8(truncatingIfNeeded: newValue) } }
    @inlinable public var a: Int { get { Int(ra) } set { ra = UInt8(truncatingIfNeeded: newValue) } }
    @inlinable public var t: Int { get { Int(rt) } set { rt = UInt8(truncatingIfNeeded: newValue) } }
    /// The `i` bits, concatenated.
    public var imm: UInt32 = 0
    // The other fields are at most 16 bits wide: stored narrow (a decoded instruction is
    // copied per interpreted instruction, so its size matters), read as UInt32.
    @usableFromInline var narrowShiftAmount: UInt8 = 0, narrowShiftType: UInt8 = 0, narrowRotation: UInt8 = 0
    @usableFromInline var narrowWidth: UInt8 = 0, narrowLSB: UInt8 = 0, narrowMask: UInt8 = 0
    @usableFromInline var narrowOpc1: UInt8 = 0, narrowOpc2: UInt8 = 0, narrowCoprocessor: UInt8 = 0
    @usableFromInline var narrowRegisterList: UInt16 = 0
    @inlinable public var shiftAmount: UInt32 {     // v
        get { UInt32(narrowShiftAmount) } set { narrowShiftAmount = UInt8(truncatingIfNeeded: newValue) }
    }
    @inlinable public var shiftType: UInt32 {       // r
        get { UInt32(narrowShiftType) } set { narrowShiftType = UInt8(truncatingIfNeeded: newValue) }
    }
    /// R (also the round bit of smmla/smmul/smmls).
    @inlinable public var rotation: UInt32 {
        get { UInt32(narrowRotation) } set { narrowRotation = UInt8(truncatingIfNeeded: newValue) }
    }
    @inlinable public var registerList: UInt32 {    // x
        get { UInt32(narrowRegisterList) } set { narrowRegisterList = UInt16(truncatingIfNeeded: newValue) }
    }
    /// w: widthm1, msb, saturate-to, mode.
    @inlinable public var width: UInt32 {
        get { UInt32(narrowWidth) } set { narrowWidth = UInt8(truncatingIfNeeded: newValue) }
    }
    @inlinable public var lsb: UInt32 {             // l
        get { UInt32(narrowLSB) } set { narrowLSB = UInt8(truncatingIfNeeded: newValue) }
    }
    @inlinable public var mask: UInt32 {            // k
        get { UInt32(narrowMask) } set { narrowMask = UInt8(truncatingIfNeeded: newValue) }
    }
    @inlinable public var opc1: UInt32 {            // o
        get { UInt32(narrowOpc1) } set { narrowOpc1 = UInt8(truncatingIfNeeded: newValue) }
    }
    @inlinable public var opc2: UInt32 {            // q
        get { UInt32(narrowOpc2) } set { narrowOpc2 = UInt8(truncatingIfNeeded: newValue) }
    }
    @inlinable public var coprocessor: UInt32 {     // p
        get { UInt32(narrowCoprocessor) } set { narrowCoprocessor = UInt8(truncatingIfNeeded: newValue) }
    }
    public var setFlags = false             // S
    public var index = false                // P
    public var add = false                  // U
    public var writeBack = false            // W
    public var flagX = false, flagN = false, flagM = false, flagH = false, flagE = false, flagD = false

    public init(op: Op, word: UInt32) {
        self.op = op
        self.word = word
    }
}

/// The fifteen A32 conditions plus the unconditional space.
public enum Condition: UInt8, Sendable, CaseIterable {
    case eq, ne, cs, cc, mi, pl, vs, vc, hi, ls, ge, lt, gt, le, al, nv

    public var name: String {
        ["eq", "ne", "cs", "cc", "mi", "pl", "vs", "vc", "hi", "ls", "ge", "lt", "gt", "le", "", ""][Int(rawValue)]
    }

    /// Whether the condition holds for the given flags (ARM ARM A8.3).
    @inlinable
    public func holds(n: Bool, z: Bool, c: Bool, v: Bool) -> Bool {
        switch self {
        case .eq: return z
        case .ne: return !z
        case .cs: return c
        case .cc: return !c
        case .mi: return n
        case .pl: return !n
        case .vs: return v
        case .vc: return !v
        case .hi: return c && !z
        case .ls: return !c || z
        case .ge: return n == v
        case .lt: return n != v
        case .gt: return !z && n == v
        case .le: return z || n != v
        case .al, .nv: return true
        }
    }
}
