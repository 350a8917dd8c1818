#if canImport(Glibc)
import Glibc
#endif
import ARM
import Baseline
import Interpreter
import JIT
import CodeCache
import Lifter
import Linux
import Memory

/// Which execution tier runs guest code.
public enum Tier: String, CaseIterable, Sendable {
    /// Everything interpreted.
    case interp
    /// Hot blocks compiled by LLVM on a background thread; the rest interpreted.
    case jit
}

/// How the JIT tier behaves.
public struct JITOptions: Sendable {
    /// Executions of a block before it is compiled. With the baseline tier's ~20 µs a region,
    /// 150 ran cold runs faster than 500 (7 interleaved rounds with qemu-arm, medians, ratios:
    /// lua5.4 2.21x vs 2.09x, sqlite3 2.18x vs 1.90x, busybox sh loop 1.93x vs 1.92x; 60 no
    /// better). With LLVM's quick code first, 500 had measured best (100 and 250 no better,
    /// 2000 5% slower). A static hello world still compiles nothing.
    public var threshold: UInt32 = 150
    /// Compile on the guest's thread, so compiled code runs from the next dispatch (testing).
    public var synchronous = false
    /// Uses of quickly compiled code (entries and loop iterations) before it is compiled again
    /// in full (see `CompileService`); 0 compiles everything in full at once. Quick code is
    /// ready in about a quarter of the time, which took a cold lua5.4 script from 1.95 s to
    /// 1.3 s.
    public var upgradeAfter: UInt64 = 2000
    /// The first compiled tier: hot regions compiled at once on the guest's thread by the
    /// baseline compiler (see `BaselineCompiler`) instead of quickly by LLVM. Only with
    /// upgrades (`upgradeAfter` > 0), which replace its code as they do quick code.
    public var baseline = true
    /// Intermediate forms to print on stderr, and for which region (nil: all).
    public var dumpStages: Set<DumpStage> = []
    public var dumpAddress: UInt32?
    /// Where compiled code is kept between runs (see `CodeCache`); nil: not kept.
    public var cacheDirectory: String?
    public init() {}
}

/// How a guest run ended.
public enum Termination: Equatable, Sendable {
    case exited(Int32)
    case killed(Int32)

    /// The status a shell reports: the exit code, or 128 + the signal.
    public var shellStatus: Int32 {
        switch self {
        case .exited(let c): return c & 0xFF
        case .killed(let s): return 128 + s
        }
    }
}

/// Statistics of one run, as `--stats-json` writes them.
public struct RunStatistics: Sendable {
    public var guestInstructions: UInt64 = 0
    public var blocksDecoded = 0
    public var blockInvalidations = 0
    public var syscalls = 0
    public var exitStatus: Int32 = 0
    public var tier = Tier.interp
    public var jit = JITStatistics()
}

/// What the JIT tier did.
public struct JITStatistics: Sendable {
    /// Regions compiled (each counted once, quick or full; see `CompileService`).
    public var blocksCompiled = 0
    /// Of those, compiled first quickly by LLVM, or by the baseline compiler on the guest's
    /// thread; and quick or baseline code replaced by a full compilation.
    public var regionsCompiledQuick = 0
    public var regionsCompiledBaseline = 0
    public var regionsUpgraded = 0
    /// Uses of quick code (entries and loop iterations, before upgrades replaced it): the
    /// lower, the sooner hot code ran fully optimised.
    public var quickCodeUses: UInt64 = 0
    /// Hot blocks whose first instruction the lifter leaves to the interpreter.
    public var blocksNotCompilable = 0
    public var compileFailures = 0
    /// Compiled results dropped because the guest code changed while they were compiled.
    public var staleResults = 0
    /// CPU time of the compiling thread spent in the lifter and LLVM.
    public var compileSeconds = 0.0
    /// CPU time of the guest's thread spent in the baseline compiler, the bytes of code it
    /// wrote, and the hot regions it left to LLVM (with the first reason).
    public var baselineCompileSeconds = 0.0
    public var baselineCodeBytes = 0
    public var baselineDeclined = 0
    /// Wall time from a hot block's region being queued to its code being installed (waiting
    /// for the compile thread, then compiling), summed over the regions installed, and the
    /// longest: meanwhile the guest runs that code in the interpreter.
    public var compileWaitSeconds = 0.0
    public var compileWaitMaxSeconds = 0.0
    /// The code cache: regions installed from it, objects linked from it, regions added to it.
    public var regionsFromCache = 0
    public var cachedObjectsLinked = 0
    public var regionsSaved = 0
    /// Calls of compiled code from the dispatcher, and how many of them handed an instruction
    /// back to the interpreter (faults, page-crossing or code-page accesses, exceptions).
    public var dispatches: UInt64 = 0
    public var exitsToInterpreter: UInt64 = 0
    public var translationInvalidations = 0
    /// Stores by compiled code to write-protected pages holding code (see `HostFaultTrap`),
    /// counted once per page until its code is forgotten.
    public var codePageWriteFaults = 0
    /// Kept by compiled code: block-to-block transitions that bypassed the dispatcher, and
    /// indirect branches looked up in the dispatch table and how many found compiled code.
    public var chainedTransitions: UInt64 = 0
    public var indirectLookups: UInt64 = 0
    public var indirectHits: UInt64 = 0
    public var firstFailure: String?
}

/// The run loop: executes the guest on the chosen tier and hands syscalls, faults, signals and
/// kernel-helper calls to the Linux layer.
public final class Engine {
    public let memory: AddressSpace
    public let process: LinuxProcess
    public let interpreter: Interpreter
    public let tier: Tier
    let cpu: UnsafeMutablePointer<CPUState>
    /// The JIT tier's parts (nil when interpreting only).
    let compileService: CompileService?
    let translations = TranslationCache()
    /// The baseline tier (nil when LLVM compiles hot code first); see `JITOptions.baseline`.
    let baseline: BaselineCompiler?
    /// The entry trampoline and unchained exit for all compiled code: the baseline
    /// compiler's when there is one (code runs before LLVM is set up), else the JIT's.
    private func entryAndUnchained(_ service: CompileService) -> (CompiledEntry, CompiledCode)? {
        if let baseline { return (baseline.enter, baseline.unchained) }
        return service.startedCompiler.map { ($0.enter, $0.unchained) }
    }
    var jitStatistics = JITStatistics()
    /// The use counters of the quick code installed (quick code is never freed, nor are they).
    private var quickCodeUses: [UnsafePointer<UInt64>] = []
    /// Bumped at every code invalidation, so compilations of changed code are dropped.
    var invalidationEpoch: UInt64 = 0
    /// Whether installed or queued compiled code accesses guest memory without checks (see
    /// `Region.checksAccesses`): to be dropped as soon as the guest catches memory faults.
    var uncheckedAccessesCompiled = false
    /// The blocks of regions submitted and not yet finished, each with its region's entry: a
    /// block that turns hot while a region holding it waits is compiled there, not again as a
    /// region of its own. And the blocks that will never compile.
    var pendingBlocks: [UInt32: UInt32] = [:]
    /// When each queued region was submitted, by entry (monotonic nanoseconds; see
    /// `JITStatistics.compileWaitSeconds`).
    private var submittedAt: [UInt32: UInt64] = [:]
    var notCompilable: Set<UInt32> = []
    /// Compiled code from earlier runs (nil: not kept).
    let codeCache: CodeCache?
    /// Blocks decoded and not yet looked up in the code cache: until the compile thread has
    /// made the compiler (the guest does not wait for LLVM's set-up, so a short process never
    /// pays for it), and while another is installed (decoding a block queues it here).
    var blocksToLookUp: [UInt32] = []
    /// Installing cached code decodes blocks, which queue themselves: the outer call takes them.
    var lookingUpCachedCode = false

    /// Blocks run between checks for pending signals.
    static let blocksPerSlice = 1024
    /// Iterations a compiled loop may run per dispatch before signals are checked.
    static let loopBudget: UInt32 = 1 << 16

    public init(program: String, arguments: [String], environment: [String],
                options: LinuxOptions, tier: Tier, jit jitOptions: JITOptions = JITOptions()) throws {
        memory = try AddressSpace()
        process = LinuxProcess(memory: memory, options: options)
        interpreter = Interpreter(memory: memory)
        self.tier = tier
        cpu = .allocate(capacity: 1)
        let loaded = try process.loadProgram(program, argv: arguments, environment: environment)
        cpu.initialize(to: loaded.cpu)
        // Without -L the loader may have found the ARM ld.so in the default sysroot; the
        // libraries it opens then come from there too.
        if process.options.sysroot == nil, let interp = loaded.interpreter,
           interp.path.hasPrefix(LoaderLayout.defaultSysroot + "/") {
            process.options.sysroot = LoaderLayout.defaultSysroot
        }
        if tier == .jit {
            compileService = CompileService(synchronous: jitOptions.synchronous, upgradeAfter: jitOptions.upgradeAfter,
                                            dumpsIR: !jitOptions.dumpStages.isEmpty) { () throws(JITError) in
                let compiler = try JITCompiler(callouts: [
                    CompiledCodeABI.kernelHelperCallout: unsafeBitCast(Engine.kernelHelperCallout, to: UnsafeRawPointer.self),
                ])
                compiler.dumpStages = jitOptions.dumpStages
                compiler.dumpAddress = jitOptions.dumpAddress
                return compiler
            }
            compileBeforeFirstRun = jitOptions.synchronous && jitOptions.threshold <= 1
            baseline = jitOptions.baseline && jitOptions.upgradeAfter > 0 ? BaselineCompiler(kernelHelper: Engine.kernelHelperCallout) : nil
            if let directory = jitOptions.cacheDirectory {
                if let problem = CodeCache.makeDirectory(directory) {
                    CodeCache.warn(problem)
                    codeCache = nil
                } else {
                    codeCache = CodeCache(directory: directory, program: program, fingerprint: JITCompiler.fingerprint)
                }
            } else {
                codeCache = nil
            }
        } else {
            compileService = nil
            codeCache = nil
            baseline = nil
        }
        cpu.pointee.dispatchTable = compileService == nil ? 0 : UInt64(UInt(bitPattern: translations.table.base))
        memory.codeInvalidated = { [unowned self] address, length in
            interpreter.invalidate(address, length)
            translations.invalidate(address, length)
            invalidationEpoch &+= 1
        }
        if let service = compileService {
            // Compiled code stores without checking for code; the host write-protects code
            // pages instead, and this handler takes the faults.
            HostFaultTrap.install(for: memory)
            Engine.calloutProcess = Unmanaged.passUnretained(process)
            interpreter.hotThreshold = max(1, jitOptions.threshold)
            interpreter.onHotBlock = { [unowned self] start, instructions in
                submitHotBlock(start, instructions, to: service)
            }
            process.kernel.beforeFork.append { service.prepareForFork() }
            process.kernel.afterForkParent.append { service.parentAfterFork() }
            process.kernel.afterForkChild.append { [unowned self] in
                service.childAfterFork()
                service.startedCompiler?.renewRunID()  // one made later has its own
                codeCache?.forgetRecorded()
                pendingBlocks.removeAll()
                submittedAt.removeAll()
            }
            if let cache = codeCache {
                if cache.regionCount > 0 {
                    interpreter.onNewBlock = { [unowned self] pc in lookUpCachedCode(at: pc, cache, service) }
                    service.makeCompilerSoon()
                }
                process.kernel.beforeExec.append { [unowned self] in saveCodeCache() }
            }
        }
    }

    deinit {
        HostFaultTrap.release(memory)
        cpu.deinitialize(count: 1)
        cpu.deallocate()
    }

    public var statistics: RunStatistics {
        var s = RunStatistics()
        s.guestInstructions = interpreter.instructionCount
        s.blocksDecoded = interpreter.blocksDecoded
        s.blockInvalidations = interpreter.invalidations
        s.syscalls = process.syscallCount
        s.tier = tier
        s.jit = jitStatistics
        s.jit.translationInvalidations = translations.invalidations
        s.jit.chainedTransitions = cpu.pointee.chainedTransitions
        s.jit.indirectLookups = cpu.pointee.indirectLookups
        s.jit.indirectHits = cpu.pointee.indirectHits
        s.jit.quickCodeUses = quickCodeUses.reduce(0) { $0 &+ $1.pointee }
        return s
    }

    // MARK: JIT tier

    /// The process whose compiled code calls out (an isomorph process runs one guest).
    nonisolated(unsafe) private static var calloutProcess: Unmanaged<LinuxProcess>?

    /// `CompiledCodeABI.kernelHelperCallout`.
    private static let kernelHelperCallout: KernelHelperCallout = { cpu in
        guard let process = Engine.calloutProcess else { return 0 }
        // Without a retain: glibc for ARMv5 comes here for every lock and thread-pointer read.
        return process._withUnsafeGuaranteedRef {
            $0.runKernelHelperInline(&cpu.assumingMemoryBound(to: CPUState.self).pointee)
        } ? 1 : 0
    }

    /// Queues the region entered at the hot block `start` for compilation. The region takes in
    /// the blocks its direct branches reach that are warm, having run at least a quarter of the
    /// hot threshold (all decodable ones when compiling before the first run, as nothing has
    /// run then): cold paths would cost compile time and gain nothing.
    private func submitHotBlock(_ start: UInt32, _ instructions: [Instruction], to service: CompileService) {
        let heat = interpreter.executions(at: start) ?? 0
        if let entry = pendingBlocks[start] { return service.prioritize(entry, heat) }
        guard !notCompilable.contains(start), translations.lookup(start) == nil else { return }
        let everything = compileBeforeFirstRun
        let warm = max(1, interpreter.hotThreshold / 4)
        var region = Lifter.region(start: start,
                                   block: { [interpreter] pc in pc == start ? instructions : interpreter.instructions(at: pc) },
                                   include: { [interpreter] pc in everything || (interpreter.executions(at: pc) ?? 0) >= warm })
        if region.instructionCount == 0 {
            notCompilable.insert(start)
            jitStatistics.blocksNotCompilable += 1
            return
        }
        region.checksAccesses = !mayRun(checksAccesses: false)
        if !region.checksAccesses { uncheckedAccessesCompiled = true }
        if let baseline, installBaseline(region, baseline, service) { return }
        for block in region.blocks { pendingBlocks[block.start] = pendingBlocks[block.start] ?? start }
        submittedAt[start] = monotonicNanoseconds()  // before: synchronous mode compiles in `submit`
        service.submit(region, epoch: invalidationEpoch, priority: heat)
    }

    /// Compiles `region` with the baseline compiler and installs its code at once, watched for
    /// an upgrade as quick code is; false when the baseline compiler leaves it to LLVM.
    private func installBaseline(_ region: Region, _ baseline: BaselineCompiler, _ service: CompileService) -> Bool {
        let began = threadCPUNanoseconds()
        defer { jitStatistics.baselineCompileSeconds += Double(threadCPUNanoseconds() &- began) / 1e9 }
        guard let compiled = baseline.compile(region) else {
            jitStatistics.baselineDeclined += 1
            return false
        }
        translations.insert(start: region.start, ranges: region.ranges, function: compiled.function,
                            links: compiled.links, unchained: baseline.unchained)
        quickCodeUses.append(compiled.useCount)
        service.watch(quick: region, epoch: invalidationEpoch, uses: compiled.useCount)
        jitStatistics.blocksCompiled += 1
        jitStatistics.regionsCompiledBaseline += 1
        jitStatistics.baselineCodeBytes += compiled.codeBytes
        return true
    }

    /// Installs finished compilations whose code has not changed since submission. A full
    /// compilation of quick code replaces it (chained exits to it included).
    private func installCompiled(from service: CompileService) {
        for done in service.drain() {
            var submitted: UInt64?
            if !done.isUpgrade {
                for block in done.region.blocks where pendingBlocks[block.start] == done.region.start {
                    pendingBlocks[block.start] = nil
                }
                submitted = submittedAt.removeValue(forKey: done.region.start)
            }
            jitStatistics.compileSeconds += done.seconds
            guard let compiled = done.compiled else {
                jitStatistics.compileFailures += 1
                if !done.isUpgrade { notCompilable.insert(done.region.start) }  // else the quick code stays
                if jitStatistics.firstFailure == nil { jitStatistics.firstFailure = done.failure }
                continue
            }
            // An upgrade's region was compiled long ago, and code elsewhere (a library loaded
            // later) may have changed since: its own code is checked word for word instead.
            let current = done.epoch == invalidationEpoch
                || (done.isUpgrade && mayRun(checksAccesses: done.region.checksAccesses)
                    && (done.region.blocks + done.region.exitCode).allSatisfy { guestCode(at: $0.start, is: $0.instructions.map(\.word)) })
            if !current {
                jitStatistics.staleResults += 1
                continue
            }
            translations.insert(start: done.region.start, ranges: done.region.ranges, function: compiled.function,
                                links: compiled.links, unchained: entryAndUnchained(service)!.1)
            codeCache?.record(compiled, done.region)
            if let uses = compiled.useCount { quickCodeUses.append(uses) }
            if let submitted {
                let wait = Double(monotonicNanoseconds() &- submitted) / 1e9
                jitStatistics.compileWaitSeconds += wait
                jitStatistics.compileWaitMaxSeconds = max(jitStatistics.compileWaitMaxSeconds, wait)
            }
            if done.isUpgrade {
                jitStatistics.regionsUpgraded += 1
            } else {
                jitStatistics.blocksCompiled += 1
                if done.quality == .quick { jitStatistics.regionsCompiledQuick += 1 }
            }
        }
    }

    /// Whether the guest's code at `start` is, word for word, `words` (decoding it, which also
    /// marks its pages as code, so later stores invalidate what is installed for it).
    private func guestCode(at start: UInt32, is words: [UInt32]) -> Bool {
        guard let decoded = interpreter.instructions(at: start), decoded.count >= words.count else { return false }
        return zip(decoded, words).allSatisfy { $0.word == $1 }
    }

    /// Whether code compiled with (or without) access checks may run now (see `Region.checksAccesses`).
    private func mayRun(checksAccesses: Bool) -> Bool {
        checksAccesses || !(process.options.strace || process.kernel.catchesMemoryFaults)
    }

    /// Queues the block just decoded at `pc` when the cache has regions entered there.
    private func lookUpCachedCode(at pc: UInt32, _ cache: CodeCache, _ service: CompileService) {
        if cache.hasRegions(at: pc) { blocksToLookUp.append(pc) }
        lookUpQueuedCachedCode(cache, service)
    }

    /// Once the compiler exists: installs cached code for each queued block, when the cache has
    /// a region entered there whose guest code is, word for word, what the guest has now
    /// (decoding its blocks also marks their pages as code, so later stores invalidate it as
    /// usual).
    private func lookUpQueuedCachedCode(_ cache: CodeCache, _ service: CompileService) {
        guard !lookingUpCachedCode, !blocksToLookUp.isEmpty, let compiler = service.readyCompiler else { return }
        lookingUpCachedCode = true
        defer {
            lookingUpCachedCode = false
            blocksToLookUp.removeAll(keepingCapacity: true)
        }
        // By index, not removing the first each time: the queue can hold every block decoded
        // while LLVM was set up. Blocks decoded meanwhile append themselves and are taken too.
        var next = 0
        while next < blocksToLookUp.count {
            let start = blocksToLookUp[next]
            next += 1
            guard translations.lookup(start) == nil else { continue }
            let found = cache.lookUp(start, compiler: compiler) { region in
                mayRun(checksAccesses: region.checksAccesses)
                    && (region.blocks + region.exitCode).allSatisfy { guestCode(at: $0.start, is: $0.words) }
            }
            guard let (region, compiled) = found else { continue }
            if !region.checksAccesses { uncheckedAccessesCompiled = true }
            translations.insert(start: start, ranges: region.ranges, function: compiled.function, links: compiled.links,
                                unchained: compiler.unchained)
            jitStatistics.regionsFromCache += 1
            if let uses = compiled.useCount {
                quickCodeUses.append(uses)
                // Quick code: compiled again in full if it turns hot, from the guest's code
                // (which `accepts` has just found to be the cached words).
                func decoded(_ block: CodeCache.CachedBlock) -> Region.Block {
                    Region.Block(start: block.start, instructions: Array(interpreter.instructions(at: block.start)!.prefix(block.words.count)))
                }
                var quick = Region(blocks: region.blocks.map(decoded))
                quick.exitCode = region.exitCode.map(decoded)
                quick.checksAccesses = region.checksAccesses
                service.watch(quick: quick, epoch: invalidationEpoch, uses: uses)
            }
        }
    }

