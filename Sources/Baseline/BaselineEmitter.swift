import ARM
import Lifter
import Memory
import Semantics

/// `Emitter` over x86-64 machine code: instantiating `Semantics` with it writes host code
/// directly, with no compiler in between (tens of microseconds per region, where LLVM's
/// quickest compilation takes half a millisecond). The code follows the compiled-code ABI
/// (`CompiledCodeABI`): r12 holds the CPU state, r13 the guest memory base, r14 the page
/// flags. Guest registers and flags live in the CPU state: each write is stored at once (so an
/// exit needs no flush); a read comes from a host register when one still holds the value.
///
/// Semantics hand no value from one guest instruction to the next. A value is a constant, a
/// flag not computed yet (`PendingFlag`), or written once into a pool register taken in
/// rotation (one the current instruction has not claimed), or when those run out into a slot
/// of the red zone below rsp. A pool register keeps its value until it is taken again, which
/// lets later instructions reuse a guest register's value. rax, rcx and rdx are scratch for
/// the operations themselves.
final class BaselineEmitter: Emitter {
    enum Location: Hashable {
        case constant(UInt32)
        case register(Register)
        case slot(Int)
        /// A flag not computed yet (see `PendingFlag`).
        indirect case pending(PendingFlag)

        /// Whether it can be an r/m operand (constants and pending flags cannot).
        var isOperand: Bool {
            switch self {
            case .register, .slot: return true
            case .constant, .pending: return false
            }
        }
    }

    /// A flag computed where it is used (often only by `writeFlag`, which then sets the flag
    /// byte straight from x86's flags, or not at all when liveness finds the flag dead): the
    /// sign or zeroness of a value, or the carry or overflow of a + b + carry-in.
    enum PendingFlag: Hashable {
        case sign(Location), zero(Location)
        case carry(Location, Location, Location), overflow(Location, Location, Location)
    }
    struct Value { let location: Location }
    struct Flag { let location: Location }
    typealias Failure = Never

    var currentPC: UInt32 = 0
    private(set) var assembler = X86Assembler()
    /// Why the region cannot be compiled here (an operation this tier leaves to LLVM), if so.
    private(set) var unsupported: String?

    /// Values' registers (none the ABI, the scratch operations or `flagCopy` use; in
    /// preserve_none every register but rsp and rbp is the callee's to use).
    private static let pool: [Register] = [.rbx, .rsi, .rdi, .r8, .r9, .r10]
    /// The x86-64 ABI's red zone holds 16 slots, which no signal handler overwrites.
    private static let slotCount = 16
    /// Per pool register: an allocation stamp (bumped each time it gets a new value) and the
    /// instruction that last got or used it (which may not reuse it for another value).
    private var stamps = [Int](repeating: 0, count: 16)
    private var claimedBy = [Int](repeating: -1, count: 16)
    private var nextInPool = 0, stampCounter = 0
    private var instructionIndex = 0
    private var slotsUsed = 0

    // MARK: Guest registers in host registers
    //
    // A guest register's value read or written by one instruction is remembered in the pool
    // register holding it, so a later instruction reads it from there instead of from the CPU
    // state (stores still go to the state at once: exits need no flush). The pool is used in
    // rotation, so such a value lives until its register is taken for another value. Valid
    // on straight-line paths only: forgotten at block starts, and at the end of a conditional
    // instruction what it changed or learned.
    private var cachedIn = [Register?](repeating: nil, count: 15)
    private var cachedStamp = [Int](repeating: 0, count: 15)

    private func cached(_ r: Int) -> Register? {
        guard let host = cachedIn[r], stamps[Int(host.rawValue)] == cachedStamp[r] else { return nil }
        return host
    }

    private func remember(_ r: Int, in l: Location) {
        if case .register(let host) = l {
            cachedIn[r] = host
            cachedStamp[r] = stamps[Int(host.rawValue)]
        } else {
            cachedIn[r] = nil
        }
    }

    private func forgetCachedRegisters() {
        for r in 0..<15 { cachedIn[r] = nil }
    }

    /// The code's data words (apart from it, see `ExecutableMemory`): 0 is the use counter, then
    /// one link slot per direct exit.
    private(set) var links: [(word: Int, target: UInt32)] = []
    private var blockLabels: [UInt32: Label] = [:]
    /// Exits to the interpreter, one per instruction pc that needs one.
    private var interpretExits: [UInt32: Label] = [:]
    private var returnToDispatcher: Label
    /// Whether the code being emitted can be reached (after an unconditional exit it cannot,
    /// until a label is bound).
    private var reachable = true

    private let cpu = Register.r12, guestBase = Register.r13, pageFlags = Register.r14

    // MARK: Where the flags came from
    //
    // After an instruction whose N, Z, C and V all come from one subtraction a - b (CMP, SUBS,
    // RSBS), a and b are copied into two registers kept for this (`flagLeft`, `flagRight`);
    // after one whose N and Z come from one result (TST, ANDS, MOVS, ...), that result. Until
    // the flags are written again or another path joins (a block start), a condition is then
    // one comparison of those registers, as on x86, instead of loads and logic on flag bytes.
    // The flag bytes in the CPU state are written as always.

