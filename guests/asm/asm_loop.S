@ A loop of 100000 iterations whose body is three guest blocks (a conditional branch over an
@ add, then the count and the backward branch): quick code counts a use per entry and per
@ iteration, not per block (EndToEndTests/QuickCodeTests checks the count).
    .include "common.inc"
    .global _start
_start:
    ldr     r1, =100000
    mov     r0, #0
1:  tst     r1, #1
    beq     2f
    add     r0, r0, #3
2:  subs    r1, r1, #1
    bne     1b
    PHEX    "sum (expect 000249f0)", r0
    EXIT    0
    .ltorg
