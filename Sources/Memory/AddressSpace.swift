#if canImport(Glibc)
import Glibc
#endif

/// A guest access the guest is not allowed to make: delivered to the guest as SIGSEGV.
public struct MemoryFault: Error, Sendable, Equatable {
    public var address: UInt32
    public var isWrite: Bool
    /// True when the page is mapped but lacks the permission (SEGV_ACCERR), false when unmapped.
    public var isPermission: Bool
    public init(address: UInt32, isWrite: Bool, isPermission: Bool) {
        self.address = address; self.isWrite = isWrite; self.isPermission = isPermission
    }
}

/// Guest page permissions; also the host protections of the page.
public struct Protection: OptionSet, Sendable, Hashable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    // Computed, not stored: a stored static is reached through a lazy-initialisation check in
    // other modules, and the interpreter reads these on every memory access.
    @inlinable public static var read: Protection { Protection(rawValue: 1) }
    @inlinable public static var write: Protection { Protection(rawValue: 2) }
    @inlinable public static var exec: Protection { Protection(rawValue: 4) }
    public static let rw: Protection = [.read, .write]
    public static let rx: Protection = [.read, .exec]
    public static let rwx: Protection = [.read, .write, .exec]

    /// From Linux PROT_* bits (PROT_READ 1, PROT_WRITE 2, PROT_EXEC 4).
    public init(linux: UInt32) { rawValue = UInt8(linux & 7) }
}

/// The guest's 4 GiB address space: one host reservation in which guest address `a` lives at
/// `base + a`, so a 32-bit guest address can never reach host memory outside it. Every guest
/// page has a permission byte here; the interpreter checks it on each access, and host page
/// protections mirror it for compiled code and for syscalls that touch guest buffers.
/// `guardSize` bytes of never-mapped reservation on each side let compiled code add a small
/// constant offset to a guest address in 64 bits (see `LLVMEmitter.hostPointer`): an access
/// whose 32-bit address would wrap around faults there.
public final class AddressSpace {
    @inlinable public static var pageSize: UInt32 { 4096 }
    @inlinable public static var pageShift: UInt32 { 12 }
    static let reservationSize = 1 << 32
    /// Twice the largest constant offset compiled code adds in 64 bits.
    public static let guardSize = 1 << 16
    /// The lowest address a guest mapping may start at (Linux's vm.mmap_min_addr): an access
    /// whose address wraps around 32 bits by at most `guardSize / 2` reaches below it or the
    /// top `guardSize / 2` bytes, above the vector page, neither of which is ever mapped.
    public static let lowestMappable: UInt32 = 0x1_0000
    static let pageCount = 1 << 20

    /// Host address of guest address 0.
    public let base: UnsafeMutableRawPointer
    /// Per guest page: `Protection` bits plus `PageFlag`s.
    public let pageFlags: UnsafeMutablePointer<UInt8>

    public enum PageFlag {
        @inlinable public static var mapped: UInt8 { 8 }
        /// Decoded or translated code was made from this page: writes must invalidate it.
        @inlinable public static var code: UInt8 { 16 }
        /// A code page that a store wrote through host write protection; its code is
        /// forgotten at the next `forgetWrittenCode`.
        @inlinable public static var codeWritten: UInt8 { 32 }

        /// What compiled code's inline check of an access compares: the access may happen
        /// there when a page's flags & `mask` == `need` (mapped, readable or writable, and
        /// for a write not holding code, whose translations the write must invalidate).
        @inlinable public static func inlineAccess(write: Bool) -> (mask: UInt8, need: UInt8) {
            let need = (write ? Protection.write.rawValue : Protection.read.rawValue) | mapped
            return (write ? need | code : need, need)
        }
    }

    /// Whether pages holding code are write-protected in the host while the guest may write
    /// them, so that compiled code can store without checking for code (see `markCode`).
    /// A host fault on such a page must then go to `unprotectWrittenCode`: the engine turns it
    /// on together with its fault handler.
    public var writeProtectsCode = false
    /// Code pages written through the write protection and not yet forgotten: a count, then
    /// up to `writtenPagesCapacity` page numbers (more are found by a scan). Raw memory, as
    /// a fault handler fills it and the engine polls the count before every dispatch.
    public let writtenCode: UnsafeMutablePointer<UInt32>
    private static let writtenPagesCapacity = 64

