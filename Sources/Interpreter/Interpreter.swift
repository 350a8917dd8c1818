import ARM
import Memory
import Semantics

/// The interpreter tier: fetches and decodes guest code into blocks (cached until the code
/// changes), and executes them through `Semantics` with concrete values.
public final class Interpreter {
    /// A decoded basic block: straight-line instructions ending at a possible change of flow.
    final class Block {
        let start: UInt32
        /// The instructions, in memory owned by the block (read without copies or retains).
        let instructions: UnsafeMutableBufferPointer<Instruction>
        /// Address after the last decoded instruction.
        let end: UInt32
        /// The word after the instructions, when it does not decode (executing it is UNDEFINED).
        let undefinedWord: UInt32?
        /// Executions so far, counted while a hot-block threshold is set. In memory the block
        /// owns, like `instructions`: as a class property, each count cost retains.
        let heat: UnsafeMutablePointer<UInt32>
        init(start: UInt32, instructions: ContiguousArray<Instruction>, end: UInt32, undefinedWord: UInt32?) {
            self.start = start; self.end = end; self.undefinedWord = undefinedWord
            self.instructions = .allocate(capacity: instructions.count)
            _ = self.instructions.initialize(from: instructions)
            heat = .allocate(capacity: 1)
            heat.initialize(to: 0)
        }
        deinit {
            instructions.deinitialize()
            instructions.deallocate()
            heat.deallocate()
        }
    }

    /// Why `run` returned.
    public enum Stop: Equatable {
        /// SVC executed; pc is after it.
        case supervisorCall(UInt32)
        /// An UNDEFINED (or unsupported) instruction at pc.
        case undefined(word: UInt32, reason: String)
        /// A data access fault by the instruction at pc.
        case dataFault(MemoryFault)
        /// pc is not in executable memory.
        case fetchFault(MemoryFault)
        /// BKPT at pc.
        case breakpoint(UInt32)
        /// A branch to Thumb code at pc (bit 0 cleared).
        case thumb
        /// pc is in the kernel user helper page.
        case kernelHelper
        /// The block budget ran out; the engine checks for signals and calls again.
        case budgetExhausted
    }

    public static let maxBlockInstructions = 64
    public static let kernelHelperPage: UInt32 = 0xFFFF_0000

    public let memory: AddressSpace
    private var blocks: [UInt32: Block] = [:]
    private var blocksByPage: [UInt32: [UInt32]] = [:]
    /// Blocks invalidated since `run` was last entered: kept alive because the block loop
    /// holds the running block without retaining it, and a store can invalidate that block.
    private var retired: [Block] = []
    private static let lookupSize = 1 << 13
    /// Recently run blocks by pc, for the block loop: unretained (`blocks` or `retired` owns
    /// them), so finding the next block costs no reference counting.
    private let lookup: UnsafeMutablePointer<Unmanaged<Block>?>
    private let exitRecord: UnsafeMutablePointer<ExitRecord>

    /// After this many executions of a block, `onHotBlock` is told (0: never), and again each
    /// time its count reaches a power of two. The JIT tier compiles such blocks.
    public var hotThreshold: UInt32 = 0
    public var onHotBlock: ((UInt32, [Instruction]) -> Void)?
    /// Told the start of each block decoded (the JIT tier looks for cached code there).
    public var onNewBlock: ((UInt32) -> Void)?

    /// Statistics.
    public private(set) var instructionCount: UInt64 = 0
    public private(set) var blocksDecoded = 0
    public private(set) var invalidations = 0

    public init(memory: AddressSpace) {
        self.memory = memory
        exitRecord = .allocate(capacity: 1)
        exitRecord.initialize(to: ExitRecord())
        lookup = .allocate(capacity: Interpreter.lookupSize)
        lookup.initialize(repeating: nil, count: Interpreter.lookupSize)
    }

    deinit {
        exitRecord.deinitialize(count: 1)
        exitRecord.deallocate()
        lookup.deallocate()
    }

    // MARK: Decoded-block cache

