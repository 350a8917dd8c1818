import ARM

/// Random A32 sequences driven by the encoding table: every instruction is `Op.encode` of an
/// encoding from `ExclusionRules.testableEncodings` with its fields filled at random (registers,
/// immediates, shift types and amounts, conditions), then checked by `ExclusionRules` and by
/// the harness restrictions below. Structures around the instructions (forward branches,
/// bounded loops, calls and returns) are also made of table encodings.
///
/// Harness restrictions (not architectural; see `ExclusionRules` for those):
/// - Loads and stores use base registers set up by the harness (pointing into `Scratch`, or
///   PC for loads, which then read the ELF's code) and index registers with known values. The
///   generator tracks the interval each base register can hold and only makes accesses that
///   stay inside the buffer on every path. Write-back amounts are multiples of 4 (base
///   registers stay word-aligned) and there is no write-back inside loops.
/// - No instruction writes a base or index register (other than by write-back), an active
///   loop counter, lr inside a subroutine, or PC (no branches to random addresses): branches
///   are only made by the structures.
/// - Calls are not nested and not made from inside loops; exclusives are made only at the
///   top level (see `ExclusionRules.ExclusiveMonitorRules`).
/// - Faults are made on purpose only by fault items (UDF, BKPT, branches and accesses below
///   0x10000); the harness's signal handler records the state they leave.
public enum Generator {
    /// The encodings random instructions are drawn from: testable ones, minus the branches,
    /// which only the structures make (they would otherwise jump to random addresses).
    public static let randomPool: [Op] = ExclusionRules.testableEncodings.filter { !structural.contains($0) }
    /// Encodings emitted by the structures (forward branches, loops, calls, returns).
    public static let structural: Set<Op> = [.b, .bl, .bx, .bxj, .blxReg, .udf, .bkpt]

    public static let maxInstructions = 20

    /// Sequence `index` of the run with `seed`.
    public static func sequence(seed: UInt64, index: Int) -> TestSequence {
        let g = Generation(rng: SplitMix64(seed: seed, index: index))
        return g.makeSequence(seed: seed, index: index)
    }
}

// MARK: - Memory access classes (derived from the encoding names)

enum MemoryClass {
    case single(size: Int, load: Bool, registerOffset: Bool, unprivileged: Bool)
    case dual(load: Bool, registerOffset: Bool)
    case multiple(load: Bool, startWords: Int, increment: Bool)
    case exclusive(load: Bool, size: Int)
    case swap(size: Int)
    case preload

    /// The class of an encoding, from its ARM ARM name: ldr/str + b/h/sb/sh/d/t…, ldm/stm +
    /// da/db/ib, ldrex/strex + b/h/d, swp(b), pld/pli.
    init?(_ op: Op) {
        let name = mnemonicAndForm(op)
        let mn = name.mnemonic
        if mn.hasPrefix("ldrex") || mn.hasPrefix("strex") {
            let size: Int
            switch mn.dropFirst(5) { case "b": size = 1; case "h": size = 2; case "d": size = 8; default: size = 4 }
            self = .exclusive(load: mn.hasPrefix("ldr"), size: size)
        } else if mn == "swp" || mn == "swpb" {
            self = .swap(size: mn == "swp" ? 4 : 1)
        } else if mn.hasPrefix("pld") || mn.hasPrefix("pli") {
            self = .preload
        } else if mn.hasPrefix("ldm") || mn.hasPrefix("stm") {
            let load = mn.hasPrefix("ldm")
            switch mn.dropFirst(3) {
            case "da": self = .multiple(load: load, startWords: 0, increment: false)
            case "db": self = .multiple(load: load, startWords: -1, increment: false)
            case "ib": self = .multiple(load: load, startWords: 1, increment: true)
            case "": self = .multiple(load: load, startWords: 0, increment: true)
            default: return nil   // the User/exception forms
            }
        } else if mn == "ldrd" || mn == "strd" {
            self = .dual(load: mn == "ldrd", registerOffset: name.form == "Reg")
        } else if mn.hasPrefix("ldr") || mn.hasPrefix("str") {
            let rest = mn.dropFirst(3)
            let size = rest.contains("h") ? 2 : rest.contains("b") ? 1 : 4
            self = .single(size: size, load: mn.hasPrefix("ldr"), registerOffset: name.form == "Reg",
                           unprivileged: rest.hasSuffix("t"))
        } else {
            return nil
        }
    }

