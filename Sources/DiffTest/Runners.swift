#if canImport(Glibc)
import Glibc
#endif
import Foundation
import ARM
import Interpreter
import Memory

/// What one run of a harness ELF produced.
public struct RunResult: Sendable {
    /// Records by sequence index, in the order written.
    public var records: [(index: Int, state: FinalState)]
    /// How the process ended: "exit 0", "signal 4 (SIGILL)", "timeout", …
    public var termination: String
    public var stderr: String
    public var exitedCleanly: Bool { termination == "exit 0" }

    public func state(_ index: Int) -> FinalState? { records.first { $0.index == index }?.state }
}

/// Something that runs a harness ELF: qemu-arm, or Isomorph on one tier.
public protocol GuestRunner: Sendable {
    var name: String { get }
    func run(_ image: GuestImage, elfPath: String) throws -> RunResult
}

/// A runner that executes a host program on the ELF file and reads its stdout.
public struct ProcessRunner: GuestRunner {
    public let name: String
    public let executable: String
    public let arguments: [String]
    public let timeout: Double

    public init(name: String, executable: String, arguments: [String], timeout: Double = 300) {
        self.name = name; self.executable = executable; self.arguments = arguments; self.timeout = timeout
    }

    /// qemu-arm as the reference: a Cortex-A15, an ARMv7-A core with the integer divide
    /// instructions in ARM state, the core the design's system mode also models.
    public static func qemu(path: String = "/usr/bin/qemu-arm") -> ProcessRunner {
        ProcessRunner(name: "qemu-arm", executable: path, arguments: ["-cpu", "cortex-a15"])
    }

    /// The `isomorph` executable on a tier.
    public static func isomorph(path: String, tier: String, extra: [String] = []) -> ProcessRunner {
        ProcessRunner(name: (["isomorph run --tier", tier] + extra).joined(separator: " "), executable: path,
                      arguments: ["run", "--tier", tier] + extra)
    }

    public func run(_ image: GuestImage, elfPath: String) throws -> RunResult {
        let dir = (elfPath as NSString).deletingLastPathComponent
        let tag = "\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let outPath = dir + "/out-\(tag)", errPath = dir + "/err-\(tag)"
        FileManager.default.createFile(atPath: outPath, contents: nil)
        FileManager.default.createFile(atPath: errPath, contents: nil)
        defer { try? FileManager.default.removeItem(atPath: outPath); try? FileManager.default.removeItem(atPath: errPath) }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = arguments + [elfPath]
        p.standardOutput = FileHandle(forWritingAtPath: outPath)
        p.standardError = FileHandle(forWritingAtPath: errPath)
        p.standardInput = FileHandle.nullDevice
        let done = DispatchSemaphore(value: 0)
        p.terminationHandler = { _ in done.signal() }
        try p.run()
        var timedOut = false
        if done.wait(timeout: .now() + timeout) == .timedOut {
            timedOut = true
            kill(p.processIdentifier, SIGKILL)
            done.wait()
        }
        let out = [UInt8]((try? Data(contentsOf: URL(fileURLWithPath: outPath))) ?? Data())
        let err = String(decoding: (try? Data(contentsOf: URL(fileURLWithPath: errPath))) ?? Data(), as: UTF8.self)
        let termination: String
        if timedOut {
            termination = "timeout after \(Int(timeout)) s"
        } else if p.terminationReason == .uncaughtSignal {
            termination = "signal \(p.terminationStatus)\(signalName(p.terminationStatus))"
        } else {
            let s = p.terminationStatus
            termination = s > 128 && s < 160 ? "exit \(s) (signal \(s - 128)\(signalName(s - 128)))" : "exit \(s)"
        }
        return RunResult(records: Harness.parse(out), termination: termination, stderr: err)
    }
}

func signalName(_ s: Int32) -> String {
    switch s {
    case SIGILL: return " SIGILL"
    case SIGSEGV: return " SIGSEGV"
    case SIGBUS: return " SIGBUS"
    case SIGTRAP: return " SIGTRAP"
    case SIGKILL: return " SIGKILL"
    case SIGABRT: return " SIGABRT"
    default: return ""
    }
}

/// Runs the image on Isomorph's interpreter inside this process: the image's segments are
/// mapped directly and the harness's syscalls (write, set_tls, sigaltstack, rt_sigaction,
/// exit_group) are served here, with signals delivered the way Linux builds an ARM rt signal
/// frame (only the parts the harness's handler reads: siginfo's signo, code and addr; the
/// ucontext's r0–r15 and CPSR). Faster than a process per run, and needs no `isomorph` binary
/// (the regression test uses it); the Linux layer is exercised by the process runner.
public struct InProcessInterpreterRunner: GuestRunner {
    public let name = "isomorph --tier interp (in-process)"
    /// Blocks allowed before the run counts as hung.
    public var maxBlocks = 400_000_000

    public init() {}