    /// Called with a guest address range whose code must be forgotten (a write to a code page,
    /// munmap, mprotect). Set by the engine.
    public var codeInvalidated: ((UInt32, UInt32) -> Void)?

    /// Where non-fixed mappings are first looked for (Linux's legacy TASK_UNMAPPED_BASE).
    public var mmapBase: UInt32 = 0x4000_0000

    public init() throws {
        let p = mmap(nil, AddressSpace.reservationSize + 2 * AddressSpace.guardSize, PROT_NONE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0)
        guard let p, p != MAP_FAILED else {
            throw AddressSpaceError.reservationFailed(errno: errno)
        }
        base = p + AddressSpace.guardSize
        pageFlags = .allocate(capacity: AddressSpace.pageCount)
        pageFlags.initialize(repeating: 0, count: AddressSpace.pageCount)
        writtenCode = .allocate(capacity: 1 + AddressSpace.writtenPagesCapacity)
        writtenCode.initialize(repeating: 0, count: 1 + AddressSpace.writtenPagesCapacity)
    }

    deinit {
        munmap(base - AddressSpace.guardSize, AddressSpace.reservationSize + 2 * AddressSpace.guardSize)
        pageFlags.deallocate()
        writtenCode.deallocate()
    }

    // MARK: Translation

    @inline(__always)
    public func host(_ address: UInt32) -> UnsafeMutableRawPointer {
        base + Int(address)
    }

    @inline(__always)
    public func flags(ofPage address: UInt32) -> UInt8 {
        pageFlags[Int(address >> AddressSpace.pageShift)]
    }

    /// Whether [address, address+length) is mapped with at least `protection`.
    public func check(_ address: UInt32, length: UInt32, _ protection: Protection) -> Bool {
        if length == 0 { return true }
        let end = UInt64(address) + UInt64(length)
        if end > UInt64(1) << 32 { return false }
        var page = address >> AddressSpace.pageShift
        let last = UInt32((end - 1) >> UInt64(AddressSpace.pageShift))
        let need = protection.rawValue | PageFlag.mapped
        while page <= last {
            if pageFlags[Int(page)] & need != need { return false }
            page += 1
        }
        return true
    }

    /// The fault an access of `length` bytes at `address` would raise, if any.
    public func fault(at address: UInt32, length: UInt32, write: Bool) -> MemoryFault? {
        let need: Protection = write ? .write : .read
        if check(address, length: length, need) { return nil }
        // Find the first page that fails to report its address the way the kernel would.
        var a = address
        let end = UInt64(address) + UInt64(length)
        while UInt64(a) < end {
            let f = flags(ofPage: a)
            if f & PageFlag.mapped == 0 {
                return MemoryFault(address: max(a, address), isWrite: write, isPermission: false)
            }
            if f & need.rawValue == 0 {
                return MemoryFault(address: max(a, address), isWrite: write, isPermission: true)
            }
            a = (a & ~(AddressSpace.pageSize - 1)) &+ AddressSpace.pageSize
            if a == 0 { break }
        }
        return MemoryFault(address: address, isWrite: write, isPermission: false)
    }

    // MARK: Mapping

    static func hostProtection(_ p: Protection) -> Int32 {
        // Guest exec is enforced in software (instruction fetch); the host never executes guest pages.
        var h = PROT_NONE
        if p.contains(.read) || p.contains(.exec) { h |= PROT_READ }
        if p.contains(.write) { h |= PROT_WRITE }
        return h
    }

    @inline(__always) static func pageAlignUp(_ v: UInt64) -> UInt64 {
        (v + UInt64(pageSize) - 1) & ~UInt64(pageSize - 1)
    }

    /// Whether no page of the range is mapped.
    public func isFree(_ address: UInt32, length: UInt32) -> Bool {
        var page = UInt64(address >> AddressSpace.pageShift)
        let end = (UInt64(address) + UInt64(length) + UInt64(AddressSpace.pageSize) - 1) >> UInt64(AddressSpace.pageShift)
        if end > UInt64(AddressSpace.pageCount) { return false }
        while page < end {
            if pageFlags[Int(page)] & PageFlag.mapped != 0 { return false }
            page += 1
        }
        return true
    }

