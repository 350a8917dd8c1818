#if canImport(Glibc)
import Glibc
#endif
import ARM
import Memory

// Process lifetime (exit, fork, clone, execve, wait), identity, limits, futexes, scheduling and
// the ARM private calls (set_tls, get_tls, breakpoint).

extension HostSys {
    static let uname = 63, getuid = 102, getgid = 104, geteuid = 107, getegid = 108
    static let getgroups = 115, getresuid = 118, getresgid = 120, setfsuid = 122, setfsgid = 123
    static let clone = 56
}

extension SyscallTable {
    func registerProcess() {
        add(0, "restart_syscall", []) { _, _ in -Errno.EINTR }
        addFull(ARMSyscall.exit, "exit", [.int]) { _, _, a in .outcome(.exit(Int32(a[0] & 0xff))) }
        addFull(ARMSyscall.exit_group, "exit_group", [.int]) { _, _, a in .outcome(.exit(Int32(a[0] & 0xff))) }
        addFull(2, "fork", []) { p, cpu, _ in .value(p.sysClone(&cpu, flags: 17, sp: 0, ptid: 0, tls: 0, ctid: 0)) }
        addFull(190, "vfork", []) { p, cpu, _ in .value(p.sysClone(&cpu, flags: 0x4000 | 0x100 | 17, sp: 0, ptid: 0, tls: 0, ctid: 0)) }
        addFull(120, "clone", [.cloneFlags, .hex, .ptr, .hex, .ptr]) { p, cpu, a in
            .value(p.sysClone(&cpu, flags: a[0], sp: a[1], ptid: a[2], tls: a[3], ctid: a[4]))
        }
        add(ARMSyscall.execve, "execve", [.path, .argv, .ptr]) { p, a in try p.sysExecve(a[0], a[1], a[2]) }
        add(114, "wait4", [.int, .ptr, .hex, .ptr]) { p, a in try p.sysWait4(a) }
        add(280, "waitid", [.int, .int, .ptr, .hex, .ptr]) { p, a in try p.sysWaitid(a) }
        add(20, "getpid", []) { _, _ in Int(getpid()) }
        add(64, "getppid", []) { _, _ in Int(getppid()) }
        add(224, "gettid", []) { _, _ in hostSyscall(HostSys.gettid) }
        add(24, "getuid", []) { _, _ in lowID(hostSyscall(HostSys.getuid)) }
        add(47, "getgid", []) { _, _ in lowID(hostSyscall(HostSys.getgid)) }
        add(49, "geteuid", []) { _, _ in lowID(hostSyscall(HostSys.geteuid)) }
        add(50, "getegid", []) { _, _ in lowID(hostSyscall(HostSys.getegid)) }
        add(199, "getuid32", []) { _, _ in hostSyscall(HostSys.getuid) }
        add(200, "getgid32", []) { _, _ in hostSyscall(HostSys.getgid) }
        add(201, "geteuid32", []) { _, _ in hostSyscall(HostSys.geteuid) }
        add(202, "getegid32", []) { _, _ in hostSyscall(HostSys.getegid) }
        add(23, "setuid", [.int]) { _, a in hostResult(setuid(uid_t(uid16(a[0]) & 0xffff_ffff))) }
        add(46, "setgid", [.int]) { _, a in hostResult(setgid(gid_t(uid16(a[0]) & 0xffff_ffff))) }
        add(213, "setuid32", [.int]) { _, a in hostResult(setuid(a[0])) }
        add(214, "setgid32", [.int]) { _, a in hostResult(setgid(a[0])) }
        add(203, "setreuid32", [.int, .int]) { _, a in hostResult(setreuid(a[0], a[1])) }
        add(204, "setregid32", [.int, .int]) { _, a in hostResult(setregid(a[0], a[1])) }
        add(208, "setresuid32", [.int, .int, .int]) { _, a in hostResult(libcSetresuid(a[0], a[1], a[2])) }
        add(210, "setresgid32", [.int, .int, .int]) { _, a in hostResult(libcSetresgid(a[0], a[1], a[2])) }
        add(209, "getresuid32", [.ptr, .ptr, .ptr]) { p, a in try p.sysGetres(HostSys.getresuid, a) }
        add(211, "getresgid32", [.ptr, .ptr, .ptr]) { p, a in try p.sysGetres(HostSys.getresgid, a) }
        add(215, "setfsuid32", [.int]) { _, a in hostSyscall(HostSys.setfsuid, a.u(0)) }
        add(216, "setfsgid32", [.int]) { _, a in hostSyscall(HostSys.setfsgid, a.u(0)) }
        add(205, "getgroups32", [.int, .ptr]) { p, a in
            guard a.int(0) >= 0 else { return -Errno.EINVAL }
            let buf = try p.guestBuffer(a[1], a.u(0) * 4, write: true)
            return hostSyscall(HostSys.getgroups, a.u(0), buf)
        }
        add(206, "setgroups32", [.int, .ptr]) { p, a in
            guard a.int(0) >= 0, a.int(0) <= 65536 else { return -Errno.EINVAL }
            let bytes = try p.readBytes(a[1], a.u(0) * 4)
            return bytes.withUnsafeBytes { hostResult(setgroups(a.u(0), $0.baseAddress?.assumingMemoryBound(to: gid_t.self))) }
        }
        add(57, "setpgid", [.int, .int]) { _, a in hostSyscall(HostSys.setpgid, a.sint(0), a.sint(1)) }
        add(65, "getpgrp", []) { _, _ in hostSyscall(HostSys.getpgid, 0) }
        add(66, "setsid", []) { _, _ in hostSyscall(HostSys.setsid) }
        add(132, "getpgid", [.int]) { _, a in hostSyscall(HostSys.getpgid, a.sint(0)) }
        add(147, "getsid", [.int]) { _, a in hostSyscall(HostSys.getsid, a.sint(0)) }
        add(96, "getpriority", [.int, .int]) { _, a in hostSyscall(HostSys.getpriority, a.sint(0), a.sint(1)) }
        add(97, "setpriority", [.int, .int, .int]) { _, a in hostSyscall(HostSys.setpriority, a.sint(0), a.sint(1), a.sint(2)) }
        add(34, "nice", [.int]) { _, a in
            let cur = hostSyscall(HostSys.getpriority, 0, 0)
            if cur < 0 { return cur }
            let nice = max(-20, min(19, 20 - cur + a.sint(0)))
            return hostSyscall(HostSys.setpriority, 0, 0, nice)
        }
        add(122, "uname", [.ptr]) { p, a in
            try withScratch(ARMUtsname.size) { h in
                let r = hostSyscall(HostSys.uname, h.int)
                if r < 0 { return r }
                var g = Bytes(h, count: ARMUtsname.size)
                var machine = Array(ARMUtsname.machine.utf8)
                machine += [UInt8](repeating: 0, count: ARMUtsname.field - machine.count)
                g.setBytes(4 * ARMUtsname.field, machine)
                try p.writeBytes(a[0], g.b)
                return 0
            }
        }
        add(136, "personality", [.hex]) { p, a in
            let old = p.kernel.personality
            if a[0] != 0xffff_ffff { p.kernel.personality = a[0] }
            return Int(old)
        }
        add(172, "prctl", [.int, .hex, .hex, .hex, .hex]) { p, a in try p.sysPrctl(a) }
        add(75, "setrlimit", [.int, .ptr]) { p, a in
            let cur = try p.readU32(a[1]), max = try p.readU32(a[1] &+ 4)
            func wide(_ v: UInt32) -> UInt64 { v == 0xffff_ffff ? UInt64.max : UInt64(v) }
            return p.setHostRlimit(a.sint(0), wide(cur), wide(max))
        }
        add(191, "ugetrlimit", [.int, .ptr]) { p, a in
            var lim = [UInt64](repeating: 0, count: 2)
            let r = lim.withUnsafeMutableBytes { hostSyscall(HostSys.prlimit64, 0, a.sint(0), 0, Int(bitPattern: $0.baseAddress!)) }
            if r < 0 { return r }
            func narrow(_ v: UInt64) -> UInt32 { v >= 0xffff_ffff ? 0xffff_ffff : UInt32(v) }
            try p.writeU32(a[1], narrow(lim[0])); try p.writeU32(a[1] &+ 4, narrow(lim[1]))
            return 0
        }
        add(369, "prlimit64", [.int, .int, .ptr, .ptr]) { p, a in
            let old = try p.guestBuffer(a[3], 16, write: true)
            if a[2] != 0 {
                let lim = Bytes(try p.readBytes(a[2], 16))
                if a.int(0) == 0 || a.int(0) == getpid() {
                    if old != 0 {
                        let r = hostSyscall(HostSys.prlimit64, 0, a.sint(1), 0, old)
                        if r < 0 { return r }
                    }
                    return p.setHostRlimit(a.sint(1), lim.u64(0), lim.u64(8))
                }
                return lim.b.withUnsafeBytes { hostSyscall(HostSys.prlimit64, a.sint(0), a.sint(1), Int(bitPattern: $0.baseAddress!), old) }
            }
            return hostSyscall(HostSys.prlimit64, a.sint(0), a.sint(1), 0, old)
        }
        add(384, "getrandom", [.ptr, .size, .hex]) { p, a in
            let buf = try p.guestBuffer(a[0], a.u(1), write: true)
            return hostSyscall(HostSys.getrandom, buf, a.u(1), a.u(2))
        }
        add(256, "set_tid_address", [.ptr]) { p, a in
            p.kernel.clearChildTid = a[0]
            return hostSyscall(HostSys.gettid)
        }
        add(338, "set_robust_list", [.ptr, .size]) { p, a in
            guard a[1] == 12 else { return -Errno.EINVAL }
            p.kernel.robustList = a[0]
            return 0
        }
        add(339, "get_robust_list", [.int, .ptr, .ptr]) { p, a in
            guard a[0] == 0 || a.sint(0) == hostSyscall(HostSys.gettid) else { return -Errno.EPERM }
            try p.writeU32(a[1], p.kernel.robustList); try p.writeU32(a[2], 12)
            return 0
        }
        add(240, "futex", [.ptr, .futexOp, .int, .ptr, .ptr, .int], restart: .unlessHandled) { p, a in try p.sysFutex(a, .timespec32) }
        add(422, "futex_time64", [.ptr, .futexOp, .int, .ptr, .ptr, .int], restart: .unlessHandled) { p, a in try p.sysFutex(a, .timespec64) }
        add(158, "sched_yield", []) { _, _ in hostSyscall(HostSys.sched_yield) }
        add(241, "sched_setaffinity", [.int, .size, .ptr]) { p, a in
            let buf = try p.guestBuffer(a[2], a.u(1), write: false)
            return hostSyscall(HostSys.sched_setaffinity, a.sint(0), a.u(1), buf)
        }
        add(242, "sched_getaffinity", [.int, .size, .ptr]) { p, a in
            let buf = try p.guestBuffer(a[2], a.u(1), write: true)
            // The host counts in 8-byte longs; hand out whole 4-byte words of the guest's buffer.
            let len = a.u(1) & ~7
            if len == 0 { return -Errno.EINVAL }
            return hostSyscall(HostSys.sched_getaffinity, a.sint(0), len, buf)
        }
        add(154, "sched_setparam", [.int, .ptr]) { p, a in
            hostSyscall(HostSys.sched_setparam, a.sint(0), try p.guestBuffer(a[1], 4, write: false))
        }
        add(155, "sched_getparam", [.int, .ptr]) { p, a in
            hostSyscall(HostSys.sched_getparam, a.sint(0), try p.guestBuffer(a[1], 4, write: true))
        }
        add(156, "sched_setscheduler", [.int, .int, .ptr]) { p, a in
            hostSyscall(HostSys.sched_setscheduler, a.sint(0), a.sint(1), try p.guestBuffer(a[2], 4, write: false))
        }
        add(157, "sched_getscheduler", [.int]) { _, a in hostSyscall(HostSys.sched_getscheduler, a.sint(0)) }
        add(159, "sched_get_priority_max", [.int]) { _, a in hostSyscall(HostSys.sched_get_priority_max, a.sint(0)) }
        add(160, "sched_get_priority_min", [.int]) { _, a in hostSyscall(HostSys.sched_get_priority_min, a.sint(0)) }
        add(345, "getcpu", [.ptr, .ptr, .ptr]) { p, a in
            hostSyscall(HostSys.getcpu, try p.guestBuffer(a[0], 4, write: true), try p.guestBuffer(a[1], 4, write: true), 0)
        }
        add(398, "rseq", [.ptr, .size, .hex, .hex]) { _, _ in -Errno.ENOSYS }
        add(389, "membarrier", [.int, .hex]) { _, _ in -Errno.ENOSYS }
        add(184, "capget", [.ptr, .ptr]) { _, _ in -Errno.ENOSYS }
        addFull(ARMSyscall.set_tls, "set_tls", [.hex]) { _, cpu, a in
            cpu.tpidruro = a[0]
            return .value(0)
        }
        addFull(ARMSyscall.get_tls, "get_tls", []) { _, cpu, _ in .value(Int(cpu.tpidruro)) }
        addFull(ARMSyscall.breakpoint, "breakpoint", []) { p, cpu, _ in
            let at = cpu.pc &- 4
            let o = p.raiseSynchronous(signal: SIGTRAP, code: 1 /* TRAP_BRKPT */, faultAddress: at,
                                       description: "at pc \(hex8(at)): breakpoint syscall", &cpu)
            return o == .resume ? .registersSet : .outcome(o)
        }
    }
}

