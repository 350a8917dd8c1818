#if canImport(Glibc)
import Glibc
#endif

/// Auxiliary vector entry types (include/uapi/linux/auxvec.h).
public enum AuxvType {
    public static let AT_NULL: UInt32 = 0
    public static let AT_PHDR: UInt32 = 3
    public static let AT_PHENT: UInt32 = 4
    public static let AT_PHNUM: UInt32 = 5
    public static let AT_PAGESZ: UInt32 = 6
    public static let AT_BASE: UInt32 = 7
    public static let AT_FLAGS: UInt32 = 8
    public static let AT_ENTRY: UInt32 = 9
    public static let AT_UID: UInt32 = 11
    public static let AT_EUID: UInt32 = 12
    public static let AT_GID: UInt32 = 13
    public static let AT_EGID: UInt32 = 14
    public static let AT_PLATFORM: UInt32 = 15
    public static let AT_HWCAP: UInt32 = 16
    public static let AT_CLKTCK: UInt32 = 17
    public static let AT_SECURE: UInt32 = 23
    public static let AT_RANDOM: UInt32 = 25
    public static let AT_HWCAP2: UInt32 = 26
    public static let AT_EXECFN: UInt32 = 31
}

/// ARM AT_HWCAP bits (arch/arm/include/uapi/asm/hwcap.h).
public enum ARMHWCap {
    public static let swp: UInt32 = 1 << 0
    public static let half: UInt32 = 1 << 1
    public static let thumb: UInt32 = 1 << 2
    public static let fastMult: UInt32 = 1 << 4
    public static let vfp: UInt32 = 1 << 6
    public static let edsp: UInt32 = 1 << 7
    public static let neon: UInt32 = 1 << 12
    public static let tls: UInt32 = 1 << 15
    public static let idiva: UInt32 = 1 << 17

    /// What Isomorph's guest CPU really has: the ARMv7-A integer ISA in ARM state — SWP,
    /// halfword loads/stores, long multiplies, the DSP extension, the TLS register, SDIV/UDIV
    /// in ARM state. No Thumb, VFP or NEON (they are not implemented), so none are claimed.
    public static let isomorph: UInt32 = swp | half | fastMult | edsp | tls | idiva
}

/// The initial stack of a new ARM EABI Linux process, laid out as the kernel's
/// create_elf_tables (fs/binfmt_elf.c) builds it. From the top of the stack down:
///
///     top-4          a NULL word
///                    the execfn string (the path given to execve)
///                    envp strings, then below them argv strings (each block in order)
///     (16-aligned)   the AT_PLATFORM string "v7l"
///                    16 AT_RANDOM bytes
///     (16-aligned)   argc, argv[0..argc), NULL, envp[0..envc), NULL, auxv pairs…, AT_NULL 0  <- sp
public struct InitialStack {
    /// The stack's top (exclusive) and size: [top - size, top), growing down.
    public static let top: UInt32 = 0xFFFE_0000
    public static let size: UInt32 = 8 << 20
    public static var bottom: UInt32 { top - size }
    /// AT_PLATFORM on a little-endian ARMv7 kernel ("v%dl" with the CPU architecture 7).
    public static let platform = "v7l"
    /// The kernel's limits: argv+envp strings may fill a quarter of the stack (ARG_MAX with an
    /// 8 MiB stack rlimit) and one string at most MAX_ARG_STRLEN (32 pages).
    public static let maxStringBytes = Int(size / 4)
    public static let maxStringLength = 32 * 4096

    /// What the auxiliary vector says about the program.
    public struct ProgramInfo: Sendable, Equatable {
        public var phdr: UInt32
        public var phent: UInt32 = 32
        public var phnum: UInt32
        /// The interpreter's load address, 0 without an interpreter.
        public var base: UInt32
        /// The main program's entry point.
        public var entry: UInt32
        public var uid: UInt32 = 0, euid: UInt32 = 0, gid: UInt32 = 0, egid: UInt32 = 0
        public var hwcap: UInt32 = ARMHWCap.isomorph
        public var hwcap2: UInt32 = 0
        public var secure: UInt32 = 0
        public init(phdr: UInt32, phnum: UInt32, base: UInt32, entry: UInt32) {
            self.phdr = phdr; self.phnum = phnum; self.base = base; self.entry = entry
        }
    }

    /// The built image: `bytes` go at `sp` and end at `top`.
    public var sp: UInt32
    public var bytes: [UInt8]
    public var argvAddresses: [UInt32]
    public var envpAddresses: [UInt32]
    public var execfnAddress: UInt32
    public var platformAddress: UInt32
    public var randomAddress: UInt32
    /// The auxiliary vector as written (without the terminating AT_NULL).
    public var auxv: [(type: UInt32, value: UInt32)]

