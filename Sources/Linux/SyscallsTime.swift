#if canImport(Glibc)
import Glibc
#endif
import ARM
import Memory

// Clocks, sleeps, timers and resource usage. The old calls use 32-bit time_t (struct timespec
// and timeval of two 32-bit longs); the *_time64 calls (403+, which glibc 2.34+ tries first)
// use struct __kernel_timespec (64-bit seconds, 64-bit nanoseconds field).

extension SyscallTable {
    func registerTime() {
        add(43, "times", [.ptr]) { p, a in
            try withScratch(32) { h in
                let r = hostSyscall(HostSys.times, h.int)
                if r < 0 { return r }
                if a[0] != 0 {
                    let hb = Bytes(h, count: 32)
                    var g = Bytes(count: 16)
                    for i in 0..<4 { g.set32(i * 4, UInt32(truncatingIfNeeded: hb.u64(i * 8))) }
                    try p.writeBytes(a[0], g.b)
                }
                return Int(Int32(truncatingIfNeeded: r))
            }
        }
        add(77, "getrusage", [.int, .ptr]) { p, a in
            try withScratch(HostRusage.size) { h in
                let r = hostSyscall(HostSys.getrusage, a.sint(0), h.int)
                if r < 0 { return r }
                try p.writeBytes(a[1], ARMRusage.from(host: h))
                return 0
            }
        }
        add(78, "gettimeofday", [.ptr, .ptr]) { p, a in
            var ts = timespec()
            clock_gettime(CLOCK_REALTIME, &ts)
            if a[0] != 0 {
                var g = Bytes(count: 8)
                g.setLong(0, Int64(ts.tv_sec)); g.setLong(4, Int64(ts.tv_nsec / 1000))
                try p.writeBytes(a[0], g.b)
            }
            if a[1] != 0 { try p.writeBytes(a[1], [UInt8](repeating: 0, count: 8)) }
            return 0
        }
        add(79, "settimeofday", [.ptr, .ptr]) { _, _ in -Errno.EPERM }
        add(104, "setitimer", [.int, .ptr, .ptr]) { p, a in try p.sysSetitimer(a) }
        add(105, "getitimer", [.int, .ptr]) { p, a in
            try withScratch(32) { h in
                let r = hostSyscall(HostSys.getitimer, a.sint(0), h.int)
                if r < 0 { return r }
                try p.writeBytes(a[1], itimerval32(h))
                return 0
            }
        }
        add(116, "sysinfo", [.ptr]) { p, a in
            try withScratch(HostSysinfo.size) { h in
                let r = hostSyscall(HostSys.sysinfo, h.int)
                if r < 0 { return r }
                try p.writeBytes(a[0], ARMSysinfo.from(host: h))
                return 0
            }
        }
        add(162, "nanosleep", [.ptr, .ptr], restart: .unlessHandled) { p, a in
            try p.sysClockNanosleep(clock: Int(CLOCK_MONOTONIC), flags: 0, a[0], a[1], .timespec32)
        }
        add(263, "clock_gettime", [.clock, .ptr]) { p, a in try p.sysClockGet(HostSys.clock_gettime, a, .timespec32) }
        add(264, "clock_getres", [.clock, .ptr]) { p, a in try p.sysClockGet(HostSys.clock_getres, a, .timespec32) }
        add(265, "clock_nanosleep", [.clock, .hex, .ptr, .ptr], restart: .unlessHandled) { p, a in
            try p.sysClockNanosleep(clock: a.sint(0), flags: a.sint(1), a[2], a[3], .timespec32)
        }
        add(403, "clock_gettime64", [.clock, .ptr]) { p, a in try p.sysClockGet(HostSys.clock_gettime, a, .timespec64) }
        add(406, "clock_getres_time64", [.clock, .ptr]) { p, a in try p.sysClockGet(HostSys.clock_getres, a, .timespec64) }
        add(407, "clock_nanosleep_time64", [.clock, .hex, .ptr, .ptr], restart: .unlessHandled) { p, a in
            try p.sysClockNanosleep(clock: a.sint(0), flags: a.sint(1), a[2], a[3], .timespec64)
        }
        add(262, "clock_settime", [.clock, .ptr]) { _, _ in -Errno.EPERM }
        add(404, "clock_settime64", [.clock, .ptr]) { _, _ in -Errno.EPERM }
    }
}

/// A host struct itimerval (four 8-byte longs) as the guest's (four 32-bit longs).
private func itimerval32(_ h: UnsafeRawPointer) -> [UInt8] {
    let hb = Bytes(h, count: 32)
    var g = Bytes(count: 16)
    for i in 0..<4 { g.setLong(i * 4, hb.i64(i * 8)) }
    return g.b
}

extension LinuxProcess {
    func sysClockGet(_ call: Int, _ a: SyscallArgs, _ kind: TimeKind) throws -> Int {
        var ts = [UInt8](repeating: 0, count: 16)
        let r = ts.withUnsafeMutableBytes { hostSyscall(call, a.sint(0), Int(bitPattern: $0.baseAddress!)) }
        if r < 0 { return r }
        if a[1] != 0 { try writeTimespec(a[1], ts, kind) }
        return 0
    }

    func sysClockNanosleep(clock: Int, flags: Int, _ req: UInt32, _ rem: UInt32, _ kind: TimeKind) throws -> Int {
        guard var ts = try hostTimespec(req, kind) else { return -Errno.EFAULT }
        let h = Bytes(ts)
        if h.i64(8) < 0 || h.i64(8) >= 1_000_000_000 || h.i64(0) < 0 { return -Errno.EINVAL }
        var left = [UInt8](repeating: 0, count: 16)
        let r = ts.withUnsafeMutableBytes { t in
            left.withUnsafeMutableBytes { l in
                hostSyscall(HostSys.clock_nanosleep, clock, flags, Int(bitPattern: t.baseAddress!), Int(bitPattern: l.baseAddress!))
            }
        }
        if r == -Errno.EINTR, rem != 0, flags & 1 == 0 { try writeTimespec(rem, left, kind) }
        return r
    }

    func sysSetitimer(_ a: SyscallArgs) throws -> Int {
        var newValue = Bytes(count: 32)
        if a[1] != 0 {
            let g = Bytes(try readBytes(a[1], 16))
            for i in 0..<4 { newValue.seti64(i * 8, Int64(g.i32(i * 4))) }
        }
        return try withScratch(32) { old in
            let r = newValue.b.withUnsafeBytes { hostSyscall(HostSys.setitimer, a.sint(0), Int(bitPattern: $0.baseAddress!), old.int) }
            if r < 0 { return r }
            if a[2] != 0 { try writeBytes(a[2], itimerval32(old)) }
            return 0
        }
    }
}