private typealias SetresFunction = @convention(c) (UInt32, UInt32, UInt32) -> Int32
/// glibc's setresuid/setresgid (not exported to Swift without _GNU_SOURCE); the libc wrappers,
/// unlike the raw syscalls, apply the change to every thread of the process.
private let libcSetresuid: SetresFunction = unsafeBitCast(dlsym(nil, "setresuid")!, to: SetresFunction.self)
private let libcSetresgid: SetresFunction = unsafeBitCast(dlsym(nil, "setresgid")!, to: SetresFunction.self)

/// A 32-bit id as the 16-bit calls report it (the kernel's overflowuid for ids above 65535).
private func lowID(_ v: Int) -> Int { v < 0 ? v : (v > 0xffff ? 65534 : v) }

extension LinuxProcess {
    func setHostRlimit(_ resource: Int, _ cur: UInt64, _ max: UInt64) -> Int {
        // RLIMIT_AS (9) would also bound the translator's own 4 GiB guest reservation: accepted
        // without applying it.
        if resource == 9 { return cur > max ? -Errno.EINVAL : 0 }
        let lim = [cur, max]
        return lim.withUnsafeBytes { hostSyscall(HostSys.prlimit64, 0, resource, Int(bitPattern: $0.baseAddress!), 0) }
    }