    /// Values made by `not` in the current instruction, and what they negate.
    private var negated: [Location: Location] = [:]
    /// The values the current instruction wrote to N, Z, C and V (nil: not written).
    private var flagWrites: [Location?] = [nil, nil, nil, nil]
    /// The current instruction's a - b: an addWithCarry of a, `addend` (NOT b) and 1.
    private var subtraction: (a: Location, b: Location, addend: Location, result: Location)?
    private enum FlagCopy { case none, subtraction, result }
    /// What `flagLeft` and `flagRight` hold now.
    private var flagCopy = FlagCopy.none
    private static let flagLeft = Register.r11, flagRight = Register.r15

    /// `CompiledCodeABI.kernelHelperCallout`'s address.
    private let kernelHelper: UInt64

    /// See `Region.checksAccesses`: without, an access the guest may not make faults in the
    /// host (whose page protection mirrors the guest's) and `HostFaultTrap` takes it, as for
    /// LLVM's code; a store to a page holding code faults too and is redone.
    private let checksAccesses: Bool

    init(blockStarts: [UInt32], kernelHelper: UInt64, checksAccesses: Bool = true, keepsStateInto: Set<UInt32> = []) {
        self.kernelHelper = kernelHelper
        self.checksAccesses = checksAccesses
        self.keepsStateInto = keepsStateInto.subtracting([blockStarts[0]])  // the entry is entered from outside too
        returnToDispatcher = assembler.makeLabel()
        for start in blockStarts where blockLabels[start] == nil { blockLabels[start] = assembler.makeLabel() }
        // One use per entry; backward branches inside count each loop iteration.
        assembler.increment64(.data(0))
    }

    // MARK: Region structure (driven by `BaselineCompiler`)

    /// Continues with the guest block at `start`, followed by the one at `next` (nil: none).
    /// Only code before it can reach a block whose one way in is falling through from the
    /// block before (as the first emission found: `keepsStateInto`): what is known about the
    /// registers and flags there still holds. Elsewhere other paths join, so it is forgotten.
    func beginBlock(_ start: UInt32, next: UInt32?) {
        bind(blockLabels[start]!)
        nextBlockStart = next
        if !keepsStateInto.contains(start) {
            flagCopy = .none
            forgetCachedRegisters()
        }
    }

    private var nextBlockStart: UInt32?
    /// Blocks whose one way in is falling through from the block before (see `beginBlock`).
    private let keepsStateInto: Set<UInt32>
    /// How many jumps and fall-throughs in the region go to each block, and the blocks that
    /// the block before falls through into (for `keepsStateInto` in the next emission).
    private(set) var waysInto: [UInt32: Int] = [:]
    private(set) var fallsInto: Set<UInt32> = []

    /// The index of the current instruction in the region (blocks in order).
    private var regionInstruction = -1
    /// The flags live after the current instruction: a write of another is not stored.
    private var liveFlagsAfter = ConditionFlags.all
    /// The instructions whose condition was decided from `flagCopy`, not the flag bytes.
    private(set) var conditionsFromCopies: Set<Int> = []

    /// Starts a guest instruction (the `index`-th of the region).
    func beginInstruction(at pc: UInt32, index: Int, liveFlagsAfter: ConditionFlags) {
        currentPC = pc
        regionInstruction = index
        self.liveFlagsAfter = liveFlagsAfter
        instructionIndex += 1
        slotsUsed = 0
        subtraction = nil
        for f in 0..<4 { flagWrites[f] = nil }
        if !negated.isEmpty { negated.removeAll(keepingCapacity: true) }
    }

    /// Ends a guest instruction (`conditional`: it ran only if its condition held): keeps
    /// copies of what its flags came from, when they came from one comparison.
    func endInstruction(conditional: Bool) {
        guard flagWrites.contains(where: { $0 != nil }) else { return }
        flagCopy = .none
        guard !conditional, reachable else { return }
        if let s = subtraction, flagWrites[0] == .pending(.sign(s.result)), flagWrites[1] == .pending(.zero(s.result)),
           flagWrites[2] == .pending(.carry(s.a, s.addend, .constant(1))),
           flagWrites[3] == .pending(.overflow(s.a, s.addend, .constant(1))) {
            load(s.a, into: BaselineEmitter.flagLeft)
            load(s.b, into: BaselineEmitter.flagRight)
            flagCopy = .subtraction
        } else if case .pending(.sign(let n))? = flagWrites[0], case .pending(.zero(let z))? = flagWrites[1], n == z {
            load(n, into: BaselineEmitter.flagLeft)
            flagCopy = .result
        }
    }

    /// Emits `then` only when `cond` holds at run time.
    func conditional(_ cond: Condition, _ then: () -> Void) {
        let skip = assembler.makeLabel()
        if let holds = comparison(for: cond) {
            assembler.jump(if: ConditionCode(rawValue: holds.rawValue ^ 1)!, to: skip)
            conditionsFromCopies.insert(regionInstruction)
        } else {
            switch cond {
            case .eq, .ne, .cs, .cc, .mi, .pl, .vs, .vc:
                let flag: StatusFlag = [.z, .c, .n, .v][Int(cond.rawValue >> 1)]
                assembler.cmpByte(state(CPUState.Offsets.n + flag.rawValue), immediate: 0)
                // Skip when the flag is clear for eq/cs/mi/vs, set for the others.
                assembler.jump(if: cond.rawValue & 1 == 0 ? .equal : .notEqual, to: skip)
            default:
                let passed = Semantics.conditionPassed(cond, self)
                testFlag(passed)
                assembler.jump(if: .equal, to: skip)
            }
        }
        // After the join, a guest register is known to be in a host register only if it was
        // before and nothing on the executed path changed either.
        let (cachedBefore, stampsBefore) = (cachedIn, cachedStamp)
        then()
        bind(skip)
        for r in 0..<15 {
            if let host = cachedIn[r], host == cachedBefore[r], cachedStamp[r] == stampsBefore[r],
               stamps[Int(host.rawValue)] == stampsBefore[r] { continue }
            cachedIn[r] = nil
        }
    }

