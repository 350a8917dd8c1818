@ Loads and stores: every addressing mode of ldr/str (immediate, register, scaled register,
@ pre-indexed with writeback, post-indexed, negative offsets), bytes and halfwords (signed and
@ unsigned), ldrd/strd, ldm/stm in all four modes with and without writeback, push/pop
@ including pop {pc}, ldr pc, unaligned word and halfword loads (ARMv7), swp/swpb, and the exclusive
@ monitor: ldrex/strex (word, byte, halfword, doubleword) and clrex.
@ ARCH: armv7-a
    .include "common.inc"
    .global _start
_start:
    ldr     r8, =buffer
    @ fill buffer[0..63] with bytes 0x80..0xbf
    mov     r0, #0
1:  add     r1, r0, #0x80
    strb    r1, [r8, r0]
    add     r0, r0, #1
    cmp     r0, #64
    blo     1b

    ldr     r1, [r8]
    PHEX    "ldr [r8]", r1
    ldr     r1, [r8, #4]
    PHEX    "ldr [r8,#4]", r1
    add     r9, r8, #16
    ldr     r1, [r9, #-8]
    PHEX    "ldr [r9,#-8]", r1
    mov     r2, #3
    ldr     r1, [r8, r2, lsl #2]
    PHEX    "ldr [r8,r2,lsl#2]", r1
    ldr     r1, [r9, -r2, lsl #2]
    PHEX    "ldr [r9,-r2,lsl#2]", r1
    mov     r10, r8
    ldr     r1, [r10, #8]!
    sub     r3, r10, r8
    PHEX    "pre-index value", r1
    PHEX    "pre-index wb", r3
    ldr     r1, [r10], #12
    sub     r3, r10, r8
    PHEX    "post-index value", r1
    PHEX    "post-index wb", r3
    ldr     r1, [r10], -r2
    sub     r3, r10, r8
    PHEX    "post-index reg", r3

    ldrb    r1, [r8, #5]
    PHEX    "ldrb", r1
    ldrsb   r1, [r8, #5]
    PHEX    "ldrsb", r1
    ldrh    r1, [r8, #6]
    PHEX    "ldrh", r1
    ldrsh   r1, [r8, #6]
    PHEX    "ldrsh", r1
    ldrsh   r1, [r8, r2]        @ r2=3: unaligned halfword, allowed on ARMv7 Linux (SCTLR.A=0)
    PHEX    "ldrsh unaligned", r1
    ldr     r1, [r8, #1]        @ unaligned word
    PHEX    "ldr unaligned", r1
    mov     r2, #2
    add     r10, r8, #8
    ldrh    r1, [r10, -r2]!
    sub     r3, r10, r8
    PHEX    "ldrh pre neg wb", r3
    PHEX    "ldrh pre neg", r1

    @ stores
    ldr     r0, =0x11223344
    str     r0, [r8, #32]
    strb    r0, [r8, #36]
    strh    r0, [r8, #38]
    mov     r10, r8
    str     r0, [r10, #40]!
    strb    r0, [r10], #1
    ldr     r1, [r8, #32]
    PHEX    "str", r1
    ldr     r1, [r8, #36]
    PHEX    "strb+strh", r1
    ldr     r1, [r8, #40]
    PHEX    "str pre", r1
    ldr     r1, [r8, #44]
    PHEX    "after strb post", r1
    sub     r3, r10, r8
    PHEX    "strb post wb", r3

    @ doublewords
    ldr     r2, =0xaaaabbbb
    ldr     r3, =0xccccdddd
    strd    r2, r3, [r8, #48]
    ldrd    r4, r5, [r8, #48]
    PHEX    "ldrd lo", r4
    PHEX    "ldrd hi", r5
    mov     r10, r8
    ldrd    r4, r5, [r10, #8]!
    sub     r6, r10, r8
    PHEX    "ldrd pre lo", r4
    PHEX    "ldrd pre wb", r6
    mov     r6, #16
    ldrd    r4, r5, [r8, r6]
    PHEX    "ldrd reg hi", r5
    POOL

    @ block transfers
    mov     r0, #0x10
    mov     r1, #0x11
    mov     r2, #0x12
    mov     r3, #0x13
    add     r9, r8, #128
    mov     r10, r9
    stmia   r10!, {r0-r3}
    sub     r4, r10, r9
    PHEX    "stmia wb", r4
    ldmdb   r10!, {r4-r7}
    PHEX    "ldmdb r4", r4
    PHEX    "ldmdb r7", r7
    sub     r4, r10, r9
    PHEX    "ldmdb wb", r4
    add     r10, r9, #32
    stmib   r10, {r0, r2}
    stmda   r10, {r1, r3}
    ldmia   r9, {r0-r7}
    mov     r11, r9
    add     r11, r11, #28
    ldr     r0, [r9, #28]
    PHEX    "stmda top", r0
    ldr     r0, [r9, #32]
    PHEX    "stmda hi", r0
    ldr     r0, [r9, #36]
    PHEX    "stmib first", r0
    ldr     r0, [r9, #40]
    PHEX    "stmib second", r0
    add     r10, r9, #32
    ldmib   r10!, {r4, r5}
    PHEX    "ldmib r4", r4
    PHEX    "ldmib r5", r5
    sub     r4, r10, r9
    PHEX    "ldmib wb", r4
    ldmda   r10, {r4, r5}
    PHEX    "ldmda r4", r4
    PHEX    "ldmda r5", r5

    @ push/pop, and returning through pop {pc} and ldr pc
    mov     r0, #1
    mov     r1, #2
    mov     r2, #3
    mov     r4, sp
    push    {r0-r2}
    sub     r5, r4, sp
    PHEX    "push bytes", r5
    pop     {r3, r5, r6}
    PHEX    "pop r3", r3
    PHEX    "pop r6", r6
    sub     r5, r4, sp
    PHEX    "sp balanced", r5
    mov     r0, #7
    bl      pop_pc_func
    PHEX    "pop {pc} return", r0
    bl      ldr_pc_func
    PHEX    "ldr pc return", r0
    ldr     r1, =table
    mov     r2, #1
    ldr     pc, [r1, r2, lsl #2]
    PSTR    "jump table failed\n"
jt_target0:
    PSTR    "wrong target\n"
jt_target1:
    PSTR    "jump table ok\n"
    ldr     r1, =ldm_pc_target
    push    {r1}
    ldmia   sp!, {pc}
    PSTR    "ldmia pc failed\n"
ldm_pc_target:
    PSTR    "ldmia sp!, {pc} ok\n"
    POOL

    @ swp/swpb (deprecated since ARMv6, still executed by qemu-arm)
    .arch   armv5te
    ldr     r0, =0x55667788
    str     r0, [r8]
    ldr     r1, =0xdeadbeef
    swp     r2, r1, [r8]
    ldr     r3, [r8]
    PHEX    "swp old", r2
    PHEX    "swp new", r3
    mov     r1, #0x42
    swpb    r2, r1, [r8]
    ldr     r3, [r8]
    PHEX    "swpb old", r2
    PHEX    "swpb new", r3
    .arch   armv7-a

    @ exclusives
    mov     r0, #100
    str     r0, [r8]
2:  ldrex   r1, [r8]
    add     r1, r1, #1
    strex   r2, r1, [r8]
    cmp     r2, #0
    bne     2b
    ldr     r1, [r8]
    PHEX    "ldrex/strex", r1
    ldrex   r1, [r8]
    clrex
    strex   r2, r1, [r8]
    PHEX    "strex after clrex fails", r2
    mov     r1, #7
    strex   r2, r1, [r8]
    PHEX    "strex without ldrex fails", r2
    add     r9, r8, #1
3:  ldrexb  r1, [r9]
    add     r1, r1, #0x10
    strexb  r2, r1, [r9]
    cmp     r2, #0
    bne     3b
    add     r9, r8, #2
4:  ldrexh  r1, [r9]
    add     r1, r1, #0x200
    strexh  r2, r1, [r9]
    cmp     r2, #0
    bne     4b
    ldr     r1, [r8]
    PHEX    "ldrexb/h", r1
    add     r9, r8, #8
    ldr     r0, =0x01234567
    ldr     r1, =0x89abcdef
    strd    r0, r1, [r9]
5:  ldrexd  r2, r3, [r9]
    adds    r2, r2, #0xf0000000
    adc     r3, r3, #0
    strexd  r4, r2, r3, [r9]
    cmp     r4, #0
    bne     5b
    ldrd    r2, r3, [r9]
    PHEX    "ldrexd lo", r2
    PHEX    "ldrexd hi", r3
    EXIT    0

pop_pc_func:
    push    {r4, lr}
    add     r0, r0, #1
    pop     {r4, pc}

ldr_pc_func:
    str     lr, [sp, #-4]!
    add     r0, r0, #10
    ldr     pc, [sp], #4

    .balign 4
table:
    .word   jt_target0, jt_target1

    .ltorg
    .bss
    .balign 8
buffer:
    .space  256
