#if canImport(Glibc)
import Glibc
#endif
import Memory

/// Handles host SIGSEGV on guest memory, which compiled code without access checks
/// (`Region.checksAccesses`) raises in two ways:
/// - a store to a page holding code, which the host write-protects
///   (`AddressSpace.writeProtectsCode`): the page becomes writable again, its code is
///   forgotten at the next dispatch, and the store is redone;
/// - an access the guest may not make (host protection mirrors the guest's): the guest dies of
///   SIGSEGV, as the kernel would kill it. Such code runs only while the guest catches neither
///   SIGSEGV nor SIGBUS, so the guest's default action applies.
/// Any other fault is the host's own and goes to the handler that was there before.
enum HostFaultTrap {
    /// The guest's memory (its reservation is [base, base + 4 GiB)).
    nonisolated(unsafe) private static var memory: Unmanaged<AddressSpace>?
    nonisolated(unsafe) private static var guestBase: UInt = 0
    nonisolated(unsafe) private static var previous = sigaction()
    nonisolated(unsafe) private static var handlerInstalled = false
    /// The message's parts, made before any fault: the handler must not allocate (the fault
    /// may interrupt anything, a malloc on another thread included).
    nonisolated(unsafe) private static var message = [UInt8](repeating: 0, count: 200)
    private static let prefix = Array("isomorph: guest terminated by SIGSEGV (Segmentation fault) in compiled code: invalid ".utf8)
    private static let read = Array("read from 0x".utf8)
    private static let write = Array("write to 0x".utf8)
    private static let suffix = Array(" (--tier interp reports the exact pc)\n".utf8)
    private static let digits = Array("0123456789abcdef".utf8)

    /// Points the handler at `space` (installing it the first time) and turns on its code write
    /// protection, which needs the handler. One guest at a time: a later engine in the same
    /// process (as in tests) takes the handler over.
    static func install(for space: AddressSpace) {
        memory = Unmanaged.passUnretained(space)
        guestBase = UInt(bitPattern: space.base)
        space.writeProtectsCode = true
        guard !handlerInstalled else { return }
        handlerInstalled = true
        _ = (prefix, read, write, suffix, digits)  // initialised now, not in the handler
        var action = sigaction()
        action.sa_flags = SA_SIGINFO | SA_ONSTACK
        sigemptyset(&action.sa_mask)
        action.__sigaction_handler.sa_sigaction = { _, info, context in HostFaultTrap.handle(info, context) }
        sigaction(SIGSEGV, &action, &previous)
    }

    /// Forgets `space` (its engine is going away): faults are the host's again.
    static func release(_ space: AddressSpace) {
        guard memory?.takeUnretainedValue() === space else { return }
        guestBase = 0
        memory = nil
    }

    private static func handle(_ info: UnsafeMutablePointer<siginfo_t>?, _ context: UnsafeMutableRawPointer?) {
        let address = info.map { UInt(bitPattern: $0.pointee._sifields._sigfault.si_addr) } ?? 0
        let guardSize = UInt(AddressSpace.guardSize)
        guard guestBase != 0, address &+ guardSize >= guestBase, address &+ guardSize - guestBase < (1 << 32) + 2 * guardSize else {
            // Not guest memory: a host fault, for whoever handled it before.
            sigaction(SIGSEGV, &previous, nil)
            return
        }
        // In a guard region, the address the guest meant wrapped around 32 bits.
        let guestAddress = UInt32(truncatingIfNeeded: address &- guestBase)
        if memory?._withUnsafeGuaranteedRef({ $0.unprotectWrittenCode(at: guestAddress) }) == true { return }
        var length = 0
        message.withUnsafeMutableBufferPointer { buffer in
            func append(_ bytes: [UInt8]) { for byte in bytes { buffer[length] = byte; length += 1 } }
            append(prefix)
            append(isWrite(context) ? write : read)
            for shift in stride(from: 28, through: 0, by: -4) {
                buffer[length] = digits[Int(guestAddress >> UInt32(shift) & 0xF)]
                length += 1
            }
            append(suffix)
            _ = Glibc.write(2, buffer.baseAddress, length)
        }
        // Die the way the guest would: by SIGSEGV, without a core file. Returning re-runs
        // the faulting access, which now kills the process.
        var noCore = rlimit(rlim_cur: 0, rlim_max: 0)
        setrlimit(__rlimit_resource_t(RLIMIT_CORE.rawValue), &noCore)
        signal(SIGSEGV, SIG_DFL)
    }

    /// Whether the faulting access was a write: bit 1 of the x86 page-fault error code, which
    /// Linux passes in the context's REG_ERR (greg 19 on x86-64; glibc's macro is not visible
    /// to Swift).
    private static let registerError = 19
    private static func isWrite(_ context: UnsafeMutableRawPointer?) -> Bool {
        guard var gregs = context?.assumingMemoryBound(to: ucontext_t.self).pointee.uc_mcontext.gregs else { return false }
        let error = withUnsafeBytes(of: &gregs) { $0.load(fromByteOffset: registerError * MemoryLayout<greg_t>.stride, as: greg_t.self) }
        return error & 2 != 0
    }
}
