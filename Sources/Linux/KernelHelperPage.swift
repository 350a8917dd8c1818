/// The ARM Linux kernel user helper page ("kuser helpers", Documentation/arch/arm/kernel_user_helpers.rst):
/// one read+exec page at 0xffff0000 whose last 160 bytes hold small routines at fixed addresses
/// that user code calls with `blx`/`mov pc`: glibc and libgcc use __kuser_get_tls for TLS and
/// __kuser_cmpxchg/__kuser_memory_barrier for atomics when built for ARMv5TE.
///
/// How Isomorph runs them: the Linux layer intercepts execution of the helper entry addresses
/// (`isHelperEntry`) and performs the helper in Swift (atomically with respect to other guest
/// threads), then returns to lr; the code on the page is then never executed. The page still
/// holds the kernel's own ARMv7 implementations (assembled from arch/arm/kernel/entry-armv.S,
/// SMP variant, hardware-TLS variant of get_tls) so that a guest that reads or executes them
/// without interception sees what it would see on a real ARMv7 kernel. The rest of the page is
/// filled, as the kernel does, with the undefined instruction 0xe7fddef1.
public enum KernelHelperPage {
    /// Where the page is mapped (read + exec) in every process.
    public static let address: UInt32 = 0xFFFF_0000
    public static let size: UInt32 = 4096

    /// int __kuser_cmpxchg64(const int64_t *oldval, const int64_t *newval, volatile int64_t *ptr)
    public static let cmpxchg64: UInt32 = 0xFFFF_0F60
    /// void __kuser_memory_barrier(void)
    public static let memoryBarrier: UInt32 = 0xFFFF_0FA0
    /// int __kuser_cmpxchg(int32_t oldval, int32_t newval, volatile int32_t *ptr)
    public static let cmpxchg: UInt32 = 0xFFFF_0FC0
    /// void *__kuser_get_tls(void): returns TPIDRURO (the value set by the set_tls syscall).
    public static let getTLS: UInt32 = 0xFFFF_0FE0
    /// int __kuser_helper_version: the number of 32-byte helper slots (5: all four helpers).
    public static let versionAddress: UInt32 = 0xFFFF_0FFC
    public static let version: UInt32 = 5

    /// The four helper entry points, in address order.
    public static let helperEntries: [UInt32] = [cmpxchg64, memoryBarrier, cmpxchg, getTLS]

    /// Whether `pc` is the entry point of a helper (the addresses the Linux layer intercepts).
    @inline(__always)
    public static func isHelperEntry(_ pc: UInt32) -> Bool {
        pc == getTLS || pc == cmpxchg || pc == memoryBarrier || pc == cmpxchg64
    }

    /// The kernel's filler: an undefined instruction (`udf #0xdde1` in the permanently-undefined space).
    public static let poison: UInt32 = 0xE7FD_DEF1

    /// Code words by page offset (ARM, little-endian), as the kernel places them.
    static let words: [(offset: Int, words: [UInt32])] = [
        // __kuser_cmpxchg64 @ 0xf60
        (0xF60, [0xE92D_00F0,   // push    {r4, r5, r6, r7}
                 0xE1C0_40D0,   // ldrd    r4, r5, [r0]        @ old value
                 0xE1C1_60D0,   // ldrd    r6, r7, [r1]        @ new value
                 0xF57F_F05B,   // dmb     ish
                 0xE1B2_0F9F,   // 1: ldrexd r0, r1, [r2]      @ current value
                 0xE030_3004,   // eors    r3, r0, r4
                 0x0031_3005,   // eorseq  r3, r1, r5
                 0x01A2_3F96,   // strexdeq r3, r6, r7, [r2]
                 0x0333_0001,   // teqeq   r3, #1
                 0x0AFF_FFF9,   // beq     1b
                 0xF57F_F05B,   // dmb     ish
                 0xE273_0000,   // rsbs    r0, r3, #0          @ 0 and C set on success
                 0xE8BD_00F0,   // pop     {r4, r5, r6, r7}
                 0xE12F_FF1E]), // bx      lr
        // __kuser_memory_barrier @ 0xfa0
        (0xFA0, [0xF57F_F05B,   // dmb     ish
                 0xE12F_FF1E]), // bx      lr
        // __kuser_cmpxchg @ 0xfc0
        (0xFC0, [0xF57F_F05B,   // dmb     ish
                 0xE192_3F9F,   // 1: ldrex r3, [r2]
                 0xE053_3000,   // subs    r3, r3, r0
                 0x0182_3F91,   // strexeq r3, r1, [r2]
                 0x0333_0001,   // teqeq   r3, #1
                 0x0AFF_FFFA,   // beq     1b
                 0xE273_0000,   // rsbs    r0, r3, #0          @ 0 and C set on success
                 0xEAFF_FFEF]), // b       __kuser_memory_barrier
        // __kuser_get_tls @ 0xfe0 (hardware TLS: the kernel copies the mrc over the ldr)
        (0xFE0, [0xEE1D_0F70,   // mrc     p15, 0, r0, c13, c0, 3   @ TPIDRURO
                 0xE12F_FF1E,   // bx      lr
                 0xEE1D_0F70,   // mrc     p15, 0, r0, c13, c0, 3   @ the hardware-TLS template
                 poison,
                 0, 0, 0]),     // the software TLS slot (unused with hardware TLS)
        // __kuser_helper_version @ 0xffc
        (0xFFC, [version]),
    ]

    /// The 4096 bytes of the page.
    public static let contents: [UInt8] = {
        var page = [UInt8](repeating: 0, count: Int(size))
        func put(_ offset: Int, _ w: UInt32) {
            page[offset] = UInt8(truncatingIfNeeded: w)
            page[offset + 1] = UInt8(truncatingIfNeeded: w >> 8)
            page[offset + 2] = UInt8(truncatingIfNeeded: w >> 16)
            page[offset + 3] = UInt8(truncatingIfNeeded: w >> 24)
        }
        for o in stride(from: 0, to: Int(size), by: 4) { put(o, poison) }
        for (offset, ws) in words {
            for (i, w) in ws.enumerated() { put(offset + 4 * i, w) }
        }
        return page
    }()
}