    func sysGetres(_ call: Int, _ a: SyscallArgs) throws -> Int {
        var ids = [UInt32](repeating: 0, count: 3)
        let r = ids.withUnsafeMutableBytes { b in
            hostSyscall(call, Int(bitPattern: b.baseAddress!), Int(bitPattern: b.baseAddress! + 4), Int(bitPattern: b.baseAddress! + 8))
        }
        if r < 0 { return r }
        for i in 0..<3 { try writeU32(a[i], ids[i]) }
        return 0
    }

    func sysPrctl(_ a: SyscallArgs) throws -> Int {
        switch a[0] {
        case 15:   // PR_SET_NAME
            let name = Array(try guestString(a[1], limit: 16).prefix(15))
            return withCString(name) { hostSyscall(HostSys.prctl, 15, $0) }
        case 16:   // PR_GET_NAME
            return hostSyscall(HostSys.prctl, 16, try guestBuffer(a[1], 16, write: true))
        case 2, 37: // PR_GET_PDEATHSIG, PR_GET_CHILD_SUBREAPER: int *
            return hostSyscall(HostSys.prctl, a.u(0), try guestBuffer(a[1], 4, write: true))
        case 1, 3, 4, 7, 8, 29, 30, 36, 38, 39:
            return hostSyscall(HostSys.prctl, a.u(0), a.u(1), a.u(2), a.u(3), a.u(4))
        default:
            return -Errno.EINVAL
        }
    }