    var isPlainStore: Bool {
        switch self {
        case .single(_, let load, _, _), .dual(let load, _), .multiple(let load, _, _): return !load
        case .swap: return true
        case .exclusive, .preload: return false
        }
    }
}

/// The case name split into mnemonic and form suffix (`ldrbtReg` → ("ldrbt", "Reg")).
func mnemonicAndForm(_ op: Op) -> (mnemonic: String, form: String) {
    let name = op.name
    for form in ["Imm", "Reg", "RSR"] where name.hasSuffix(form) {
        return (String(name.dropLast(form.count)), form)
    }
    return (name, "")
}

/// The registers an instruction writes (PC included when it does), apart from flags; and
/// the base register it writes back, if any.
func writtenRegisters(_ i: Instruction) -> (registers: [Int], writeBack: Int?) {
    if let mem = MemoryClass(i.op) {
        switch mem {
        case .single(_, let load, _, let unprivileged):
            let wb = unprivileged || !i.index || i.writeBack
            return (load ? [i.t] : [], wb ? i.n : nil)
        case .dual(let load, _):
            let wb = !i.index || i.writeBack
            return (load ? [i.t, i.t + 1] : [], wb ? i.n : nil)
        case .multiple(let load, _, _):
            let list = (0..<16).filter { i.registerList & (1 << UInt32($0)) != 0 }
            return (load ? list : [], i.writeBack ? i.n : nil)
        case .exclusive(let load, let size):
            return (load ? (size == 8 ? [i.t, i.t + 1] : [i.t]) : [i.d], nil)
        case .swap:
            return ([i.t], nil)
        case .preload:
            return ([], nil)
        }
    }
    switch i.op {
    case .umull, .umlal, .smull, .smlal, .umaal, .smlalxy, .smlald, .smlsld:
        return ([i.d, i.a], nil)
    case .mrc:
        return (i.t == 15 ? [] : [i.t], nil)    // MRC to PC writes the flags
    case .b, .bx, .bxj: return ([15], nil)
    case .bl, .blxReg: return ([14, 15], nil)
    default:
        return (Decoder.fields(of: i.op).contains(.d) ? [i.d] : [], nil)
    }
}

/// Offsets an index register's value can give after the immediate shift of a load or store
/// (two values for RRX, which depends on the carry flag).
func shiftedOffsets(_ x: UInt32, type: UInt32, amount: UInt32) -> [UInt32] {
    switch type {
    case 0: return [x << amount]
    case 1: return [amount == 0 ? 0 : x >> amount]
    case 2: return [UInt32(bitPattern: Int32(bitPattern: x) >> (amount == 0 ? 31 : Int32(amount)))]
    default:
        if amount == 0 { return [x >> 1, x >> 1 | 0x8000_0000] }
        return [x >> amount | x << (32 - amount)]
    }
}

// MARK: - Generation state

/// The values a base register may hold, as offsets from `Scratch.address`: any multiple of 4
/// in [lo, hi] (exactly `lo` when `exact`), and the part of the buffer it may reach.
struct BaseRegister {
    var lo: Int, hi: Int
    var exact: Bool
    var regionLo: Int, regionHi: Int
}

/// What the local exclusive monitor may be on some path (see ExclusionRules.ExclusiveMonitorRules).
struct MonitorState {
    enum Mark: Hashable { case open, exclusive(address: Int, size: Int) }
    var marks: Set<Mark> = [.open]
    var poisoned = false

    mutating func loadExclusive(_ address: Int, _ size: Int, maybe: Bool) {
        if maybe { marks.insert(.exclusive(address: address, size: size)) }
        else { marks = [.exclusive(address: address, size: size)]; poisoned = false }
    }
    func allowsStoreExclusive(_ address: Int, _ size: Int) -> Bool {
        !poisoned && marks.allSatisfy { $0 == .open || $0 == .exclusive(address: address, size: size) }
    }
    mutating func open(maybe: Bool) {
        if maybe { marks.insert(.open) } else { marks = [.open]; poisoned = false }
    }
    mutating func plainStore() {
        if marks.contains(where: { $0 != .open }) { poisoned = true }
    }
}