    /// Adds this run's compiled code to the code cache (at exit and before execve).
    private func saveCodeCache() {
        guard let cache = codeCache, let service = compileService else { return }
        installCompiled(from: service)
        cache.save()
        jitStatistics.cachedObjectsLinked = cache.objectsLinked
        jitStatistics.regionsSaved = cache.regionsSaved
    }

    /// Threshold 1 with synchronous compilation: every block is compiled before it first runs
    /// (so tests exercise compiled code even for code that runs once).
    var compileBeforeFirstRun = false

    private func compileNow(_ pc: UInt32, _ service: CompileService) {
        guard !notCompilable.contains(pc), let instructions = interpreter.instructions(at: pc) else { return }
        submitHotBlock(pc, instructions, to: service)
        installCompiled(from: service)
    }

    /// One slice on the JIT tier: compiled code where there is some, the interpreter elsewhere.
    private func stepJIT(_ service: CompileService) -> LinuxOutcome {
        if uncheckedAccessesCompiled && process.kernel.catchesMemoryFaults {
            // The guest now handles SIGSEGV or SIGBUS (sigaction is a syscall, and every syscall
            // ends a slice): its faults must be exact from here on. Queued compilations are
            // dropped as stale when they finish.
            translations.invalidateAll()
            invalidationEpoch &+= 1
            uncheckedAccessesCompiled = false
        }
        installCompiled(from: service)
        if !blocksToLookUp.isEmpty, let cache = codeCache { lookUpQueuedCachedCode(cache, service) }
        let state = UnsafeMutableRawPointer(cpu)
        let base = memory.base
        let flags = UnsafeRawPointer(memory.pageFlags)
        let writtenCode = memory.writtenCode
        for _ in 0..<Engine.blocksPerSlice {
            // Code that compiled code overwrote (see `HostFaultTrap`) is forgotten before
            // anything runs again.
            if writtenCode.pointee != 0 { jitStatistics.codePageWriteFaults += memory.forgetWrittenCode() }
            // At once, not at the next slice: a slice of compiled code can last 100 ms, and
            // an upgrade is worth most when it replaces quick code a loop is running.
            if service.hasResults { installCompiled(from: service) }
            if compileBeforeFirstRun && translations.lookup(cpu.pointee.pc) == nil {
                compileNow(cpu.pointee.pc, service)
            }
            guard let f = translations.lookup(cpu.pointee.pc) else {
                // Interpret until control reaches compiled code (or something needs handling).
                let stop = compileBeforeFirstRun
                    ? interpreter.run(cpu, maxBlocks: 1)
                    : interpreter.run(cpu, maxBlocks: 64) { pc in translations.lookup(pc) != nil }
                if stop == .budgetExhausted { continue }
                return handle(stop)
            }
            // Compiled code exists only once the compiler does.
            guard let (enter, _) = entryAndUnchained(service) else { preconditionFailure("compiled code without a compiler") }
            jitStatistics.dispatches &+= 1
            cpu.pointee.loopBudget = Engine.loopBudget
            switch CompiledExit(rawValue: enter(state, base, flags, f)) {
            case .branch?:
                continue
            case .supervisorCall?:
                return process.handleSyscall(&cpu.pointee)
            case .interpret?:
                jitStatistics.exitsToInterpreter &+= 1
                let stop = interpreter.run(cpu, maxBlocks: 1)
                if stop == .budgetExhausted { continue }
                return handle(stop)
            case .thumb?:
                cpu.pointee.pc &= ~1
                return handle(.thumb)
            case nil:
                preconditionFailure("compiled code returned an unknown exit")
            }
        }
        return .resume
    }

