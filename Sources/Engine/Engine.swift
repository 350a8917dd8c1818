#if canImport(Glibc)
import Glibc
#endif
import ARM
import Interpreter
import Linux
import Memory

/// Which execution tier runs guest code.
public enum Tier: String, CaseIterable, Sendable {
    case interp
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
}

/// The run loop: executes the guest on the chosen tier and hands syscalls, faults, signals and
/// kernel-helper calls to the Linux layer.
public final class Engine {
    public let memory: AddressSpace
    public let process: LinuxProcess
    public let interpreter: Interpreter
    public let tier: Tier
    let cpu: UnsafeMutablePointer<CPUState>

    /// Blocks run between checks for pending signals.
    static let blocksPerSlice = 1024

    public init(program: String, arguments: [String], environment: [String],
                options: LinuxOptions, tier: Tier) throws {
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
        memory.codeInvalidated = { [unowned interpreter] address, length in
            interpreter.invalidate(address, length)
        }
    }

    deinit {
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
        return s
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
            case .exit(let status): return .exited(status)
            case .killed(let signal): return .killed(signal)
            }
        }
    }

    /// One slice of guest execution and the handling of what stopped it.
    private func step() -> LinuxOutcome {
        let stop = interpreter.run(cpu, maxBlocks: Engine.blocksPerSlice)
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
