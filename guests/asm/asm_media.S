@ ARMv6/ARMv7 media and bit-field instructions: extends (uxtb/sxth/uxtab ...), byte reversal
@ (rev/rev16/revsh/rbit), saturation (ssat/usat/ssat16/usat16, Q flag), SIMD add/sub with GE
@ flags and sel, halving/saturating SIMD, usad8/usada8, pkhbt/pkhtb, bfi/bfc/ubfx/sbfx, clz,
@ movw/movt, sdiv/udiv (integer divide extension, present on qemu-arm's default CPU), the
@ signed multiply family (smmul/smmla/smlad/smuad/smusd/smlald), mls, umaal.
@ ARCH: armv7-a
    .include "common.inc"
    .arch_extension idiv
    .global _start
_start:
    movw    r0, #0x5678
    movt    r0, #0x1234
    PHEX    "movw/movt", r0
    movw    r1, #0xfedc
    PHEX    "movw clears top", r1
    ldr     r2, =0x80f0817f

    uxtb    r3, r2
    PHEX    "uxtb", r3
    sxtb    r3, r2
    PHEX    "sxtb", r3
    uxth    r3, r2
    PHEX    "uxth", r3
    sxth    r3, r2
    PHEX    "sxth", r3
    uxtb    r3, r2, ror #8
    PHEX    "uxtb ror8", r3
    sxtb    r3, r2, ror #16
    PHEX    "sxtb ror16", r3
    sxth    r3, r2, ror #24
    PHEX    "sxth ror24", r3
    uxtab   r3, r0, r2
    PHEX    "uxtab", r3
    sxtah   r3, r0, r2
    PHEX    "sxtah", r3
    uxtb16  r3, r2
    PHEX    "uxtb16", r3
    sxtb16  r3, r2
    PHEX    "sxtb16", r3
    uxtab16 r3, r0, r2
    PHEX    "uxtab16", r3

    rev     r3, r0
    PHEX    "rev", r3
    rev16   r3, r0
    PHEX    "rev16", r3
    revsh   r3, r2
    PHEX    "revsh", r3
    rbit    r3, r0
    PHEX    "rbit", r3
    clz     r3, r1
    PHEX    "clz", r3
    POOL

    msr     cpsr_f, #0
    ssat    r3, #8, r2
    PHEX    "ssat #8 neg", r3
    PFLAGS  "  flags"
    msr     cpsr_f, #0
    ssat    r3, #16, r1
    PHEX    "ssat #16 saturates", r3
    PFLAGS  "  flags"
    usat    r3, #8, r1
    PHEX    "usat #8", r3
    usat    r3, #8, r2
    PHEX    "usat #8 neg", r3
    ssat    r3, #12, r0, asr #8
    PHEX    "ssat asr", r3
    usat    r3, #31, r0, lsl #4
    PHEX    "usat lsl", r3
    msr     cpsr_f, #0
    ssat16  r3, #4, r2
    PHEX    "ssat16", r3
    usat16  r3, #4, r0
    PHEX    "usat16", r3
    PFLAGS  "  flags"

    @ SIMD byte/halfword arithmetic, GE flags and sel
    ldr     r4, =0x7f80ff01
    ldr     r5, =0x01807f02
    uadd8   r3, r4, r5
    PHEX    "uadd8", r3
    mrs     r6, cpsr
    mov     r6, r6, lsr #16
    and     r6, r6, #0xf
    PHEX    "  GE", r6
    sel     r3, r4, r5
    PHEX    "sel after uadd8", r3
    sadd8   r3, r4, r5
    PHEX    "sadd8", r3
    sel     r3, r4, r5
    PHEX    "sel after sadd8", r3
    usub8   r3, r4, r5
    PHEX    "usub8", r3
    sel     r3, r4, r5
    PHEX    "sel after usub8", r3
    ssub16  r3, r4, r5
    PHEX    "ssub16", r3
    uadd16  r3, r4, r5
    PHEX    "uadd16", r3
    sasx    r3, r4, r5
    PHEX    "sasx", r3
    usax    r3, r4, r5
    PHEX    "usax", r3
    qadd8   r3, r4, r5
    PHEX    "qadd8", r3
    qsub16  r3, r4, r5
    PHEX    "qsub16", r3
    uqadd8  r3, r4, r5
    PHEX    "uqadd8", r3
    uqsub8  r3, r4, r5
    PHEX    "uqsub8", r3
    shadd8  r3, r4, r5
    PHEX    "shadd8", r3
    uhadd8  r3, r4, r5
    PHEX    "uhadd8", r3
    uhsub16 r3, r4, r5
    PHEX    "uhsub16", r3
    usad8   r3, r4, r5
    PHEX    "usad8", r3
    usada8  r3, r4, r5, r0
    PHEX    "usada8", r3
    pkhbt   r3, r4, r5, lsl #16
    PHEX    "pkhbt", r3
    pkhtb   r3, r4, r5, asr #16
    PHEX    "pkhtb", r3
    POOL

    @ bit fields
    mov     r3, r0
    bfi     r3, r1, #8, #12
    PHEX    "bfi", r3
    bfc     r3, #4, #20
    PHEX    "bfc", r3
    ubfx    r3, r2, #4, #12
    PHEX    "ubfx", r3
    sbfx    r3, r2, #4, #12
    PHEX    "sbfx", r3
    sbfx    r3, r2, #0, #32
    PHEX    "sbfx all", r3
    ubfx    r3, r2, #31, #1
    PHEX    "ubfx top", r3

    @ integer divide
    ldr     r6, =1000000007
    mov     r7, #97
    udiv    r3, r6, r7
    PHEX    "udiv", r3
    mvn     r8, #99
    sdiv    r3, r8, r7
    PHEX    "sdiv -100/97", r3
    mov     r9, #0
    udiv    r3, r6, r9
    PHEX    "udiv by 0", r3
    sdiv    r3, r8, r9
    PHEX    "sdiv by 0", r3
    mov     r10, #0x80000000
    mvn     r11, #0
    sdiv    r3, r10, r11
    PHEX    "sdiv INT_MIN/-1", r3
    mls     r3, r3, r7, r6
    PHEX    "mls", r3

    @ signed multiply family
    ldr     r4, =0x40000000
    ldr     r5, =0x7fff8000
    smmul   r3, r4, r5
    PHEX    "smmul", r3
    smmulr  r3, r4, r5
    PHEX    "smmulr", r3
    smmla   r3, r4, r5, r0
    PHEX    "smmla", r3
    smmls   r3, r4, r5, r0
    PHEX    "smmls", r3
    ldr     r4, =0x00030004
    ldr     r5, =0xfffe0005
    smuad   r3, r4, r5
    PHEX    "smuad", r3
    smusd   r3, r4, r5
    PHEX    "smusd", r3
    smuadx  r3, r4, r5
    PHEX    "smuadx", r3
    smlad   r3, r4, r5, r0
    PHEX    "smlad", r3
    mov     r6, #1
    mov     r7, #0
    smlald  r6, r7, r4, r5
    PHEX    "smlald lo", r6
    PHEX    "smlald hi", r7
    ldr     r6, =0xffffffff
    ldr     r7, =0xffffffff
    umaal   r6, r7, r6, r7
    PHEX    "umaal lo", r6
    PHEX    "umaal hi", r7
    msr     cpsr_f, #0
    ldr     r4, =0x7fff0000
    smlad   r3, r4, r4, r4
    PHEX    "smlad overflow", r3
    PFLAGS  "  flags"
    EXIT    0
    .ltorg
