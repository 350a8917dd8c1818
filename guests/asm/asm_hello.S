@ Hello world with no libc: write(1, msg, len) and exit_group(0) via svc #0.
    .syntax unified
    .arm
    .global _start
    .text
_start:
    mov     r0, #1
    adr     r1, msg
    mov     r2, #(msg_end - msg)
    mov     r7, #4          @ write
    svc     #0
    mov     r0, #0
    mov     r7, #248        @ exit_group
    svc     #0
msg:
    .ascii  "Hello from ARM assembly!\n"
msg_end:
