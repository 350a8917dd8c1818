@ ARMv5TE data-processing: arithmetic with carry/overflow, logic, every shifter form (immediate,
@ register, RRX, shift amounts 0/32/>32), multiplies and long multiplies, CLZ, the DSP
@ saturating/halfword multiplies and the Q flag, and all 15 condition codes under all 16 NZCV
@ combinations. Prints results in hex.
    .include "common.inc"
    .global _start
_start:
    @ --- additions and subtractions with flags
    ldr     r0, =0x7fffffff
    adds    r1, r0, #1
    PHEX    "adds 7fffffff+1", r1
    PFLAGS  "  flags"
    mvn     r0, #0
    adds    r1, r0, #1
    PHEX    "adds ffffffff+1", r1
    PFLAGS  "  flags"
    adcs    r2, r0, r0
    PHEX    "adcs", r2
    PFLAGS  "  flags"
    mov     r0, #5
    subs    r1, r0, #7
    PHEX    "subs 5-7", r1
    PFLAGS  "  flags"
    subs    r1, r0, #5
    PHEX    "subs 5-5", r1
    PFLAGS  "  flags"
    ldr     r0, =0x80000000
    subs    r1, r0, #1
    PHEX    "subs 80000000-1", r1
    PFLAGS  "  flags"
    msr     cpsr_f, #0          @ carry clear: sbc subtracts an extra 1
    sbcs    r1, r0, #0
    PHEX    "sbcs C=0", r1
    PFLAGS  "  flags"
    msr     cpsr_f, #0x20000000 @ carry set
    sbcs    r1, r0, #0
    PHEX    "sbcs C=1", r1
    PFLAGS  "  flags"
    rsbs    r1, r0, #0
    PHEX    "rsbs 0-80000000", r1
    PFLAGS  "  flags"
    msr     cpsr_f, #0
    mov     r2, #100
    rscs    r1, r2, #50
    PHEX    "rscs 50-100-1", r1
    PFLAGS  "  flags"
    ldr     r3, =0x12345678
    ldr     r4, =0x9abcdef0
    adds    r5, r3, r4
    adc     r6, r3, #0
    PHEX    "64-bit add lo", r5
    PHEX    "64-bit add hi", r6
    cmn     r3, r4
    PFLAGS  "cmn"
    cmp     r3, r4
    PFLAGS  "cmp lo<hi"
    cmp     r4, r3
    PFLAGS  "cmp hi>lo"
    tst     r3, #0x80000000
    PFLAGS  "tst"
    teq     r4, r4
    PFLAGS  "teq"

    POOL
    @ --- logic
    and     r1, r3, r4
    PHEX    "and", r1
    orr     r1, r3, r4
    PHEX    "orr", r1
    eor     r1, r3, r4
    PHEX    "eor", r1
    bic     r1, r4, r3
    PHEX    "bic", r1
    mvn     r1, r3
    PHEX    "mvn", r1
    mov     r1, #0xff000000
    PHEX    "imm rot", r1
    mov     r1, #0x3fc
    PHEX    "imm rot2", r1
    mvn     r1, #0xab
    PHEX    "mvn imm", r1
    movs    r1, #0x80000001 & 0xc0000003  @ rotated immediate sets C from bit 31
    PHEX    "movs rotimm", r1
    PFLAGS  "  flags"
    mov     r1, #0
    ands    r1, r1, r3
    PFLAGS  "ands zero"

    POOL
    @ --- shifter operands, immediate amounts
    mov     r1, r4, lsl #4
    PHEX    "lsl #4", r1
    movs    r1, r4, lsl #1
    PHEX    "lsls #1", r1
    PFLAGS  "  flags"
    movs    r1, r4, lsr #32
    PHEX    "lsrs #32", r1
    PFLAGS  "  flags"
    movs    r1, r4, asr #32
    PHEX    "asrs #32", r1
    PFLAGS  "  flags"
    mov     r1, r4, asr #7
    PHEX    "asr #7", r1
    mov     r1, r4, ror #12
    PHEX    "ror #12", r1
    msr     cpsr_f, #0x20000000
    movs    r1, r3, rrx
    PHEX    "rrx C=1", r1
    PFLAGS  "  flags"
    add     r1, r3, r4, lsr #3
    PHEX    "add lsr", r1
    sub     r1, r3, r4, asr #31
    PHEX    "sub asr", r1

    POOL
    @ --- shift by register, amounts 0, 1, 31, 32, 33, 255, 256
    ldr     r8, =shift_amounts
    mov     r9, #7
1:  ldr     r2, [r8], #4
    msr     cpsr_f, #0x20000000
    movs    r1, r4, lsl r2
    PHEX    "lsl reg", r1
    PFLAGS  "  flags"
    movs    r1, r4, lsr r2
    PHEX    "lsr reg", r1
    PFLAGS  "  flags"
    movs    r1, r4, asr r2
    PHEX    "asr reg", r1
    PFLAGS  "  flags"
    movs    r1, r4, ror r2
    PHEX    "ror reg", r1
    PFLAGS  "  flags"
    subs    r9, r9, #1
    bne     1b

    POOL
    @ --- multiplies
    ldr     r1, =0xfffffffe
    ldr     r2, =0x12345
    mul     r5, r1, r2
    PHEX    "mul", r5
    mla     r5, r1, r2, r3
    PHEX    "mla", r5
    muls    r5, r1, r1
    PHEX    "muls", r5
    PFLAGS  "  flags"
    umull   r5, r6, r1, r2
    PHEX    "umull lo", r5
    PHEX    "umull hi", r6
    smull   r5, r6, r1, r2
    PHEX    "smull lo", r5
    PHEX    "smull hi", r6
    mov     r5, #1
    mov     r6, #2
    umlal   r5, r6, r1, r1
    PHEX    "umlal lo", r5
    PHEX    "umlal hi", r6
    mov     r5, #-1
    mov     r6, #0
    smlal   r5, r6, r1, r2
    PHEX    "smlal lo", r5
    PHEX    "smlal hi", r6
    smulls  r5, r6, r1, r1
    PFLAGS  "smulls"

    POOL
    @ --- ARMv5 CLZ and DSP extensions
    clz     r1, r3
    PHEX    "clz", r1
    mov     r2, #0
    clz     r1, r2
    PHEX    "clz 0", r1
    ldr     r1, =0x00030002
    ldr     r2, =0xfffe0004
    smulbb  r5, r1, r2
    PHEX    "smulbb", r5
    smulbt  r5, r1, r2
    PHEX    "smulbt", r5
    smultt  r5, r1, r2
    PHEX    "smultt", r5
    smlabb  r5, r1, r2, r3
    PHEX    "smlabb", r5
    smulwb  r5, r3, r2
    PHEX    "smulwb", r5
    mov     r5, #0
    mov     r6, #0
    smlalbb r5, r6, r2, r2
    PHEX    "smlalbb lo", r5
    msr     cpsr_f, #0
    ldr     r1, =0x7ffffff0
    qadd    r5, r1, r1
    PHEX    "qadd sat", r5
    PFLAGS  "  flags"
    msr     cpsr_f, #0
    qsub    r5, r0, r1
    PHEX    "qsub sat", r5
    qdadd   r5, r3, r3
    PHEX    "qdadd", r5
    qdsub   r5, r3, r1
    PHEX    "qdsub", r5
    PFLAGS  "  flags"

    POOL
    @ --- all conditions under all 16 NZCV settings: bit c of the result = condition c passed
    mov     r8, #0
2:  mov     r1, r8, lsl #28
    mov     r2, #0
    msr     cpsr_f, r1
    orreq   r2, r2, #1 << 0
    orrne   r2, r2, #1 << 1
    orrcs   r2, r2, #1 << 2
    orrcc   r2, r2, #1 << 3
    orrmi   r2, r2, #1 << 4
    orrpl   r2, r2, #1 << 5
    orrvs   r2, r2, #1 << 6
    orrvc   r2, r2, #1 << 7
    orrhi   r2, r2, #1 << 8
    orrls   r2, r2, #1 << 9
    orrge   r2, r2, #1 << 10
    orrlt   r2, r2, #1 << 11
    orrgt   r2, r2, #1 << 12
    orrle   r2, r2, #1 << 13
    orral   r2, r2, #1 << 14
    orr     r2, r2, r8, lsl #16
    PHEX    "cond", r2
    add     r8, r8, #1
    cmp     r8, #16
    blo     2b

    @ --- conditional flag-setting and pc as an operand
    mov     r1, #3
    cmp     r1, #3
    subseq  r1, r1, #4
    addsne  r1, r1, #100
    PHEX    "cond chain", r1
    PFLAGS  "  flags"
    mov     r1, pc
    adr     r2, 3f
3:  sub     r1, r1, r2
    PHEX    "pc reads +8", r1
    EXIT    0

    .ltorg
shift_amounts:
    .word   0, 1, 31, 32, 33, 255, 256
