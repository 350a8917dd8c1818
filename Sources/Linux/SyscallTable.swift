#if canImport(Glibc)
import Glibc
#endif
import ARM
import Memory

// The syscall layer's entry point and its one table: each ARM EABI syscall number maps to a
// name, the kinds of its arguments (which `--strace` uses to print them) and a handler. Dispatch
// and strace read the same entries, so there is no second list to keep in step.

/// What a syscall handler produced.
enum SyscallReturn {
    /// A result for r0: a value, or -errno (-4095 ... -1).
    case value(Int)
    /// The process ends (exit, exit_group) or dies.
    case outcome(LinuxOutcome)
    /// The handler set the registers itself (sigreturn, execve's failure path sets r0 itself too).
    case registersSet
}

/// How a syscall interrupted by a signal (host call returned EINTR) is continued.
enum RestartPolicy {
    /// Like Linux's -ERESTARTSYS: restarted unless the signal's guest handler lacks SA_RESTART.
    case restartable
    /// Like -ERESTARTNOHAND: restarted only when no guest handler runs (sleeps, poll, select).
    case unlessHandled
    /// Never restarted: the guest sees -EINTR (sigsuspend, pause).
    case never
}

/// How `--strace` shows one argument register (or two, for 64-bit values).
enum ArgKind {
    case int, uint, hex, ptr, fd, dirfd, path, string, octal
    /// A buffer the guest passes in, whose length is the next argument: shown as a quoted prefix.
    case inBuf
    case size
    case openFlags, prot, mapFlags, atFlags, signal, whence, fcntlCmd, ioctlReq, sigHow, clock
    case futexOp, cloneFlags, argv
    /// An alignment pad register (EABI aligns 64-bit arguments to even register pairs): not shown.
    case pad
    /// A 64-bit value in two consecutive registers, low word first.
    case int64
}

/// The argument registers r0–r6 at the svc.
struct SyscallArgs {
    var r: (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32)
    init(_ cpu: CPUState) { r = (cpu[0], cpu[1], cpu[2], cpu[3], cpu[4], cpu[5], cpu[6]) }
    init(_ v: [UInt32]) {
        let p = v + [UInt32](repeating: 0, count: max(0, 7 - v.count))
        r = (p[0], p[1], p[2], p[3], p[4], p[5], p[6])
    }
    subscript(i: Int) -> UInt32 {
        switch i {
        case 0: return r.0
        case 1: return r.1
        case 2: return r.2
        case 3: return r.3
        case 4: return r.4
        case 5: return r.5
        default: return r.6
        }
    }
    /// Argument `i` as a signed C int.
    func int(_ i: Int) -> Int32 { Int32(bitPattern: self[i]) }
    /// Argument `i` sign-extended (for fds, dirfds, pids: -1 and AT_FDCWD stay negative).
    func sint(_ i: Int) -> Int { Int(Int32(bitPattern: self[i])) }
    /// Argument `i` zero-extended (lengths, addresses).
    func u(_ i: Int) -> Int { Int(self[i]) }
    /// The 64-bit value in registers i (low word) and i+1 (high word).
    func int64(_ i: Int) -> Int64 { Int64(bitPattern: UInt64(self[i]) | UInt64(self[i + 1]) << 32) }
}

typealias SyscallHandler = (LinuxProcess, inout CPUState, SyscallArgs) throws -> SyscallReturn

struct SyscallEntry {
    let number: UInt32
    let name: String
    let args: [ArgKind]
    let restart: RestartPolicy
    /// Result printed in hex (addresses: mmap2, brk, mremap).
    let hexResult: Bool
    let handler: SyscallHandler
}

/// ARM EABI syscall numbers the layer refers to by name.
enum ARMSyscall {
    static let exit: UInt32 = 1, sigreturn: UInt32 = 119, rt_sigreturn: UInt32 = 173
    static let exit_group: UInt32 = 248, execve: UInt32 = 11
    static let armBase: UInt32 = 0xf0000
    static let breakpoint: UInt32 = 0xf0001, cacheflush: UInt32 = 0xf0002
    static let set_tls: UInt32 = 0xf0005, get_tls: UInt32 = 0xf0006
}

