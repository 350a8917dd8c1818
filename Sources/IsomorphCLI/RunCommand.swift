#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import Engine
import JIT
import CodeCache
import Linux

/// `isomorph run [options] PROGRAM [ARGS...]`, with qemu-arm's option names where it has one.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run an ARM Linux ELF program.",
        discussion: """
            The guest's stdin, stdout and stderr are this process's; the exit status is the \
            guest's, or 128+N when it dies of signal N.
            """)

    @Option(name: .customShort("L"), help: ArgumentHelp("Where the ARM dynamic loader and libraries live (also ISOMORPH_LD_PREFIX).", valueName: "sysroot"))
    var sysroot: String?

    @Option(name: .customShort("E"), help: ArgumentHelp("Set a variable in the guest environment.", valueName: "var=value"))
    var setEnvironment: [String] = []

    @Option(name: .customShort("U"), help: ArgumentHelp("Remove a variable from the guest environment.", valueName: "var"))
    var unsetEnvironment: [String] = []

    @Option(name: .customShort("0"), help: ArgumentHelp("The guest's argv[0] (default: PROGRAM).", valueName: "argv0"))
    var argv0: String?

    @Flag(help: "Print each system call with its arguments and result on stderr.")
    var strace = false

    @Option(help: ArgumentHelp("Execution tier: \(Tier.allCases.map(\.rawValue).joined(separator: ", ")).", valueName: "tier"))
    var tier: String = Tier.jit.rawValue

    @Option(name: .customLong("jit-threshold"), help: ArgumentHelp("Executions of a block before the JIT compiles it.", valueName: "n"))
    var jitThreshold: UInt32 = JITOptions().threshold

    @Option(name: .customLong("jit-upgrade-after"), help: ArgumentHelp("Times quickly compiled code is entered or loops before the JIT compiles it again, fully optimised (0: compile fully at once).", valueName: "n"))
    var jitUpgradeAfter: UInt64 = JITOptions().upgradeAfter

    @Option(name: .customLong("jit-first-tier"), help: ArgumentHelp("Who compiles hot code first: baseline (at once, on the guest's thread) or llvm (quickly, in the background). Both are replaced by fully optimised code when it stays hot.", valueName: "baseline|llvm"))
    var jitFirstTier = "baseline"

    @Flag(name: .customLong("jit-sync"), help: "Compile hot blocks on the guest's thread instead of in the background (for testing).")
    var jitSynchronous = false

    @Option(name: .customLong("dump-ir"), help: ArgumentHelp("Print each compiled region's IR or code on stderr: any of lift, opt, asm, comma-separated.", valueName: "stages"))
    var dumpIR: String?

    @Option(name: .customLong("dump-ir-pc"), help: ArgumentHelp("With --dump-ir, only the region starting at this hex address.", valueName: "hex"))
    var dumpIRAddress: String?

    @Option(name: .customLong("cache-dir"), help: ArgumentHelp("Keep compiled code here between runs (default: $ISOMORPH_CACHE_DIR, else $XDG_CACHE_HOME/isomorph, else ~/.cache/isomorph).", valueName: "dir"))
    var cacheDirectory: String?

    @Flag(name: .customLong("no-cache"), help: "Neither use nor keep compiled code from other runs.")
    var noCache = false

    @Option(name: .customLong("stats-json"), help: ArgumentHelp("Write run statistics as JSON to this file.", valueName: "file"))
    var statsJSON: String?

    @Argument(help: "The ARM ELF program to run.")
    var program: String

    @Argument(parsing: .captureForPassthrough, help: "Arguments for the program.")
    var arguments: [String] = []

    func validate() throws {
        guard Tier(rawValue: tier) != nil else {
            throw ValidationError("unknown tier '\(tier)' (choose from \(Tier.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        if jitThreshold == 0 { throw ValidationError("--jit-threshold must be at least 1") }
        if !["baseline", "llvm"].contains(jitFirstTier) { throw ValidationError("--jit-first-tier must be baseline or llvm") }
        _ = try dumpStages()
        if let a = dumpIRAddress, UInt32(a.hasPrefix("0x") ? String(a.dropFirst(2)) : a, radix: 16) == nil {
            throw ValidationError("--dump-ir-pc must be a hex address, got '\(a)'")
        }
        if noCache && cacheDirectory != nil { throw ValidationError("--no-cache and --cache-dir contradict each other") }
        if cacheDirectory?.isEmpty == true { throw ValidationError("--cache-dir needs a directory") }
        for assignment in setEnvironment where !assignment.contains("=") {
            throw ValidationError("-E needs VAR=VALUE, got '\(assignment)'")
        }
    }

    func dumpStages() throws -> Set<DumpStage> {
        guard let dumpIR else { return [] }
        var stages: Set<DumpStage> = []
        for name in dumpIR.split(separator: ",") {
            guard let stage = DumpStage(rawValue: String(name)) else {
                throw ValidationError("unknown --dump-ir stage '\(name)' (choose from lift, opt, asm)")
            }
            stages.insert(stage)
        }
        return stages
    }

    func run() throws {
        var options = LinuxOptions()
        options.sysroot = sysroot ?? ProcessEnvironment.value("ISOMORPH_LD_PREFIX")
        options.strace = strace
        // Absolute, so that a guest's execve after a chdir finds the same cache.
        let cache = noCache ? nil : (cacheDirectory ?? CodeCache.defaultDirectory).map(ProcessEnvironment.absolutePath)
        options.execPrefix = execPrefix(sysroot: options.sysroot, cacheDirectory: cache)

        let environment = ProcessEnvironment.guestEnvironment(set: setEnvironment, unset: unsetEnvironment)
        let guestArguments = [argv0 ?? program] + arguments
        let engine: Engine
        do {
            var jit = JITOptions()
            jit.threshold = jitThreshold
            jit.synchronous = jitSynchronous
            jit.upgradeAfter = jitUpgradeAfter
            jit.baseline = jitFirstTier == "baseline"
            jit.dumpStages = try dumpStages()
            jit.cacheDirectory = cache
            jit.dumpAddress = dumpIRAddress.flatMap { UInt32($0.hasPrefix("0x") ? String($0.dropFirst(2)) : $0, radix: 16) }
            engine = try Engine(program: program, arguments: guestArguments, environment: environment,
                                options: options, tier: Tier(rawValue: tier)!, jit: jit)
        } catch {
            fail("\(error)", status: 1)
        }
        let startPID = getpid()
        let termination = engine.run()
        // A forked guest child runs this same code: only the process that started writes stats.
        if let statsJSON, getpid() == startPID {
            var stats = engine.statistics
            stats.exitStatus = termination.shellStatus
            StatisticsWriter.write(stats, to: statsJSON)
        }
        switch termination {
        case .exited(let status):
            // _exit: LLVM's static destructors must not run while the compile thread may be inside LLVM.
            _exit(status)
        case .killed(let signal):
            engine.process.dieBySignal(signal)
        }
    }

    /// How execve runs another ARM program: this binary with the same options.
    func execPrefix(sysroot: String?, cacheDirectory: String?) -> [String] {
        var prefix = [ProcessEnvironment.executablePath(), "run"]
        if let sysroot { prefix += ["-L", sysroot] }
        if strace { prefix.append("--strace") }
        prefix += ["--tier", tier, "--jit-threshold", String(jitThreshold), "--jit-upgrade-after", String(jitUpgradeAfter),
                   "--jit-first-tier", jitFirstTier]
        if jitSynchronous { prefix.append("--jit-sync") }
        if let cacheDirectory { prefix += ["--cache-dir", cacheDirectory] } else { prefix.append("--no-cache") }
        return prefix
    }
}
