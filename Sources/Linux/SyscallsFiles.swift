#if canImport(Glibc)
import Glibc
#endif
import ARM
import Memory

// File, directory and descriptor syscalls. Guest file descriptors are host descriptors.

let AT_FDCWD_GUEST: Int = -100

extension SyscallTable {
    func registerFiles() {
        add(3, "read", [.fd, .ptr, .size]) { p, a in try p.sysRead(a) }
        add(4, "write", [.fd, .inBuf, .size]) { p, a in try p.sysWrite(a) }
        add(5, "open", [.path, .openFlags, .octal]) { p, a in try p.sysOpenat(AT_FDCWD_GUEST, a[0], a[1], a[2]) }
        add(6, "close", [.fd]) { _, a in hostSyscall(HostSys.close, a.sint(0)) }
        add(8, "creat", [.path, .octal]) { p, a in
            try p.sysOpenat(AT_FDCWD_GUEST, a[0], UInt32(O_CREAT | O_WRONLY | O_TRUNC), a[1])
        }
        add(9, "link", [.path, .path]) { p, a in
            try p.pathPair(a[0], a[1]) { hostSyscall(HostSys.linkat, AT_FDCWD_GUEST, $0, AT_FDCWD_GUEST, $1, 0) }
        }
        add(10, "unlink", [.path]) { p, a in try p.atPath(AT_FDCWD_GUEST, a[0], redirect: false) { d, s in hostSyscall(HostSys.unlinkat, d, s, 0) } }
        add(12, "chdir", [.path]) { p, a in try p.atPath(AT_FDCWD_GUEST, a[0]) { _, s in hostSyscall(HostSys.chdir, s) } }
        add(14, "mknod", [.path, .octal, .hex]) { p, a in
            try p.atPath(AT_FDCWD_GUEST, a[0], redirect: false) { d, s in hostSyscall(HostSys.mknodat, d, s, a.u(1), a.u(2)) }
        }
        add(15, "chmod", [.path, .octal]) { p, a in try p.atPath(AT_FDCWD_GUEST, a[0]) { d, s in hostSyscall(HostSys.fchmodat, d, s, a.u(1)) } }
        add(16, "lchown", [.path, .int, .int]) { p, a in
            try p.atPath(AT_FDCWD_GUEST, a[0]) { d, s in
                hostSyscall(HostSys.fchownat, d, s, uid16(a[1]), uid16(a[2]), 0x100)
            }
        }
        add(19, "lseek", [.fd, .int, .whence]) { _, a in
            let r = hostSyscall(HostSys.lseek, a.sint(0), a.sint(1), a.sint(2))
            return r > Int(Int32.max) ? -Errno.EOVERFLOW : r
        }
        add(33, "access", [.path, .octal]) { p, a in try p.atPath(AT_FDCWD_GUEST, a[0]) { d, s in hostSyscall(HostSys.faccessat, d, s, a.u(1)) } }
        add(36, "sync", []) { _, _ in hostSyscall(HostSys.sync) }
        add(38, "rename", [.path, .path]) { p, a in
            try p.pathPair(a[0], a[1]) { hostSyscall(HostSys.renameat2, AT_FDCWD_GUEST, $0, AT_FDCWD_GUEST, $1, 0) }
        }
        add(39, "mkdir", [.path, .octal]) { p, a in try p.atPath(AT_FDCWD_GUEST, a[0], redirect: false) { d, s in hostSyscall(HostSys.mkdirat, d, s, a.u(1)) } }
        add(40, "rmdir", [.path]) { p, a in try p.atPath(AT_FDCWD_GUEST, a[0], redirect: false) { d, s in hostSyscall(HostSys.unlinkat, d, s, 0x200) } }
        add(41, "dup", [.fd]) { _, a in hostSyscall(HostSys.dup, a.sint(0)) }
        add(42, "pipe", [.ptr]) { p, a in try p.sysPipe(a[0], 0) }
        add(54, "ioctl", [.fd, .ioctlReq, .hex]) { p, a in try p.sysIoctl(a) }
        add(55, "fcntl", [.fd, .fcntlCmd, .hex]) { p, a in try p.sysFcntl(a, is64: false) }
        add(60, "umask", [.octal]) { _, a in hostSyscall(HostSys.umask, a.u(0) & 0o777) }
        add(63, "dup2", [.fd, .fd]) { _, a in
            if a[0] == a[1] { return hostSyscall(HostSys.fcntl, a.sint(0), Int(F_GETFD)) < 0 ? -Errno.EBADF : a.sint(1) }
            return hostSyscall(HostSys.dup3, a.sint(0), a.sint(1), 0)
        }
        add(83, "symlink", [.string, .path]) { p, a in
            let target = try p.guestString(a[0])
            return try p.atPath(AT_FDCWD_GUEST, a[1], redirect: false) { d, s in
                withCString(target) { hostSyscall(HostSys.symlinkat, $0, d, s) }
            }
        }
        add(85, "readlink", [.path, .ptr, .size]) { p, a in try p.sysReadlinkat(AT_FDCWD_GUEST, a[0], a[1], a[2]) }
        add(92, "truncate", [.path, .int]) { p, a in try p.atPath(AT_FDCWD_GUEST, a[0]) { _, s in hostSyscall(HostSys.truncate, s, a.sint(1)) } }
        add(93, "ftruncate", [.fd, .int]) { _, a in hostSyscall(HostSys.ftruncate, a.sint(0), a.sint(1)) }
        add(94, "fchmod", [.fd, .octal]) { _, a in hostSyscall(HostSys.fchmod, a.sint(0), a.u(1)) }
        add(95, "fchown", [.fd, .int, .int]) { _, a in hostSyscall(HostSys.fchown, a.sint(0), uid16(a[1]), uid16(a[2])) }
        add(99, "statfs", [.path, .ptr]) { p, a in try p.sysStatfs(path: a[0], fd: nil, a[1], is64: false) }
        add(100, "fstatfs", [.fd, .ptr]) { p, a in try p.sysStatfs(path: nil, fd: a.sint(0), a[1], is64: false) }
        add(118, "fsync", [.fd]) { _, a in hostSyscall(HostSys.fsync, a.sint(0)) }
        add(133, "fchdir", [.fd]) { _, a in hostSyscall(HostSys.fchdir, a.sint(0)) }
        add(140, "_llseek", [.fd, .hex, .hex, .ptr, .whence]) { p, a in
            let off = Int64(bitPattern: UInt64(a[1]) << 32 | UInt64(a[2]))
            let r = hostSyscall(HostSys.lseek, a.sint(0), Int(off), a.sint(4))
            if r < 0 { return r }
            try p.memory.write(a[3], UInt64(r))
            return 0
        }
        add(141, "getdents", [.fd, .ptr, .size]) { p, a in try p.sysGetdents(a) }
        add(142, "_newselect", [.int, .ptr, .ptr, .ptr, .ptr], restart: .unlessHandled) { p, a in
            try p.sysSelect(nfds: a.sint(0), a[1], a[2], a[3], timeout: a[4], timeKind: .timeval32, sigmask: nil)
        }
        add(143, "flock", [.fd, .int]) { _, a in hostSyscall(HostSys.flock, a.sint(0), a.sint(1)) }
        add(145, "readv", [.fd, .ptr, .int]) { p, a in try p.sysVector(HostSys.readv, a.sint(0), a[1], a.int(2), write: true) }
        add(146, "writev", [.fd, .ptr, .int]) { p, a in try p.sysVector(HostSys.writev, a.sint(0), a[1], a.int(2), write: false) }
        add(148, "fdatasync", [.fd]) { _, a in hostSyscall(HostSys.fdatasync, a.sint(0)) }
        add(168, "poll", [.ptr, .int, .int], restart: .unlessHandled) { p, a in
            let buf = try p.guestBuffer(a[0], a.u(1) * 8, write: true)
            if a.int(2) < 0 { return hostSyscall(HostSys.ppoll, buf, a.u(1), 0, 0, 8) }
            let ms = Int64(a.int(2))
            return ARMTimespec.host(sec: ms / 1000, nsec: (ms % 1000) * 1_000_000).withUnsafeBytes {
                hostSyscall(HostSys.ppoll, buf, a.u(1), Int(bitPattern: $0.baseAddress!), 0, 8)
            }
        }
        add(180, "pread64", [.fd, .ptr, .size, .pad, .int64]) { p, a in
            let buf = try p.guestBuffer(a[1], a.u(2), write: true)
            return hostSyscall(HostSys.pread64, a.sint(0), buf, a.u(2), Int(a.int64(4)))
        }
        add(181, "pwrite64", [.fd, .inBuf, .size, .pad, .int64]) { p, a in
            let buf = try p.guestBuffer(a[1], a.u(2), write: false)
            return hostSyscall(HostSys.pwrite64, a.sint(0), buf, a.u(2), Int(a.int64(4)))
        }
        add(182, "chown", [.path, .int, .int]) { p, a in
            try p.atPath(AT_FDCWD_GUEST, a[0]) { d, s in hostSyscall(HostSys.fchownat, d, s, uid16(a[1]), uid16(a[2]), 0) }
        }
        add(183, "getcwd", [.ptr, .size]) { p, a in
            let buf = try p.guestBuffer(a[0], a.u(1), write: true)
            return hostSyscall(HostSys.getcwd, buf, a.u(1))
        }
        add(187, "sendfile", [.fd, .fd, .ptr, .size]) { p, a in try p.sysSendfile(a, offset64: false) }
        add(239, "sendfile64", [.fd, .fd, .ptr, .size]) { p, a in try p.sysSendfile(a, offset64: true) }
        add(193, "truncate64", [.path, .pad, .int64]) { p, a in
            try p.atPath(AT_FDCWD_GUEST, a[0]) { _, s in hostSyscall(HostSys.truncate, s, Int(a.int64(2))) }
        }
        add(194, "ftruncate64", [.fd, .pad, .int64]) { _, a in hostSyscall(HostSys.ftruncate, a.sint(0), Int(a.int64(2))) }
        add(195, "stat64", [.path, .ptr]) { p, a in try p.sysFstatat(AT_FDCWD_GUEST, a[0], a[1], 0) }
        add(196, "lstat64", [.path, .ptr]) { p, a in try p.sysFstatat(AT_FDCWD_GUEST, a[0], a[1], 0x100) }
        add(197, "fstat64", [.fd, .ptr]) { p, a in try p.sysFstat(a.sint(0), a[1]) }
        add(198, "lchown32", [.path, .int, .int]) { p, a in
            try p.atPath(AT_FDCWD_GUEST, a[0]) { d, s in hostSyscall(HostSys.fchownat, d, s, a.sint(1), a.sint(2), 0x100) }
        }
        add(207, "fchown32", [.fd, .int, .int]) { _, a in hostSyscall(HostSys.fchown, a.sint(0), a.sint(1), a.sint(2)) }
        add(212, "chown32", [.path, .int, .int]) { p, a in
            try p.atPath(AT_FDCWD_GUEST, a[0]) { d, s in hostSyscall(HostSys.fchownat, d, s, a.sint(1), a.sint(2), 0) }
        }
        add(217, "getdents64", [.fd, .ptr, .size]) { p, a in
            let buf = try p.guestBuffer(a[1], a.u(2), write: true)
            return hostSyscall(HostSys.getdents64, a.sint(0), buf, a.u(2))
        }
        add(221, "fcntl64", [.fd, .fcntlCmd, .hex]) { p, a in try p.sysFcntl(a, is64: true) }
        add(225, "readahead", [.fd, .pad, .int64, .size]) { _, a in
            hostSyscall(HostSys.fcntl, a.sint(0), Int(F_GETFD)) < 0 ? -Errno.EBADF : 0
        }
        for (n, name) in [(226, "setxattr"), (227, "lsetxattr"), (228, "fsetxattr"), (229, "getxattr"),
                          (230, "lgetxattr"), (231, "fgetxattr"), (232, "listxattr"), (233, "llistxattr"),
                          (234, "flistxattr"), (235, "removexattr"), (236, "lremovexattr"),
                          (237, "fremovexattr")] {
            add(UInt32(n), name, [.hex, .hex, .hex, .hex]) { _, _ in -Errno.EOPNOTSUPP }
        }
        add(266, "statfs64", [.path, .size, .ptr]) { p, a in
            guard a[1] == 84 || a[1] == 88 else { return -Errno.EINVAL }
            return try p.sysStatfs(path: a[0], fd: nil, a[2], is64: true)
        }
        add(267, "fstatfs64", [.fd, .size, .ptr]) { p, a in
            guard a[1] == 84 || a[1] == 88 else { return -Errno.EINVAL }
            return try p.sysStatfs(path: nil, fd: a.sint(0), a[2], is64: true)
        }
        add(269, "utimes", [.path, .ptr]) { p, a in try p.sysUtimes(AT_FDCWD_GUEST, a[0], a[1], flags: 0, kind: .timeval32) }
        add(270, "arm_fadvise64_64", [.fd, .int, .int64, .int64]) { _, a in
            hostSyscall(HostSys.fadvise64, a.sint(0), Int(a.int64(2)), Int(a.int64(4)), a.sint(1))
        }
        add(322, "openat", [.dirfd, .path, .openFlags, .octal]) { p, a in try p.sysOpenat(a.sint(0), a[1], a[2], a[3]) }
        add(323, "mkdirat", [.dirfd, .path, .octal]) { p, a in try p.atPath(a.sint(0), a[1], redirect: false) { d, s in hostSyscall(HostSys.mkdirat, d, s, a.u(2)) } }
        add(324, "mknodat", [.dirfd, .path, .octal, .hex]) { p, a in
            try p.atPath(a.sint(0), a[1], redirect: false) { d, s in hostSyscall(HostSys.mknodat, d, s, a.u(2), a.u(3)) }
        }
        add(325, "fchownat", [.dirfd, .path, .int, .int, .atFlags]) { p, a in
            try p.atPath(a.sint(0), a[1]) { d, s in hostSyscall(HostSys.fchownat, d, s, a.sint(2), a.sint(3), a.sint(4)) }
        }
        add(326, "futimesat", [.dirfd, .path, .ptr]) { p, a in try p.sysUtimes(a.sint(0), a[1], a[2], flags: 0, kind: .timeval32) }
        add(327, "fstatat64", [.dirfd, .path, .ptr, .atFlags]) { p, a in try p.sysFstatat(a.sint(0), a[1], a[2], a.sint(3)) }
        add(328, "unlinkat", [.dirfd, .path, .atFlags]) { p, a in try p.atPath(a.sint(0), a[1], redirect: false) { d, s in hostSyscall(HostSys.unlinkat, d, s, a.sint(2)) } }
        add(329, "renameat", [.dirfd, .path, .dirfd, .path]) { p, a in
            try p.atPathPair(a.sint(0), a[1], a.sint(2), a[3]) { d1, s1, d2, s2 in hostSyscall(HostSys.renameat2, d1, s1, d2, s2, 0) }
        }
        add(330, "linkat", [.dirfd, .path, .dirfd, .path, .atFlags]) { p, a in
            try p.atPathPair(a.sint(0), a[1], a.sint(2), a[3]) { d1, s1, d2, s2 in hostSyscall(HostSys.linkat, d1, s1, d2, s2, a.sint(4)) }
        }
        add(331, "symlinkat", [.string, .dirfd, .path]) { p, a in
            let target = try p.guestString(a[0])
            return try p.atPath(a.sint(1), a[2], redirect: false) { d, s in
                withCString(target) { hostSyscall(HostSys.symlinkat, $0, d, s) }
            }
        }
        add(332, "readlinkat", [.dirfd, .path, .ptr, .size]) { p, a in try p.sysReadlinkat(a.sint(0), a[1], a[2], a[3]) }
        add(333, "fchmodat", [.dirfd, .path, .octal]) { p, a in try p.atPath(a.sint(0), a[1]) { d, s in hostSyscall(HostSys.fchmodat, d, s, a.u(2)) } }
        add(334, "faccessat", [.dirfd, .path, .octal]) { p, a in try p.atPath(a.sint(0), a[1]) { d, s in hostSyscall(HostSys.faccessat, d, s, a.u(2)) } }
        add(439, "faccessat2", [.dirfd, .path, .octal, .atFlags]) { p, a in
            try p.atPath(a.sint(0), a[1]) { d, s in hostSyscall(HostSys.faccessat2, d, s, a.u(2), a.sint(3)) }
        }
        add(335, "pselect6", [.int, .ptr, .ptr, .ptr, .ptr, .ptr], restart: .unlessHandled) { p, a in
            try p.sysSelect(nfds: a.sint(0), a[1], a[2], a[3], timeout: a[4], timeKind: .timespec32, sigmask: a[5])
        }
        add(413, "pselect6_time64", [.int, .ptr, .ptr, .ptr, .ptr, .ptr], restart: .unlessHandled) { p, a in
            try p.sysSelect(nfds: a.sint(0), a[1], a[2], a[3], timeout: a[4], timeKind: .timespec64, sigmask: a[5])
        }
        add(336, "ppoll", [.ptr, .int, .ptr, .ptr, .size], restart: .unlessHandled) { p, a in
            try p.sysPpoll(a, kind: .timespec32)
        }
        add(414, "ppoll_time64", [.ptr, .int, .ptr, .ptr, .size], restart: .unlessHandled) { p, a in
            try p.sysPpoll(a, kind: .timespec64)
        }
        add(341, "arm_sync_file_range", [.fd, .hex, .int64, .int64]) { _, a in
            hostSyscall(HostSys.sync_file_range, a.sint(0), Int(a.int64(2)), Int(a.int64(4)), a.u(1))
        }
        add(348, "utimensat", [.dirfd, .path, .ptr, .atFlags]) { p, a in
            try p.sysUtimes(a.sint(0), a[1], a[2], flags: a.sint(3), kind: .timespec32)
        }
        add(412, "utimensat_time64", [.dirfd, .path, .ptr, .atFlags]) { p, a in
            try p.sysUtimes(a.sint(0), a[1], a[2], flags: a.sint(3), kind: .timespec64)
        }
        add(351, "eventfd", [.int]) { _, a in hostSyscall(HostSys.eventfd2, a.u(0), 0) }
        add(356, "eventfd2", [.int, .hex]) { _, a in hostSyscall(HostSys.eventfd2, a.u(0), Int(OpenFlags.toHost(a[1]))) }
        add(352, "fallocate", [.fd, .int, .int64, .int64]) { _, a in
            hostSyscall(HostSys.fallocate, a.sint(0), a.sint(1), Int(a.int64(2)), Int(a.int64(4)))
        }
        add(358, "dup3", [.fd, .fd, .openFlags]) { _, a in hostSyscall(HostSys.dup3, a.sint(0), a.sint(1), Int(OpenFlags.toHost(a[2]))) }
        add(359, "pipe2", [.ptr, .openFlags]) { p, a in try p.sysPipe(a[0], a[1]) }
        add(361, "preadv", [.fd, .ptr, .int, .hex, .hex]) { p, a in
            try p.sysVector(HostSys.preadv, a.sint(0), a[1], a.int(2), write: true, offset: Int(a.int64(3)))
        }
        add(362, "pwritev", [.fd, .ptr, .int, .hex, .hex]) { p, a in
            try p.sysVector(HostSys.pwritev, a.sint(0), a[1], a.int(2), write: false, offset: Int(a.int64(3)))
        }
        add(382, "renameat2", [.dirfd, .path, .dirfd, .path, .hex]) { p, a in
            try p.atPathPair(a.sint(0), a[1], a.sint(2), a[3]) { d1, s1, d2, s2 in hostSyscall(HostSys.renameat2, d1, s1, d2, s2, a.u(4)) }
        }
        add(385, "memfd_create", [.string, .hex]) { p, a in
            let name = try p.guestString(a[0])
            return withCString(name) { hostSyscall(HostSys.memfd_create, $0, a.u(1)) }
        }
        add(391, "copy_file_range", [.fd, .ptr, .fd, .ptr, .size, .hex]) { p, a in
            let inOff = try p.guestBuffer(a[1], 8, write: true), outOff = try p.guestBuffer(a[3], 8, write: true)
            return hostSyscall(HostSys.copy_file_range, a.sint(0), inOff, a.sint(2), outOff, a.u(4), a.u(5))
        }
        add(397, "statx", [.dirfd, .path, .atFlags, .hex, .ptr]) { p, a in
            let buf = try p.guestBuffer(a[4], 256, write: true)
            return try p.atPath(a.sint(0), a[1], allowEmpty: true) { d, s in hostSyscall(HostSys.statx, d, s, a.sint(2), a.u(3), buf) }
        }
        add(250, "epoll_create", [.int]) { _, a in a.int(0) <= 0 ? -Errno.EINVAL : hostSyscall(HostSys.epoll_create1, 0) }
        add(357, "epoll_create1", [.openFlags]) { _, a in hostSyscall(HostSys.epoll_create1, Int(OpenFlags.toHost(a[0]))) }
        add(251, "epoll_ctl", [.fd, .int, .fd, .ptr]) { p, a in
            var ev = Bytes(count: ARMEpollEvent.hostSize)
            if a[3] != 0 {
                let g = Bytes(try p.readBytes(a[3], ARMEpollEvent.size))
                ev.set32(0, g.u32(0)); ev.set64(4, g.u64(8))
            }
            return ev.b.withUnsafeBytes { hostSyscall(HostSys.epoll_ctl, a.sint(0), a.sint(1), a.sint(2), a[3] == 0 ? 0 : Int(bitPattern: $0.baseAddress!)) }
        }
        add(252, "epoll_wait", [.fd, .ptr, .int, .int], restart: .unlessHandled) { p, a in try p.sysEpollWait(a, sigmask: 0) }
        add(346, "epoll_pwait", [.fd, .ptr, .int, .int, .ptr, .size], restart: .unlessHandled) { p, a in try p.sysEpollWait(a, sigmask: a[4]) }
        add(316, "inotify_init", []) { _, _ in hostSyscall(HostSys.inotify_init1, 0) }
        add(360, "inotify_init1", [.openFlags]) { _, a in hostSyscall(HostSys.inotify_init1, Int(OpenFlags.toHost(a[0]))) }
        add(317, "inotify_add_watch", [.fd, .path, .hex]) { p, a in
            let path = try p.hostPath(a[1])
            return withCString(path) { hostSyscall(HostSys.inotify_add_watch, a.sint(0), $0, a.u(2)) }
        }
        add(318, "inotify_rm_watch", [.fd, .int]) { _, a in hostSyscall(HostSys.inotify_rm_watch, a.sint(0), a.sint(1)) }
        add(61, "chroot", [.path]) { _, _ in -Errno.EPERM }
        add(436, "close_range", [.fd, .fd, .hex]) { _, a in hostSyscall(HostSys.close_range, a.u(0), a.u(1), a.u(2)) }
    }
}