    /// When the flags `cond` tests have copies of their origin (see `flagCopy`): compares
    /// those, and returns the x86 condition that then means `cond` holds.
    private func comparison(for cond: Condition) -> ConditionCode? {
        let left = Operand.register(BaselineEmitter.flagLeft)
        switch (flagCopy, cond) {
        case (.none, _), (_, .al), (_, .nv), (.result, .vs), (.result, .vc), (.result, .cs), (.result, .cc),
             (.result, .hi), (.result, .ls), (.result, .ge), (.result, .lt), (.result, .gt), (.result, .le):
            return nil
        case (.result, _):
            assembler.alu(.cmp, left, immediate: 0)
        case (.subtraction, _):
            assembler.alu(.cmp, BaselineEmitter.flagLeft, .register(BaselineEmitter.flagRight))
        }
        switch cond {
        case .eq: return .equal
        case .ne: return .notEqual
        case .cs: return .aboveOrEqual
        case .cc: return .below
        case .mi: return .sign
        case .pl: return .notSign
        case .vs: return .overflow
        case .vc: return .notOverflow
        case .hi: return .above
        case .ls: return .belowOrEqual
        case .ge: return .greaterOrEqual
        case .lt: return .less
        case .gt: return .greater
        default: return .lessOrEqual
        }
    }

    /// Continues at `pc` after a block's last instruction, if that can be reached.
    func fallThrough(to pc: UInt32) {
        guard reachable else { return }
        if pc == nextBlockStart {
            // Its code comes next: nothing to jump over.
            waysInto[pc, default: 0] += 1
            fallsInto.insert(pc)
            return
        }
        currentPC = pc &- 4
        branch(to: pc)
    }

    /// Emits the shared exits; then the code is complete but for where its data words go
    /// (`dataWords` of them: see `X86Assembler.finish`).
    func finishCode() {
        bind(returnToDispatcher)
        exitReturning(.branch)
        for (pc, label) in interpretExits.sorted(by: { $0.key < $1.key }) {
            bind(label)
            assembler.mov(state(4 * 15), immediate: pc)
            exitReturning(.interpret)
        }
    }

    var dataWords: Int { 1 + links.count }

    // MARK: Helpers

    private func bind(_ label: Label) {
        assembler.bind(label)
        reachable = true
    }

    private func state(_ offset: Int) -> Operand { .memory(cpu, Int32(offset)) }

    /// A location for a new value: the next pool register in rotation that the current
    /// instruction has not claimed, else a red-zone slot.
    private func fresh() -> Location {
        let pool = BaselineEmitter.pool
        for step in 0..<pool.count {
            let host = pool[(nextInPool + step) % pool.count]
            let index = Int(host.rawValue)
            guard claimedBy[index] != instructionIndex else { continue }
            nextInPool = (nextInPool + step + 1) % pool.count
            stampCounter += 1
            stamps[index] = stampCounter
            claimedBy[index] = instructionIndex
            return .register(host)
        }
        defer { slotsUsed += 1 }
        if slotsUsed >= BaselineEmitter.slotCount {
            unsupported = unsupported ?? "more than \(pool.count + BaselineEmitter.slotCount) values in one instruction"
            return .slot(0)
        }
        return .slot(slotsUsed)
    }

    private func operand(_ l: Location) -> Operand {
        switch l {
        case .register(let r): return .register(r)
        case .slot(let k): return .memory(.rsp, Int32(-8 * (k + 1)))
        case .constant, .pending: preconditionFailure("not an operand: \(l)")
        }
    }

    /// Puts `l` in scratch register `r`.
    private func load(_ l: Location, into r: Register) {
        if case .constant(let v) = l { assembler.mov(r, immediate: v) } else { assembler.mov(r, operand(l)) }
    }

    /// A fresh value that `compute` writes into the register it is given: the value's own,
    /// or when the value is in a slot `scratch`, copied there after.
    private func made(usingScratch scratch: Register = .rax, _ compute: (Register) -> Void) -> Location {
        let d = fresh()
        guard case .register(let r) = d else {
            compute(scratch)
            assembler.mov(operand(d), scratch)
            return d
        }
        compute(r)
        return d
    }

    /// A fresh value holding scratch register `r`.
    private func result(_ r: Register) -> Location {
        let l = fresh()
        assembler.mov(operand(l), r)
        return l
    }

    /// A fresh value holding 1 if `cc` holds after the last comparison, else 0.
    private func resultOf(_ cc: ConditionCode) -> Location {
        made { r in
            assembler.set(cc, .register(r))
            assembler.movzxByte(r, .register(r))
        }
    }

    private func alu(_ op: ALUOperation, _ r: Register, _ b: Location) {
        if case .constant(let v) = b { assembler.alu(op, .register(r), immediate: v) } else { assembler.alu(op, r, operand(b)) }
    }

