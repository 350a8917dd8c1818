#if canImport(Glibc)
import Glibc
#endif

/// Linux errno values as the guest sees them. The generic errno numbers (1–133) are the same on
/// ARM EABI and x86-64 Linux, so a host errno is passed to the guest unchanged; this file only
/// names them (for `--strace`) and holds the few helpers that turn host results into `-errno`.
enum Errno {
    static let EPERM: Int = 1, ENOENT = 2, ESRCH = 3, EINTR = 4, EIO = 5, ENXIO = 6, E2BIG = 7
    static let ENOEXEC = 8, EBADF = 9, ECHILD = 10, EAGAIN = 11, ENOMEM = 12, EACCES = 13
    static let EFAULT = 14, EBUSY = 16, EEXIST = 17, EXDEV = 18, ENODEV = 19, ENOTDIR = 20
    static let EISDIR = 21, EINVAL = 22, ENFILE = 23, EMFILE = 24, ENOTTY = 25, EFBIG = 27
    static let ENOSPC = 28, ESPIPE = 29, EROFS = 30, EMLINK = 31, EPIPE = 32, ERANGE = 34
    static let EDEADLK = 35, ENAMETOOLONG = 36, ENOLCK = 37, ENOSYS = 38, ENOTEMPTY = 39
    static let ELOOP = 40, ENODATA = 61, ETIME = 62, EOVERFLOW = 75, ENOTSOCK = 88
    static let EOPNOTSUPP = 95, ENOPROTOOPT = 92, ETIMEDOUT = 110

    /// The host's (identical) message for an errno, as strace prints it.
    static func message(_ e: Int) -> String {
        guard let s = strerror(Int32(truncatingIfNeeded: e)) else { return "errno \(e)" }
        return String(cString: s)
    }

    /// The current host errno as a negative syscall result.
    @inline(__always) static var negatedHost: Int { -Int(errno) }

    /// Whether a raw syscall result (as written to r0) is an error: -4095...-1.
    @inline(__always) static func isError(_ r: Int) -> Bool { r < 0 && r >= -4095 }
}

/// `-errno` for a libc call that returned -1, else the value.
@inline(__always) func hostResult<T: BinaryInteger>(_ r: T) -> Int {
    r == -1 ? -Int(errno) : Int(r)
}