/// A 16-bit uid/gid argument (lchown, chown, fchown): 0xffff means "unchanged" (-1).
func uid16(_ v: UInt32) -> Int { v & 0xffff == 0xffff ? -1 : Int(v & 0xffff) }

enum TimeKind { case timeval32, timespec32, timespec64 }

extension LinuxProcess {
    /// Runs `body(dirfd, hostPathPointer)` for a guest path relative to a guest dirfd.
    func atPath(_ dirfd: Int, _ pathAddress: UInt32, redirect: Bool = true, allowEmpty: Bool = false,
                _ body: (Int, Int) -> Int) throws -> Int {
        let path = try hostPath(pathAddress, redirect: redirect)
        return withCString(path) { body(dirfd, $0) }
    }

    func pathPair(_ a: UInt32, _ b: UInt32, _ body: (Int, Int) -> Int) throws -> Int {
        let pa = try hostPath(a, redirect: false), pb = try hostPath(b, redirect: false)
        return withCString(pa) { x in withCString(pb) { y in body(x, y) } }
    }

    func atPathPair(_ d1: Int, _ a: UInt32, _ d2: Int, _ b: UInt32, _ body: (Int, Int, Int, Int) -> Int) throws -> Int {
        let pa = try hostPath(a, redirect: false), pb = try hostPath(b, redirect: false)
        return withCString(pa) { x in withCString(pb) { y in body(d1, x, d2, y) } }
    }