    /// a op b in a fresh value.
    private func binary(_ op: ALUOperation, _ a: Location, _ b: Location) -> Location {
        made { r in
            load(a, into: r)
            alu(op, r, b)
        }
    }

    /// Compares `flag` with 0 (ZF set when it is false).
    private func testFlag(_ f: Flag) {
        let f = materialized(f)
        if case .constant(let v) = f.location {
            assembler.mov(.rax, immediate: v)
            assembler.alu(.cmp, .register(.rax), immediate: 0)
        } else {
            assembler.alu(.cmp, operand(f.location), immediate: 0)
        }
    }

    private func unsupported(_ what: String) {
        unsupported = unsupported ?? what
    }

    // MARK: Exits

    /// Sets nothing and returns `exit` to the dispatcher (cpu.pc already holds where to go on).
    private func exitReturning(_ exit: CompiledExit) {
        assembler.mov(.rax, immediate: exit.rawValue)
        assembler.ret()
        reachable = false
    }

    /// Leaves the region for `target`, a pc known now: through the exit's link slot (the
    /// target's code, or the unchained exit while it has none), spending the loop budget when
    /// the branch goes backward (every cycle of chained transitions has a backward one).
    private func exitChained(to target: UInt32) {
        assembler.mov(state(4 * 15), immediate: target)
        if target <= currentPC {
            assembler.decrement(state(CPUState.Offsets.loopBudget))
            assembler.jump(if: .equal, to: returnToDispatcher)
        }
        assembler.increment64(state(CPUState.Offsets.chainedTransitions))
        links.append((1 + links.count, target))
        assembler.jump(.data(links.count))
        reachable = false
    }

    private func exitToInterpreter() {
        let label = interpretExits[currentPC] ?? assembler.makeLabel()
        interpretExits[currentPC] = label
        assembler.jump(to: label)
        reachable = false
    }

    // MARK: Emitter: values and state

    func constant(_ v: UInt32) -> Value { Value(location: .constant(v)) }
    func constant(_ b: Bool) -> Flag { Flag(location: .constant(b ? 1 : 0)) }

    func readRegister(_ r: Int) -> Value {
        if let host = cached(r) {
            claimedBy[Int(host.rawValue)] = instructionIndex
            return Value(location: .register(host))
        }
        let l = made { assembler.mov($0, state(4 * r)) }
        remember(r, in: l)
        return Value(location: l)
    }

    func writeRegister(_ r: Int, _ v: Value) {
        remember(r, in: v.location)
        switch v.location {
        case .constant(let c): assembler.mov(state(4 * r), immediate: c)
        case .register(let host): assembler.mov(state(4 * r), host)
        case .slot, .pending:
            load(v.location, into: .rax)
            assembler.mov(state(4 * r), .rax)
        }
    }

    func readFlag(_ f: StatusFlag) -> Flag {
        Flag(location: made { assembler.movzxByte($0, state(CPUState.Offsets.n + f.rawValue)) })
    }

    func writeFlag(_ f: StatusFlag, _ v: Flag) {
        if f != .q {
            flagWrites[f.rawValue] = v.location
            if !liveFlagsAfter.contains(ConditionFlags(f)) { return }  // dead: nothing reads it before it is written again
        }
        if case .pending(let p) = v.location {
            assembler.set(condition(p), state(CPUState.Offsets.n + f.rawValue))
        } else {
            storeByte(v.location, state(CPUState.Offsets.n + f.rawValue))
        }
    }

    /// Sets x86's flags for `p` and returns the condition that is then `p`. Uses rax and rdx.
    private func condition(_ p: PendingFlag) -> ConditionCode {
        switch p {
        case .sign(let x), .zero(let x):
            assembler.alu(.cmp, operand(x), immediate: 0)
            if case .sign = p { return .sign }
            return .equal
        case .carry(let a, let b, let carry), .overflow(let a, let b, let carry):
            load(a, into: .rax)
            addWithCarry(into: .rax, b, carry)
            if case .carry = p { return .below }
            return .overflow
        }
    }

    /// rax += b + carry, setting x86's carry and overflow flags. Uses rdx.
    private func addWithCarry(into r: Register, _ b: Location, _ carry: Location) {
        switch carry {
        case .constant(0):
            alu(.add, r, b)
        case .constant:
            assembler.setCarry()
            alu(.adc, r, b)
        default:
            load(carry, into: .rdx)
            assembler.shift(.shr, .register(.rdx), by: 1)  // CF = the carry
            alu(.adc, r, b)
        }
    }

    /// `f` computed into a register or slot (a pending flag is computed here).
    private func materialized(_ f: Flag) -> Flag {
        guard case .pending(let p) = f.location else { return f }
        return Flag(location: made { r in
            let cc = condition(p)  // uses rax and rdx, before the result is set
            assembler.set(cc, .register(r))
            assembler.movzxByte(r, .register(r))
        })
    }

    private func storeByte(_ l: Location, _ to: Operand) {
        switch l {
        case .constant(let c): assembler.movByte(to, immediate: UInt8(truncatingIfNeeded: c))
        case .register(let host): assembler.movByte(to, host)
        case .slot, .pending:
            load(l, into: .rax)
            assembler.movByte(to, .rax)
        }
    }

    func readGE() -> Value {
        assembler.movzxByte(.rax, state(CPUState.Offsets.ge))
        return Value(location: result(.rax))
    }

