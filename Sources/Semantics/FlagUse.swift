import ARM

/// A set of the condition flags N, Z, C and V (bit k: `StatusFlag(rawValue: k)`).
public struct ConditionFlags: OptionSet, Sendable, Hashable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    public init(_ flag: StatusFlag) { self.init(rawValue: flag.rawValue < 4 ? 1 << UInt8(flag.rawValue) : 0) }
    public static let n = ConditionFlags(.n), z = ConditionFlags(.z), c = ConditionFlags(.c), v = ConditionFlags(.v)
    public static let all: ConditionFlags = [.n, .z, .c, .v]
}

/// How an instruction uses the condition flags, for liveness: those its semantics may read
/// before writing them, those it may hand to someone else with the rest of the state
/// (`escapes`), those it may write, and those it surely writes (`kills`: an instruction whose
/// condition may fail kills none).
public struct FlagUse: Sendable, Equatable {
    public var reads: ConditionFlags = []
    public var escapes: ConditionFlags = []
    public var writes: ConditionFlags = []
    public var kills: ConditionFlags = []
    public init(reads: ConditionFlags = [], escapes: ConditionFlags = [], writes: ConditionFlags = [], kills: ConditionFlags = []) {
        (self.reads, self.escapes, self.writes, self.kills) = (reads, escapes, writes, kills)
    }

    /// Liveness's step back over the instruction: the flags live before it, given those live
    /// after it.
    public func liveBefore(after live: ConditionFlags) -> ConditionFlags {
        live.subtracting(kills).union(reads).union(escapes)
    }
}

extension Semantics {
    /// The flags `i` uses, found by running its semantics over an emitter that records flag
    /// reads and writes (so this follows the semantics, written once). All flags escape at
    /// an exit to the operating system or an exception, a computed branch (its target is
    /// unknown here), an operation the interpreter does (coprocessors) and, when `faultsEscape`,
    /// any guest memory access (a fault shows the state to the guest's signal handler).
    public static func flagUse(of i: Instruction, faultsEscape: Bool) -> FlagUse {
        let recorder = FlagUseRecorder(faultsEscape: faultsEscape)
        if i.cond != .al && i.cond != .nv { _ = conditionPassed(i.cond, recorder) }
        execute(i, recorder)
        var use = recorder.use
        if i.cond == .al || i.cond == .nv { use.kills = use.writes }
        return use
    }
}

/// `Semantics.flagUse`'s emitter: its values carry nothing, it only notes flag reads and writes.
final class FlagUseRecorder: Emitter {
    struct Value {}
    struct Flag {}
    typealias Failure = Never

    var currentPC: UInt32 = 0
    var use = FlagUse()
    private let faultsEscape: Bool

    init(faultsEscape: Bool) { self.faultsEscape = faultsEscape }

    private func read(_ flags: ConditionFlags) { use.reads.formUnion(flags.subtracting(use.writes)) }
    private func escape() { use.escapes = .all }
    private func access() { if faultsEscape { escape() } }

    func constant(_ v: UInt32) -> Value { Value() }
    func constant(_ b: Bool) -> Flag { Flag() }

    func readRegister(_ r: Int) -> Value { Value() }
    func writeRegister(_ r: Int, _ v: Value) {}
    func readFlag(_ f: StatusFlag) -> Flag { read(ConditionFlags(f)); return Flag() }
    func writeFlag(_ f: StatusFlag, _ v: Flag) { use.writes.formUnion(ConditionFlags(f)) }
    func readGE() -> Value { Value() }
    func writeGE(_ v: Value) {}

    func add(_ a: Value, _ b: Value) -> Value { Value() }
    func sub(_ a: Value, _ b: Value) -> Value { Value() }
    func mul(_ a: Value, _ b: Value) -> Value { Value() }
    func and(_ a: Value, _ b: Value) -> Value { Value() }
    func or(_ a: Value, _ b: Value) -> Value { Value() }
    func xor(_ a: Value, _ b: Value) -> Value { Value() }
    func not(_ a: Value) -> Value { Value() }
    func shiftLeft(_ a: Value, _ amount: Value) -> Value { Value() }
    func shiftRightLogical(_ a: Value, _ amount: Value) -> Value { Value() }
    func shiftRightArithmetic(_ a: Value, _ amount: Value) -> Value { Value() }
    func rotateRight(_ a: Value, _ amount: Value) -> Value { Value() }
    func addWithCarry(_ a: Value, _ b: Value, _ carry: Flag) -> (result: Value, carry: Flag, overflow: Flag) {
        (Value(), Flag(), Flag())
    }
    func multiplyLong(_ a: Value, _ b: Value, signed: Bool) -> (lo: Value, hi: Value) { (Value(), Value()) }
    func add64(_ a: (lo: Value, hi: Value), _ b: (lo: Value, hi: Value)) -> (lo: Value, hi: Value) { (Value(), Value()) }
    func divide(_ a: Value, _ b: Value, signed: Bool) -> Value { Value() }
    func countLeadingZeros(_ a: Value) -> Value { Value() }
    func reverseBits(_ a: Value) -> Value { Value() }
    func byteSwap(_ a: Value) -> Value { Value() }
    func signExtend(_ a: Value, fromBits bits: Int) -> Value { Value() }

    func equal(_ a: Value, _ b: Value) -> Flag { Flag() }
    func unsignedLess(_ a: Value, _ b: Value) -> Flag { Flag() }
    func signedLess(_ a: Value, _ b: Value) -> Flag { Flag() }
    func select(_ c: Flag, _ a: Value, _ b: Value) -> Value { Value() }
    func select(_ c: Flag, _ a: Flag, _ b: Flag) -> Flag { Flag() }
    func and(_ a: Flag, _ b: Flag) -> Flag { Flag() }
    func or(_ a: Flag, _ b: Flag) -> Flag { Flag() }
    func xor(_ a: Flag, _ b: Flag) -> Flag { Flag() }
    func not(_ a: Flag) -> Flag { Flag() }
    func bit(_ a: Value, _ n: Int) -> Flag { Flag() }
    func zeroExtend(_ f: Flag) -> Value { Value() }

    func load(_ address: Value, size: Int) -> Value { access(); return Value() }
    func store(_ address: Value, _ value: Value, size: Int) { access() }
    func loadExclusive(_ address: Value, size: Int) -> Value { access(); return Value() }
    func storeExclusive(_ address: Value, _ value: Value, _ high: Value?, size: Int) -> Value { access(); return Value() }
    func clearExclusive() {}

    func branch(to target: UInt32) {}
    func branchExchange(_ target: Value) { escape() }
    func supervisorCall(_ immediate: UInt32) { escape() }
    func breakpoint(_ immediate: UInt32) { escape() }
    func undefined(_ reason: String) { escape() }

    func readStatusRegister() -> Value { read(.all); return Value() }
    func writeStatusControl(_ value: Value, mask: UInt32) { escape() }
    func coprocessorRead(_ i: Instruction) -> Value { escape(); return Value() }
    func coprocessorWrite(_ i: Instruction, _ value: Value) { escape() }
    func systemHint(_ operation: SystemHint) {
        if case .changeProcessorState = operation { escape() }
    }
}
