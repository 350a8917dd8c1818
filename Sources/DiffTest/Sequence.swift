import ARM

/// Where a sequence's loads and stores go: a buffer the harness refills from a seeded
/// generator before each sequence and checksums after it. General base registers point into
/// the main area; in stack mode sp points into the stack area, which no other base reaches
/// (so a subroutine's saved lr cannot be overwritten).
public enum Scratch {
    public static let address: UInt32 = 0x0200_0000
    public static let mainSize = 8192
    public static let stackSize = 512
    public static let totalSize = mainSize + stackSize
}

/// The state a sequence starts from (set by the harness just before its first instruction).
public struct InitialState: Equatable, Sendable {
    /// r0–r14.
    public var registers: [UInt32]
    /// N Z C V Q (bits 31–27) and GE (bits 19–16); other bits are zero.
    public var apsr: UInt32
    /// Seed of the xorshift32 generator that fills the scratch buffer (nonzero).
    public var scratchSeed: UInt32
    /// TPIDRURW, the user read/write thread ID register.
    public var tpidrurw: UInt32

    public init(registers: [UInt32], apsr: UInt32, scratchSeed: UInt32, tpidrurw: UInt32) {
        precondition(registers.count == 15)
        self.registers = registers; self.apsr = apsr; self.scratchSeed = scratchSeed; self.tpidrurw = tpidrurw
    }
}

/// How a forward branch is made.
public enum ForwardJump: Equatable, Sendable {
    /// `b<c> L`
    case branch
    /// `add<c> pc, pc, #k` (a data-processing write to PC).
    case addPC
    /// `add rX, pc, #k` then `bx<c> rX`, `bxj<c> rX` or `mov<c> pc, rX` (`op` is bx, bxj or movReg).
    case register(Int, Op)
    /// `add rX, pc, #k; str rX, [rB, #offset]` then a load of PC from there: `ldr<c> pc,
    /// [rB, #offset]`, or `ldm<c>`/`ldmib`/`ldmda`/`ldmdb rB, {pc}` (`op`; the offset is then
    /// the one that form reads).
    case load(Int, base: Int, offset: Int, Op)

    /// The offset from the base register a load of PC by `op` reads.
    public static func loadOffset(_ op: Op) -> Int? {
        switch op {
        case .ldm, .ldmda: return 0
        case .ldmib: return 4
        case .ldmdb: return -4
        default: return nil
        }
    }
}

/// How a subroutine is called.
public enum CallKind: Equatable, Sendable {
    /// `bl<c> S`
    case bl
    /// `add rX, pc, #k` then `blx<c> rX`.
    case blx(Int)
}

/// How a subroutine returns.
public enum ReturnKind: Equatable, Sendable {
    /// `bx lr`, `mov pc, lr`, `bxj lr`.
    case bxLR, movPC, bxjLR
    /// `stmdb sp!, {list, lr}` on entry, `ldm sp!, {list, pc}` to return.
    case popPC(list: UInt32)
    /// `str lr, [sp, #-4]!` on entry, `ldr pc, [sp], #4` to return.
    case ldrPC
}

/// A piece of a sequence: an instruction, or a structure the harness can run safely
/// (forward branches stay inside the sequence, backward branches are bounded loops, calls
/// return).
public indirect enum Item: Equatable, Sendable {
    case instruction(UInt32)
    /// A forward branch (taken when the condition holds) over `body`.
    case skip(Condition, ForwardJump, [Item])
    /// `movw rC, #count` (or #0), the body, then `subs rC, rC, #1; bne` (or `add rC, rC, #1;
    /// cmp rC, #count; bne`): the body runs `count` times.
    case loop(counter: Int, count: UInt32, countUp: Bool, body: [Item])
    /// A call of a subroutine placed after the sequence.
    case call(Condition, CallKind, Subroutine)
    /// `bx<c> lr`: an early return inside a subroutine.
    case returnIf(Condition)
    /// Straight-line words whose last one faults when it executes (an access below 0x10000,
    /// a branch there, UDF, BKPT); the harness's signal handler records the state.
    case fault([UInt32])

    /// Number of items in this one and those nested in it.
    public var size: Int {
        switch self {
        case .instruction, .returnIf: return 1
        case .fault(let words): return words.count
        case .skip(_, _, let body), .loop(_, _, _, let body): return 1 + body.reduce(0) { $0 + $1.size }
        case .call(_, _, let sub): return 1 + sub.items.reduce(0) { $0 + $1.size }
        }
    }
}