final class Generation {
    var rng: SplitMix64
    var bases: [Int: BaseRegister] = [:]
    var indexes: [Int: UInt32] = [:]
    var reserved: Set<Int> = []
    var monitor = MonitorState()
    var loopDepth = 0
    var iterationBudget = 5000
    var inSubroutine = false
    var maybeDepth = 0
    var calls = 0
    var stackMode = false

    init(rng: SplitMix64) { self.rng = rng }

    var maybe: Bool { maybeDepth > 0 }

    func makeSequence(seed: UInt64, index: Int) -> TestSequence {
        let initial = makeInitialState()
        var budget = 1 + rng.below(Generator.maxInstructions)
        let items = block(&budget)
        return TestSequence(seed: seed, index: index, items: items, initial: initial)
    }

    // MARK: Initial state and register roles

    func makeInitialState() -> InitialState {
        var regs = (0..<15).map { _ in rng.registerValue() }
        var free = Array(0..<15)
        func take(_ r: Int) { free.removeAll { $0 == r } }
        stackMode = rng.chance(0.35)
        if stackMode {
            let off = Scratch.mainSize + 256 + 4 * rng.below(49)
            bases[13] = BaseRegister(lo: off, hi: off, exact: true, regionLo: Scratch.mainSize, regionHi: Scratch.totalSize)
            take(13)
        }
        for _ in 0..<(1 + rng.below(3)) {
            let r = rng.pick(free); take(r)
            // Some bases sit next to the page boundary in the middle of the buffer, so
            // unaligned and multi-word accesses cross it.
            let off = rng.chance(0.3) ? 4096 + 4 * (rng.below(33) - 16) : 4 * (256 + rng.below(1537))
            bases[r] = BaseRegister(lo: off, hi: off, exact: true, regionLo: 0, regionHi: Scratch.mainSize)
        }
        for _ in 0..<rng.below(3) {
            let r = rng.pick(free); take(r)
            indexes[r] = rng.pick([0, 1, 2, 3, 4, 7, 8, 16, 255, 0xFFFF_FFFC, 0xFFFF_FFFF,
                                   4 * UInt32(rng.below(65)), UInt32(rng.below(256)), 0 &- UInt32(rng.below(64))])
        }
        for (r, b) in bases { regs[r] = Scratch.address &+ UInt32(b.lo) }
        for (r, v) in indexes { regs[r] = v }
        reserved = Set(bases.keys).union(indexes.keys)
        var apsr: UInt32 = 0
        for bit in 27...31 where rng.chance(0.5) { apsr |= 1 << UInt32(bit) }
        apsr |= UInt32(rng.below(16)) << 16
        var seed = rng.word()
        if seed == 0 { seed = 1 }
        return InitialState(registers: regs, apsr: apsr, scratchSeed: seed, tpidrurw: rng.registerValue())
    }

    /// A register an instruction or structure may write.
    func freeRegister(excluding: Set<Int> = []) -> Int? {
        let candidates = (0..<15).filter { !reserved.contains($0) && !excluding.contains($0) }
        return candidates.isEmpty ? nil : rng.pick(candidates)
    }

    func randomCondition(alProbability: Double = 0.55) -> Condition {
        rng.chance(alProbability) ? .al : Condition(rawValue: UInt8(rng.below(14)))!
    }

    // MARK: Structure

    func block(_ budget: inout Int) -> [Item] {
        var items: [Item] = []
        while budget > 0 {
            let roll = rng.below(100)
            if roll < 8 && budget >= 2 {
                items.append(skip(&budget))
            } else if roll < 13 && budget >= 3 && loopDepth < 2 && iterationBudget >= 2, let item = loop(&budget) {
                items.append(item)
            } else if roll < 18 && budget >= 2 && !inSubroutine && loopDepth == 0 && calls < 2
                        && !reserved.contains(14), let item = call(&budget) {
                items.append(item)
            } else if roll < 23 && budget >= 3 {
                items += flagChain(&budget)
            } else if roll < 24, let item = faultItem() {
                budget -= 1
                items.append(item)
            } else if roll < 28 && inSubroutine && earlyReturnAllowed {
                budget -= 1
                items.append(.returnIf(randomCondition(alProbability: 0)))
            } else {
                budget -= 1
                if let w = instruction() { items.append(.instruction(w)) }
            }
        }
        return items
    }

