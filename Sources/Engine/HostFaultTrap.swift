#if canImport(Glibc)
import Glibc
#endif

/// Turns a host SIGSEGV on guest memory into the guest's death by SIGSEGV. Compiled code
/// without load checks (`Region.checksLoads`) reads guest memory directly; a read the guest
/// may not make faults in the host, because host pages carry the guest's protection. That
/// code runs only while the guest catches neither SIGSEGV nor SIGBUS, so the guest's
/// default action applies: it dies, as the kernel would kill it. Any other fault is the
/// host's own and goes to the handler that was there before.
enum HostFaultTrap {
    /// The guest memory reservation [guestBase, guestBase + 4 GiB).
    nonisolated(unsafe) private static var guestBase: UInt = 0
    nonisolated(unsafe) private static var previous = sigaction()
    /// The message's parts, made before any fault: the handler must not allocate (the fault
    /// may interrupt anything, a malloc on another thread included).
    nonisolated(unsafe) private static var message = [UInt8](repeating: 0, count: 200)
    private static let prefix = Array("isomorph: guest terminated by SIGSEGV (Segmentation fault) in compiled code: invalid read from 0x".utf8)
    private static let suffix = Array(" (--tier interp reports the exact pc)\n".utf8)
    private static let digits = Array("0123456789abcdef".utf8)

    static var installed: Bool { guestBase != 0 }

    static func install(guestBase base: UnsafeMutableRawPointer) {
        guestBase = UInt(bitPattern: base)
        _ = (prefix, suffix, digits)  // initialised now, not in the handler
        var action = sigaction()
        action.sa_flags = SA_SIGINFO | SA_ONSTACK
        sigemptyset(&action.sa_mask)
        action.__sigaction_handler.sa_sigaction = { _, info, _ in HostFaultTrap.handle(info) }
        sigaction(SIGSEGV, &action, &previous)
    }

    private static func handle(_ info: UnsafeMutablePointer<siginfo_t>?) {
        let address = info.map { UInt(bitPattern: $0.pointee._sifields._sigfault.si_addr) } ?? 0
        guard guestBase != 0, address >= guestBase, address - guestBase < 1 << 32 else {
            // Not guest memory: a host fault, for whoever handled it before.
            sigaction(SIGSEGV, &previous, nil)
            return
        }
        let guestAddress = UInt32(address - guestBase)
        var length = 0
        message.withUnsafeMutableBufferPointer { buffer in
            for byte in prefix { buffer[length] = byte; length += 1 }
            for shift in stride(from: 28, through: 0, by: -4) {
                buffer[length] = digits[Int(guestAddress >> UInt32(shift) & 0xF)]
                length += 1
            }
            for byte in suffix { buffer[length] = byte; length += 1 }
            _ = write(2, buffer.baseAddress, length)
        }
        // Die the way the guest would: by SIGSEGV, without a core file. Returning re-runs
        // the faulting load, which now kills the process.
        var noCore = rlimit(rlim_cur: 0, rlim_max: 0)
        setrlimit(__rlimit_resource_t(RLIMIT_CORE.rawValue), &noCore)
        signal(SIGSEGV, SIG_DFL)
    }
}