/// The table: built once, shared by all processes.
final class SyscallTable {
    private(set) var entries = [SyscallEntry?](repeating: nil, count: 460)
    private(set) var armPrivate: [UInt32: SyscallEntry] = [:]

    static let shared: SyscallTable = {
        let t = SyscallTable()
        t.registerFiles()
        t.registerMemory()
        t.registerProcess()
        t.registerTime()
        t.registerSignals()
        t.registerNet()
        return t
    }()

    subscript(number: UInt32) -> SyscallEntry? {
        if Int(number) < entries.count { return entries[Int(number)] }
        return armPrivate[number]
    }

    /// Registers a handler that needs the CPU state or returns an outcome.
    func addFull(_ number: UInt32, _ name: String, _ args: [ArgKind], restart: RestartPolicy = .restartable,
                 hex: Bool = false, _ handler: @escaping SyscallHandler) {
        let e = SyscallEntry(number: number, name: name, args: args, restart: restart, hexResult: hex,
                             handler: handler)
        if Int(number) < entries.count {
            precondition(entries[Int(number)] == nil, "syscall \(number) registered twice")
            entries[Int(number)] = e
        } else {
            armPrivate[number] = e
        }
    }

    /// Registers a handler that only needs its arguments and returns a value or -errno.
    func add(_ number: UInt32, _ name: String, _ args: [ArgKind], restart: RestartPolicy = .restartable,
             hex: Bool = false, _ handler: @escaping (LinuxProcess, SyscallArgs) throws -> Int) {
        addFull(number, name, args, restart: restart, hex: hex) { p, _, a in .value(try handler(p, a)) }
    }

    /// Names every number in the table (for tests and the strace of unknown calls).
    func name(of number: UInt32) -> String? { self[number]?.name }
}

extension LinuxProcess {
    /// Handles the `svc #0` that just executed: cpu.pc points after it; r7 holds the EABI
    /// syscall number, r0–r6 the arguments; the result goes to r0. An `svc` with a nonzero
    /// immediate is an OABI call and gets -ENOSYS.
    public func handleSyscall(_ cpu: inout CPUState) -> LinuxOutcome {
        syscallCount += 1
        kernel.ensureSignalSetup()
        let nr = cpu[7]
        let args = SyscallArgs(cpu)
        let table = SyscallTable.shared
        let entry = isOABICall(cpu) ? nil : table[nr]
        guard let entry else {
            cpu[0] = UInt32(bitPattern: -Int32(ENOSYS))
            if options.strace { straceUnknown(nr, cpu[0]) }
            return .resume
        }
        var straceLine: String?
        if options.strace {
            straceLine = straceCall(entry, args)
            if entry.number == ARMSyscall.exit || entry.number == ARMSyscall.exit_group
                || entry.number == ARMSyscall.execve {
                // These may not return: print the call now.
                straceWrite(straceLine! + (entry.number == ARMSyscall.execve ? "\n" : "\n"))
                straceLine = nil
            }
        }
        let ret: SyscallReturn
        do {
            ret = try entry.handler(self, &cpu, args)
        } catch {
            ret = .value(-Errno.EFAULT)
        }
        switch ret {
        case .value(var v):
            if v == -Errno.EINTR, shouldRestart(entry.restart) {
                if let line = straceLine { straceWrite(line + " = ? (restarted)\n") }
                cpu.pc &-= 4
                cpu[0] = args[0]
                return .resume
            }
            if v < -4095 { v = -Errno.EINVAL }
            cpu[0] = UInt32(truncatingIfNeeded: v)
            if let line = straceLine { straceWrite(line + " = " + straceResult(v, hex: entry.hexResult) + "\n") }
            return .resume
        case .outcome(let o):
            if let line = straceLine { straceWrite(line + "\n") }
            return o
        case .registersSet:
            if let line = straceLine {
                straceWrite(line + " = " + straceResult(Int(Int32(bitPattern: cpu[0])), hex: false) + "\n")
            }
            return .resume
        }
    }