    /// Lays out the stack for a stack ending at `top`. Strings are cut at their first NUL (a C
    /// string cannot contain one). Returns nil when the strings exceed the kernel's limits.
    public init?(top: UInt32 = InitialStack.top, argv: [String], environment: [String], execfn: String,
                 random: [UInt8], info: ProgramInfo) {
        precondition(random.count == 16, "AT_RANDOM needs 16 bytes")
        func cString(_ s: String) -> [UInt8] {
            var b = Array(s.utf8)
            if let nul = b.firstIndex(of: 0) { b.removeSubrange(nul...) }
            b.append(0)
            return b
        }
        let argStrings = argv.map(cString)
        let envStrings = environment.map(cString)
        let execfnBytes = cString(execfn)
        let stringBytes = argStrings.reduce(0) { $0 + $1.count } + envStrings.reduce(0) { $0 + $1.count }
            + execfnBytes.count
        guard stringBytes <= InitialStack.maxStringBytes,
              (argStrings + envStrings + [execfnBytes]).allSatisfy({ $0.count <= InitialStack.maxStringLength })
        else { return nil }

        // Addresses, top down, in 64 bits (nothing here can wrap: the total is bounded above).
        var p = UInt64(top) - 4                              // the NULL word
        p -= UInt64(execfnBytes.count)
        let execfnAt = p
        p -= UInt64(envStrings.reduce(0) { $0 + $1.count })
        var envAt: [UInt64] = []
        var a = p
        for s in envStrings { envAt.append(a); a += UInt64(s.count) }
        p -= UInt64(argStrings.reduce(0) { $0 + $1.count })
        var argAt: [UInt64] = []
        a = p
        for s in argStrings { argAt.append(a); a += UInt64(s.count) }
        p &= ~15                                             // arch_align_stack
        let platformBytes = cString(InitialStack.platform)
        p -= UInt64(platformBytes.count)
        let platformAt = p
        p -= 16
        let randomAt = p

        let aux: [(type: UInt32, value: UInt32)] = [
            (AuxvType.AT_HWCAP, info.hwcap),
            (AuxvType.AT_PAGESZ, 4096),
            (AuxvType.AT_CLKTCK, 100),
            (AuxvType.AT_PHDR, info.phdr),
            (AuxvType.AT_PHENT, info.phent),
            (AuxvType.AT_PHNUM, info.phnum),
            (AuxvType.AT_BASE, info.base),
            (AuxvType.AT_FLAGS, 0),
            (AuxvType.AT_ENTRY, info.entry),
            (AuxvType.AT_UID, info.uid),
            (AuxvType.AT_EUID, info.euid),
            (AuxvType.AT_GID, info.gid),
            (AuxvType.AT_EGID, info.egid),
            (AuxvType.AT_SECURE, info.secure),
            (AuxvType.AT_RANDOM, UInt32(randomAt)),
            (AuxvType.AT_HWCAP2, info.hwcap2),
            (AuxvType.AT_EXECFN, UInt32(execfnAt)),
            (AuxvType.AT_PLATFORM, UInt32(platformAt)),
        ]
        let words = (argStrings.count + 1) + (envStrings.count + 1) + 1 + 2 * (aux.count + 1)
        let spAt = (p - UInt64(words) * 4) & ~15             // STACK_ROUND: 16-byte aligned

        var image = [UInt8](repeating: 0, count: Int(UInt64(top) - spAt))
        func put(_ at: UInt64, _ b: [UInt8]) {
            let o = Int(at - spAt)
            image.replaceSubrange(o..<(o + b.count), with: b)
        }
        func put32(_ at: UInt64, _ v: UInt32) {
            put(at, [UInt8(truncatingIfNeeded: v), UInt8(truncatingIfNeeded: v >> 8),
                     UInt8(truncatingIfNeeded: v >> 16), UInt8(truncatingIfNeeded: v >> 24)])
        }
        put(execfnAt, execfnBytes)
        for (s, at) in zip(envStrings, envAt) { put(at, s) }
        for (s, at) in zip(argStrings, argAt) { put(at, s) }
        put(platformAt, platformBytes)
        put(randomAt, random)
        var w = spAt
        func push(_ v: UInt32) { put32(w, v); w += 4 }
        push(UInt32(argStrings.count))
        for at in argAt { push(UInt32(at)) }
        push(0)
        for at in envAt { push(UInt32(at)) }
        push(0)
        for (t, v) in aux { push(t); push(v) }
        push(AuxvType.AT_NULL); push(0)

        sp = UInt32(spAt)
        bytes = image
        argvAddresses = argAt.map { UInt32($0) }
        envpAddresses = envAt.map { UInt32($0) }
        execfnAddress = UInt32(execfnAt)
        platformAddress = UInt32(platformAt)
        randomAddress = UInt32(randomAt)
        auxv = aux
    }

    /// 16 bytes from the host's getrandom(2) for AT_RANDOM (glibc seeds its stack protector
    /// and pointer guard from them). Swift's SystemRandomNumberGenerator is getrandom(2) on
    /// Linux (the Glibc module does not export the getrandom wrapper itself).
    public static func randomBytes() -> [UInt8] {
        var g = SystemRandomNumberGenerator()
        var out: [UInt8] = []
        for _ in 0..<2 {
            let v = g.next()
            for i in 0..<8 { out.append(UInt8(truncatingIfNeeded: v >> (8 * UInt64(i)))) }
        }
        return out
    }
}
