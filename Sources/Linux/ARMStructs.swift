// Every structure the syscall layer passes between the 32-bit ARM EABI guest and the x86-64
// host, in one place: the guest layout (field offsets from the kernel's arch/arm headers, with
// EABI alignment: 64-bit fields are 8-byte aligned) and, where the host's differs, the host
// layout (x86-64 kernel ABI). Conversions are explicit byte copies, never struct punning.

/// Little-endian field access in a byte array (a guest or host structure image).
struct Bytes {
    var b: [UInt8]
    init(count: Int) { b = [UInt8](repeating: 0, count: count) }
    init(_ bytes: [UInt8]) { b = bytes }
    init(_ p: UnsafeRawPointer, count: Int) { b = Array(UnsafeRawBufferPointer(start: p, count: count)) }

    func u8(_ o: Int) -> UInt8 { b[o] }
    func u16(_ o: Int) -> UInt16 { UInt16(b[o]) | UInt16(b[o + 1]) << 8 }
    func u32(_ o: Int) -> UInt32 {
        UInt32(b[o]) | UInt32(b[o + 1]) << 8 | UInt32(b[o + 2]) << 16 | UInt32(b[o + 3]) << 24
    }
    func u64(_ o: Int) -> UInt64 { UInt64(u32(o)) | UInt64(u32(o + 4)) << 32 }
    func i32(_ o: Int) -> Int32 { Int32(bitPattern: u32(o)) }
    func i64(_ o: Int) -> Int64 { Int64(bitPattern: u64(o)) }

    mutating func set8(_ o: Int, _ v: UInt8) { b[o] = v }
    mutating func set16(_ o: Int, _ v: UInt16) { b[o] = UInt8(v & 0xff); b[o + 1] = UInt8(v >> 8) }
    mutating func set32(_ o: Int, _ v: UInt32) {
        b[o] = UInt8(v & 0xff); b[o + 1] = UInt8(v >> 8 & 0xff)
        b[o + 2] = UInt8(v >> 16 & 0xff); b[o + 3] = UInt8(v >> 24)
    }
    mutating func set64(_ o: Int, _ v: UInt64) { set32(o, UInt32(truncatingIfNeeded: v)); set32(o + 4, UInt32(v >> 32)) }
    mutating func seti32(_ o: Int, _ v: Int32) { set32(o, UInt32(bitPattern: v)) }
    mutating func seti64(_ o: Int, _ v: Int64) { set64(o, UInt64(bitPattern: v)) }
    /// Stores the low 32 bits of a host value (a 32-bit `long` field).
    mutating func setLong(_ o: Int, _ v: Int64) { set32(o, UInt32(truncatingIfNeeded: v)) }
    mutating func setBytes(_ o: Int, _ bytes: [UInt8]) { b.replaceSubrange(o..<(o + bytes.count), with: bytes) }
}

// MARK: - Host (x86-64) layouts

enum HostStat {
    // struct stat (asm/stat.h, x86-64)
    static let size = 144
    static let dev = 0, ino = 8, nlink = 16, mode = 24, uid = 28, gid = 32, rdev = 40, size_ = 48
    static let blksize = 56, blocks = 64, atime = 72, atimeNsec = 80, mtime = 88, mtimeNsec = 96
    static let ctime = 104, ctimeNsec = 112
}

enum HostStatfs {
    // struct statfs (x86-64): every field 8 bytes except f_fsid (2 x int).
    static let size = 120
    static let type = 0, bsize = 8, blocks = 16, bfree = 24, bavail = 32, files = 40, ffree = 48
    static let fsid = 56, namelen = 64, frsize = 72, flags = 80
}

enum HostFlock {
    // struct flock (x86-64): short l_type, short l_whence, off_t l_start, off_t l_len, pid_t l_pid
    static let size = 32
    static let type = 0, whence = 2, start = 8, len = 16, pid = 24
}

enum HostSiginfo {
    static let size = 128
    static let signo = 0, errno = 4, code = 8, pid = 16, uid = 20, status = 24, utime = 32, stime = 40
    static let addr = 16
}