    /// Whether a syscall that returned -EINTR is restarted (pc back on the svc, r0 restored):
    /// always when no signal handler will run, else per the policy and the handler's SA_RESTART.
    func shouldRestart(_ policy: RestartPolicy) -> Bool {
        if policy == .never { return false }
        kernel.drainHostSignals()
        guard let sig = kernel.nextDeliverable() else { return true }
        let act = kernel.actions[Int(sig)]
        if act.handler <= ARMSigaction.SIG_IGN {
            // Ignored, or a default action: a fatal default ends the process before the restart
            // matters; an ignoring default lets the call go on.
            return true
        }
        return policy == .restartable && act.flags & ARMSigaction.SA_RESTART != 0
    }

    /// An OABI `svc #n` (n != 0) — the EABI uses `svc #0` and r7.
    private func isOABICall(_ cpu: CPUState) -> Bool {
        let at = cpu.pc &- 4
        guard memory.flags(ofPage: at) & AddressSpace.PageFlag.mapped != 0,
              memory.flags(ofPage: at) & (Protection.read.rawValue | Protection.exec.rawValue) != 0
        else { return false }
        let word = memory.host(at).loadUnaligned(as: UInt32.self)
        return word & 0x0F00_0000 == 0x0F00_0000 && word & 0x00FF_FFFF != 0
    }
}

// MARK: - Host syscalls

/// x86-64 host syscall numbers for calls that have no convenient libc wrapper.
enum HostSys {
    static let read = 0, write = 1, close = 3, poll = 7, lseek = 8, ioctl = 16, pread64 = 17
    static let pwrite64 = 18, readv = 19, writev = 20, sched_yield = 24, msync = 26, mincore = 27
    static let madvise = 28, dup = 32, getitimer = 36, setitimer = 38, getpid = 39
    static let sendfile = 40, socket = 41, connect = 42, sendto = 44, recvfrom = 45, sendmsg = 46
    static let recvmsg = 47, shutdown = 48, bind = 49, listen = 50, getsockname = 51
    static let getpeername = 52, socketpair = 53, setsockopt = 54, getsockopt = 55
    static let wait4 = 61, kill = 62, fcntl = 72, flock = 73, fsync = 74, fdatasync = 75
    static let truncate = 76, ftruncate = 77, getcwd = 79, chdir = 80, fchdir = 81, fchmod = 91
    static let fchown = 93, umask = 95, getrusage = 98, sysinfo = 99, times = 100, setpgid = 109
    static let getppid = 110, setsid = 112, getpgid = 121, getsid = 124, statfs = 137
    static let fstatfs = 138, getpriority = 140, setpriority = 141, sched_setparam = 142
    static let sched_getparam = 143, sched_setscheduler = 144, sched_getscheduler = 145
    static let sched_get_priority_max = 146, sched_get_priority_min = 147, prctl = 157
    static let sync = 162, gettid = 186, futex = 202, sched_setaffinity = 203
    static let sched_getaffinity = 204, getdents64 = 217, fadvise64 = 221, clock_gettime = 228
    static let clock_getres = 229, clock_nanosleep = 230, tgkill = 234, waitid = 247
    static let openat = 257, mkdirat = 258, mknodat = 259, fchownat = 260, newfstatat = 262
    static let unlinkat = 263, linkat = 265, symlinkat = 266, readlinkat = 267, fchmodat = 268
    static let faccessat = 269, pselect6 = 270, ppoll = 271, sync_file_range = 277
    static let utimensat = 280, fallocate = 285, accept4 = 288, eventfd2 = 290, dup3 = 292
    static let pipe2 = 293, preadv = 295, pwritev = 296, prlimit64 = 302, getcpu = 309
    static let renameat2 = 316, getrandom = 318, memfd_create = 319, copy_file_range = 326
    static let statx = 332, close_range = 436, faccessat2 = 439
    static let epoll_ctl = 233, epoll_pwait = 281, epoll_create1 = 291, inotify_init1 = 294
    static let inotify_add_watch = 254, inotify_rm_watch = 255
}

private typealias RawSyscallFunction = @convention(c) (Int, Int, Int, Int, Int, Int, Int) -> Int

