#if canImport(Glibc)
import Glibc
#endif
import ARM
import Memory

// Sockets: struct sockaddr and int-sized options have the same layout on both sides and pass
// through; struct msghdr and iovec are converted. Ancillary data (cmsg) is not supported yet.

extension SyscallTable {
    func registerNet() {
        add(281, "socket", [.int, .hex, .int]) { _, a in hostSyscall(HostSys.socket, a.sint(0), Int(OpenFlags.toHost(a[1])), a.sint(2)) }
        add(282, "bind", [.fd, .ptr, .size]) { p, a in
            hostSyscall(HostSys.bind, a.sint(0), try p.guestBuffer(a[1], a.u(2), write: false), a.u(2))
        }
        add(283, "connect", [.fd, .ptr, .size]) { p, a in
            hostSyscall(HostSys.connect, a.sint(0), try p.guestBuffer(a[1], a.u(2), write: false), a.u(2))
        }
        add(284, "listen", [.fd, .int]) { _, a in hostSyscall(HostSys.listen, a.sint(0), a.sint(1)) }
        add(285, "accept", [.fd, .ptr, .ptr]) { p, a in try p.sysAddressOut(HostSys.accept4, a, extra: 0) }
        add(366, "accept4", [.fd, .ptr, .ptr, .hex]) { p, a in try p.sysAddressOut(HostSys.accept4, a, extra: Int(OpenFlags.toHost(a[3]))) }
        add(286, "getsockname", [.fd, .ptr, .ptr]) { p, a in try p.sysAddressOut(HostSys.getsockname, a, extra: nil) }
        add(287, "getpeername", [.fd, .ptr, .ptr]) { p, a in try p.sysAddressOut(HostSys.getpeername, a, extra: nil) }
        add(288, "socketpair", [.int, .hex, .int, .ptr]) { p, a in
            hostSyscall(HostSys.socketpair, a.sint(0), Int(OpenFlags.toHost(a[1])), a.sint(2), try p.guestBuffer(a[3], 8, write: true))
        }
        add(289, "send", [.fd, .inBuf, .size, .hex]) { p, a in
            hostSyscall(HostSys.sendto, a.sint(0), try p.guestBuffer(a[1], a.u(2), write: false), a.u(2), a.u(3), 0, 0)
        }
        add(290, "sendto", [.fd, .inBuf, .size, .hex, .ptr, .size]) { p, a in
            hostSyscall(HostSys.sendto, a.sint(0), try p.guestBuffer(a[1], a.u(2), write: false), a.u(2), a.u(3),
                        try p.guestBuffer(a[4], a.u(5), write: false), a.u(5))
        }
        add(291, "recv", [.fd, .ptr, .size, .hex]) { p, a in
            hostSyscall(HostSys.recvfrom, a.sint(0), try p.guestBuffer(a[1], a.u(2), write: true), a.u(2), a.u(3), 0, 0)
        }
        add(292, "recvfrom", [.fd, .ptr, .size, .hex, .ptr, .ptr]) { p, a in
            let buf = try p.guestBuffer(a[1], a.u(2), write: true)
            var len: UInt32 = a[5] != 0 ? try p.readU32(a[5]) : 0
            let addr = try p.guestBuffer(a[4], Int(len), write: true)
            let r = withUnsafeMutableBytes(of: &len) {
                hostSyscall(HostSys.recvfrom, a.sint(0), buf, a.u(2), a.u(3), addr, a[5] != 0 ? Int(bitPattern: $0.baseAddress!) : 0)
            }
            if r >= 0, a[5] != 0 { try p.writeU32(a[5], len) }
            return r
        }
        add(293, "shutdown", [.fd, .int]) { _, a in hostSyscall(HostSys.shutdown, a.sint(0), a.sint(1)) }
        add(294, "setsockopt", [.fd, .int, .int, .ptr, .size]) { p, a in
            guard a[4] <= 256 else { return -Errno.EINVAL }
            if a[1] == 1, a[2] == 20 || a[2] == 21 { return -Errno.ENOPROTOOPT }   // SO_RCVTIMEO/SNDTIMEO: timeval differs
            return hostSyscall(HostSys.setsockopt, a.sint(0), a.sint(1), a.sint(2), try p.guestBuffer(a[3], a.u(4), write: false), a.u(4))
        }
        add(295, "getsockopt", [.fd, .int, .int, .ptr, .ptr]) { p, a in
            var len = try p.readU32(a[4])
            guard len <= 256 else { return -Errno.EINVAL }
            if a[1] == 1, a[2] == 20 || a[2] == 21 { return -Errno.ENOPROTOOPT }
            let buf = try p.guestBuffer(a[3], Int(len), write: true)
            let r = withUnsafeMutableBytes(of: &len) {
                hostSyscall(HostSys.getsockopt, a.sint(0), a.sint(1), a.sint(2), buf, Int(bitPattern: $0.baseAddress!))
            }
            if r >= 0 { try p.writeU32(a[4], len) }
            return r
        }
        add(296, "sendmsg", [.fd, .ptr, .hex]) { p, a in try p.sysMsg(HostSys.sendmsg, a, receive: false) }
        add(297, "recvmsg", [.fd, .ptr, .hex]) { p, a in try p.sysMsg(HostSys.recvmsg, a, receive: true) }
    }
}