    func sysFutex(_ a: SyscallArgs, _ kind: TimeKind) throws -> Int {
        let uaddr = a[0], op = a[1], cmd = op & 0x7f
        guard uaddr & 3 == 0 else { return -Errno.EINVAL }
        let host = try guestBuffer(uaddr, 4, write: false)
        switch cmd {
        case 0, 9, 6, 13, 11:   // WAIT, WAIT_BITSET, LOCK_PI, LOCK_PI2, WAIT_REQUEUE_PI: arg 3 is a timeout
            let uaddr2 = cmd == 11 ? try guestBuffer(a[4], 4, write: false) : 0
            if var ts = try hostTimespec(a[3], kind) {
                return ts.withUnsafeMutableBytes {
                    hostSyscall(HostSys.futex, host, a.u(1), a.u(2), Int(bitPattern: $0.baseAddress!), uaddr2, a.u(5))
                }
            }
            return hostSyscall(HostSys.futex, host, a.u(1), a.u(2), 0, uaddr2, a.u(5))
        case 1, 10, 7, 8:       // WAKE, WAKE_BITSET, UNLOCK_PI, TRYLOCK_PI
            return hostSyscall(HostSys.futex, host, a.u(1), a.u(2), 0, 0, a.u(5))
        case 3, 4, 5, 12:       // REQUEUE, CMP_REQUEUE, WAKE_OP, CMP_REQUEUE_PI: arg 3 is val2
            let host2 = try guestBuffer(a[4], 4, write: false)
            return hostSyscall(HostSys.futex, host, a.u(1), a.u(2), a.u(3), host2, a.u(5))
        default:
            return -Errno.ENOSYS
        }
    }