    /// Forgets every block overlapping [address, address + length).
    public func invalidate(_ address: UInt32, _ length: UInt32) {
        guard length > 0 else { return }
        let end = UInt64(address) + UInt64(length)
        var page = address >> AddressSpace.pageShift
        let lastPage = UInt32((end - 1) >> UInt64(AddressSpace.pageShift))
        while true {
            if let starts = blocksByPage[page] {
                var kept: [UInt32] = []
                for start in starts {
                    guard let b = blocks[start] else { continue }
                    if UInt64(b.start) < end && UInt64(b.end) + 4 > UInt64(address) {
                        retired.append(b)
                        blocks[start] = nil
                        let slot = Int((start >> 2) & UInt32(Interpreter.lookupSize - 1))
                        if lookup[slot]?.toOpaque() == Unmanaged.passUnretained(b).toOpaque() { lookup[slot] = nil }
                        invalidations += 1
                    } else {
                        kept.append(start)
                    }
                }
                blocksByPage[page] = kept.isEmpty ? nil : kept
                // The memory cleared the page's code mark; blocks still decoded from the page
                // need it, or later stores to them would take the fast path and go unnoticed.
                if !kept.isEmpty { memory.markCode(page << AddressSpace.pageShift) }
            }
            if page == lastPage { break }
            page += 1
        }
    }

    @inline(__always)
    private func block(at pc: UInt32) -> Unmanaged<Block>? {
        let slot = Int((pc >> 2) & UInt32(Interpreter.lookupSize - 1))
        if let b = lookup[slot], b._withUnsafeGuaranteedRef({ $0.start == pc }) { return b }
        if let b = blocks[pc] {
            lookup[slot] = .passUnretained(b)
            return lookup[slot]
        }
        return nil
    }

    /// The decoded instructions of the block at pc (decoding it if needed), or nil when pc
    /// cannot be fetched or is in the kernel helper page. For compiling a block before it runs.
    public func instructions(at pc: UInt32) -> [Instruction]? {
        if pc >= Interpreter.kernelHelperPage && pc < Interpreter.kernelHelperPage &+ AddressSpace.pageSize { return nil }
        if let b = block(at: pc) { return Array(b.takeUnretainedValue().instructions) }
        guard case .success(let b) = decodeBlock(at: pc) else { return nil }
        return Array(b.instructions)
    }

    /// How often the decoded block at pc has run (counted while `hotThreshold` is set), or nil
    /// when no block starts at pc. Region formation includes only blocks that have run.
    public func executions(at pc: UInt32) -> UInt32? { block(at: pc)?.takeUnretainedValue().heat.pointee }

    /// Decodes the block at pc, or returns the fetch fault.
    private func decodeBlock(at pc: UInt32) -> Result<Block, MemoryFault> {
        let executable = Protection.exec.rawValue | AddressSpace.PageFlag.mapped
        func fetchable(_ a: UInt32) -> Bool { memory.flags(ofPage: a) & executable == executable }
        guard pc & 3 == 0, fetchable(pc) else {
            return .failure(MemoryFault(address: pc, isWrite: false,
                                        isPermission: memory.flags(ofPage: pc) & AddressSpace.PageFlag.mapped != 0))
        }
        var instructions = ContiguousArray<Instruction>()
        var a = pc
        var undefinedWord: UInt32? = nil
        while instructions.count < Interpreter.maxBlockInstructions {
            if a != pc && a & (AddressSpace.pageSize - 1) == 0 && !fetchable(a) { break }
            let word = memory.host(a).loadUnaligned(as: UInt32.self)
            guard let inst = Decoder.decode(word) else {
                undefinedWord = word
                break
            }
            instructions.append(inst)
            a &+= 4
            if Semantics.endsBlock(inst) || a == 0 { break }
        }
        let b = Block(start: pc, instructions: instructions, end: a, undefinedWord: undefinedWord)
        blocks[pc] = b
        let lastByte = undefinedWord == nil ? a &- 1 : a &+ 3
        var page = pc >> AddressSpace.pageShift
        while true {
            blocksByPage[page, default: []].append(pc)
            memory.markCode(page << AddressSpace.pageShift)
            if page == lastByte >> AddressSpace.pageShift { break }
            page += 1
        }
        blocksDecoded += 1
        onNewBlock?(pc)
        return .success(b)
    }

    // MARK: Execution