    func sysRead(_ a: SyscallArgs) throws -> Int {
        let buf = try guestBuffer(a[1], a.u(2), write: true)
        return hostSyscall(HostSys.read, a.sint(0), buf, a.u(2))
    }

    func sysWrite(_ a: SyscallArgs) throws -> Int {
        let buf = try guestBuffer(a[1], a.u(2), write: false)
        return hostSyscall(HostSys.write, a.sint(0), buf, a.u(2))
    }

    func sysOpenat(_ dirfd: Int, _ pathAddress: UInt32, _ flags: UInt32, _ mode: UInt32) throws -> Int {
        let hostFlags = OpenFlags.toHost(flags)
        // Creating or writing never goes into the sysroot by redirection of a missing file;
        // an existing file inside it is opened there (as qemu-arm does).
        let path = try hostPath(pathAddress)
        return withCString(path) { hostSyscall(HostSys.openat, dirfd, $0, Int(hostFlags), Int(mode)) }
    }

    func sysPipe(_ address: UInt32, _ flags: UInt32) throws -> Int {
        var fds: (Int32, Int32) = (0, 0)
        let r = withUnsafeMutableBytes(of: &fds) { hostSyscall(HostSys.pipe2, Int(bitPattern: $0.baseAddress!), Int(OpenFlags.toHost(flags))) }
        if r < 0 { return r }
        do {
            try memory.write(address, UInt32(bitPattern: fds.0))
            try memory.write(address &+ 4, UInt32(bitPattern: fds.1))
        } catch {
            close(fds.0); close(fds.1)
            return -Errno.EFAULT
        }
        return 0
    }

