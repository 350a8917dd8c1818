// Loads at a constant offset from a pointer, in hot (compiled) code, whose 32-bit address
// wraps around: from 0xfffffffc, [p, #8] is address 4. ARM reaches page 0, which is never
// mapped (Linux refuses mappings below vm.mmap_min_addr), so the guest dies of SIGSEGV; with
// an argument it catches the fault instead and goes on.
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>

static sigjmp_buf resume;
static void on_segv(int sig) { (void)sig; siglongjmp(resume, 1); }

__attribute__((noinline)) static int peek(volatile int *p) { return p[2] + p[-2]; }

int main(int argc, char **argv) {
    (void)argv;
    int buffer[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    long total = 0;
    for (int k = 0; k < 20000; k++) total += peek(buffer + 4) + k % 3;
    printf("total %ld\n", total);
    fflush(stdout);
    volatile int *wrapping = (volatile int *)(uintptr_t)0xfffffffcu;
    if (argc > 1) {
        signal(SIGSEGV, on_segv);
        if (sigsetjmp(resume, 1) == 0) {
            total += peek(wrapping);
            printf("not reached\n");
        } else {
            printf("caught the wrapped load\n");
        }
        return 0;
    }
    total += peek(wrapping);
    printf("not reached %ld\n", total);
    return 0;
}