enum HostRusage {
    static let size = 144   // two 16-byte timevals then 14 longs
}

enum HostSysinfo {
    static let size = 112
}

enum HostMsghdr {
    static let size = 56
    static let name = 0, namelen = 8, iov = 16, iovlen = 24, control = 32, controllen = 40, flags = 48
}

// MARK: - ARM EABI layouts

/// struct stat64 (arch/arm/include/uapi/asm/stat.h), 104 bytes with glibc-2.1 era padding.
enum ARMStat64 {
    static let size = 104
    static let dev = 0, shortIno = 12, mode = 16, nlink = 20, uid = 24, gid = 28, rdev = 32
    static let size_ = 48, blksize = 56, blocks = 64, atime = 72, atimeNsec = 76, mtime = 80
    static let mtimeNsec = 84, ctime = 88, ctimeNsec = 92, ino = 96

    /// The guest image of a host `struct stat`.
    static func from(host p: UnsafeRawPointer) -> [UInt8] {
        let h = Bytes(p, count: HostStat.size)
        var g = Bytes(count: size)
        g.set64(dev, h.u64(HostStat.dev))
        g.set32(shortIno, UInt32(truncatingIfNeeded: h.u64(HostStat.ino)))
        g.set32(mode, h.u32(HostStat.mode))
        g.set32(nlink, UInt32(truncatingIfNeeded: h.u64(HostStat.nlink)))
        g.set32(uid, h.u32(HostStat.uid))
        g.set32(gid, h.u32(HostStat.gid))
        g.set64(rdev, h.u64(HostStat.rdev))
        g.set64(size_, h.u64(HostStat.size_))
        g.set32(blksize, UInt32(truncatingIfNeeded: h.u64(HostStat.blksize)))
        g.set64(blocks, h.u64(HostStat.blocks))
        g.setLong(atime, h.i64(HostStat.atime)); g.setLong(atimeNsec, h.i64(HostStat.atimeNsec))
        g.setLong(mtime, h.i64(HostStat.mtime)); g.setLong(mtimeNsec, h.i64(HostStat.mtimeNsec))
        g.setLong(ctime, h.i64(HostStat.ctime)); g.setLong(ctimeNsec, h.i64(HostStat.ctimeNsec))
        g.set64(ino, h.u64(HostStat.ino))
        return g.b
    }
}

/// struct statfs64 on ARM EABI: packed to 84 bytes (ARCH_PACK_STATFS64); glibc passes 88.
enum ARMStatfs64 {
    static let size = 84
    static func from(host p: UnsafeRawPointer) -> [UInt8] {
        let h = Bytes(p, count: HostStatfs.size)
        var g = Bytes(count: size)
        g.set32(0, UInt32(truncatingIfNeeded: h.u64(HostStatfs.type)))
        g.set32(4, UInt32(truncatingIfNeeded: h.u64(HostStatfs.bsize)))
        g.set64(8, h.u64(HostStatfs.blocks)); g.set64(16, h.u64(HostStatfs.bfree))
        g.set64(24, h.u64(HostStatfs.bavail)); g.set64(32, h.u64(HostStatfs.files))
        g.set64(40, h.u64(HostStatfs.ffree)); g.set64(48, h.u64(HostStatfs.fsid))
        g.set32(56, UInt32(truncatingIfNeeded: h.u64(HostStatfs.namelen)))
        g.set32(60, UInt32(truncatingIfNeeded: h.u64(HostStatfs.frsize)))
        g.set32(64, UInt32(truncatingIfNeeded: h.u64(HostStatfs.flags)))
        return g.b
    }
}

/// struct statfs (32-bit longs), 64 bytes.
enum ARMStatfs {
    static let size = 64
    static func from(host p: UnsafeRawPointer) -> [UInt8] {
        let h = Bytes(p, count: HostStatfs.size)
        var g = Bytes(count: size)
        for (i, o) in [HostStatfs.type, HostStatfs.bsize, HostStatfs.blocks, HostStatfs.bfree,
                       HostStatfs.bavail, HostStatfs.files, HostStatfs.ffree].enumerated() {
            g.set32(i * 4, UInt32(truncatingIfNeeded: h.u64(o)))
        }
        g.set64(28, h.u64(HostStatfs.fsid))
        g.set32(36, UInt32(truncatingIfNeeded: h.u64(HostStatfs.namelen)))
        g.set32(40, UInt32(truncatingIfNeeded: h.u64(HostStatfs.frsize)))
        g.set32(44, UInt32(truncatingIfNeeded: h.u64(HostStatfs.flags)))
        return g.b
    }
}

