/// The guest CPU state that interpreted and compiled code share. Its layout is part of the
/// compiled-code ABI (DESIGN.md convention 4): field offsets are pinned by `CPUState.Offsets`
/// and checked by a test; compiled code addresses fields by these offsets.
public struct CPUState {
    /// r0–r15. r15 holds the address of the next instruction to execute (not pc+8).
    public var r: (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32,
                   UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32)
        = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    /// CPSR condition flags, one byte each (0 or 1) so they can live in separate SSA values.
    public var n: UInt8 = 0, z: UInt8 = 0, c: UInt8 = 0, v: UInt8 = 0
    /// Sticky saturation flag.
    public var q: UInt8 = 0
    /// GE[3:0] of the parallel add/subtract instructions.
    public var ge: UInt8 = 0
    var pad0: UInt16 = 0
    /// The CPSR bits other than N Z C V Q GE: mode, I, F, A, E, T, …
    public var cpsrControl: UInt32 = PSR.userMode
    /// CP15 thread ID registers readable from user mode: TPIDRURO (set_tls), TPIDRURW.
    public var tpidruro: UInt32 = 0
    public var tpidrurw: UInt32 = 0
    /// Local exclusive monitor for LDREX/STREX: the marked address, and whether it is open.
    public var exclusiveAddress: UInt32 = 0
    public var exclusiveOpen: UInt32 = 0
    /// Loop iterations compiled code may still run without returning to the dispatcher, so
    /// signals are delivered even to a guest spinning in a compiled loop. The dispatcher
    /// refills it.
    public var loopBudget: UInt32 = 0
    /// Host address of the JIT's pc -> code table (`TranslationCache`), which compiled code
    /// consults for indirect branches; 0 when interpreting. Set at run time, never compiled in.
    public var dispatchTable: UInt64 = 0
    /// Statistics kept by compiled code: direct transitions from one compiled block to the next
    /// without the dispatcher, and indirect-branch lookups in the dispatch table and their hits.
    public var chainedTransitions: UInt64 = 0
    public var indirectLookups: UInt64 = 0
    public var indirectHits: UInt64 = 0

    public init() {}

    public enum Offsets {
        public static let r = 0
        public static let n = 64, z = 65, c = 66, v = 67, q = 68, ge = 69
        public static let cpsrControl = 72
        public static let tpidruro = 76, tpidrurw = 80
        public static let exclusiveAddress = 84, exclusiveOpen = 88
        public static let loopBudget = 92
        public static let dispatchTable = 96
        public static let chainedTransitions = 104, indirectLookups = 112, indirectHits = 120
        public static let size = 128
    }

    @inline(__always)
    public subscript(reg: Int) -> UInt32 {
        get { withUnsafeBytes(of: r) { $0.load(fromByteOffset: reg &* 4, as: UInt32.self) } }
        set { withUnsafeMutableBytes(of: &r) { $0.storeBytes(of: newValue, toByteOffset: reg &* 4, as: UInt32.self) } }
    }

    public var pc: UInt32 {
        get { r.15 }
        set { r.15 = newValue }
    }

    /// The CPSR as MRS reads it.
    public var cpsr: UInt32 {
        get {
            UInt32(n) << 31 | UInt32(z) << 30 | UInt32(c) << 29 | UInt32(v) << 28 | UInt32(q) << 27
                | UInt32(ge & 0xF) << 16 | cpsrControl
        }
        set {
            n = UInt8(newValue >> 31 & 1); z = UInt8(newValue >> 30 & 1)
            c = UInt8(newValue >> 29 & 1); v = UInt8(newValue >> 28 & 1)
            q = UInt8(newValue >> 27 & 1); ge = UInt8(newValue >> 16 & 0xF)
            cpsrControl = newValue & PSR.controlBits
        }
    }
}

/// Program status register bits (ARM ARM B1.3.3).
public enum PSR {
    public static let userMode: UInt32 = 0x10
    public static let thumbBit: UInt32 = 1 << 5
    public static let endianBit: UInt32 = 1 << 9
    /// Bits held in `cpsrControl`: everything but N Z C V Q and GE.
    public static let controlBits: UInt32 = ~(0xF800_0000 | 0x000F_0000)
    /// Bits an application (user mode) MSR may write: N Z C V Q and GE (ARM ARM B1.3.3, APSR).
    public static let applicationWritableMask: UInt32 = 0xF80F_0000
}

/// Register names as the ARM ABI spells them.
public let registerNames = ["r0", "r1", "r2", "r3", "r4", "r5", "r6", "r7",
                            "r8", "r9", "sl", "fp", "ip", "sp", "lr", "pc"]
