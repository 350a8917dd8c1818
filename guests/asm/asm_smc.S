@ Self-modifying code. (1) An RWX anonymous mapping holds a tiny function that is called,
@ rewritten in place, flushed with the ARM cacheflush syscall (0xf0002) and called again, many
@ times (so a translator must invalidate code it has already translated, possibly compiled
@ after getting hot). (2) A function in the program's own .text is made writable with
@ mprotect, patched after thousands of calls, and called again. (3) The mapping is unmapped
@ and a new one (usually at the same address) gets different code.
    .include "common.inc"
    .global _start
_start:
    bl      map_rwx
    mov     r8, r0                  @ r8 = code buffer
    ldr     r1, =0xe12fff1e         @ bx lr
    str     r1, [r8, #4]

    @ (1) patch "mov r0, #i" for i = 1..20; call each version 500 times and accumulate
    mov     r9, #1
    mov     r11, #0
1:  ldr     r1, =0xe3a00000         @ mov r0, #0
    orr     r1, r1, r9
    str     r1, [r8]
    mov     r0, r8
    add     r1, r8, #8
    bl      cacheflush
    mov     r10, #500
2:  blx     r8
    add     r11, r11, r0
    subs    r10, r10, #1
    bne     2b
    add     r9, r9, #1
    cmp     r9, #20
    bls     1b
    PHEX    "rwx buffer sum (expect 00019a28)", r11

    @ a last patch that changes the instruction kind, not just the immediate
    ldr     r1, =0xe0800000         @ add r0, r0, r0
    str     r1, [r8]
    mov     r0, r8
    add     r1, r8, #8
    bl      cacheflush
    mov     r0, #21
    blx     r8
    PHEX    "patched to add r0,r0,r0 (expect 0000002a)", r0

    @ (2) patch our own text
    mov     r10, #0
    mov     r9, #3072
3:  bl      patchme
    add     r10, r10, r0
    subs    r9, r9, #1
    bne     3b
    PHEX    "before text patch (expect 00003c00)", r10
    ldr     r0, =patchme
    mov     r0, r0, lsr #12
    mov     r0, r0, lsl #12
    mov     r1, #4096
    mov     r2, #(PROT_READ | PROT_WRITE | PROT_EXEC)
    mov     r7, #SYS_mprotect
    svc     #0
    PHEX    "mprotect text", r0
    ldr     r1, =0xe3a00009         @ mov r0, #9
    ldr     r0, =patchme
    str     r1, [r0]
    add     r1, r0, #8
    bl      cacheflush
    mov     r10, #0
    mov     r9, #3072
4:  bl      patchme
    add     r10, r10, r0
    subs    r9, r9, #1
    bne     4b
    PHEX    "after text patch (expect 00006c00)", r10

    @ (3) unmap, map again, new code
    mov     r0, r8
    mov     r1, #4096
    mov     r7, #SYS_munmap
    svc     #0
    bl      map_rwx
    mov     r8, r0
    ldr     r1, =0xe3a0007b         @ mov r0, #123
    str     r1, [r8]
    ldr     r1, =0xe12fff1e         @ bx lr
    str     r1, [r8, #4]
    mov     r0, r8
    add     r1, r8, #8
    bl      cacheflush
    blx     r8
    PHEX    "remapped code (expect 0000007b)", r0
    EXIT    0

@ map_rwx() -> r0 = 4 KiB PROT_READ|WRITE|EXEC anonymous private mapping
map_rwx:
    push    {r4, r5, r7, lr}
    mov     r0, #0
    mov     r1, #4096
    mov     r2, #(PROT_READ | PROT_WRITE | PROT_EXEC)
    mov     r3, #(MAP_PRIVATE | MAP_ANONYMOUS)
    mvn     r4, #0
    mov     r5, #0
    mov     r7, #(SYS_mmap2 & 0xff)
    svc     #0
    pop     {r4, r5, r7, pc}

    .ltorg

    .section .text.patchable, "ax"
    .balign 4096
patchme:
    mov     r0, #5
    bx      lr
    .balign 4096