/// struct timespec with 32-bit time_t (old syscalls) and __kernel_timespec (the *_time64 calls).
enum ARMTimespec {
    static let size32 = 8, size64 = 16
    /// Host struct timespec (16 bytes: i64 sec, i64 nsec).
    static func host(sec: Int64, nsec: Int64) -> [UInt8] {
        var h = Bytes(count: 16); h.seti64(0, sec); h.seti64(8, nsec); return h.b
    }
}

/// struct flock (32-bit off_t, 16 bytes) and struct flock64 (EABI: 32 bytes, l_start at 8).
enum ARMFlock {
    static let size32 = 16, size64 = 32
    static func toHost(_ g: [UInt8], is64: Bool) -> [UInt8] {
        let s = Bytes(g)
        var h = Bytes(count: HostFlock.size)
        h.set16(HostFlock.type, s.u16(0)); h.set16(HostFlock.whence, s.u16(2))
        if is64 {
            h.seti64(HostFlock.start, s.i64(8)); h.seti64(HostFlock.len, s.i64(16))
            h.seti32(HostFlock.pid, s.i32(24))
        } else {
            h.seti64(HostFlock.start, Int64(s.i32(4))); h.seti64(HostFlock.len, Int64(s.i32(8)))
            h.seti32(HostFlock.pid, s.i32(12))
        }
        return h.b
    }
    static func fromHost(_ hb: [UInt8], is64: Bool) -> [UInt8] {
        let h = Bytes(hb)
        var g = Bytes(count: is64 ? size64 : size32)
        g.set16(0, h.u16(HostFlock.type)); g.set16(2, h.u16(HostFlock.whence))
        if is64 {
            g.seti64(8, h.i64(HostFlock.start)); g.seti64(16, h.i64(HostFlock.len))
            g.seti32(24, h.i32(HostFlock.pid))
        } else {
            g.setLong(4, h.i64(HostFlock.start)); g.setLong(8, h.i64(HostFlock.len))
            g.seti32(12, h.i32(HostFlock.pid))
        }
        return g.b
    }
}

/// struct rusage with 32-bit longs: two timevals (8 bytes each) and 14 longs, 72 bytes.
enum ARMRusage {
    static let size = 72
    static func from(host p: UnsafeRawPointer) -> [UInt8] {
        let h = Bytes(p, count: HostRusage.size)
        var g = Bytes(count: size)
        for i in 0..<18 { g.set32(i * 4, UInt32(truncatingIfNeeded: h.u64(i * 8))) }
        return g.b
    }
}

/// struct sysinfo with 32-bit longs, 64 bytes. Memory sizes are rescaled through mem_unit when
/// they don't fit in 32 bits, as the kernel's compat path does.
enum ARMSysinfo {
    static let size = 64
    static func from(host p: UnsafeRawPointer) -> [UInt8] {
        let h = Bytes(p, count: HostSysinfo.size)
        var g = Bytes(count: size)
        g.set32(0, UInt32(truncatingIfNeeded: h.u64(0)))
        for i in 0..<3 { g.set32(4 + i * 4, UInt32(truncatingIfNeeded: h.u64(8 + i * 8))) }
        var mem = [h.u64(32), h.u64(40), h.u64(48), h.u64(56), h.u64(64), h.u64(72), h.u64(88), h.u64(96)]
        var unit = UInt64(h.u32(104))
        while mem.contains(where: { $0 > UInt64(UInt32.max) }) {
            mem = mem.map { $0 >> 1 }
            unit <<= 1
        }
        for i in 0..<6 { g.set32(16 + i * 4, UInt32(mem[i])) }
        g.set16(40, h.u16(80))
        g.set32(44, UInt32(mem[6])); g.set32(48, UInt32(mem[7]))
        g.set32(52, UInt32(truncatingIfNeeded: unit))
        return g.b
    }
}

