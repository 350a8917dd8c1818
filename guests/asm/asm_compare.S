@ Conditions read right after the instruction that set the flags (CMP then MOVGT, TST then
@ ORREQ): compiled code may decide them by comparing that instruction's operands again
@ instead of reading the flags, so each of the 14 conditions is tested immediately after
@ CMP, SUBS, RSBS, CMN, ADDS, TST, ANDS, MOVS and immediate forms, on operand pairs at the
@ signed and unsigned boundaries, and all of them one after another after one such instruction.
@ Prints, per operation, a mask of the conditions that held.
    .include "common.inc"
    .global _start

@ CONDS "label", instruction: runs the flag-setting instruction before each conditional ORR.
    .macro CONDS label, op:vararg
    mov     r3, #0
    \op
    orreq   r3, r3, #0x1
    \op
    orrne   r3, r3, #0x2
    \op
    orrcs   r3, r3, #0x4
    \op
    orrcc   r3, r3, #0x8
    \op
    orrmi   r3, r3, #0x10
    \op
    orrpl   r3, r3, #0x20
    \op
    orrvs   r3, r3, #0x40
    \op
    orrvc   r3, r3, #0x80
    \op
    orrhi   r3, r3, #0x100
    \op
    orrls   r3, r3, #0x200
    \op
    orrge   r3, r3, #0x400
    \op
    orrlt   r3, r3, #0x800
    \op
    orrgt   r3, r3, #0x1000
    \op
    orrle   r3, r3, #0x2000
    PHEX    "\label", r3
    .endm

@ ORRS: the 14 conditional ORRs (and a conditional MOV that sets no flags) in a row.
    .macro ORRS
    orreq   r3, r3, #0x1
    orrne   r3, r3, #0x2
    orrcs   r3, r3, #0x4
    orrcc   r3, r3, #0x8
    movmi   r10, r10
    orrmi   r3, r3, #0x10
    orrpl   r3, r3, #0x20
    orrvs   r3, r3, #0x40
    orrvc   r3, r3, #0x80
    orrhi   r3, r3, #0x100
    orrls   r3, r3, #0x200
    orrge   r3, r3, #0x400
    orrlt   r3, r3, #0x800
    orrgt   r3, r3, #0x1000
    orrle   r3, r3, #0x2000
    .endm

@ CHAIN "label", instruction: the flag-setting instruction once, then all the conditions.
    .macro CHAIN label, op:vararg
    mov     r3, #0
    \op
    ORRS
    PHEX    "\label chain", r3
    .endm

@ AFTER_CMP "label", instruction: CMP r0, r1, then an instruction that writes the flags in
@ another way (or only if its condition holds), then all the conditions.
    .macro AFTER_CMP label, op:vararg
    mov     r3, #0
    cmp     r0, r1
    \op
    ORRS
    PHEX    "cmp, \label", r3
    .endm

@ PAIR a, b: every operation on r0 = a, r1 = b.
    .macro PAIR a, b
    ldr     r0, =\a
    ldr     r1, =\b
    PHEX    "a", r0
    PHEX    "b", r1
    CONDS   "cmp", cmp r0, r1
    CONDS   "subs", subs r9, r0, r1
    CONDS   "rsbs", rsbs r9, r0, r1
    CONDS   "cmn", cmn r0, r1
    CONDS   "adds", adds r9, r0, r1
    CONDS   "tst", tst r0, r1
    CONDS   "ands", ands r9, r0, r1
    CONDS   "movs", movs r9, r0
    CONDS   "cmp #5", cmp r0, #5
    CONDS   "subs #1", subs r9, r0, #1
    CONDS   "rsbs #0", rsbs r9, r0, #0
    POOL
    CONDS   "cmp lsl", cmp r0, r1, lsl #1
    CHAIN   "cmp", cmp r0, r1
    CHAIN   "ands", ands r9, r0, r1
    CHAIN   "rsbs #0", rsbs r9, r0, #0
    AFTER_CMP "adcs", adcs r9, r0, r1
    AFTER_CMP "subsgt", subsgt r9, r1, r0
    AFTER_CMP "andsne", andsne r9, r0, #0
    AFTER_CMP "msr", msr cpsr_f, #0x90000000
    POOL
    b       1f
    .ltorg
1:
    .endm

_start:
    PAIR    5, 3
    PAIR    3, 5
    PAIR    5, 5
    PAIR    0, 0
    PAIR    0x80000000, 1
    PAIR    1, 0x80000000
    PAIR    0x7fffffff, 0xffffffff
    PAIR    0xffffffff, 0x7fffffff
    PAIR    0xffffffff, 0xffffffff
    PAIR    0x80000000, 0x80000000
    PAIR    0, 0x80000000
    PAIR    0x7fffffff, 0x80000000
    EXIT    0