    var earlyReturnAllowed = false

    /// A flag-setting instruction whose flags are read later: either a chain of instructions
    /// conditional on them (and on their inverse), or a conditional instruction or forward
    /// branch after several instructions that leave N Z C V alone.
    func flagChain(_ budget: inout Int) -> [Item] {
        var items: [Item] = []
        budget -= 1
        if let w = instruction(setFlags: true) { items.append(.instruction(w)) }
        let cond = Condition(rawValue: UInt8(rng.below(14)))!
        let inverse = Condition(rawValue: cond.rawValue ^ 1)!
        if rng.chance(0.5) {
            for _ in 0..<min(budget, 2 + rng.below(5)) {
                budget -= 1
                if let w = instruction(cond: rng.chance(0.5) ? cond : inverse, preserveFlags: rng.chance(0.85)) {
                    items.append(.instruction(w))
                }
            }
        } else {
            for _ in 0..<min(budget, 4 + rng.below(12)) {
                budget -= 1
                if let w = instruction(cond: .al, preserveFlags: true) { items.append(.instruction(w)) }
            }
            if rng.chance(0.5) {
                budget -= 1
                if let w = instruction(cond: cond) { items.append(.instruction(w)) }
            } else if budget >= 1 {
                var inner = min(budget, 1 + rng.below(4))
                budget -= inner
                maybeDepth += 1
                let body = block(&inner)
                maybeDepth -= 1
                items.append(.skip(cond, .branch, body))
            }
        }
        return items
    }

    func skip(_ budget: inout Int) -> Item {
        budget -= 1
        let cond = randomCondition(alProbability: 0.25)
        var jump = ForwardJump.branch
        let roll = rng.below(100)
        if roll >= 45 && roll < 60 {
            jump = .addPC
        } else if roll >= 60 && roll < 85, let r = freeRegister() {
            jump = .register(r, rng.pick([Op.bx, .bxj, .movReg]))
            budget -= 1
        } else if roll >= 85, let r = freeRegister(), let (base, offset, op) = codePointerSlot() {
            // Through memory: the target address is stored, then loaded into PC.
            jump = .load(r, base: base, offset: offset, op)
            monitor.plainStore()
            budget -= 2
        }
        var inner = min(budget, rng.below(6))
        budget -= inner
        maybeDepth += 1
        let body = block(&inner)
        maybeDepth -= 1
        if jump == .addPC && body.isEmpty { jump = .branch }
        return .skip(cond, jump, body)
    }

    /// An instruction that faults when it executes (it may be conditional): UDF (SIGILL),
    /// BKPT (SIGTRAP), a branch below 0x10000 (SIGSEGV on the fetch) or a load or store there
    /// (SIGSEGV on the access), the address set by a `movw` just before. Forms the ARM ARM
    /// leaves UNKNOWN or IMPLEMENTATION DEFINED after an abort are skipped
    /// (`ExclusionRules.faultExcluded`).
    func faultItem() -> Item? {
        let cond = randomCondition(alProbability: 0.6)
        switch rng.below(10) {
        case 0:
            var imm = rng.chance(0.2) ? 16 : rng.field(width: 16)
            while ExclusionRules.udfExcluded(imm) != nil { imm = rng.field(width: 16) }
            return .fault([Op.udf.encode(["i": imm])])
        case 1:
            // BKPT is UNPREDICTABLE unless its condition is AL (ARM ARM A8.8 BKPT).
            return .fault([Op.bkpt.encode(["i": rng.field(width: 16)])])
        case 2:
            guard let r = freeRegister() else { return nil }
            let address = UInt32(4 * (0x400 + rng.below(0x3800)))
            let setup = Op.movw.encode(["d": UInt32(r), "i": address])
            let jump: UInt32
            switch rng.below(4) {
            case 0: jump = Op.bx.encode(["m": UInt32(r)], cond: cond)
            case 1: jump = Op.movReg.encode(["d": 15, "m": UInt32(r)], cond: cond)
            case 2: jump = Op.bxj.encode(["m": UInt32(r)], cond: cond)
            default:
                guard !reserved.contains(14) else { return nil }
                jump = Op.blxReg.encode(["m": UInt32(r)], cond: cond)
            }
            return .fault([setup, jump])
        default:
            guard let r = freeRegister() else { return nil }
            let address = 4 * (0x400 + rng.below(0x3400))
            let pool = Generator.randomPool.filter { MemoryClass($0) != nil && ExclusionRules.faultExcluded($0) == nil }
            for _ in 0..<40 {
                if let w = faultingAccess(rng.pick(pool), base: r, address: address, cond: cond) {
                    return .fault([Op.movw.encode(["d": UInt32(r), "i": UInt32(address)]), w])
                }
            }
            return nil
        }
    }