    /// A free page-aligned range of `length` bytes at or above `hint` (then anywhere above
    /// the first 64 KiB), or nil when the space is full.
    public func findFree(length: UInt32, hint: UInt32? = nil) -> UInt32? {
        let pages = Int((UInt64(length) + UInt64(AddressSpace.pageSize) - 1) >> UInt64(AddressSpace.pageShift))
        guard pages > 0 else { return nil }
        let limit = Int(0xFFFF_0000 as UInt32 >> AddressSpace.pageShift)   // keep the kuser page free
        func scan(from start: Int, to end: Int) -> UInt32? {
            var run = 0
            var page = start
            while page < end {
                if pageFlags[page] & PageFlag.mapped != 0 { run = 0 } else {
                    run += 1
                    if run == pages { return UInt32(page - pages + 1) << AddressSpace.pageShift }
                }
                page += 1
            }
            return nil
        }
        let first = Int((hint ?? mmapBase) >> AddressSpace.pageShift)
        return scan(from: first, to: limit) ?? scan(from: 16, to: min(first + pages, limit))
    }

    /// Maps [address, address+length) (page-aligned) with `protection`: anonymous zero pages,
    /// or `length` bytes of `fd` from `offset`. Replaces whatever was there.
    /// Returns 0 or a negative errno.
    @discardableResult
    public func map(_ address: UInt32, length: UInt32, protection: Protection,
                    fd: Int32 = -1, offset: Int64 = 0, shared: Bool = false) -> Int32 {
        precondition(address % AddressSpace.pageSize == 0)
        let len = AddressSpace.pageAlignUp(UInt64(length))
        guard len > 0, UInt64(address) + len <= UInt64(1) << 32 else { return -EINVAL }
        var flags = MAP_FIXED | (shared ? MAP_SHARED : MAP_PRIVATE)
        if fd < 0 { flags |= MAP_ANONYMOUS }
        let hostProt = AddressSpace.hostProtection(protection)
        let p = mmap(host(address), Int(len), hostProt, flags, fd, off_t(offset))
        if p == MAP_FAILED { return -errno }
        invalidateCode(address, UInt32(truncatingIfNeeded: len - 1) &+ 1, restoringProtection: false)
        setFlags(address, len, protection.rawValue | PageFlag.mapped)
        return 0
    }

    /// Unmaps a range (the host pages return to the PROT_NONE reservation).
    public func unmap(_ address: UInt32, length: UInt32) {
        let len = AddressSpace.pageAlignUp(UInt64(length))
        guard len > 0, UInt64(address) + len <= UInt64(1) << 32 else { return }
        invalidateCode(address, UInt32(truncatingIfNeeded: len - 1) &+ 1, restoringProtection: false)
        _ = mmap(host(address), Int(len), PROT_NONE,
                 MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0)
        setFlags(address, len, 0)
    }

    /// Changes the protection of mapped pages; -ENOMEM if part of the range is unmapped.
    public func protect(_ address: UInt32, length: UInt32, protection: Protection) -> Int32 {
        let len = AddressSpace.pageAlignUp(UInt64(length))
        guard UInt64(address) + len <= UInt64(1) << 32 else { return -ENOMEM }
        if len == 0 { return 0 }
        var page = Int(address >> AddressSpace.pageShift)
        let end = page + Int(len >> UInt64(AddressSpace.pageShift))
        for p in page..<end where pageFlags[p] & PageFlag.mapped == 0 { return -ENOMEM }
        if mprotect(host(address), Int(len), AddressSpace.hostProtection(protection)) != 0 { return -errno }
        invalidateCode(address, UInt32(truncatingIfNeeded: len - 1) &+ 1, restoringProtection: false)
        while page < end {
            pageFlags[page] = (pageFlags[page] & ~7 & ~PageFlag.code) | protection.rawValue
            page += 1
        }
        return 0
    }