    func sysFstat(_ fd: Int, _ out: UInt32) throws -> Int {
        try withScratch(HostStat.size) { st in
            let r2 = withCString([]) { hostSyscall(HostSys.newfstatat, fd, $0, st.int, 0x1000 /* AT_EMPTY_PATH */) }
            if r2 < 0 { return r2 }
            try writeBytes(out, ARMStat64.from(host: st))
            return 0
        }
    }

    func sysFstatat(_ dirfd: Int, _ pathAddress: UInt32, _ out: UInt32, _ flags: Int) throws -> Int {
        let path = try hostPath(pathAddress)
        return try withScratch(HostStat.size) { st in
            let r = withCString(path) { hostSyscall(HostSys.newfstatat, dirfd, $0, st.int, flags) }
            if r < 0 { return r }
            try writeBytes(out, ARMStat64.from(host: st))
            return 0
        }
    }

    func sysStatfs(path: UInt32?, fd: Int?, _ out: UInt32, is64: Bool) throws -> Int {
        try withScratch(HostStatfs.size) { st in
            let r: Int
            if let path {
                let hp = try hostPath(path)
                r = withCString(hp) { hostSyscall(HostSys.statfs, $0, st.int) }
            } else {
                r = hostSyscall(HostSys.fstatfs, fd!, st.int)
            }
            if r < 0 { return r }
            try writeBytes(out, is64 ? ARMStatfs64.from(host: st) : ARMStatfs.from(host: st))
            return 0
        }
    }