    /// A load or store of `op` through `base` (holding `address`, below 0x10000) whose whole
    /// access stays in [0x1000, 0xF000), so it faults on its first access.
    func faultingAccess(_ op: Op, base: Int, address: Int, cond: Condition) -> UInt32? {
        let savedBases = bases, savedMonitor = monitor
        defer { bases = savedBases; monitor = savedMonitor }
        let offset = address - Int(Scratch.address)
        bases = [base: BaseRegister(lo: offset, hi: offset, exact: true, regionLo: 0x1000 - Int(Scratch.address),
                                    regionHi: 0xF000 - Int(Scratch.address))]
        let p = op.pattern
        var v: [Character: UInt32] = [:]
        for letter in p.letters where letter != "c" {
            switch letter {
            case "n", "d", "m", "s", "a", "t": v[letter] = randomRegister()
            default: v[letter] = rng.field(width: p.width(letter))
            }
        }
        guard let mem = MemoryClass(op), shapeMemoryFields(mem, &v) else { return nil }
        v["n"] = UInt32(base)
        let word = p.encode(v, cond: p.isConditional ? cond : .al)
        guard let inst = Decoder.decode(word), inst.op == op, ExclusionRules.unpredictable(inst) == nil else { return nil }
        // Loop counters, lr in a subroutine, base registers: not even a faulting write-back.
        let (writes, writeBack) = writtenRegisters(inst)
        for r in writes where r == 15 || reserved.contains(r) { return nil }
        if let wb = writeBack, wb != base { return nil }
        let savedLoop = loopDepth
        loopDepth = 0
        defer { loopDepth = savedLoop }
        guard checkMemory(inst, mem, writeBack: writeBack, maybe: true) != nil else { return nil }
        return word
    }

    /// A base register and offset where a code address can be stored and loaded back into
    /// PC by a random load form.
    func codePointerSlot() -> (Int, Int, Op)? {
        let op = rng.pick([Op.ldrImm, .ldm, .ldmib, .ldmda, .ldmdb])
        let offset = ForwardJump.loadOffset(op) ?? 4 * (rng.below(64) - 32)
        let usable = bases.filter { $0.value.lo + offset >= $0.value.regionLo && $0.value.hi + offset + 4 <= $0.value.regionHi }
        guard !usable.isEmpty else { return nil }
        return (rng.pick(usable.keys.sorted()), offset, op)
    }

    func loop(_ budget: inout Int) -> Item? {
        guard let counter = freeRegister(excluding: [13]) else { return nil }
        budget -= 3
        var count: UInt32
        switch rng.below(100) {
        case 0..<60: count = UInt32(1 + rng.below(10))
        case 60..<85: count = UInt32(11 + rng.below(190))
        default: count = UInt32(500 + rng.below(2501))
        }
        count = max(1, min(count, UInt32(iterationBudget)))
        let countUp = count <= 255 && rng.chance(0.3)
        let saved = iterationBudget
        iterationBudget = iterationBudget / Int(count)
        reserved.insert(counter)
        loopDepth += 1
        var inner = min(max(budget, 1), 1 + rng.below(6))
        budget -= inner
        let body = block(&inner)
        loopDepth -= 1
        reserved.remove(counter)
        iterationBudget = saved
        return .loop(counter: counter, count: count, countUp: countUp, body: body)
    }

