/* An interpreter loop: a small stack-machine bytecode interpreter running a counting loop. */
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
enum { PUSH, ADD, SUB, DUP, JNZ, SWAP, DROP, HALT, MULADD };
int main(int argc, char **argv) {
    uint32_t n = argc > 1 ? (uint32_t)atol(argv[1]) : 50000000;
    /* acc = 0; i = n; do { acc = acc * 3 + i; i--; } while (i) */
    const uint32_t program[] = { PUSH, 0, PUSH, 0, /* acc, i placeholder */
                             MULADD, PUSH, 1, SUB, DUP, JNZ, 4, DROP, HALT };
    uint32_t stack[16];  /* 32-bit values, as on ARM */
    int sp = 0;
    uint32_t pc = 0;
    uint32_t code[sizeof program / sizeof program[0]];
    for (unsigned i = 0; i < sizeof program / sizeof program[0]; i++) code[i] = program[i];
    code[3] = n;
    for (;;) {
        switch (code[pc]) {
        case PUSH: stack[sp++] = code[pc + 1]; pc += 2; break;
        case ADD: sp--; stack[sp - 1] += stack[sp]; pc++; break;
        case SUB: sp--; stack[sp - 1] -= stack[sp]; pc++; break;
        case DUP: stack[sp] = stack[sp - 1]; sp++; pc++; break;
        case JNZ: sp--; pc = stack[sp] ? code[pc + 1] : pc + 2; break;
        case SWAP: { uint32_t t = stack[sp - 1]; stack[sp - 1] = stack[sp - 2]; stack[sp - 2] = t; pc++; break; }
        case DROP: sp--; pc++; break;
        case MULADD: stack[sp - 2] = stack[sp - 2] * 3 + stack[sp - 1]; pc++; break;
        case HALT: printf("interp acc %u\n", stack[sp - 1]); return 0;
        }
    }
}