/// The kernel's struct sigaction for rt_sigaction on ARM: handler, flags, restorer, 8-byte mask.
struct ARMSigaction: Equatable {
    static let size = 20
    var handler: UInt32 = 0
    var flags: UInt32 = 0
    var restorer: UInt32 = 0
    var mask: UInt64 = 0

    init() {}
    init(_ b: [UInt8]) {
        let s = Bytes(b)
        handler = s.u32(0); flags = s.u32(4); restorer = s.u32(8); mask = s.u64(12)
    }
    var bytes: [UInt8] {
        var g = Bytes(count: ARMSigaction.size)
        g.set32(0, handler); g.set32(4, flags); g.set32(8, restorer); g.set64(12, mask)
        return g.b
    }
    static let SIG_DFL: UInt32 = 0, SIG_IGN: UInt32 = 1
    static let SA_NOCLDSTOP: UInt32 = 1, SA_NOCLDWAIT: UInt32 = 2, SA_SIGINFO: UInt32 = 4
    static let SA_RESTORER: UInt32 = 0x0400_0000, SA_ONSTACK: UInt32 = 0x0800_0000
    static let SA_RESTART: UInt32 = 0x1000_0000, SA_NODEFER: UInt32 = 0x4000_0000
    static let SA_RESETHAND: UInt32 = 0x8000_0000
}

/// stack_t: ss_sp, ss_flags, ss_size (12 bytes).
enum ARMStack {
    static let size = 12
    static let SS_ONSTACK: UInt32 = 1, SS_DISABLE: UInt32 = 2
}

/// siginfo_t on 32-bit ARM: 128 bytes; the union starts at offset 12.
enum ARMSiginfo {
    static let size = 128
    static let signo = 0, errno = 4, code = 8
    static let pid = 12, uid = 16, status = 20, utime = 24, stime = 28   // _kill / _sigchld
    static let addr = 12                                                   // _sigfault
    static let SI_USER: Int32 = 0, SI_KERNEL: Int32 = 0x80, SI_TKILL: Int32 = -6
    static let SI_QUEUE: Int32 = -1

    static func make(signo s: Int32, code c: Int32, pid p: Int32 = 0, uid u: UInt32 = 0) -> [UInt8] {
        var g = Bytes(count: size)
        g.seti32(signo, s); g.seti32(code, c); g.seti32(pid, p); g.set32(uid, u)
        return g.b
    }
    static func fault(signo s: Int32, code c: Int32, address: UInt32) -> [UInt8] {
        var g = Bytes(count: size)
        g.seti32(signo, s); g.seti32(code, c); g.set32(addr, address)
        return g.b
    }
    /// The guest image of a host siginfo for the _kill and _sigchld shapes.
    static func from(host p: UnsafeRawPointer) -> [UInt8] {
        let h = Bytes(p, count: HostSiginfo.size)
        var g = Bytes(count: size)
        let sig = h.i32(HostSiginfo.signo)
        g.seti32(signo, sig); g.seti32(errno, h.i32(HostSiginfo.errno)); g.seti32(code, h.i32(HostSiginfo.code))
        g.seti32(pid, h.i32(HostSiginfo.pid)); g.set32(uid, h.u32(HostSiginfo.uid))
        if sig == 17 /* SIGCHLD */ {
            g.seti32(status, h.i32(HostSiginfo.status))
            g.setLong(utime, h.i64(HostSiginfo.utime)); g.setLong(stime, h.i64(HostSiginfo.stime))
        } else {
            g.set32(status, h.u32(HostSiginfo.status))   // sigval of a queued signal
        }
        return g.b
    }
}