    /// fork, vfork and clone without CLONE_VM (or with CLONE_VM|CLONE_VFORK, as posix_spawn
    /// uses it): all done as a host fork, the child getting a copy of the guest. Threads
    /// (CLONE_VM without CLONE_VFORK, or CLONE_THREAD) are not supported yet: -ENOSYS.
    func sysClone(_ cpu: inout CPUState, flags: UInt32, sp: UInt32, ptid: UInt32, tls: UInt32, ctid: UInt32) -> Int {
        let CLONE_VM: UInt32 = 0x100, CLONE_VFORK: UInt32 = 0x4000, CLONE_THREAD: UInt32 = 0x10000
        let CLONE_SETTLS: UInt32 = 0x80000, CLONE_PARENT_SETTID: UInt32 = 0x10_0000
        let CLONE_CHILD_CLEARTID: UInt32 = 0x20_0000, CLONE_CHILD_SETTID: UInt32 = 0x100_0000
        let unsupported: UInt32 = CLONE_THREAD | 0x200 /* FS */ | 0x400 /* FILES */ | 0x800 /* SIGHAND */
            | 0x2_0000 /* NEWNS */ | 0x4000_0000 /* NEWNET */ | 0x8000 /* PARENT */
        if flags & unsupported != 0 || (flags & CLONE_VM != 0 && flags & CLONE_VFORK == 0) {
            if options.strace { straceWrite("isomorph: clone flags 0x\(String(flags, radix: 16)): threads are not supported yet\n") }
            return -Errno.ENOSYS
        }
        let exitSignal = Int32(flags & 0xff)
        for hook in kernel.beforeFork { hook() }
        let pid: Int
        if exitSignal == SIGCHLD {
            pid = hostResult(fork())
        } else {
            pid = hostSyscall(HostSys.clone, Int(exitSignal), 0, 0, 0, 0)
        }
        if pid < 0 {
            for hook in kernel.afterForkParent { hook() }
            return pid
        }
        if pid == 0 {
            for hook in kernel.afterForkChild { hook() }
            let tid = UInt32(truncatingIfNeeded: hostSyscall(HostSys.gettid))
            if sp != 0 { cpu[13] = sp }
            if flags & CLONE_SETTLS != 0 { cpu.tpidruro = tls }
            if flags & CLONE_CHILD_SETTID != 0 { try? memory.write(ctid, tid) }
            if flags & CLONE_PARENT_SETTID != 0 { try? memory.write(ptid, tid) }
            kernel.clearChildTid = flags & CLONE_CHILD_CLEARTID != 0 ? ctid : 0
            kernel.pending = 0
            return 0
        }
        for hook in kernel.afterForkParent { hook() }
        if flags & CLONE_PARENT_SETTID != 0 { try? memory.write(ptid, UInt32(truncatingIfNeeded: pid)) }
        if flags & CLONE_VFORK != 0 {
            // The vfork parent is suspended until the child execs or exits; with a copied address
            // space the only visible difference is ordering, so wait for the child to leave the
            // shared image (it has its own copy): nothing to do.
        }
        return pid
    }

