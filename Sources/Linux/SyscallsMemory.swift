#if canImport(Glibc)
import Glibc
#endif
import ARM
import Memory

// Memory-management syscalls over the guest AddressSpace.

extension SyscallTable {
    func registerMemory() {
        add(45, "brk", [.hex], hex: true) { p, a in p.sysBrk(a[0]) }
        add(90, "mmap", [.ptr]) { _, _ in -Errno.ENOSYS }   // old_mmap is OABI-only
        add(91, "munmap", [.hex, .size]) { p, a in p.sysMunmap(a[0], a[1]) }
        add(125, "mprotect", [.hex, .size, .prot]) { p, a in p.sysMprotect(a[0], a[1], a[2]) }
        add(144, "msync", [.hex, .size, .hex]) { p, a in
            guard a[0] & 0xfff == 0 else { return -Errno.EINVAL }
            if !p.memory.isMapped(a[0], a[1]) { return -Errno.ENOMEM }
            return hostSyscall(HostSys.msync, p.memory.host(a[0]).int, a.u(1), a.u(2))
        }
        add(150, "mlock", [.hex, .size]) { _, _ in 0 }
        add(151, "munlock", [.hex, .size]) { _, _ in 0 }
        add(152, "mlockall", [.hex]) { _, _ in 0 }
        add(153, "munlockall", []) { _, _ in 0 }
        add(390, "mlock2", [.hex, .size, .hex]) { _, _ in 0 }
        add(163, "mremap", [.hex, .size, .size, .hex, .hex], hex: true) { p, a in
            p.sysMremap(a[0], a[1], a[2], a[3], a[4])
        }
        add(192, "mmap2", [.hex, .size, .prot, .mapFlags, .fd, .hex], hex: true) { p, a in
            p.sysMmap2(a[0], a[1], a[2], a[3], a.int(4), a[5])
        }
        add(219, "mincore", [.hex, .size, .ptr]) { p, a in
            guard a[0] & 0xfff == 0 else { return -Errno.EINVAL }
            let pages = (a.u(1) + 4095) / 4096
            if !p.memory.isMapped(a[0], a[1]) { return -Errno.ENOMEM }
            try p.writeBytes(a[2], [UInt8](repeating: 1, count: pages))
            return 0
        }
        add(220, "madvise", [.hex, .size, .int]) { p, a in
            guard a[0] & 0xfff == 0 else { return -Errno.EINVAL }
            if a[1] == 0 { return 0 }
            if !p.memory.isMapped(a[0], a[1]) { return -Errno.ENOMEM }
            // MADV_DONTNEED (4) and MADV_FREE (8) discard contents: the host does exactly that
            // to the host pages; the rest are hints.
            if a[2] == 4 || a[2] == 8 {
                p.memory.invalidateCode(a[0], a[1])
                return hostSyscall(HostSys.madvise, p.memory.host(a[0]).int, a.u(1), 4)
            }
            return 0
        }
        add(ARMSyscall.cacheflush, "cacheflush", [.hex, .hex, .hex]) { p, a in
            guard a[1] >= a[0] else { return -Errno.EINVAL }
            p.memory.invalidateCode(a[0], a[1] &- a[0])
            return 0
        }
    }
}

extension AddressSpace {
    /// Whether every page of [address, address+length) is mapped (any permission).
    func isMapped(_ address: UInt32, _ length: UInt32) -> Bool {
        if length == 0 { return true }
        let end = UInt64(address) + UInt64(length)
        if end > UInt64(1) << 32 { return false }
        var page = address >> AddressSpace.pageShift
        let last = UInt32((end - 1) >> 12)
        while page <= last {
            if pageFlags[Int(page)] & PageFlag.mapped == 0 { return false }
            page += 1
        }
        return true
    }
}

private let pageMask: UInt32 = 0xfff
@inline(__always) private func pageUp(_ v: UInt64) -> UInt64 { (v + 0xfff) & ~0xfff }

extension LinuxProcess {
    /// brk(2) with Linux semantics: returns the new break, or the current one on failure.
    func sysBrk(_ requested: UInt32) -> Int {
        if brkStart == 0 && brkCurrent == 0 { return 0 }
        if requested == 0 || requested < brkStart { return Int(brkCurrent) }
        let oldTop = pageUp(UInt64(brkCurrent)), newTop = pageUp(UInt64(requested))
        if newTop > 0xFFFF_0000 { return Int(brkCurrent) }
        if newTop > oldTop {
            let start = UInt32(oldTop), len = UInt32(newTop - oldTop)
            guard memory.isFree(start, length: len) else { return Int(brkCurrent) }
            if memory.map(start, length: len, protection: .rw) != 0 { return Int(brkCurrent) }
        } else if newTop < oldTop {
            memory.unmap(UInt32(newTop), length: UInt32(oldTop - newTop))
        }
        brkCurrent = requested
        return Int(brkCurrent)
    }

