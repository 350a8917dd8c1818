@ Fixture for the bad-input tests: a big-endian (EI_DATA = ELFDATA2MSB) ARM executable,
@ assembled with -mbig-endian. Isomorph only runs little-endian guests and must refuse it.
    .syntax unified
    .arm
    .global _start
_start:
    mov     r0, #0
    mov     r7, #1
    svc     #0