    /// Writes bytes regardless of guest protection (the loader filling read-only segments).
    public func poke(_ address: UInt32, _ bytes: UnsafeRawBufferPointer) {
        guard bytes.count > 0 else { return }
        invalidateCode(address, UInt32(bytes.count))
        let len = AddressSpace.pageAlignUp(UInt64(address % AddressSpace.pageSize) + UInt64(bytes.count))
        let start = address & ~(AddressSpace.pageSize - 1)
        let prot = AddressSpace.hostProtection(Protection(rawValue: flags(ofPage: address) & 7))
        mprotect(host(start), Int(len), PROT_READ | PROT_WRITE)
        host(address).copyMemory(from: bytes.baseAddress!, byteCount: bytes.count)
        // Pages of one loader write share a protection; restore it.
        mprotect(host(start), Int(len), prot)
    }

    private func setFlags(_ address: UInt32, _ len: UInt64, _ value: UInt8) {
        let first = Int(address >> AddressSpace.pageShift)
        let count = Int(len >> UInt64(AddressSpace.pageShift))
        (pageFlags + first).update(repeating: value, count: count)
    }

    // MARK: Code tracking

    /// Marks the page of `address` as holding decoded code. With `writeProtectsCode`, a page
    /// the guest may write becomes read-only in the host until its code is forgotten, so a
    /// store from compiled code faults instead of checking the page on every store.
    @inline(__always)
    public func markCode(_ address: UInt32) {
        let page = Int(address >> AddressSpace.pageShift)
        if pageFlags[page] & PageFlag.code == 0 { markNewCode(page) }
    }

    private func markNewCode(_ page: Int) {
        pageFlags[page] |= PageFlag.code
        if protectsCodeFromWrites(page) { setHostProtection(page, writable: false) }
    }

    /// Whether a code page is write-protected in the host: the guest may write it.
    private func protectsCodeFromWrites(_ page: Int) -> Bool {
        writeProtectsCode && pageFlags[page] & Protection.write.rawValue != 0
    }

    /// Gives one page the guest's protection in the host, without write when not `writable`.
    /// Async-signal-safe (see `unprotectWrittenCode`).
    private func setHostProtection(_ page: Int, writable: Bool) {
        let guest = Protection(rawValue: pageFlags[page] & 7)
        mprotect(base + page << Int(AddressSpace.pageShift), Int(AddressSpace.pageSize),
                 AddressSpace.hostProtection(writable ? guest : guest.subtracting(.write)))
    }

    /// Forgets code in a range: clears the code marks (giving written pages back their host
    /// write permission unless the caller sets protections itself) and tells the engine.
    public func invalidateCode(_ address: UInt32, _ length: UInt32, restoringProtection: Bool = true) {
        guard length > 0 else { return }
        var page = Int(address >> AddressSpace.pageShift)
        let last = Int((UInt64(address) + UInt64(length) - 1) >> UInt64(AddressSpace.pageShift))
        var any = false
        while page <= last {
            if pageFlags[page] & PageFlag.code != 0 {
                pageFlags[page] &= ~PageFlag.code
                if restoringProtection && protectsCodeFromWrites(page) { setHostProtection(page, writable: true) }
                any = true
            }
            page += 1
        }
        if any { codeInvalidated?(address, length) }
    }

    /// For the host fault handler, on a fault at guest `address`: when it is a code page the
    /// guest may write (write-protected by `markCode`), makes it writable, notes it for
    /// `forgetWrittenCode` and returns true: returning from the handler then redoes the store.
    /// Async-signal-safe: it only reads and writes preallocated memory and calls mprotect.
    public func unprotectWrittenCode(at address: UInt32) -> Bool {
        let page = Int(address >> AddressSpace.pageShift)
        let flags = pageFlags[page]
        guard flags & PageFlag.code != 0, flags & PageFlag.mapped != 0, protectsCodeFromWrites(page) else { return false }
        setHostProtection(page, writable: true)
        if flags & PageFlag.codeWritten == 0 {
            pageFlags[page] = flags | PageFlag.codeWritten
            let count = Int(writtenCode[0])
            if count < AddressSpace.writtenPagesCapacity { writtenCode[1 + count] = UInt32(page) }
            writtenCode[0] = UInt32(count + 1)
        }
        return true
    }

