@ A miniature JIT: generates ARM machine code into an mmap'd buffer and calls it. First a
@ counted loop (mov/add/subs/bne with a computed backward branch) for several trip counts, in
@ W^X style (write while RW, mprotect to RX, cacheflush, call; then back to RW and regenerate);
@ then a 2000-instruction straight-line function; then code that calls back into the program.
    .include "common.inc"
    .global _start
_start:
    mov     r0, #0
    mov     r1, #8192
    mov     r2, #(PROT_READ | PROT_WRITE)
    mov     r3, #(MAP_PRIVATE | MAP_ANONYMOUS)
    mvn     r4, #0
    mov     r5, #0
    mov     r7, #(SYS_mmap2 & 0xff)
    svc     #0
    mov     r8, r0                  @ r8 = code buffer (2 pages)

    adr     r9, trip_counts
1:  ldr     r10, [r9], #4           @ N
    cmp     r10, #0
    beq     2f
    mov     r0, #2                  @ make writable
    bl      protect
    ldr     r1, =0xe3a00000         @ mov r0, #0
    str     r1, [r8, #0]
    ldr     r1, =0xe3a01000         @ mov r1, #N
    orr     r1, r1, r10
    str     r1, [r8, #4]
    ldr     r1, =0xe0800001         @ loop: add r0, r0, r1
    str     r1, [r8, #8]
    ldr     r1, =0xe2511001         @ subs r1, r1, #1
    str     r1, [r8, #12]
    ldr     r1, =0x1afffffc         @ bne loop
    str     r1, [r8, #16]
    ldr     r1, =0xe12fff1e         @ bx lr
    str     r1, [r8, #20]
    mov     r0, #5                  @ make executable
    bl      protect
    mov     r0, r8
    add     r1, r8, #24
    bl      cacheflush
    blx     r8
    PHEX    "sum 1..N", r0
    b       1b

    @ straight-line: add r0, r0, #(i & 0xff) for i in 0..1999, then bx lr
2:  mov     r0, #7                  @ RWX from here on
    bl      protect
    mov     r2, #0
    ldr     r3, =0xe2800000         @ add r0, r0, #0
3:  and     r1, r2, #0xff
    orr     r1, r3, r1
    str     r1, [r8, r2, lsl #2]
    add     r2, r2, #1
    cmp     r2, #2000
    blo     3b
    ldr     r1, =0xe12fff1e
    str     r1, [r8, r2, lsl #2]
    mov     r0, r8
    add     r1, r8, #8192
    bl      cacheflush
    mov     r0, #0
    blx     r8
    PHEX    "straight-line (expect 0003d098)", r0

    @ generated code that calls back: push {lr}; blx r4; add r0, r0, #1; pop {pc}
    ldr     r1, =0xe52de004         @ push {lr}  (str lr, [sp, #-4]!)
    str     r1, [r8]
    ldr     r1, =0xe12fff34         @ blx r4
    str     r1, [r8, #4]
    ldr     r1, =0xe2800001         @ add r0, r0, #1
    str     r1, [r8, #8]
    ldr     r1, =0xe49df004         @ pop {pc}  (ldr pc, [sp], #4)
    str     r1, [r8, #12]
    mov     r0, r8
    add     r1, r8, #16
    bl      cacheflush
    adr     r4, callback
    mov     r0, #40
    blx     r8
    PHEX    "callback (expect 00000051)", r0
    EXIT    0

callback:
    add     r0, r0, r0
    bx      lr

@ protect(r0 = prot) on the 2-page buffer at r8
protect:
    push    {r7, lr}
    mov     r2, r0
    mov     r0, r8
    mov     r1, #8192
    mov     r7, #SYS_mprotect
    svc     #0
    pop     {r7, pc}


trip_counts:
    .word   10, 100, 255, 1, 0
    .ltorg