    func call(_ budget: inout Int) -> Item? {
        let cond = randomCondition(alProbability: 0.7)
        var kind = CallKind.bl
        if rng.chance(0.3), let r = freeRegister() { kind = .blx(r) }
        // How to return: through the stack only in stack mode with room for it.
        var ret: ReturnKind = rng.pick([.bxLR, .movPC, .bxjLR])
        if stackMode, let sp = bases[13], rng.chance(0.6) {
            if rng.chance(0.7) {
                var list: UInt32 = 0
                for _ in 0..<rng.below(5) {
                    if let r = freeRegister(excluding: [13, 14]) { list |= 1 << UInt32(r) }
                }
                if sp.lo - 4 * (list.nonzeroBitCount + 1) >= sp.regionLo { ret = .popPC(list: list) }
            } else if sp.lo - 4 >= sp.regionLo {
                ret = .ldrPC
            }
        }
        calls += 1
        budget -= 2
        let usesStack: Bool
        switch ret { case .popPC, .ldrPC: usesStack = true; default: usesStack = false }
        // Inside: lr holds the return address; with a stack return, sp holds the saved lr
        // and is not a base (nothing may overwrite the saved words).
        let savedSP = usesStack ? bases.removeValue(forKey: 13) : nil
        if cond != .al { maybeDepth += 1 }
        inSubroutine = true
        earlyReturnAllowed = !usesStack
        reserved.insert(14)
        if usesStack { reserved.insert(13) }
        var inner = min(budget, 1 + rng.below(6))
        budget -= inner
        let items = block(&inner)
        reserved.remove(14)
        if let savedSP { bases[13] = savedSP }
        inSubroutine = false
        earlyReturnAllowed = false
        if cond != .al { maybeDepth -= 1 }
        if usesStack { monitor.plainStore() }
        return .call(cond, kind, Subroutine(items: items, ret: ret))
    }

    // MARK: Instructions

    /// Encodings that can set N Z C V: those with an S bit, and the comparisons.
    static let flagSetters: [Op] = Generator.randomPool.filter {
        $0.pattern.fields["S"] != nil || ["tst", "teq", "cmp", "cmn"].contains(where: $0.name.hasPrefix)
    }

    /// A random instruction of a random testable encoding, or nil after too many tries.
    /// `cond` forces the condition of conditional encodings; `preserveFlags` keeps N Z C V
    /// (no S bit, no comparison, no MSR of the flags, no MRC to APSR_nzcv); `setFlags` makes
    /// a flag-setting one.
    func instruction(cond: Condition? = nil, preserveFlags: Bool = false, setFlags: Bool = false) -> UInt32? {
        for _ in 0..<12 {
            let op = rng.pick(setFlags ? Generation.flagSetters : Generator.randomPool)
            if preserveFlags && Generation.flagSetters.contains(op) && op.pattern.fields["S"] == nil { continue }
            for _ in 0..<30 {
                if let w = attempt(op, cond: cond, sBit: setFlags ? 1 : (preserveFlags ? 0 : nil)) {
                    if preserveFlags, let i = Decoder.decode(w), writesNZCV(i) { continue }
                    return w
                }
            }
        }
        return nil
    }

    func writesNZCV(_ i: Instruction) -> Bool {
        switch i.op {
        case .msrReg, .msrImm: return i.mask & 8 != 0
        case .mrc: return i.t == 15
        default: return i.setFlags || Generation.flagSetters.contains(i.op) && i.op.pattern.fields["S"] == nil
        }
    }

    func randomRegister() -> UInt32 {
        rng.chance(0.15) ? UInt32(rng.pick([13, 14, 15])) : UInt32(rng.below(16))
    }

    /// Set by `shapeMemoryFields` when it made a load of the base register itself.
    var loadsOwnBase = false