    func writeGE(_ v: Value) {
        load(v.location, into: .rax)
        assembler.alu(.and, .register(.rax), immediate: 0xF)
        assembler.movByte(state(CPUState.Offsets.ge), .rax)
    }

    // MARK: Arithmetic and logic

    /// Both operands constant: the result, computed now.
    private func folded(_ a: Value, _ b: Value, _ f: (UInt32, UInt32) -> UInt32) -> Value? {
        guard case .constant(let x) = a.location, case .constant(let y) = b.location else { return nil }
        return constant(f(x, y))
    }

    func add(_ a: Value, _ b: Value) -> Value { folded(a, b, &+) ?? Value(location: binary(.add, a.location, b.location)) }
    func sub(_ a: Value, _ b: Value) -> Value { folded(a, b, &-) ?? Value(location: binary(.sub, a.location, b.location)) }
    func and(_ a: Value, _ b: Value) -> Value { folded(a, b, &) ?? Value(location: binary(.and, a.location, b.location)) }
    func or(_ a: Value, _ b: Value) -> Value { folded(a, b, |) ?? Value(location: binary(.or, a.location, b.location)) }
    func xor(_ a: Value, _ b: Value) -> Value { folded(a, b, ^) ?? Value(location: binary(.xor, a.location, b.location)) }

    func mul(_ a: Value, _ b: Value) -> Value {
        if let v = folded(a, b, &*) { return v }
        load(a.location, into: .rax)
        load(b.location, into: .rcx)
        assembler.imul(.rax, .register(.rcx))
        return Value(location: result(.rax))
    }

    func not(_ a: Value) -> Value {
        if case .constant(let x) = a.location { return constant(~x) }
        load(a.location, into: .rax)
        assembler.not(.register(.rax))
        let l = result(.rax)
        negated[l] = a.location
        return Value(location: l)
    }

    private func shift(_ op: ShiftOperation, _ a: Value, _ amount: Value, _ f: (UInt32, UInt32) -> UInt32) -> Value {
        if let v = folded(a, amount, f) { return v }
        if case .constant(let n) = amount.location, n & 31 == 0 { return a }
        load(a.location, into: .rax)
        if case .constant(let n) = amount.location {
            assembler.shift(op, .register(.rax), by: UInt8(n & 31))
        } else {
            load(amount.location, into: .rcx)
            assembler.shift(op, .register(.rax))
        }
        return Value(location: result(.rax))
    }

    func shiftLeft(_ a: Value, _ amount: Value) -> Value { shift(.shl, a, amount) { $0 << ($1 & 31) } }
    func shiftRightLogical(_ a: Value, _ amount: Value) -> Value { shift(.shr, a, amount) { $0 >> ($1 & 31) } }
    func shiftRightArithmetic(_ a: Value, _ amount: Value) -> Value {
        shift(.sar, a, amount) { UInt32(bitPattern: Int32(bitPattern: $0) >> Int32($1 & 31)) }
    }
    func rotateRight(_ a: Value, _ amount: Value) -> Value {
        shift(.ror, a, amount) { x, n in n & 31 == 0 ? x : x >> (n & 31) | x << (32 - (n & 31)) }
    }

    func addWithCarry(_ a: Value, _ b: Value, _ carry: Flag) -> (result: Value, carry: Flag, overflow: Flag) {
        let carry = materialized(carry)
        let d = made { r in
            load(a.location, into: r)
            addWithCarry(into: r, b.location, carry.location)
        }
        // Carry and overflow are computed again where they are used, if they are (mostly by
        // `writeFlag`, and not at all for a dead flag).
        if case .constant(1) = carry.location {
            let subtrahend: Location?
            if case .constant(let c) = b.location { subtrahend = .constant(~c) } else { subtrahend = negated[b.location] }
            if let subtrahend { subtraction = (a.location, subtrahend, b.location, d) }
        }
        return (Value(location: d), Flag(location: .pending(.carry(a.location, b.location, carry.location))),
                Flag(location: .pending(.overflow(a.location, b.location, carry.location))))
    }

    func multiplyLong(_ a: Value, _ b: Value, signed: Bool) -> (lo: Value, hi: Value) {
        load(a.location, into: .rax)
        load(b.location, into: .rcx)
        assembler.multiplyWide(.register(.rcx), signed: signed)
        let lo = result(.rax)
        return (Value(location: lo), Value(location: result(.rdx)))
    }

    func add64(_ a: (lo: Value, hi: Value), _ b: (lo: Value, hi: Value)) -> (lo: Value, hi: Value) {
        load(a.lo.location, into: .rax)
        load(a.hi.location, into: .rdx)
        alu(.add, .rax, b.lo.location)
        alu(.adc, .rdx, b.hi.location)
        let lo = result(.rax)
        return (Value(location: lo), Value(location: result(.rdx)))
    }