    func sysMmap2(_ addr: UInt32, _ length: UInt32, _ prot: UInt32, _ flags: UInt32, _ fd: Int32, _ pgoff: UInt32) -> Int {
        let MAP_SHARED: UInt32 = 1, MAP_PRIVATE: UInt32 = 2, MAP_FIXED: UInt32 = 0x10
        let MAP_ANONYMOUS: UInt32 = 0x20, MAP_FIXED_NOREPLACE: UInt32 = 0x10_0000
        guard length != 0 else { return -Errno.EINVAL }
        let type = flags & 0xf
        guard type == MAP_SHARED || type == MAP_PRIVATE || type == 3 /* SHARED_VALIDATE */ else { return -Errno.EINVAL }
        let len64 = pageUp(UInt64(length))
        guard len64 <= 0xFFFF_0000 else { return -Errno.ENOMEM }
        let len = UInt32(len64)
        let anonymous = flags & MAP_ANONYMOUS != 0
        if !anonymous, fd < 0 { return -Errno.EBADF }
        var target: UInt32
        if flags & (MAP_FIXED | MAP_FIXED_NOREPLACE) != 0 {
            guard addr & pageMask == 0 else { return -Errno.EINVAL }
            // Below vm.mmap_min_addr (64 KiB on Debian) Linux refuses an unprivileged process
            // (qemu-arm does not), so compiled code can count on an access that wraps around
            // 32 bits to fault.
            guard addr >= AddressSpace.lowestMappable else { return -Errno.EPERM }
            // The vector page at 0xffff0000 (kuser helpers) is the kernel's, not the guest's.
            guard UInt64(addr) + len64 <= 0xFFFF_0000 else { return -Errno.ENOMEM }
            if flags & MAP_FIXED == 0 && !memory.isFree(addr, length: len) { return -Errno.EEXIST }
            target = addr
        } else if addr >= AddressSpace.lowestMappable, addr & pageMask == 0, UInt64(addr) + len64 <= 0xFFFF_0000,
                  memory.isFree(addr, length: len) {
            target = addr
        } else {
            guard let found = memory.findFree(length: len) else { return -Errno.ENOMEM }
            target = found
        }
        let r = memory.map(target, length: len, protection: Protection(linux: prot),
                           fd: anonymous ? -1 : fd, offset: anonymous ? 0 : Int64(pgoff) << 12,
                           shared: type != MAP_PRIVATE)
        if r < 0 { return Int(r) }
        return Int(target)
    }

    func sysMunmap(_ addr: UInt32, _ length: UInt32) -> Int {
        guard addr & pageMask == 0, length != 0 else { return -Errno.EINVAL }
        let len = pageUp(UInt64(length))
        guard UInt64(addr) + len <= 0x1_0000_0000 else { return -Errno.EINVAL }
        if addr >= 0xFFFF_0000 { return -Errno.EINVAL }
        let end = min(UInt64(addr) + len, 0xFFFF_0000)   // never the vector page
        memory.unmap(addr, length: UInt32(end - UInt64(addr)))
        return 0
    }

    func sysMprotect(_ addr: UInt32, _ length: UInt32, _ prot: UInt32) -> Int {
        guard addr & pageMask == 0 else { return -Errno.EINVAL }
        let p = prot & ~0x0300_0000   // PROT_GROWSDOWN / PROT_GROWSUP
        guard p & ~7 == 0 else { return -Errno.EINVAL }
        if length == 0 { return 0 }
        return Int(memory.protect(addr, length: length, protection: Protection(linux: p)))
    }

    func sysMremap(_ old: UInt32, _ oldLength: UInt32, _ newLength: UInt32, _ flags: UInt32, _ newAddr: UInt32) -> Int {
        let MREMAP_MAYMOVE: UInt32 = 1, MREMAP_FIXED: UInt32 = 2
        guard old & pageMask == 0, flags & ~3 == 0, newLength != 0 else { return -Errno.EINVAL }
        if flags & MREMAP_FIXED != 0 && flags & MREMAP_MAYMOVE == 0 { return -Errno.EINVAL }
        let oldLen = UInt32(pageUp(UInt64(oldLength))), newLen64 = pageUp(UInt64(newLength))
        guard newLen64 <= 0xFFFF_0000, oldLen != 0 else { return -Errno.EINVAL }
        let newLen = UInt32(newLen64)
        guard memory.isMapped(old, oldLen) else { return -Errno.EFAULT }
        let prot = Protection(rawValue: memory.flags(ofPage: old) & 7)
        if flags & MREMAP_FIXED == 0 {
            if newLen <= oldLen {
                if newLen < oldLen { memory.unmap(old &+ newLen, length: oldLen - newLen) }
                return Int(old)
            }
            // Grow in place when the pages after the mapping are free.
            if UInt64(old) + UInt64(newLen) <= 0xFFFF_0000, memory.isFree(old &+ oldLen, length: newLen - oldLen) {
                let r = memory.map(old &+ oldLen, length: newLen - oldLen, protection: prot)
                return r < 0 ? Int(r) : Int(old)
            }
            guard flags & MREMAP_MAYMOVE != 0 else { return -Errno.ENOMEM }
        }
        let target: UInt32
        if flags & MREMAP_FIXED != 0 {
            guard newAddr & pageMask == 0, UInt64(newAddr) + newLen64 <= 0xFFFF_0000 else { return -Errno.EINVAL }
            let overlap = UInt64(newAddr) < UInt64(old) + UInt64(oldLen) && UInt64(old) < UInt64(newAddr) + newLen64
            if overlap { return -Errno.EINVAL }
            target = newAddr
        } else {
            guard let f = memory.findFree(length: newLen) else { return -Errno.ENOMEM }
            target = f
        }
        // Move: a fresh private mapping holding a copy of the old contents.
        let copyLen = Int(min(oldLen, newLen))
        if !prot.contains(.read) && !prot.contains(.exec) { _ = memory.protect(old, length: oldLen, protection: .read) }
        let saved = [UInt8](UnsafeRawBufferPointer(start: memory.host(old), count: copyLen))
        let r = memory.map(target, length: newLen, protection: .rw)
        if r < 0 { return Int(r) }
        saved.withUnsafeBytes { memory.host(target).copyMemory(from: $0.baseAddress!, byteCount: copyLen) }
        if prot != .rw { _ = memory.protect(target, length: newLen, protection: prot) }
        memory.unmap(old, length: oldLen)
        return Int(target)
    }
}