    func attempt(_ op: Op, cond forced: Condition? = nil, sBit: UInt32? = nil) -> UInt32? {
        loadsOwnBase = false
        let p = op.pattern
        let choices = ExclusionRules.fieldChoices(op)
        var v: [Character: UInt32] = [:]
        for letter in p.letters where letter != "c" {
            if let c = choices[letter] { v[letter] = rng.pick(c); continue }
            switch letter {
            case "n", "d", "m", "s", "a", "t": v[letter] = randomRegister()
            default: v[letter] = rng.field(width: p.width(letter))
            }
        }
        if let sBit, v["S"] != nil { v["S"] = sBit }
        let mem = MemoryClass(op)
        if let mem, !shapeMemoryFields(mem, &v) { return nil }
        let cond = p.isConditional ? (forced ?? randomCondition()) : .al
        let word = p.encode(v, cond: cond)
        guard let inst = Decoder.decode(word), inst.op == op else { return nil }
        guard ExclusionRules.unpredictable(inst) == nil else { return nil }
        let maybe = self.maybe || cond != .al
        let (writes, writeBack) = writtenRegisters(inst)
        // A base or index register may be overwritten (`ldr r0, [r0]`, `ldm r0, {r0, r1}`,
        // `add r0, r0, #1`) if it is retired: no later instruction uses it for an address.
        let mayRetire = loadsOwnBase || rng.chance(0.3)
        loadsOwnBase = false
        var retired: [Int] = []
        for r in writes where r == 15 || reserved.contains(r) {
            guard r != 15, mayRetire, retirable(r) else { return nil }
            retired.append(r)
        }
        if let mem {
            guard let commit = checkMemory(inst, mem, writeBack: writeBack, maybe: maybe) else { return nil }
            commit()
        } else if op == .clrex {
            guard loopDepth == 0 && !inSubroutine else { return nil }
            monitor.open(maybe: maybe)
        }
        for r in retired {
            bases[r] = nil
            indexes[r] = nil
            reserved.remove(r)
        }
        return word
    }

    /// Whether a base or index register can stop being one: not inside a loop (an earlier
    /// instruction of the body uses it again), not sp when it holds the stack, not lr in a
    /// subroutine, not a loop counter.
    func retirable(_ r: Int) -> Bool {
        loopDepth == 0 && (bases[r] != nil || indexes[r] != nil) && !(r == 13 && stackMode) && !(r == 14 && inSubroutine)
    }

    /// Points memory instructions at base and index registers.
    func shapeMemoryFields(_ mem: MemoryClass, _ v: inout [Character: UInt32]) -> Bool {
        let baseRegs = bases.keys.sorted()
        func pickBase(exact: Bool = false) -> UInt32? {
            let c = exact ? baseRegs.filter { bases[$0]!.exact } : baseRegs
            return c.isEmpty ? nil : UInt32(rng.pick(c))
        }
        func pickIndex() -> UInt32? {
            indexes.isEmpty ? nil : UInt32(rng.pick(indexes.keys.sorted()))
        }
        defer {
            // Sometimes load into the base register itself (then retired): `ldr r0, [r0, #4]`,
            // `ldm r0, {r0, r1}`, the loaded value winning over the address.
            if let n = v["n"], n != 15, retirable(Int(n)), rng.chance(0.12) {
                switch mem {
                case .single(_, true, _, false): v["t"] = n; v["W"] = 0; v["P"] = 1; loadsOwnBase = true
                case .dual(true, _) where n % 2 == 0 && n < 14: v["t"] = n; v["W"] = 0; v["P"] = 1; loadsOwnBase = true
                case .multiple(true, _, _): v["x"]! |= 1 << n; v["W"] = 0; loadsOwnBase = true
                case .exclusive(true, let size) where size < 8 || n % 2 == 0: v["t"] = n; loadsOwnBase = true
                default: break
                }
            }
        }
        switch mem {
        case .single(_, let load, let registerOffset, let unprivileged):
            if load && !unprivileged && rng.chance(0.15) { v["n"] = 15 }
            else { guard let b = pickBase() else { return false }; v["n"] = b }
            if registerOffset { guard let x = pickIndex() else { return false }; v["m"] = x }
            if !registerOffset && rng.chance(0.5) { v["i"] = UInt32(rng.below(64)) }
        case .dual(let load, let registerOffset):
            if load && rng.chance(0.15) { v["n"] = 15 }
            else { guard let b = pickBase() else { return false }; v["n"] = b }
            if registerOffset { guard let x = pickIndex() else { return false }; v["m"] = x }
            v["t"] = UInt32(2 * rng.below(7))
            if !registerOffset && rng.chance(0.5) { v["i"] = UInt32(4 * rng.below(16)) }
        case .multiple(let load, _, _):
            guard let b = pickBase() else { return false }
            v["n"] = b
            var list: UInt32 = 0
            if load {
                for r in 0..<15 where !reserved.contains(r) && rng.chance(0.3) { list |= 1 << UInt32(r) }
                if list == 0, let r = freeRegister() { list = 1 << UInt32(r) }
            } else {
                list = rng.field(width: 16)
            }
            if list == 0 { return false }
            v["x"] = list
        case .exclusive(let load, _):
            guard loopDepth == 0 && !inSubroutine, let b = pickBase(exact: true) else { return false }
            v["n"] = b
            if !load, let t = v["t"], t % 2 == 1, rng.chance(0.8) { v["t"] = t - 1 }
        case .swap:
            guard let b = pickBase() else { return false }
            v["n"] = b
        case .preload:
            break
        }
        return true
    }