    func sysWait4(_ a: SyscallArgs) throws -> Int {
        var status: Int32 = 0
        return try withScratch(HostRusage.size) { ru in
            let r = withUnsafeMutableBytes(of: &status) {
                hostSyscall(HostSys.wait4, a.sint(0), Int(bitPattern: $0.baseAddress!), a.sint(2), a[3] != 0 ? ru.int : 0)
            }
            if r <= 0 { return r }
            if a[1] != 0 { try writeU32(a[1], UInt32(bitPattern: status)) }
            if a[3] != 0 { try writeBytes(a[3], ARMRusage.from(host: ru)) }
            return r
        }
    }

    func sysWaitid(_ a: SyscallArgs) throws -> Int {
        try withScratch(HostSiginfo.size) { info in
            try withScratch(HostRusage.size) { ru in
                let r = hostSyscall(HostSys.waitid, a.sint(0), a.sint(1), info.int, a.sint(3), a[4] != 0 ? ru.int : 0)
                if r < 0 { return r }
                if a[2] != 0 {
                    var g = ARMSiginfo.from(host: info)
                    if Bytes(info, count: 4).i32(0) == 0 { g = [UInt8](repeating: 0, count: ARMSiginfo.size) }
                    try writeBytes(a[2], g)
                }
                if a[4] != 0 { try writeBytes(a[4], ARMRusage.from(host: ru)) }
                return r
            }
        }
    }

    /// A NULL-terminated guest array of string pointers.
    func guestStringArray(_ address: UInt32) throws -> [[UInt8]] {
        var out: [[UInt8]] = []
        if address == 0 { return out }
        var a = address
        while true {
            let p = try readU32(a)
            if p == 0 { return out }
            out.append(try guestString(p, limit: 1 << 17))
            if out.count > 1 << 16 { throw MemoryFault(address: a, isWrite: false, isPermission: false) }
            a &+= 4
        }
    }

    enum ExecKind: Equatable { case arm, script(interpreter: [UInt8], argument: [UInt8]?), host, missing(Int) }

    /// What a host file is to execve: an ARM ELF, a `#!` script, or something the host runs.
    func execKind(_ hostPath: [UInt8]) -> ExecKind {
        let fd = withCString(hostPath) { hostSyscall(HostSys.openat, AT_FDCWD_GUEST, $0, Int(O_RDONLY | O_CLOEXEC)) }
        if fd < 0 { return .missing(fd) }
        defer { close(Int32(fd)) }
        var head = [UInt8](repeating: 0, count: 256)
        let n = head.withUnsafeMutableBytes { hostSyscall(HostSys.read, fd, Int(bitPattern: $0.baseAddress!), 256) }
        if n < 4 { return .host }
        if head[0] == 0x7f, head[1] == 0x45, head[2] == 0x4c, head[3] == 0x46, n >= 20 {
            let machine = UInt16(head[18]) | UInt16(head[19]) << 8
            return head[4] == 1 && machine == 40 ? .arm : .host
        }
        if head[0] == UInt8(ascii: "#"), head[1] == UInt8(ascii: "!") {
            var line = Array(head[2..<n])
            if let nl = line.firstIndex(of: UInt8(ascii: "\n")) { line = Array(line[..<nl]) }
            let isSpace: (UInt8) -> Bool = { $0 == 32 || $0 == 9 }
            let trimmed = Array(line.drop(while: isSpace).reversed().drop(while: isSpace).reversed())
            guard !trimmed.isEmpty else { return .host }
            let interp = Array(trimmed.prefix { !isSpace($0) })
            let rest = Array(trimmed.dropFirst(interp.count).drop(while: isSpace))
            return .script(interpreter: interp, argument: rest.isEmpty ? nil : rest)
        }
        return .host
    }

