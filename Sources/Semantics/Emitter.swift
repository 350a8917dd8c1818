import ARM

/// The operations instruction semantics are written in. The interpreter implements them over
/// concrete values (`UInt32`, `Bool`) and executes as it goes; the lifter implements them over
/// LLVM values and emits IR. Decode-time facts are plain Swift values; everything that depends
/// on run-time data flows through these operations.
///
/// Conventions: shift amounts passed to the shift operations are already in 0…31; `Flag` is one
/// bit. Register operations never see r15: `Semantics` turns PC reads into constants and PC
/// writes into branches.
public protocol Emitter {
    associatedtype Value
    associatedtype Flag
    /// What a guest memory access or a system operation can fail with (Never when compiling).
    associatedtype Failure: Error

    /// Address of the instruction whose semantics are being produced.
    var currentPC: UInt32 { get }

    func constant(_ v: UInt32) -> Value
    func constant(_ b: Bool) -> Flag

    // MARK: State
    func readRegister(_ r: Int) -> Value
    func writeRegister(_ r: Int, _ v: Value)
    func readFlag(_ f: StatusFlag) -> Flag
    func writeFlag(_ f: StatusFlag, _ v: Flag)
    /// GE[3:0] in the low four bits.
    func readGE() -> Value
    func writeGE(_ v: Value)

    // MARK: Arithmetic and logic on 32-bit values
    func add(_ a: Value, _ b: Value) -> Value
    func sub(_ a: Value, _ b: Value) -> Value
    func mul(_ a: Value, _ b: Value) -> Value
    func and(_ a: Value, _ b: Value) -> Value
    func or(_ a: Value, _ b: Value) -> Value
    func xor(_ a: Value, _ b: Value) -> Value
    func not(_ a: Value) -> Value
    func shiftLeft(_ a: Value, _ amount: Value) -> Value
    func shiftRightLogical(_ a: Value, _ amount: Value) -> Value
    func shiftRightArithmetic(_ a: Value, _ amount: Value) -> Value
    func rotateRight(_ a: Value, _ amount: Value) -> Value
    /// a + b + carry with the carry out and signed overflow (ARM ARM AddWithCarry).
    func addWithCarry(_ a: Value, _ b: Value, _ carry: Flag) -> (result: Value, carry: Flag, overflow: Flag)
    /// The 64-bit product as (low, high).
    func multiplyLong(_ a: Value, _ b: Value, signed: Bool) -> (lo: Value, hi: Value)
    /// 64-bit addition of (low, high) pairs.
    func add64(_ a: (lo: Value, hi: Value), _ b: (lo: Value, hi: Value)) -> (lo: Value, hi: Value)
    /// Division rounding towards zero; x/0 = 0 and INT_MIN / -1 = INT_MIN as on ARM.
    func divide(_ a: Value, _ b: Value, signed: Bool) -> Value
    func countLeadingZeros(_ a: Value) -> Value
    func reverseBits(_ a: Value) -> Value
    func byteSwap(_ a: Value) -> Value
    /// Sign-extends the low `bits` bits.
    func signExtend(_ a: Value, fromBits bits: Int) -> Value

    // MARK: Comparisons and selection
    func equal(_ a: Value, _ b: Value) -> Flag
    func unsignedLess(_ a: Value, _ b: Value) -> Flag
    func signedLess(_ a: Value, _ b: Value) -> Flag
    func select(_ c: Flag, _ a: Value, _ b: Value) -> Value
    func select(_ c: Flag, _ a: Flag, _ b: Flag) -> Flag
    func and(_ a: Flag, _ b: Flag) -> Flag
    func or(_ a: Flag, _ b: Flag) -> Flag
    func xor(_ a: Flag, _ b: Flag) -> Flag
    func not(_ a: Flag) -> Flag
    /// Bit `n` of `a`.
    func bit(_ a: Value, _ n: Int) -> Flag
    /// 0 or 1.
    func zeroExtend(_ f: Flag) -> Value

    // MARK: Guest memory: every guest data access goes through these
    /// Loads `size` bytes (1, 2 or 4), zero-extended.
    func load(_ address: Value, size: Int) throws(Failure) -> Value
    func store(_ address: Value, _ value: Value, size: Int) throws(Failure)
    /// LDM: `count` words from `start`, `start + 4`, … (addresses wrap at 4 GiB), handed to
    /// `loaded` in order. A fault leaves registers unchanged, so the caller writes them after.
    func loadWords(_ start: Value, count: Int, _ loaded: (Value) -> Void) throws(Failure)
    /// STM: `count` words to `start`, `start + 4`, …; `value(k)` is the k-th.
    func storeWords(_ start: Value, count: Int, _ value: (Int) -> Value) throws(Failure)
    /// LDREX family: loads and marks the address for the exclusive monitor.
    func loadExclusive(_ address: Value, size: Int) throws(Failure) -> Value
    /// STREX family: stores if the monitor is open for `address`; 0 on success, 1 on failure.
    /// `size` 8 (STREXD) stores `value` then `high`.
    func storeExclusive(_ address: Value, _ value: Value, _ high: Value?, size: Int) throws(Failure) -> Value
    func clearExclusive()

    // MARK: Control flow: each ends the block
    /// A branch to a target known at decode time (B, BL, BLX immediate in ARM state).
    func branch(to target: UInt32)
    /// A computed branch with interworking (BXWritePC): bit 0 selects Thumb state.
    func branchExchange(_ target: Value)
    /// SVC: a call into the operating system.
    func supervisorCall(_ immediate: UInt32)
    /// BKPT.
    func breakpoint(_ immediate: UInt32)
    /// The instruction is UNDEFINED (or UNPREDICTABLE, which Isomorph treats as undefined).
    func undefined(_ reason: String)

    // MARK: System operations: calls into Swift emulation routines, never inline code
    /// MRS: the CPSR as the current mode may read it.
    func readStatusRegister() -> Value
    /// MSR to the control fields (`mask` bit 0: c, bit 1: x); ignored in user mode.
    func writeStatusControl(_ value: Value, mask: UInt32)
    /// MRC: read a coprocessor register, or fail with an undefined-instruction exception.
    func coprocessorRead(_ i: Instruction) throws(Failure) -> Value
    /// MCR.
    func coprocessorWrite(_ i: Instruction, _ value: Value) throws(Failure)
    /// Hints (YIELD, WFE, WFI, SEV), barriers and CPS: `operation` names which.
    func systemHint(_ operation: SystemHint)
}

public enum StatusFlag: Int, Sendable {
    case n, z, c, v, q
}

public enum SystemHint: Sendable, Equatable {
    case nop, yield, waitForEvent, waitForInterrupt, sendEvent, debug
    case dataMemoryBarrier, dataSynchronizationBarrier, instructionSynchronizationBarrier
    case changeProcessorState(Instruction)
}

extension Emitter {
    /// One access per word; an emitter that can check the whole range at once overrides these.
    @inlinable
    public func loadWords(_ start: Value, count: Int, _ loaded: (Value) -> Void) throws(Failure) {
        for k in 0..<count { loaded(try load(add(start, constant(UInt32(4 * k))), size: 4)) }
    }

    @inlinable
    public func storeWords(_ start: Value, count: Int, _ value: (Int) -> Value) throws(Failure) {
        for k in 0..<count { try store(add(start, constant(UInt32(4 * k))), value(k), size: 4) }
    }
}