    /// Forgets the code of the pages `unprotectWrittenCode` noted. Compiled code may run on
    /// stale code in between, until it returns to the engine: as on ARM, where new code must be
    /// made visible to instruction fetch (cache maintenance, the cacheflush syscall) first.
    /// Returns how many pages were noted.
    public func forgetWrittenCode() -> Int {
        let count = Int(writtenCode[0])
        guard count > 0 else { return 0 }
        writtenCode[0] = 0
        func forget(_ page: Int) {
            pageFlags[page] &= ~PageFlag.codeWritten
            invalidateCode(UInt32(page) << AddressSpace.pageShift, AddressSpace.pageSize)
        }
        if count <= AddressSpace.writtenPagesCapacity {
            for k in 0..<count { forget(Int(writtenCode[1 + k])) }
        } else {
            for page in 0..<AddressSpace.pageCount where pageFlags[page] & PageFlag.codeWritten != 0 { forget(page) }
        }
        return count
    }

    // MARK: Checked access for the syscall layer and the loader

    // Inlinable, so callers in other modules get them specialized: unspecialized, each call
    // looked up generic metadata at run time (the kuser helpers make one per guest lock).
    @inlinable
    public func read<T: FixedWidthInteger>(_ address: UInt32, as: T.Type = T.self) throws(MemoryFault) -> T {
        if let f = fault(at: address, length: UInt32(MemoryLayout<T>.size), write: false) { throw f }
        return T(littleEndian: host(address).loadUnaligned(as: T.self))
    }

    @inlinable
    public func write<T: FixedWidthInteger>(_ address: UInt32, _ value: T) throws(MemoryFault) {
        if let f = fault(at: address, length: UInt32(MemoryLayout<T>.size), write: true) { throw f }
        noteWrite(address, UInt32(MemoryLayout<T>.size))  // first: it lifts a code page's write protection
        host(address).storeBytes(of: value.littleEndian, as: T.self)
    }

    public func readBytes(_ address: UInt32, count: Int) throws(MemoryFault) -> [UInt8] {
        if let f = fault(at: address, length: UInt32(count), write: false) { throw f }
        return Array(UnsafeRawBufferPointer(start: host(address), count: count))
    }

    public func writeBytes(_ address: UInt32, _ bytes: [UInt8]) throws(MemoryFault) {
        if let f = fault(at: address, length: UInt32(bytes.count), write: true) { throw f }
        noteWrite(address, UInt32(bytes.count))
        bytes.withUnsafeBytes { host(address).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
    }

    /// A NUL-terminated string of at most `limit` bytes.
    public func readCString(_ address: UInt32, limit: Int = 1 << 16) throws(MemoryFault) -> [UInt8] {
        var out: [UInt8] = []
        var a = address
        while out.count < limit {
            let b: UInt8 = try read(a)
            if b == 0 { return out }
            out.append(b)
            a &+= 1
        }
        return out
    }

    /// A host pointer to a guest buffer the host kernel will read or write directly, after
    /// checking the guest may access it.
    public func buffer(_ address: UInt32, length: UInt32, write: Bool) throws(MemoryFault) -> UnsafeMutableRawPointer {
        if let f = fault(at: address, length: length, write: write) { throw f }
        if write { noteWrite(address, length) }
        return host(address)
    }

    /// A write by anything but a guest store (syscalls, the loader) to pages that may hold
    /// code; before the write, as it lifts the host write protection of code pages.
    @inline(__always)
    public func noteWrite(_ address: UInt32, _ length: UInt32) {
        guard length > 0 else { return }
        if flags(ofPage: address) & PageFlag.code != 0
            || flags(ofPage: address &+ length &- 1) & PageFlag.code != 0 || length > AddressSpace.pageSize {
            invalidateCode(address, length)
        }
    }
}

public enum AddressSpaceError: Error, CustomStringConvertible {
    case reservationFailed(errno: Int32)
    public var description: String {
        switch self {
        case .reservationFailed(let e):
            return "cannot reserve 4 GiB of address space for the guest: \(String(cString: strerror(e)))"
        }
    }
}