    func sysReadlinkat(_ dirfd: Int, _ pathAddress: UInt32, _ buf: UInt32, _ size: UInt32) throws -> Int {
        if Int32(bitPattern: size) <= 0 { return -Errno.EINVAL }
        let raw = try guestString(pathAddress)
        let s = String(decoding: raw, as: UTF8.self)
        if !executablePath.isEmpty, s == "/proc/self/exe" || s == "/proc/\(getpid())/exe" {
            let bytes = Array(executablePath.utf8.prefix(Int(size)))
            try writeBytes(buf, bytes)
            return bytes.count
        }
        let out = try guestBuffer(buf, Int(size), write: true)
        return withCString(redirectPath(raw)) { hostSyscall(HostSys.readlinkat, dirfd, $0, out, Int(size)) }
    }

    func sysVector(_ call: Int, _ fd: Int, _ iov: UInt32, _ count: Int32, write: Bool, offset: Int? = nil) throws -> Int {
        guard count >= 0, count <= 1024 else { return -Errno.EINVAL }
        let n = Int(count)
        return try withScratch(n * 16) { host in
            for i in 0..<n {
                let base = try readU32(iov &+ UInt32(i * 8)), len = try readU32(iov &+ UInt32(i * 8 + 4))
                let p = try guestBuffer(base, Int(len), write: write)
                host.storeBytes(of: p, toByteOffset: i * 16, as: Int.self)
                host.storeBytes(of: Int(len), toByteOffset: i * 16 + 8, as: Int.self)
            }
            if let offset {
                return hostSyscall(call, fd, host.int, n, offset & 0xffff_ffff, offset >> 32)
            }
            return hostSyscall(call, fd, host.int, n)
        }
    }