    /// execve. An ARM program (or a script whose interpreter is one) runs under a new Isomorph:
    ///
    ///     host argv = options.execPrefix + ["-0", guestArgv0, programHostPath] + guestArgv[1...]
    ///
    /// Contract for the CLI: `execPrefix` is the command that runs an ARM program with the same
    /// options, e.g. `["/abs/path/isomorph", "run", "-L", sysroot, …]`; the command must accept
    /// `-0 NAME` (the guest's argv[0]) followed by the program path and its arguments, and treat
    /// everything after the program path as guest arguments. A host (non-ARM) program is
    /// host-execve'd directly. envp passes through. The guest signal mask is handed on as the
    /// host mask (the new Isomorph reads it back at start).
    func sysExecve(_ pathAddress: UInt32, _ argvAddress: UInt32, _ envpAddress: UInt32) throws -> Int {
        let guestPath = try guestString(pathAddress)
        let argv = try guestStringArray(argvAddress)
        let envp = try guestStringArray(envpAddress)
        let hostPathBytes = redirectPath(guestPath)
        var program = hostPathBytes
        var hostArgv: [[UInt8]]
        switch execKind(hostPathBytes) {
        case .missing(let e):
            return e
        case .arm:
            guard !options.execPrefix.isEmpty else { return -Errno.ENOEXEC }
            hostArgv = options.execPrefix.map { Array($0.utf8) } + [Array("-0".utf8), argv.first ?? guestPath, hostPathBytes]
                + argv.dropFirst()
            program = Array(options.execPrefix[0].utf8)
        case .script(let interp, let arg):
            let interpHost = redirectPath(interp)
            if execKind(interpHost) == .arm {
                guard !options.execPrefix.isEmpty else { return -Errno.ENOEXEC }
                hostArgv = options.execPrefix.map { Array($0.utf8) } + [Array("-0".utf8), interp, interpHost]
                    + (arg.map { [$0] } ?? []) + [guestPath] + argv.dropFirst()
                program = Array(options.execPrefix[0].utf8)
            } else {
                hostArgv = argv
            }
        case .host:
            hostArgv = argv
        }
        // Check access the way the kernel would before replacing the image.
        let acc = withCString(hostPathBytes) { hostSyscall(HostSys.faccessat, AT_FDCWD_GUEST, $0, Int(X_OK)) }
        if acc < 0 { return acc }
        for hook in kernel.beforeExec { hook() }
        // The guest mask becomes the host mask across exec, as the kernel keeps it.
        var set = sigset_t(), old = sigset_t()
        sigemptyset(&set)
        for s in 1...64 where kernel.blocked & (1 << UInt64(s - 1)) != 0 && s != SIGKILL && s != SIGSTOP { sigaddset(&set, Int32(s)) }
        sigprocmask(SIG_SETMASK, &set, &old)
        let r = execv(program, hostArgv, envp)
        sigprocmask(SIG_SETMASK, &old, nil)
        return r
    }

    private func execv(_ program: [UInt8], _ argv: [[UInt8]], _ envp: [[UInt8]]) -> Int {
        func cArray(_ list: [[UInt8]]) -> [UnsafeMutablePointer<CChar>?] {
            list.map { bytes in
                let p = UnsafeMutablePointer<CChar>.allocate(capacity: bytes.count + 1)
                for (i, b) in bytes.enumerated() { p[i] = CChar(bitPattern: b) }
                p[bytes.count] = 0
                return p
            } + [nil]
        }
        let a = cArray(argv), e = cArray(envp)
        defer { for p in a { p?.deallocate() }; for p in e { p?.deallocate() } }
        let prog = String(decoding: program, as: UTF8.self)
        return hostResult(Glibc.execve(prog, a, e))
    }
}