    /// x / 0 = 0 and INT_MIN / -1 = INT_MIN as on ARM, where x86 division would trap.
    func divide(_ a: Value, _ b: Value, signed: Bool) -> Value {
        let done = assembler.makeLabel(), divide = assembler.makeLabel()
        load(a.location, into: .rax)
        load(b.location, into: .rcx)
        assembler.alu(.cmp, .register(.rcx), immediate: 0)
        assembler.jump(if: .notEqual, to: divide)
        assembler.mov(.rax, immediate: 0)
        assembler.jump(to: done)
        bind(divide)
        if signed {
            assembler.alu(.cmp, .register(.rcx), immediate: 0xFFFF_FFFF)
            let ordinary = assembler.makeLabel()
            assembler.jump(if: .notEqual, to: ordinary)
            assembler.alu(.cmp, .register(.rax), immediate: 0x8000_0000)
            assembler.jump(if: .equal, to: done)  // the quotient is the dividend
            bind(ordinary)
            assembler.signExtendIntoEDX()
        } else {
            assembler.mov(.rdx, immediate: 0)
        }
        assembler.divide(.register(.rcx), signed: signed)
        bind(done)
        return Value(location: result(.rax))
    }

    func countLeadingZeros(_ a: Value) -> Value {
        if case .constant(let x) = a.location { return constant(UInt32(x.leadingZeroBitCount)) }
        // bsr leaves its destination undefined for 0: -1 there, so 31 - it is 32.
        assembler.mov(.rcx, immediate: 0xFFFF_FFFF)
        assembler.bsr(.rax, operand(a.location))
        assembler.cmov(.equal, .rax, .register(.rcx))
        assembler.mov(.rdx, immediate: 31)
        assembler.alu(.sub, .rdx, .register(.rax))
        return Value(location: result(.rdx))
    }

    func reverseBits(_ a: Value) -> Value {
        unsupported("bit reversal")
        return constant(0)
    }

    func byteSwap(_ a: Value) -> Value {
        load(a.location, into: .rax)
        assembler.bswap(.rax)
        return Value(location: result(.rax))
    }

    func signExtend(_ a: Value, fromBits bits: Int) -> Value {
        load(a.location, into: .rax)
        switch bits {
        case 8: assembler.movsxByte(.rax, .register(.rax))
        case 16: assembler.movsxHalf(.rax, .register(.rax))
        default:
            assembler.shift(.shl, .register(.rax), by: UInt8(32 - bits))
            assembler.shift(.sar, .register(.rax), by: UInt8(32 - bits))
        }
        return Value(location: result(.rax))
    }

    // MARK: Comparisons and selection

    private func compare(_ a: Location, _ b: Location, _ cc: ConditionCode) -> Flag {
        if case .register(let r) = a { alu(.cmp, r, b) } else {
            load(a, into: .rax)
            alu(.cmp, .rax, b)
        }
        return Flag(location: resultOf(cc))
    }

    func equal(_ a: Value, _ b: Value) -> Flag {
        if case .constant(0) = b.location, a.location.isOperand { return Flag(location: .pending(.zero(a.location))) }
        return compare(a.location, b.location, .equal)
    }
    func unsignedLess(_ a: Value, _ b: Value) -> Flag { compare(a.location, b.location, .below) }
    func signedLess(_ a: Value, _ b: Value) -> Flag { compare(a.location, b.location, .less) }

    private func select(_ c: Location, _ a: Location, _ b: Location) -> Location {
        if case .constant(let v) = c { return v != 0 ? a : b }
        load(b, into: .rax)
        load(a, into: .rcx)
        assembler.alu(.cmp, operand(c), immediate: 0)
        assembler.cmov(.notEqual, .rax, .register(.rcx))
        return result(.rax)
    }

    func select(_ c: Flag, _ a: Value, _ b: Value) -> Value {
        Value(location: select(materialized(c).location, a.location, b.location))
    }
    func select(_ c: Flag, _ a: Flag, _ b: Flag) -> Flag {
        let (c, a, b) = (materialized(c), materialized(a), materialized(b))
        return Flag(location: select(c.location, a.location, b.location))
    }

    private func logic(_ op: ALUOperation, _ a: Flag, _ b: Flag, _ f: (UInt32, UInt32) -> UInt32) -> Flag {
        let (a, b) = (materialized(a), materialized(b))
        if case .constant(let x) = a.location, case .constant(let y) = b.location { return Flag(location: .constant(f(x, y))) }
        return Flag(location: binary(op, a.location, b.location))
    }

    func and(_ a: Flag, _ b: Flag) -> Flag { logic(.and, a, b, &) }
    func or(_ a: Flag, _ b: Flag) -> Flag { logic(.or, a, b, |) }
    func xor(_ a: Flag, _ b: Flag) -> Flag { logic(.xor, a, b, ^) }
    func not(_ a: Flag) -> Flag { logic(.xor, a, constant(true), ^) }

    func bit(_ a: Value, _ n: Int) -> Flag {
        if case .constant(let x) = a.location { return Flag(location: .constant(x >> UInt32(n & 31) & 1)) }
        if n == 31 { return Flag(location: .pending(.sign(a.location))) }
        load(a.location, into: .rax)
        if n & 31 != 0 { assembler.shift(.shr, .register(.rax), by: UInt8(n & 31)) }
        assembler.alu(.and, .register(.rax), immediate: 1)
        return Flag(location: result(.rax))
    }

    /// A flag is 0 or 1 in 32 bits already, and values are never written twice.
    func zeroExtend(_ f: Flag) -> Value { Value(location: materialized(f).location) }

    // MARK: Guest memory