public struct Subroutine: Equatable, Sendable {
    public var items: [Item]
    public var ret: ReturnKind
}

/// A generated test: what runs, and from which state.
public struct TestSequence: Equatable, Sendable {
    public var seed: UInt64
    public var index: Int
    public var items: [Item]
    public var initial: InitialState
}

/// A sequence's machine code. The harness places `body` after the sequence's prologue,
/// `Harness.epilogueWords` words of epilogue after it, and `subroutines` after that; the
/// words are position-independent as long as that layout is kept, so they can be stored in a
/// regression case and rebuilt anywhere.
public struct AssembledSequence: Equatable, Sendable {
    public var body: [UInt32]
    public var subroutines: [UInt32]
    public var initial: InitialState

    public init(body: [UInt32], subroutines: [UInt32], initial: InitialState) {
        self.body = body; self.subroutines = subroutines; self.initial = initial
    }

    /// The words of the sequence itself (body, then subroutines), for coverage and printing.
    public var words: [UInt32] { body + subroutines }
}

extension TestSequence {
    public func assembled() -> AssembledSequence {
        var a = SequenceAssembler()
        let (body, subs) = a.assemble(items)
        return AssembledSequence(body: body, subroutines: subs, initial: initial)
    }
}

/// Lays out items with labels and resolves branch offsets; every word is made from the
/// encoding table by `Op.encode`.
struct SequenceAssembler {
    private var words: [UInt32] = []
    private var labels: [Int?] = []
    private enum Fixup { case branch, addPC }
    private var fixups: [(at: Int, label: Int, kind: Fixup)] = []
    private var pendingSubroutines: [(label: Int, sub: Subroutine)] = []

    mutating func assemble(_ items: [Item]) -> (body: [UInt32], subroutines: [UInt32]) {
        let end = newLabel()
        emit(items, end: end)
        let bodyCount = words.count
        bind(end)
        words += Array(repeating: 0, count: Harness.epilogueWords)
        while !pendingSubroutines.isEmpty {
            let (label, sub) = pendingSubroutines.removeFirst()
            bind(label)
            emitSubroutine(sub, end: end)
        }
        resolve()
        return (Array(words[..<bodyCount]), Array(words[(bodyCount + Harness.epilogueWords)...]))
    }

    private mutating func newLabel() -> Int { labels.append(nil); return labels.count - 1 }
    private mutating func bind(_ l: Int) { labels[l] = words.count }

