#if canImport(Glibc)
import Glibc
#endif
import ARM
import Lifter
import Semantics

/// The baseline tier: compiles a region straight to x86-64 code with `BaselineEmitter`, on
/// the guest's own thread, in tens of microseconds. Hot code leaves the interpreter at once
/// instead of waiting in LLVM's queue (on two cores, a cold run's interpretation was the
/// quick compilation queue's length), and LLVM's compile thread spends its time on full
/// compilations of the code that stays busy (counted by the code's use counter, as quick
/// code's). Regions using bit reversal (RBIT, ARMv6T2), which this tier leaves to LLVM, are
/// not compiled here.
///
/// It also provides the entry trampoline and the unchained exit for all compiled code, so
/// code runs before LLVM is set up.
public final class BaselineCompiler {
    public struct Compiled {
        public let function: CompiledCode
        /// The direct exits' link slots and their targets (see `TranslationCache.insert`).
        public let links: [(slot: UnsafeMutablePointer<UnsafeRawPointer?>, target: UInt32)]
        /// Entries and loop iterations, counted by the code.
        public let useCount: UnsafePointer<UInt64>
        public let codeBytes: Int
    }

    /// `CompiledEntry`: saves what the C convention requires, puts the three pointers where
    /// compiled code expects them (r12, r13, r14) and calls the code.
    public let enter: CompiledEntry
    /// `CompiledCodeABI.unchainedSymbol`'s equivalent.
    public let unchained: CompiledCode
    private let memory = ExecutableMemory()

    private let kernelHelper: UInt64

    /// `kernelHelper`: the engine's `CompiledCodeABI.kernelHelperCallout`, which the code calls.
    public init(kernelHelper: KernelHelperCallout) {
        self.kernelHelper = UInt64(UInt(bitPattern: unsafeBitCast(kernelHelper, to: UnsafeRawPointer.self)))
        var a = X86Assembler()
        for r in [Register.rbx, .rbp, .r12, .r13, .r14, .r15] { a.push(r) }
        a.mov64(.r12, .register(.rdi))
        a.mov64(.r13, .register(.rsi))
        a.mov64(.r14, .register(.rdx))
        a.alu64(.sub, .register(.rsp), immediate: 8)  // six pushes and the call's return address: aligned again
        a.call(.register(.rcx))
        a.alu64(.add, .register(.rsp), immediate: 8)
        for r in [Register.r15, .r14, .r13, .r12, .rbp, .rbx] { a.pop(r) }
        a.ret()
        enter = unsafeBitCast(memory.place(a.finish(dataDisplacement: 0)), to: CompiledEntry.self)

        // Takes back the chained transition the exit counted, and returns to the dispatcher.
        var u = X86Assembler()
        u.alu64(.sub, .memory(.r12, Int32(CPUState.Offsets.chainedTransitions)), immediate: 1)
        u.mov(.rax, immediate: CompiledExit.branch.rawValue)
        u.ret()
        unchained = memory.place(u.finish(dataDisplacement: 0))
    }

    /// Instantiates the semantics of `region`'s instructions over a new emitter; with the
    /// flags live after each instruction (in order) when known.
    private func emit(_ region: Region, liveFlagsAfter: [ConditionFlags]?, keepsStateInto: Set<UInt32> = []) -> BaselineEmitter {
        let e = BaselineEmitter(blockStarts: region.blocks.map(\.start), kernelHelper: kernelHelper,
                                checksAccesses: region.checksAccesses, keepsStateInto: keepsStateInto)
        var index = 0
        for (k, block) in region.blocks.enumerated() {
            e.beginBlock(block.start, next: k + 1 < region.blocks.count ? region.blocks[k + 1].start : nil)
            var pc = block.start
            for inst in block.instructions {
                e.beginInstruction(at: pc, index: index, liveFlagsAfter: liveFlagsAfter?[index] ?? .all)
                let conditional = inst.cond != .al && inst.cond != .nv
                if conditional {
                    e.conditional(inst.cond) { Semantics.execute(inst, e) }
                } else {
                    Semantics.execute(inst, e)
                }
                e.endInstruction(conditional: conditional)
                pc &+= 4
                index += 1
            }
            e.fallThrough(to: pc)
        }
        return e
    }