/// The signal frames the ARM kernel builds (arch/arm/kernel/signal.c):
///
///     struct sigframe    { struct ucontext uc; unsigned long retcode[4]; }        760 bytes
///     struct rt_sigframe { struct siginfo info; struct sigframe sig; }             888 bytes
///     struct ucontext    { uc_flags; uc_link; stack_t uc_stack; struct sigcontext uc_mcontext;
///                          sigset_t uc_sigmask; int __unused[30];
///                          unsigned long uc_regspace[128] __aligned(8); }            744 bytes
///     struct sigcontext  { trap_no, error_code, oldmask, r0..r10, fp, ip, sp, lr, pc, cpsr,
///                          fault_address }                                           84 bytes
enum ARMSignalFrame {
    static let ucontextSize = 744
    static let sigframeSize = 760            // ucontext + retcode[4]
    static let rtSigframeSize = 888          // siginfo + sigframe
    /// Offsets inside struct ucontext.
    static let ucFlags = 0, ucLink = 4, ucStack = 8, ucMcontext = 20, ucSigmask = 104, ucRegspace = 232
    /// Offsets inside struct sigcontext.
    static let scTrapNo = 0, scErrorCode = 4, scOldmask = 8, scR0 = 12, scSP = 64, scLR = 68
    static let scPC = 72, scCPSR = 76, scFaultAddress = 80
    static let retcode = ucontextSize        // inside struct sigframe
    /// Offsets of the sigframe inside the rt_sigframe.
    static let rtInfo = 0, rtSig = 128
    /// uc_flags of a non-rt frame (setup_frame): the kernel's magic value.
    static let sigframeMagic: UInt32 = 0x5ac3_c35a
}

/// struct linux_dirent (old getdents): d_ino, d_off (32-bit), d_reclen, d_name[], pad, d_type.
enum ARMDirent {
    static func record(ino: UInt64, off: Int64, type: UInt8, name: [UInt8]) -> [UInt8] {
        let reclen = (10 + name.count + 2 + 3) & ~3
        var g = Bytes(count: reclen)
        g.set32(0, UInt32(truncatingIfNeeded: ino)); g.set32(4, UInt32(truncatingIfNeeded: off))
        g.set16(8, UInt16(reclen)); g.setBytes(10, name); g.set8(reclen - 1, type)
        return g.b
    }
}

/// struct msghdr on ARM: name, namelen, iov, iovlen, control, controllen, flags (28 bytes).
enum ARMMsghdr {
    static let size = 28
    static let name = 0, namelen = 4, iov = 8, iovlen = 12, control = 16, controllen = 20, flags = 24
}

/// struct epoll_event: ARM EABI is not packed (16 bytes, data at 8); x86-64 is packed (12).
enum ARMEpollEvent {
    static let size = 16, hostSize = 12
}

/// struct new_utsname: six 65-byte strings.
enum ARMUtsname {
    static let size = 390, field = 65
    static let machine = "armv7l"
}

/// Open flags that differ between ARM and x86-64 (asm/fcntl.h of each).
enum OpenFlags {
    static let armDirectory: UInt32 = 0x4000, armNofollow: UInt32 = 0x8000
    static let armDirect: UInt32 = 0x10000, armLargefile: UInt32 = 0x20000
    static let hostDirectory: UInt32 = 0x10000, hostNofollow: UInt32 = 0x20000
    static let hostDirect: UInt32 = 0x4000, hostLargefile: UInt32 = 0x8000
    static let differing: UInt32 = 0x4000 | 0x8000 | 0x10000 | 0x20000

    static func toHost(_ g: UInt32) -> Int32 {
        var h = g & ~differing
        if g & armDirectory != 0 { h |= hostDirectory }
        if g & armNofollow != 0 { h |= hostNofollow }
        if g & armDirect != 0 { h |= hostDirect }
        if g & armLargefile != 0 { h |= hostLargefile }
        return Int32(bitPattern: h)
    }
    static func toGuest(_ hs: Int) -> UInt32 {
        let h = UInt32(truncatingIfNeeded: hs)
        var g = h & ~differing
        if h & hostDirectory != 0 { g |= armDirectory }
        if h & hostNofollow != 0 { g |= armNofollow }
        if h & hostDirect != 0 { g |= armDirect }
        if h & hostLargefile != 0 { g |= armLargefile }
        return g
    }
}
