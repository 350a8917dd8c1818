@ Fixture for the bad-input tests: a valid ARM ELF whose entry point is Thumb code (the ELF
@ entry address has its low bit set). qemu-arm runs it (exit status 3); Isomorph does not
@ translate Thumb yet and must refuse it with a clean one-line error.
    .syntax unified
    .thumb
    .global _start
    .thumb_func
_start:
    movs    r0, #3
    movs    r7, #1
    svc     #0