    /// Leaves the instruction to the interpreter unless the page of the address in `address`
    /// lets the access happen here (mapped, readable or writable, and for a store not holding
    /// code, whose translations a store must invalidate). Uses `scratch`.
    private func checkPage(of address: Register, scratch: Register, write: Bool) {
        let (mask, need) = AddressSpace.PageFlag.inlineAccess(write: write)
        assembler.mov(scratch, .register(address))
        assembler.shift(.shr, .register(scratch), by: UInt8(AddressSpace.pageShift))
        assembler.movzxByte(scratch, .memory(base: pageFlags, index: scratch, displacement: 0))
        assembler.alu(.and, .register(scratch), immediate: UInt32(mask))
        assembler.alu(.cmp, .register(scratch), immediate: UInt32(need))
        leaveUnless(.equal)
    }

    private func leaveUnless(_ cc: ConditionCode) {
        let label = interpretExits[currentPC] ?? assembler.makeLabel()
        interpretExits[currentPC] = label
        assembler.jump(if: ConditionCode(rawValue: cc.rawValue ^ 1)!, to: label)
    }

    /// The register holding guest `address` (a pool register's 32-bit value is zero-extended,
    /// so it indexes guest memory as it is; otherwise rax), checked for an access of `size`
    /// bytes: allowed on its page and not crossing into the next. A constant address has its
    /// page's flags read at a fixed place and its crossing decided now.
    private func checkedAddress(_ address: Value, size: Int, write: Bool) -> Register {
        if !checksAccesses {
            if case .register(let r) = address.location { return r }
            load(address.location, into: .rax)
            return .rax
        }
        switch address.location {
        case .register(let r):
            checkPage(of: r, scratch: .rcx, write: write)
            if size > 1 {
                assembler.mov(.rcx, .register(r))
                assembler.alu(.and, .register(.rcx), immediate: AddressSpace.pageSize - 1)
                assembler.alu(.cmp, .register(.rcx), immediate: AddressSpace.pageSize - UInt32(size))
                leaveUnless(.belowOrEqual)
            }
            return r
        case .constant(let c):
            if c & (AddressSpace.pageSize - 1) > AddressSpace.pageSize - UInt32(size) {
                exitToInterpreter()
            } else {
                let (mask, need) = AddressSpace.PageFlag.inlineAccess(write: write)
                assembler.movzxByte(.rcx, .memory(pageFlags, Int32(c >> AddressSpace.pageShift)))
                assembler.alu(.and, .register(.rcx), immediate: UInt32(mask))
                assembler.alu(.cmp, .register(.rcx), immediate: UInt32(need))
                leaveUnless(.equal)
            }
            assembler.mov(.rax, immediate: c)
            return .rax
        default:
            load(address.location, into: .rax)
            return checkedAddress(Value(location: .register(.rax)), size: size, write: write)
        }
    }

    private func guest(_ index: Register = .rax, _ displacement: Int32 = 0) -> Operand {
        .memory(base: guestBase, index: index, displacement: displacement)
    }

    func load(_ address: Value, size: Int) -> Value {
        let at = guest(checkedAddress(address, size: size, write: false))
        return Value(location: made(usingScratch: .rdx) { r in  // rax may be the address
            switch size {
            case 1: assembler.movzxByte(r, at)
            case 2: assembler.movzxHalf(r, at)
            default: assembler.mov(r, at)
            }
        })
    }

    func store(_ address: Value, _ value: Value, size: Int) {
        let at = guest(checkedAddress(address, size: size, write: true))
        let r: Register
        if case .register(let host) = value.location { r = host } else {
            load(value.location, into: .rdx)
            r = .rdx
        }
        switch size {
        case 1: assembler.movByte(at, r)
        case 2: assembler.movHalf(at, r)
        default: assembler.mov(at, r)
        }
    }

    /// One check for the `count` words of an LDM/STM: they span at most two pages, so the
    /// pages of the first and the last byte are all there is to check. (A range that wraps at
    /// 4 GiB ends on page 0, which is never mapped.)
    private func checkWords(_ start: Value, count: Int, write: Bool) {
        load(start.location, into: .rax)
        checkPage(of: .rax, scratch: .rcx, write: write)
        assembler.mov(.rdx, .register(.rax))
        assembler.alu(.add, .register(.rdx), immediate: UInt32(4 * count - 1))
        checkPage(of: .rdx, scratch: .rcx, write: write)
    }

    /// The register indexing guest memory at `start` (checked by `checkWords`): its own
    /// when it is a pool register, else rax, loaded again each time (values made in between
    /// may have used rax).
    private func wordsIndex(_ start: Value) -> Register {
        if case .register(let r) = start.location { return r }
        load(start.location, into: .rax)
        return .rax
    }

    func loadWords(_ start: Value, count: Int, _ loaded: (Value) -> Void) {
        if checksAccesses { checkWords(start, count: count, write: false) }
        for k in 0..<count {
            let at = guest(wordsIndex(start), Int32(4 * k))
            loaded(Value(location: made(usingScratch: .rdx) { assembler.mov($0, at) }))
        }
    }

    func storeWords(_ start: Value, count: Int, _ value: (Int) -> Value) {
        if checksAccesses { checkWords(start, count: count, write: true) }
        for k in 0..<count {
            let claimsBefore = claimedBy
            let v = value(k)
            let r: Register
            if case .register(let host) = v.location { r = host } else {
                load(v.location, into: .rdx)
                r = .rdx
            }
            assembler.mov(guest(wordsIndex(start), Int32(4 * k)), r)
            // A value made only to be stored is free again (a push of many registers would
            // otherwise take every pool register and then red-zone slots).
            if r != .rdx, claimsBefore[Int(r.rawValue)] != instructionIndex { claimedBy[Int(r.rawValue)] = -1 }
        }
    }