/// libc's `syscall(2)`, which Swift cannot import (it is variadic). On x86-64 SysV integer
/// arguments are passed identically to variadic and fixed-argument functions, so calling it
/// through a fixed six-argument prototype is well defined in practice.
private let rawSyscallFunction: RawSyscallFunction = {
    guard let sym = dlsym(nil, "syscall") else { fatalError("isomorph: libc has no syscall()") }
    return unsafeBitCast(sym, to: RawSyscallFunction.self)
}()

/// A raw host syscall: the result, or -errno.
@discardableResult
func hostSyscall(_ n: Int, _ a0: Int = 0, _ a1: Int = 0, _ a2: Int = 0, _ a3: Int = 0,
                 _ a4: Int = 0, _ a5: Int = 0) -> Int {
    let r = rawSyscallFunction(n, a0, a1, a2, a3, a4, a5)
    return r == -1 ? -Int(errno) : r
}

extension UnsafeMutableRawPointer {
    var int: Int { Int(bitPattern: self) }
}

// MARK: - Guest memory helpers for handlers

extension LinuxProcess {
    /// A guest NUL-terminated string.
    func guestString(_ address: UInt32, limit: Int = 4096) throws -> [UInt8] {
        try memory.readCString(address, limit: limit)
    }

    /// A host pointer (as Int) for a guest buffer of `length` bytes, checked; 0 for a NULL address.
    func guestBuffer(_ address: UInt32, _ length: Int, write: Bool) throws -> Int {
        if address == 0 { return 0 }
        if length == 0 { return memory.host(address).int }
        if length > Int(UInt32.max) { throw MemoryFault(address: address, isWrite: write, isPermission: false) }
        return try memory.buffer(address, length: UInt32(length), write: write).int
    }

    func readU32(_ address: UInt32) throws -> UInt32 { try memory.read(address) }
    func writeU32(_ address: UInt32, _ v: UInt32) throws { try memory.write(address, v) }
    func readBytes(_ address: UInt32, _ n: Int) throws -> [UInt8] { try memory.readBytes(address, count: n) }
    func writeBytes(_ address: UInt32, _ bytes: [UInt8]) throws {
        if bytes.isEmpty { return }
        try memory.writeBytes(address, bytes)
    }

    /// A guest path as the host should see it: /proc/self/exe names the guest program, and an
    /// absolute path that exists inside the sysroot (`-L`) resolves there, as qemu-arm does.
    func hostPath(_ address: UInt32, redirect: Bool = true) throws -> [UInt8] {
        let p = try guestString(address)
        return redirect ? redirectPath(p) : p
    }

    func redirectPath(_ p: [UInt8]) -> [UInt8] {
        let s = String(decoding: p, as: UTF8.self)
        if !executablePath.isEmpty, s == "/proc/self/exe" || s == "/proc/\(getpid())/exe" {
            return Array(executablePath.utf8)
        }
        guard let root = options.sysroot, !root.isEmpty, p.first == UInt8(ascii: "/"), p.count > 1 else { return p }
        let candidate = Array(root.utf8) + p
        var st = [UInt8](repeating: 0, count: HostStat.size)
        let ok = (candidate + [0]).withUnsafeBytes { path in
            st.withUnsafeMutableBytes { buf in
                hostSyscall(HostSys.newfstatat, Int(AT_FDCWD), Int(bitPattern: path.baseAddress!),
                            Int(bitPattern: buf.baseAddress!), 0x100) == 0
            }
        }
        return ok ? candidate : p
    }
}

/// Runs `body` with a NUL-terminated copy of `bytes` as an Int pointer.
func withCString<R>(_ bytes: [UInt8], _ body: (Int) throws -> R) rethrows -> R {
    try (bytes + [0]).withUnsafeBytes { try body(Int(bitPattern: $0.baseAddress!)) }
}

/// Runs `body` with a zeroed host scratch buffer.
func withScratch<R>(_ count: Int, _ body: (UnsafeMutableRawPointer) throws -> R) rethrows -> R {
    let p = UnsafeMutableRawPointer.allocate(byteCount: max(count, 16), alignment: 16)
    p.initializeMemory(as: UInt8.self, repeating: 0, count: max(count, 16))
    defer { p.deallocate() }
    return try body(p)
}