    private mutating func emit(_ items: [Item], end: Int) {
        for item in items {
            switch item {
            case .instruction(let w):
                words.append(w)
            case .skip(let cond, let jump, let body):
                let target = newLabel()
                switch jump {
                case .branch:
                    branch(.b, cond, to: target)
                case .addPC:
                    fixups.append((words.count, target, .addPC))
                    words.append(Op.addImm.encode(["n": 15, "d": 15], cond: cond))
                case .register(let r, let op):
                    fixups.append((words.count, target, .addPC))
                    words.append(Op.addImm.encode(["n": 15, "d": UInt32(r)]))
                    words.append(op == .movReg ? Op.movReg.encode(["d": 15, "m": UInt32(r)], cond: cond)
                                               : op.encode(["m": UInt32(r)], cond: cond))
                case .load(let r, let base, let offset, let op):
                    fixups.append((words.count, target, .addPC))
                    words.append(Op.addImm.encode(["n": 15, "d": UInt32(r)]))
                    let b = UInt32(base), magnitude = UInt32(abs(offset)), up: UInt32 = offset >= 0 ? 1 : 0
                    words.append(Op.strImm.encode(["P": 1, "U": up, "n": b, "t": UInt32(r), "i": magnitude]))
                    words.append(op == .ldrImm ? Op.ldrImm.encode(["P": 1, "U": up, "n": b, "t": 15, "i": magnitude], cond: cond)
                                               : op.encode(["n": b, "x": 1 << 15], cond: cond))
                }
                emit(body, end: end)
                bind(target)
            case .loop(let counter, let count, let countUp, let body):
                let c = UInt32(counter)
                words.append(Op.movw.encode(["d": c, "i": countUp ? 0 : count]))
                let top = newLabel()
                bind(top)
                emit(body, end: end)
                if countUp {
                    words.append(Op.addImm.encode(["S": 0, "n": c, "d": c, "i": 1]))
                    words.append(Op.cmpImm.encode(["n": c, "i": count]))
                } else {
                    words.append(Op.subImm.encode(["S": 1, "n": c, "d": c, "i": 1]))
                }
                branch(.b, .ne, to: top)
            case .call(let cond, let kind, let sub):
                let label = newLabel()
                pendingSubroutines.append((label, sub))
                switch kind {
                case .bl:
                    branch(.bl, cond, to: label)
                case .blx(let r):
                    fixups.append((words.count, label, .addPC))
                    words.append(Op.addImm.encode(["n": 15, "d": UInt32(r)]))
                    words.append(Op.blxReg.encode(["m": UInt32(r)], cond: cond))
                }
            case .returnIf(let cond):
                words.append(Op.bx.encode(["m": 14], cond: cond))
            case .fault(let ws):
                words += ws
            }
        }
    }

    private mutating func emitSubroutine(_ sub: Subroutine, end: Int) {
        switch sub.ret {
        case .popPC(let list):
            words.append(Op.stmdb.encode(["W": 1, "n": 13, "x": list | 1 << 14]))
        case .ldrPC:
            words.append(Op.strImm.encode(["P": 1, "U": 0, "W": 1, "n": 13, "t": 14, "i": 4]))
        default:
            break
        }
        emit(sub.items, end: end)
        switch sub.ret {
        case .bxLR: words.append(Op.bx.encode(["m": 14]))
        case .bxjLR: words.append(Op.bxj.encode(["m": 14]))
        case .movPC: words.append(Op.movReg.encode(["d": 15, "m": 14]))
        case .popPC(let list): words.append(Op.ldm.encode(["W": 1, "n": 13, "x": list | 1 << 15]))
        case .ldrPC: words.append(Op.ldrImm.encode(["P": 0, "U": 1, "W": 0, "n": 13, "t": 15, "i": 4]))
        }
    }

    private mutating func branch(_ op: Op, _ cond: Condition, to label: Int) {
        fixups.append((words.count, label, .branch))
        words.append(op.encode([:], cond: cond))
    }

    private mutating func resolve() {
        for f in fixups {
            let target = labels[f.label]!
            let offset = (target - f.at - 2) * 4   // PC reads as the instruction's address + 8
            switch f.kind {
            case .branch:
                words[f.at] |= UInt32(truncatingIfNeeded: offset >> 2) & 0x00FF_FFFF
            case .addPC:
                precondition(offset >= 0 && offset <= 1020 && offset % 4 == 0, "add pc offset \(offset) not encodable")
                // A multiple of 4 up to 1020 is imm8 ROR 30 (or imm8 itself when below 256).
                let imm12 = offset < 256 ? UInt32(offset) : (15 << 8 | UInt32(offset >> 2))
                words[f.at] |= imm12
            }
        }
    }
}