    func sysSendfile(_ a: SyscallArgs, offset64: Bool) throws -> Int {
        if a[2] == 0 { return hostSyscall(HostSys.sendfile, a.sint(1), a.sint(0), 0, a.u(3)) }
        var off: Int64 = offset64 ? Int64(bitPattern: try memory.read(a[2], as: UInt64.self))
                                   : Int64(Int32(bitPattern: try readU32(a[2])))
        let r = withUnsafeMutableBytes(of: &off) { hostSyscall(HostSys.sendfile, a.sint(1), a.sint(0), Int(bitPattern: $0.baseAddress!), a.u(3)) }
        if offset64 { try memory.write(a[2], UInt64(bitPattern: off)) } else { try writeU32(a[2], UInt32(truncatingIfNeeded: off)) }
        return r
    }

    func sysGetdents(_ a: SyscallArgs) throws -> Int {
        let fd = a.sint(0), count = a.u(2)
        _ = try guestBuffer(a[1], count, write: true)
        return try withScratch(count) { host in
            let n = hostSyscall(HostSys.getdents64, fd, host.int, count)
            if n <= 0 { return n }
            var out: [UInt8] = []
            var off = 0
            var lastOff: Int64? = nil
            while off < n {
                let h = Bytes(host + off, count: 19)
                let reclen = Int(h.u16(16))
                let nameBytes = Array(UnsafeRawBufferPointer(start: host + off + 19, count: reclen - 19).prefix { $0 != 0 })
                let rec = ARMDirent.record(ino: h.u64(0), off: h.i64(8), type: h.u8(18), name: nameBytes)
                if out.count + rec.count > count {
                    if out.isEmpty { return -Errno.EINVAL }
                    // Rewind to just after the last entry handed out.
                    if let lastOff { hostSyscall(HostSys.lseek, fd, Int(lastOff), Int(SEEK_SET)) }
                    break
                }
                out += rec
                lastOff = h.i64(8)
                off += reclen
            }
            try writeBytes(a[1], out)
            return out.count
        }
    }