    public func run(_ image: GuestImage, elfPath: String) throws -> RunResult {
        let memory = try AddressSpace()
        for s in image.segments {
            var prot: Protection = []
            if s.readable { prot.insert(.read) }
            if s.writable { prot.insert(.write) }
            if s.executable { prot.insert(.exec) }
            memory.map(s.address, length: max(s.memorySize, UInt32(s.bytes.count)), protection: prot)
            s.bytes.withUnsafeBytes { memory.poke(s.address, $0) }
        }
        let interpreter = Interpreter(memory: memory)
        let cpu = UnsafeMutablePointer<CPUState>.allocate(capacity: 1)
        cpu.initialize(to: CPUState())
        defer { cpu.deinitialize(count: 1); cpu.deallocate() }
        cpu.pointee.pc = image.entry
        var output: [UInt8] = []
        var handlers: [UInt32: UInt32] = [:]
        var altStack: (sp: UInt32, size: UInt32)? = nil

        /// Enters the guest's handler for `sig`, or returns false when there is none.
        func deliver(_ sig: UInt32, code: UInt32, address: UInt32) -> Bool {
            guard let handler = handlers[sig] else { return false }
            let top = altStack.map { $0.sp &+ $0.size } ?? cpu.pointee[13]
            let frame = (top &- 888) & ~7
            let uc = frame &+ 128
            var words: [(UInt32, UInt32)] = [(frame, sig), (frame &+ 4, 0), (frame &+ 8, code), (frame &+ 12, address),
                                             (uc, 0), (uc &+ 4, 0)]
            for r in 0..<16 { words.append((uc &+ 32 &+ UInt32(4 * r), cpu.pointee[r])) }
            words.append((uc &+ 96, cpu.pointee.cpsr))
            words.append((uc &+ 100, address))
            do {
                for (a, v) in words { try memory.write(a, v) }
            } catch {
                return false
            }
            cpu.pointee[0] = sig
            cpu.pointee[1] = frame
            cpu.pointee[2] = uc
            cpu.pointee[13] = frame
            cpu.pointee[14] = 0
            cpu.pointee.pc = handler
            return true
        }

        var termination = "timeout (block budget exhausted)"
        let slice = 1 << 16
        var blocks = 0
        run: while blocks < maxBlocks {
            let stop = interpreter.run(cpu, maxBlocks: slice)
            let pc = cpu.pointee.pc
            switch stop {
            case .budgetExhausted:
                blocks += slice
            case .supervisorCall:
                let r0 = cpu.pointee[0], r1 = cpu.pointee[1], r2 = cpu.pointee[2]
                switch cpu.pointee[7] {
                case 4:
                    guard memory.check(r1, length: r2, .read) else { termination = "bad write buffer"; break run }
                    output += UnsafeRawBufferPointer(start: memory.host(r1), count: Int(r2))
                    cpu.pointee[0] = r2
                case 0xF_0005:
                    cpu.pointee.tpidruro = r0
                    cpu.pointee[0] = 0
                case 174:   // rt_sigaction(sig, act, oldact, 8)
                    if r1 != 0, let handler: UInt32 = try? memory.read(r1) { handlers[r0] = handler }
                    cpu.pointee[0] = 0
                case 186:   // sigaltstack(ss, old)
                    if r0 != 0, let sp: UInt32 = try? memory.read(r0), let size: UInt32 = try? memory.read(r0 &+ 8) {
                        altStack = (sp, size)
                    }
                    cpu.pointee[0] = 0
                case 1, 248:
                    termination = "exit \(Int32(bitPattern: r0))"
                    break run
                default:
                    termination = "unexpected syscall \(cpu.pointee[7])"
                    break run
                }
            case .undefined(let word, _) where word & 0x0FFF_FFFF == 0x07F0_01F0:
                // UDF #16, Linux's ARM breakpoint: SIGTRAP (as Engine.handle does).
                if deliver(5, code: 1, address: pc) { continue }
                termination = "signal 5 SIGTRAP (udf #16)"
                break run
            case .undefined(let word, let reason):
                if deliver(4, code: 1, address: pc) { continue }
                termination = "signal 4 SIGILL (pc 0x\(String(pc, radix: 16)), word 0x\(String(word, radix: 16)): \(reason))"
                break run
            case .dataFault(let f):
                if deliver(11, code: f.isPermission ? 2 : 1, address: f.address) { continue }
                termination = "signal 11 SIGSEGV (pc 0x\(String(pc, radix: 16)), \(f.isWrite ? "write" : "read") 0x\(String(f.address, radix: 16)))"
                break run
            case .fetchFault(let f):
                if deliver(11, code: f.isPermission ? 2 : 1, address: pc) { continue }
                termination = "signal 11 SIGSEGV (fetch from 0x\(String(pc, radix: 16)))"
                break run
            case .breakpoint:
                if deliver(5, code: 1, address: pc) { continue }
                termination = "signal 5 SIGTRAP"
                break run
            case .thumb:
                termination = "signal 4 SIGILL (branch to Thumb at 0x\(String(pc, radix: 16)))"
                break run
            case .kernelHelper:
                termination = "signal 11 SIGSEGV (kernel helper page)"
                break run
            }
        }
        return RunResult(records: Harness.parse(output), termination: termination, stderr: "")
    }
}