    // Exclusive accesses and coprocessors are left to the interpreter (`Lifter.canLift`).
    func loadExclusive(_ address: Value, size: Int) -> Value { exitToInterpreter(); return constant(0) }
    func storeExclusive(_ address: Value, _ value: Value, _ high: Value?, size: Int) -> Value {
        exitToInterpreter(); return constant(1)
    }
    func clearExclusive() { exitToInterpreter() }

    // MARK: Control flow

    func branch(to target: UInt32) {
        guard let label = blockLabels[target] else { return exitChained(to: target) }
        waysInto[target, default: 0] += 1
        if target > currentPC {
            assembler.jump(to: label)  // forward: no cycle closes here
        } else {
            assembler.increment64(.data(0))
            assembler.decrement(state(CPUState.Offsets.loopBudget))
            assembler.jump(if: .notEqual, to: label)
            assembler.mov(state(4 * 15), immediate: target)
            exitReturning(.branch)
        }
        reachable = false
    }

    func branchExchange(_ target: Value) {
        if case .constant(let t) = target.location {
            if t & 1 != 0 {
                assembler.mov(state(4 * 15), immediate: t)
                return exitReturning(.thumb)
            }
        }
        load(target.location, into: .rax)
        let arm = assembler.makeLabel()
        assembler.testByte(.register(.rax), immediate: 1)
        assembler.jump(if: .equal, to: arm)
        assembler.mov(state(4 * 15), .rax)
        exitReturning(.thumb)
        bind(arm)
        assembler.alu(.and, .register(.rax), immediate: ~3)
        assembler.mov(state(4 * 15), .rax)
        // Computed targets spend the loop budget (they may close a cycle).
        assembler.decrement(state(CPUState.Offsets.loopBudget))
        assembler.jump(if: .equal, to: returnToDispatcher)
        // A target in the vector page (the kuser helpers that glibc calls for its thread
        // pointer and atomics) is run by the engine's callout, and the code goes on at the
        // helper's return address; when the callout declines (a fault, a signal return), the
        // dispatcher takes over at the target.
        let lookUp = assembler.makeLabel()
        assembler.alu(.cmp, .register(.rax), immediate: 0xFFFF_0000)
        assembler.jump(if: .below, to: lookUp)
        assembler.mov64(.rdi, .register(cpu))
        assembler.alu64(.sub, .register(.rsp), immediate: 8)  // entered with rsp 8 mod 16, as after a call
        assembler.mov64(.rax, immediate: kernelHelper)
        assembler.call(.register(.rax))
        assembler.alu64(.add, .register(.rsp), immediate: 8)
        assembler.alu(.cmp, .register(.rax), immediate: 0)
        assembler.jump(if: .equal, to: returnToDispatcher)
        assembler.mov(.rax, state(4 * 15))
        bind(lookUp)
        // The dispatch table (`DispatchTableLayout`): the entry at (pc >> 2) mod entries.
        assembler.increment64(state(CPUState.Offsets.indirectLookups))
        assembler.mov(.rcx, .register(.rax))
        assembler.shift(.shr, .register(.rcx), by: 2)
        assembler.alu(.and, .register(.rcx), immediate: UInt32(DispatchTableLayout.entries - 1))
        assembler.shift(.shl, .register(.rcx), by: UInt8(DispatchTableLayout.entrySize.trailingZeroBitCount))
        assembler.mov64(.rdx, state(CPUState.Offsets.dispatchTable))
        assembler.alu(.cmp, .rax, .memory(base: .rdx, index: .rcx, displacement: 0))
        assembler.jump(if: .notEqual, to: returnToDispatcher)
        assembler.increment64(state(CPUState.Offsets.indirectHits))
        assembler.jump(.memory(base: .rdx, index: .rcx, displacement: 8))
        reachable = false
    }

    func supervisorCall(_ immediate: UInt32) {
        assembler.mov(state(4 * 15), immediate: currentPC &+ 4)
        exitReturning(.supervisorCall)
    }

    func breakpoint(_ immediate: UInt32) { exitToInterpreter() }
    func undefined(_ reason: String) { exitToInterpreter() }

    // MARK: System operations

    func readStatusRegister() -> Value {
        assembler.mov(.rax, state(CPUState.Offsets.cpsrControl))
        for (offset, shift) in [(CPUState.Offsets.n, 31), (CPUState.Offsets.z, 30), (CPUState.Offsets.c, 29),
                                (CPUState.Offsets.v, 28), (CPUState.Offsets.q, 27), (CPUState.Offsets.ge, 16)] {
            assembler.movzxByte(.rcx, state(offset))
            assembler.shift(.shl, .register(.rcx), by: UInt8(shift))
            assembler.alu(.or, .rax, .register(.rcx))
        }
        return Value(location: result(.rax))
    }
    func writeStatusControl(_ value: Value, mask: UInt32) {
        // User mode ignores writes to the control fields (ARM ARM B1.3.3).
    }
    func coprocessorRead(_ i: Instruction) -> Value { exitToInterpreter(); return constant(0) }
    func coprocessorWrite(_ i: Instruction, _ value: Value) { exitToInterpreter() }
    func systemHint(_ operation: SystemHint) {}
}