    /// Runs blocks from cpu.pc until something needs the engine, or `maxBlocks` blocks ran.
    /// `yieldAt` is asked before each block after the first (by default it never yields): true
    /// returns `.budgetExhausted` there (the JIT tier stops at compiled code this way).
    public func run(_ cpu: UnsafeMutablePointer<CPUState>, maxBlocks: Int,
                    yieldAt: (UInt32) -> Bool = { _ in false }) -> Stop {
        let emitter = InterpreterEmitter(cpu: cpu, exit: exitRecord, memory: memory)
        let exit = exitRecord
        if !retired.isEmpty { retired.removeAll() }
        // Read and written once per call, not once per block.
        let hotThreshold = self.hotThreshold
        var executedInRun: UInt64 = 0
        defer { instructionCount &+= executedInRun }
        for blockNumber in 0..<maxBlocks {
            let pc = cpu.pointee.r.15
            if pc >= Interpreter.kernelHelperPage && pc < Interpreter.kernelHelperPage &+ AddressSpace.pageSize {
                return .kernelHelper
            }
            if blockNumber != 0 && yieldAt(pc) { return .budgetExhausted }
            // Not retained (that was a twentieth of the time): `blocks` or `retired` holds it.
            unowned(unsafe) let b: Block
            if let cached = block(at: pc) {
                b = cached.takeUnretainedValue()
            } else {
                switch decodeBlock(at: pc) {
                case .success(let decoded): b = decoded
                case .failure(let fault): return .fetchFault(fault)
                }
            }
            if hotThreshold != 0 {
                let heat = b.heat.pointee &+ 1
                b.heat.pointee = heat
                // At the threshold, and at each power of two beyond it while the block still
                // runs here (so a compile queue can put the hottest first).
                if heat == hotThreshold || (heat > hotThreshold && heat & (heat &- 1) == 0) {
                    onHotBlock?(b.start, Array(b.instructions))
                }
            }
            var address = pc
            var executed: UInt64 = 0
            let instructions = b.instructions.baseAddress
            for index in 0..<b.instructions.count {
                // Fields read through the pointer (the call below still passes a copy, now of
                // 40 bytes, not 72).
                let inst = instructions.unsafelyUnwrapped + index
                exit.pointee.currentPC = address
                executed &+= 1
                if inst.pointee.cond != .al {
                    let s = cpu.pointee
                    if !inst.pointee.cond.holds(n: s.n != 0, z: s.z != 0, c: s.c != 0, v: s.v != 0) {
                        address &+= 4
                        continue
                    }
                }
                do {
                    try Semantics.execute(inst.pointee, emitter)
                } catch {
                    executedInRun &+= executed
                    cpu.pointee.r.15 = address
                    exit.pointee.kind = .none
                    switch error {
                    case .fault(let f): return .dataFault(f)
                    case .undefined(let reason): return .undefined(word: inst.pointee.word, reason: reason)
                    }
                }
                if exit.pointee.kind != .none {
                    executedInRun &+= executed
                    let kind = exit.pointee.kind
                    exit.pointee.kind = .none
                    switch kind {
                    case .branch:
                        break
                    case .stopAfter:
                        cpu.pointee.r.15 = address &+ 4
                    case .svc:
                        cpu.pointee.r.15 = address &+ 4
                        return .supervisorCall(exit.pointee.value)
                    case .breakpoint:
                        cpu.pointee.r.15 = address
                        return .breakpoint(exit.pointee.value)
                    case .undefined:
                        cpu.pointee.r.15 = address
                        return .undefined(word: inst.pointee.word, reason: exit.pointee.reason)
                    case .thumb:
                        cpu.pointee.r.15 = exit.pointee.value & ~1
                        return .thumb
                    case .none:
                        break
                    }
                    executed = 0
                    break
                }
                address &+= 4
            }
            if executed != 0 || b.instructions.isEmpty {
                executedInRun &+= executed
                if let word = b.undefinedWord {
                    cpu.pointee.r.15 = b.end
                    return .undefined(word: word, reason: "undefined instruction")
                }
                cpu.pointee.r.15 = b.end
            }
        }
        return .budgetExhausted
    }
}