extension LinuxProcess {
    /// accept/getsockname/getpeername: (fd, struct sockaddr *, socklen_t *).
    func sysAddressOut(_ call: Int, _ a: SyscallArgs, extra: Int?) throws -> Int {
        var len: UInt32 = a[2] != 0 ? try readU32(a[2]) : 0
        let addr = a[1] != 0 ? try guestBuffer(a[1], Int(len), write: true) : 0
        let r = withUnsafeMutableBytes(of: &len) { l -> Int in
            let lp = a[2] != 0 ? Int(bitPattern: l.baseAddress!) : 0
            if let extra { return hostSyscall(call, a.sint(0), addr, lp, extra) }
            return hostSyscall(call, a.sint(0), addr, lp)
        }
        if r >= 0, a[2] != 0 { try writeU32(a[2], len) }
        return r
    }

    func sysMsg(_ call: Int, _ a: SyscallArgs, receive: Bool) throws -> Int {
        let g = Bytes(try readBytes(a[1], ARMMsghdr.size))
        let iovCount = Int(g.u32(ARMMsghdr.iovlen))
        guard iovCount <= 1024 else { return -Errno.EMSGSIZE }
        if g.u32(ARMMsghdr.controllen) != 0 && !receive { return -Errno.EINVAL }
        return try withScratch(HostMsghdr.size + iovCount * 16) { h in
            let iov = h + HostMsghdr.size
            for i in 0..<iovCount {
                let e = g.u32(ARMMsghdr.iov) &+ UInt32(i * 8)
                let base = try readU32(e), len = try readU32(e &+ 4)
                iov.storeBytes(of: try guestBuffer(base, Int(len), write: receive), toByteOffset: i * 16, as: Int.self)
                iov.storeBytes(of: Int(len), toByteOffset: i * 16 + 8, as: Int.self)
            }
            let nameLen = g.u32(ARMMsghdr.namelen)
            h.storeBytes(of: try guestBuffer(g.u32(ARMMsghdr.name), Int(nameLen), write: receive), toByteOffset: HostMsghdr.name, as: Int.self)
            h.storeBytes(of: nameLen, toByteOffset: HostMsghdr.namelen, as: UInt32.self)
            h.storeBytes(of: iov.int, toByteOffset: HostMsghdr.iov, as: Int.self)
            h.storeBytes(of: iovCount, toByteOffset: HostMsghdr.iovlen, as: Int.self)
            let r = hostSyscall(call, a.sint(0), h.int, a.u(2))
            if r >= 0 && receive {
                var out = g
                out.set32(ARMMsghdr.namelen, h.load(fromByteOffset: HostMsghdr.namelen, as: UInt32.self))
                out.set32(ARMMsghdr.controllen, 0)
                out.seti32(ARMMsghdr.flags, h.load(fromByteOffset: HostMsghdr.flags, as: Int32.self))
                try writeBytes(a[1], out.b)
            }
            return r
        }
    }
}

extension Errno {
    static let EMSGSIZE = 90
}
extension HostSys {
    static let accept = 43
}