    /// `region`'s code, or nil when it uses an operation this tier does not compile.
    ///
    /// Emitted twice: the first time shows which conditions are decided from copies of the
    /// flags' origins (`BaselineEmitter.flagCopy`) instead of the flag bytes, and which blocks
    /// are entered only by falling through from the block before; flag liveness without those
    /// reads then lets the second leave out every flag store nothing reads, and the second
    /// keeps what it knows about registers and flags into such blocks (so it decides at least
    /// the same conditions from copies: liveness counted the others as reads).
    public func compile(_ region: Region) -> Compiled? {
        let uses = region.blocks.map { $0.instructions.map { Semantics.flagUse(of: $0, faultsEscape: region.checksAccesses) } }
        let first = emit(region, liveFlagsAfter: nil)
        var index = 0
        let usesWithoutCopies = zip(region.blocks, uses).map { block, blockUses in
            zip(block.instructions, blockUses).map { inst, use -> FlagUse in
                defer { index += 1 }
                guard first.conditionsFromCopies.contains(index) else { return use }
                var unconditional = inst
                unconditional.cond = .al
                var without = use
                without.reads = Semantics.flagUse(of: unconditional, faultsEscape: region.checksAccesses).reads
                return without
            }
        }
        let fallThroughOnly = first.fallsInto.filter { first.waysInto[$0] == 1 }
        let e = emit(region, liveFlagsAfter: region.flagLiveness(usesWithoutCopies).liveAfter.flatMap { $0 },
                     keepsStateInto: fallThroughOnly)
        // Else liveness would have dropped a flag store that a condition reads (never seen):
        // LLVM compiles the region.
        guard e.conditionsFromCopies.isSuperset(of: first.conditionsFromCopies) else { return nil }
        if e.unsupported != nil { return nil }
        e.finishCode()
        let (code, data) = memory.reserve(codeBytes: e.assembler.count, dataWords: e.dataWords)
        let bytes = e.assembler.finish(dataDisplacement: data - code)
        code.copyMemory(from: bytes, byteCount: bytes.count)
        if let dir = getenv("ISOMORPH_BASELINE_DUMP") {
            let path = String(cString: dir) + "/" + String(region.start, radix: 16) + ".bin"
            if let f = fopen(path, "wb") { fwrite(bytes, 1, bytes.count, f); fclose(f) }
        }
        PerfMap.name(address: UInt(bitPattern: code), size: bytes.count, "guest_b_0x\(String(region.start, radix: 16))")
        return Compiled(function: UnsafeRawPointer(code),
                        links: e.links.map { ((data + 8 * $0.word).assumingMemoryBound(to: UnsafeRawPointer?.self), $0.target) },
                        useCount: UnsafePointer(data.assumingMemoryBound(to: UInt64.self)),
                        codeBytes: bytes.count)
    }
}

/// Memory for compiled code and its data. Each piece of code is written once, before it first
/// runs, and never moved or freed (invalidated code may still be running, as with LLVM's). Its
/// data words (use counter, link slots), which are written while code runs, live apart from
/// it, in the second half of the same mapping (within reach of RIP-relative operands): a
/// store near code being executed is self-modifying code to the processor, which then clears
/// its pipeline (lua5.4 ran 2.4 times slower with each region's counter after its code).
final class ExecutableMemory {
    private static let halfSize = 16 << 20
    private var code: UnsafeMutableRawPointer?
    private var data: UnsafeMutableRawPointer?
    private var codeUsed = 0, dataUsed = 0

    /// Room for `codeBytes` of code (16-byte aligned) and `dataWords` zeroed 64-bit words.
    func reserve(codeBytes: Int, dataWords: Int) -> (code: UnsafeMutableRawPointer, data: UnsafeMutableRawPointer) {
        let codeSize = (codeBytes + 15) & ~15, dataSize = 8 * dataWords
        precondition(codeSize <= ExecutableMemory.halfSize && dataSize <= ExecutableMemory.halfSize, "region too large")
        if code == nil || codeUsed + codeSize > ExecutableMemory.halfSize || dataUsed + dataSize > ExecutableMemory.halfSize {
            let p = mmap(nil, 2 * ExecutableMemory.halfSize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
            guard let p, p != MAP_FAILED, mprotect(p, ExecutableMemory.halfSize, PROT_READ | PROT_WRITE | PROT_EXEC) == 0 else {
                fputs("isomorph: cannot map memory for compiled code\n", stderr)
                exit(70)
            }
            code = p
            data = p + ExecutableMemory.halfSize
            codeUsed = 0
            dataUsed = 0
        }
        defer { codeUsed += codeSize; dataUsed += dataSize }
        return (code! + codeUsed, data! + dataUsed)
    }

    /// Copies `bytes` (code without data) into executable memory and returns where.
    func place(_ bytes: [UInt8]) -> UnsafeRawPointer {
        let (at, _) = reserve(codeBytes: bytes.count, dataWords: 0)
        at.copyMemory(from: bytes, byteCount: bytes.count)
        return UnsafeRawPointer(at)
    }
}