    func sysFcntl(_ a: SyscallArgs, is64: Bool) throws -> Int {
        let fd = a.sint(0), cmd = a.int(1), arg = a[2]
        switch cmd {
        case 0, 1030:   // F_DUPFD, F_DUPFD_CLOEXEC
            return hostSyscall(HostSys.fcntl, fd, Int(cmd), Int(arg))
        case 1, 2, 8, 9, 10, 11, 1024, 1025, 1026, 1031, 1032, 1033, 1034:
            return hostSyscall(HostSys.fcntl, fd, Int(cmd), Int(Int32(bitPattern: arg)))
        case 3:         // F_GETFL
            let r = hostSyscall(HostSys.fcntl, fd, 3)
            return r < 0 ? r : Int(OpenFlags.toGuest(r))
        case 4:         // F_SETFL
            return hostSyscall(HostSys.fcntl, fd, 4, Int(OpenFlags.toHost(arg)))
        case 5, 6, 7, 12, 13, 14, 36, 37, 38:
            // F_GETLK/F_SETLK/F_SETLKW take struct flock; the ARM *64 commands (12–14) and the
            // OFD locks take struct flock64.
            let wide = cmd >= 12
            let hostCmd: Int32 = cmd >= 36 ? cmd : (wide ? cmd - 7 : cmd)
            let gsize = wide ? ARMFlock.size64 : ARMFlock.size32
            var h = ARMFlock.toHost(try readBytes(arg, gsize), is64: wide)
            let r = h.withUnsafeMutableBytes { hostSyscall(HostSys.fcntl, fd, Int(hostCmd), Int(bitPattern: $0.baseAddress!)) }
            if r < 0 { return r }
            if hostCmd == 5 || hostCmd == 36 { try writeBytes(arg, ARMFlock.fromHost(h, is64: wide)) }
            return r
        case 15, 16:    // F_SETOWN_EX / F_GETOWN_EX: struct f_owner_ex {int type; pid_t pid} — same layout
            let buf = try guestBuffer(arg, 8, write: cmd == 16)
            return hostSyscall(HostSys.fcntl, fd, Int(cmd), buf)
        default:
            return -Errno.EINVAL
        }
    }

    func sysIoctl(_ a: SyscallArgs) throws -> Int {
        let fd = a.sint(0), req = a[1], arg = a[2]
        // (request, size of the argument struct, direction: 0 value, 1 in, 2 out)
        let known: [UInt32: (Int, Int)] = [
            0x5401: (36, 2), 0x5402: (36, 1), 0x5403: (36, 1), 0x5404: (36, 1),   // TCGETS, TCSETS*
            0x5413: (8, 2), 0x5414: (8, 1),                                        // TIOCGWINSZ/SWINSZ
            0x541B: (4, 2), 0x540F: (4, 2), 0x5410: (4, 1), 0x5421: (4, 1),        // FIONREAD, TIOC[GS]PGRP, FIONBIO
            0x5429: (4, 2), 0x5411: (4, 2), 0x5452: (4, 1),                        // TIOCGSID, TIOCOUTQ, FIOASYNC
            0x8004_5430: (4, 2), 0x4004_5431: (4, 1),                              // TIOCGPTN, TIOCSPTLCK
            0x5450: (0, 0), 0x5451: (0, 0), 0x540E: (0, 0), 0x5422: (0, 0),        // FIONCLEX, FIOCLEX, TIOCSCTTY, TIOCNOTTY
            0x540B: (0, 0), 0x540A: (0, 0), 0x5409: (0, 0), 0x5425: (0, 0),        // TCFLSH, TCXONC, TCSBRK, TCSBRKP
        ]
        guard let (size, dir) = known[req] else { return -Errno.ENOTTY }
        if dir == 0 { return hostSyscall(HostSys.ioctl, fd, Int(req), Int(arg)) }
        let buf = try guestBuffer(arg, size, write: dir == 2)
        return hostSyscall(HostSys.ioctl, fd, Int(req), buf)
    }

    /// A guest timeout as a host struct timespec (16 bytes), nil for a NULL pointer.
    func hostTimespec(_ address: UInt32, _ kind: TimeKind) throws -> [UInt8]? {
        if address == 0 { return nil }
        switch kind {
        case .timeval32:
            let s = Int32(bitPattern: try readU32(address)), us = Int32(bitPattern: try readU32(address &+ 4))
            return ARMTimespec.host(sec: Int64(s), nsec: Int64(us) * 1000)
        case .timespec32:
            let s = Int32(bitPattern: try readU32(address)), ns = Int32(bitPattern: try readU32(address &+ 4))
            return ARMTimespec.host(sec: Int64(s), nsec: Int64(ns))
        case .timespec64:
            let s = Int64(bitPattern: try memory.read(address, as: UInt64.self))
            let ns = Int64(Int32(bitPattern: try readU32(address &+ 8)))   // tv_nsec: low 32 bits count
            return ARMTimespec.host(sec: s, nsec: ns)
        }
    }

    /// Writes a host timespec back to a guest timeout of `kind`.
    func writeTimespec(_ address: UInt32, _ host: [UInt8], _ kind: TimeKind) throws {
        let h = Bytes(host)
        let sec = h.i64(0), nsec = h.i64(8)
        var g = Bytes(count: kind == .timespec64 ? 16 : 8)
        switch kind {
        case .timeval32: g.setLong(0, sec); g.setLong(4, nsec / 1000)
        case .timespec32: g.setLong(0, sec); g.setLong(4, nsec)
        case .timespec64: g.seti64(0, sec); g.seti64(8, nsec)
        }
        try writeBytes(address, g.b)
    }