    /// Runs the guest until it exits or dies of a signal.
    public func run() -> Termination {
        while true {
            var outcome = LinuxOutcome.resume
            if process.hasPendingSignals {
                outcome = process.deliverPendingSignals(&cpu.pointee)
            }
            if outcome == .resume {
                outcome = step()
            }
            switch outcome {
            case .resume: continue
            case .exit(let status):
                saveCodeCache()
                return .exited(status)
            case .killed(let signal):
                saveCodeCache()
                return .killed(signal)
            }
        }
    }

    /// One slice of guest execution and the handling of what stopped it.
    private func step() -> LinuxOutcome {
        if let service = compileService { return stepJIT(service) }
        return handle(interpreter.run(cpu, maxBlocks: Engine.blocksPerSlice))
    }

    /// Hands what stopped the interpreter to the Linux layer.
    private func handle(_ stop: Interpreter.Stop) -> LinuxOutcome {
        let pc = cpu.pointee.pc
        switch stop {
        case .budgetExhausted:
            return .resume
        case .supervisorCall:
            return process.handleSyscall(&cpu.pointee)
        case .kernelHelper:
            if let outcome = process.runKernelHelper(&cpu.pointee) { return outcome }
            return process.raiseSynchronous(signal: SIGSEGV, code: 1 /* SEGV_MAPERR */, faultAddress: pc,
                                            description: "jump to 0x\(hex(pc)) in the kernel helper page, which is not a helper entry point",
                                            &cpu.pointee)
        case .undefined(let word, _) where word & 0x0FFF_FFFF == 0x07F0_01F0:
            // UDF #16 is Linux's ARM breakpoint: the kernel's undef hook (arch/arm/kernel/ptrace.c,
            // arm_break_hook) turns it into SIGTRAP, as qemu-arm does.
            return process.raiseSynchronous(signal: SIGTRAP, code: 1 /* TRAP_BRKPT */, faultAddress: pc,
                                            description: "at pc 0x\(hex(pc)): breakpoint (udf #16, the Linux ARM breakpoint)",
                                            &cpu.pointee)
        case .undefined(let word, let reason):
            return process.raiseSynchronous(signal: SIGILL, code: 1 /* ILL_ILLOPC */, faultAddress: pc,
                                            description: "at pc 0x\(hex(pc)): word 0x\(hex(word)): \(reason)",
                                            &cpu.pointee)
        case .thumb:
            return process.raiseSynchronous(signal: SIGILL, code: 1 /* ILL_ILLOPC */, faultAddress: pc,
                                            description: "at pc 0x\(hex(pc)): branch to Thumb code, which is not supported yet",
                                            &cpu.pointee)
        case .dataFault(let fault):
            return process.raiseSynchronous(signal: SIGSEGV, code: fault.isPermission ? 2 : 1, faultAddress: fault.address,
                                            description: "at pc 0x\(hex(pc)): invalid \(fault.isWrite ? "write to" : "read from") 0x\(hex(fault.address))",
                                            &cpu.pointee)
        case .fetchFault(let fault):
            return process.raiseSynchronous(signal: SIGSEGV, code: fault.isPermission ? 2 : 1, faultAddress: pc,
                                            description: "at pc 0x\(hex(pc)): instruction fetch from \(fault.isPermission ? "non-executable" : "unmapped") memory",
                                            &cpu.pointee)
        case .breakpoint(let imm):
            return process.raiseSynchronous(signal: SIGTRAP, code: 1 /* TRAP_BRKPT */, faultAddress: pc,
                                            description: "at pc 0x\(hex(pc)): breakpoint (bkpt #\(imm))",
                                            &cpu.pointee)
        }
    }
}

func hex(_ v: UInt32) -> String {
    let s = String(v, radix: 16)
    return String(repeating: "0", count: 8 - s.count) + s
}