    /// Checks that a memory instruction stays in bounds on every path, and returns the
    /// update of the tracked state to apply when the instruction is kept.
    func checkMemory(_ i: Instruction, _ mem: MemoryClass, writeBack: Int?, maybe: Bool) -> (() -> Void)? {
        let align = ExclusionRules.alignment(i.op)
        var size = 0
        var starts: [Int] = []           // offsets of the first byte from the base value
        var delta: Int? = nil            // write-back amount
        func signed(_ x: UInt32, _ add: Bool) -> Int { add ? Int(Int32(bitPattern: x)) : -Int(Int32(bitPattern: x)) }
        switch mem {
        case .preload:
            return {}
        case .single(let s, _, let registerOffset, let unprivileged):
            size = s
            let offsets = registerOffset ? shiftedOffsets(indexes[i.m] ?? 0, type: i.shiftType, amount: i.shiftAmount) : [i.imm]
            let deltas = offsets.map { signed($0, i.add) }
            let pre = !unprivileged && i.index
            starts = deltas.map { pre ? $0 : 0 }
            if writeBack != nil { guard deltas.count == 1 else { return nil }; delta = deltas[0] }
        case .dual:
            size = 8
            let d = signed(i.op == .ldrdReg || i.op == .strdReg ? (indexes[i.m] ?? 0) : i.imm, i.add)
            starts = [i.index ? d : 0]
            if writeBack != nil { delta = d }
        case .multiple(_, let startWords, let increment):
            let count = i.registerList.nonzeroBitCount
            size = 4 * count
            starts = [startWords == 0 ? (increment ? 0 : -4 * count + 4) : (startWords == 1 ? 4 : -4 * count)]
            if writeBack != nil { delta = increment ? 4 * count : -4 * count }
        case .exclusive(_, let s):
            size = s
            starts = [0]
        case .swap(let s):
            size = s
            starts = [0]
        }
        if i.n == 15 {
            // PC-relative loads read the ELF's code, padded so ±4 KiB around any sequence is mapped.
            guard writeBack == nil, starts.allSatisfy({ abs($0) <= 4096 && $0 % align == 0 }) else { return nil }
            return {}
        }
        guard var base = bases[i.n] else { return nil }
        for s in starts {
            guard base.lo + s >= base.regionLo, base.hi + s + size <= base.regionHi, s % min(align, 4) == 0 else { return nil }
        }
        if align > 4 {
            guard base.exact, (Int(Scratch.address) + base.lo + starts[0]) % align == 0 else { return nil }
        }
        var monitorUpdate: ((inout MonitorState) -> Void)? = nil
        if case .exclusive(let load, let s) = mem {
            guard base.exact else { return nil }
            let address = base.lo
            if load {
                monitorUpdate = { $0.loadExclusive(address, s, maybe: maybe) }
            } else {
                guard monitor.allowsStoreExclusive(address, s) else { return nil }
                monitorUpdate = { $0.open(maybe: maybe) }
            }
        } else if mem.isPlainStore {
            monitorUpdate = { $0.plainStore() }
        }
        if let delta {
            guard loopDepth == 0, delta % 4 == 0 else { return nil }
            if base.exact && !maybe {
                base.lo += delta; base.hi += delta
            } else {
                base.lo = min(base.lo, base.lo + delta); base.hi = max(base.hi, base.hi + delta)
                base.exact = false
            }
            guard base.lo >= base.regionLo, base.hi <= base.regionHi else { return nil }
        }
        let n = i.n
        return { [self] in
            bases[n] = base
            monitorUpdate?(&monitor)
        }
    }
}