    func sysSelect(nfds: Int, _ r: UInt32, _ w: UInt32, _ e: UInt32, timeout: UInt32, timeKind: TimeKind,
                   sigmask: UInt32?) throws -> Int {
        guard nfds >= 0, nfds <= 1024 else { return -Errno.EINVAL }
        let bytes = (nfds + 31) / 32 * 4
        var sets = [[UInt8]](repeating: [UInt8](repeating: 0, count: 128), count: 3)
        for (i, addr) in [r, w, e].enumerated() where addr != 0 {
            sets[i].replaceSubrange(0..<bytes, with: try readBytes(addr, bytes))
        }
        var ts = try hostTimespec(timeout, timeKind)
        // pselect6's sixth argument points at { const sigset_t *ss; size_t ss_len }.
        var tempMask: UInt64?
        if let sigmask, sigmask != 0 {
            let ss = try readU32(sigmask)
            if ss != 0 { tempMask = try memory.read(ss, as: UInt64.self) }
        }
        let saved = kernel.blocked
        if let tempMask { setBlocked(tempMask) }
        defer { if tempMask != nil { kernel.maskAfterDelivery = saved; if !hasPendingSignals { setBlocked(saved); kernel.maskAfterDelivery = nil } } }
        var rs = sets[0], ws = sets[1], es = sets[2]
        let res: Int = rs.withUnsafeMutableBytes { rp in
            ws.withUnsafeMutableBytes { wp in
                es.withUnsafeMutableBytes { ep in
                    func ptr(_ p: UnsafeMutableRawBufferPointer, _ a: UInt32) -> Int { a == 0 ? 0 : Int(bitPattern: p.baseAddress!) }
                    if ts == nil {
                        return hostSyscall(HostSys.pselect6, nfds, ptr(rp, r), ptr(wp, w), ptr(ep, e), 0, 0)
                    }
                    return ts!.withUnsafeMutableBytes { tp in
                        hostSyscall(HostSys.pselect6, nfds, ptr(rp, r), ptr(wp, w), ptr(ep, e), Int(bitPattern: tp.baseAddress!), 0)
                    }
                }
            }
        }
        sets = [rs, ws, es]
        if res < 0 && res != -Errno.EINTR { return res }
        for (i, addr) in [r, w, e].enumerated() where addr != 0 {
            try writeBytes(addr, Array(sets[i][0..<bytes]))
        }
        if let ts, timeout != 0, sigmask == nil { try writeTimespec(timeout, ts, timeKind) }   // select updates its timeout
        return res
    }

    func sysEpollWait(_ a: SyscallArgs, sigmask: UInt32) throws -> Int {
        let max = a.int(2)
        guard max > 0, max <= 65536 else { return -Errno.EINVAL }
        _ = try guestBuffer(a[1], Int(max) * ARMEpollEvent.size, write: true)
        var tempMask: UInt64?
        if sigmask != 0 { tempMask = try memory.read(sigmask, as: UInt64.self) }
        let saved = kernel.blocked
        if let tempMask { setBlocked(tempMask) }
        defer { if tempMask != nil { kernel.maskAfterDelivery = saved; if !hasPendingSignals { setBlocked(saved); kernel.maskAfterDelivery = nil } } }
        return try withScratch(Int(max) * ARMEpollEvent.hostSize) { h in
            let n = hostSyscall(HostSys.epoll_pwait, a.sint(0), h.int, Int(max), a.sint(3), 0, 8)
            if n <= 0 { return n }
            var out = Bytes(count: n * ARMEpollEvent.size)
            let hb = Bytes(h, count: n * ARMEpollEvent.hostSize)
            for i in 0..<n {
                out.set32(i * 16, hb.u32(i * 12)); out.set64(i * 16 + 8, hb.u64(i * 12 + 4))
            }
            try writeBytes(a[1], out.b)
            return n
        }
    }

    func sysPpoll(_ a: SyscallArgs, kind: TimeKind) throws -> Int {
        let buf = try guestBuffer(a[0], a.u(1) * 8, write: true)
        var ts = try hostTimespec(a[2], kind)
        var tempMask: UInt64?
        if a[3] != 0 { tempMask = try memory.read(a[3], as: UInt64.self) }
        let saved = kernel.blocked
        if let tempMask { setBlocked(tempMask) }
        defer { if tempMask != nil { kernel.maskAfterDelivery = saved; if !hasPendingSignals { setBlocked(saved); kernel.maskAfterDelivery = nil } } }
        if ts == nil { return hostSyscall(HostSys.ppoll, buf, a.u(1), 0, 0, 8) }
        let r = ts!.withUnsafeMutableBytes { hostSyscall(HostSys.ppoll, buf, a.u(1), Int(bitPattern: $0.baseAddress!), 0, 8) }
        return r
    }

    func sysUtimes(_ dirfd: Int, _ pathAddress: UInt32, _ times: UInt32, flags: Int, kind: TimeKind) throws -> Int {
        var host: [UInt8]? = nil
        if times != 0 {
            if kind == .timeval32 {
                host = (try hostTimespec(times, .timeval32)!) + (try hostTimespec(times &+ 8, .timeval32)!)
            } else {
                let step: UInt32 = kind == .timespec64 ? 16 : 8
                // UTIME_NOW / UTIME_OMIT live in tv_nsec and must pass through unchanged.
                host = (try hostTimespec(times, kind)!) + (try hostTimespec(times &+ step, kind)!)
            }
        }
        let path: [UInt8]? = pathAddress == 0 ? nil : try hostPath(pathAddress)
        func call(_ t: Int) -> Int {
            if let path { return withCString(path) { hostSyscall(HostSys.utimensat, dirfd, $0, t, flags) } }
            return hostSyscall(HostSys.utimensat, dirfd, 0, t, flags)
        }
        if var host { return host.withUnsafeMutableBytes { call(Int(bitPattern: $0.baseAddress!)) } }
        return call(0)
    }
}
