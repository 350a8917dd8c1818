// sigaltstack: a handler installed with SA_ONSTACK runs on the alternate stack; a stack
// overflow (unbounded recursion) is caught on the alternate stack and escaped with siglongjmp.
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *alt_base;
static size_t alt_size;
static volatile int on_alt, ss_flags_in_handler;
static sigjmp_buf env;

static void usr1(int sig) {
    (void)sig;
    char local;
    on_alt = (uintptr_t)&local >= (uintptr_t)alt_base &&
             (uintptr_t)&local < (uintptr_t)alt_base + alt_size;
    stack_t cur;
    sigaltstack(NULL, &cur);
    ss_flags_in_handler = cur.ss_flags;
}

static void segv(int sig) {
    char local;
    int ok = (uintptr_t)&local >= (uintptr_t)alt_base &&
             (uintptr_t)&local < (uintptr_t)alt_base + alt_size;
    siglongjmp(env, ok ? sig : -sig);
}

static volatile unsigned depth;
static unsigned recurse(unsigned n) {
    volatile char frame[4096];
    frame[0] = (char)n;
    frame[4095] = (char)n;
    depth = n;
    if (n > 0x7fffffff) return 0; // never: the stack overflows long before
    return recurse(n + 1) + frame[0] + frame[4095];
}

int main(void) {
    alt_size = 64 * 1024;
    alt_base = malloc(alt_size);
    stack_t ss = {.ss_sp = alt_base, .ss_size = alt_size, .ss_flags = 0};
    if (sigaltstack(&ss, NULL) != 0) { printf("sigaltstack failed\n"); return 1; }
    stack_t cur;
    sigaltstack(NULL, &cur);
    printf("installed: same_sp=%d size_ok=%d flags=%d\n", cur.ss_sp == alt_base,
           cur.ss_size == alt_size, cur.ss_flags);

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = usr1;
    sa.sa_flags = SA_ONSTACK;
    sigaction(SIGUSR1, &sa, NULL);
    raise(SIGUSR1);
    printf("SA_ONSTACK handler on alt stack=%d ss_onstack=%d\n", on_alt,
           (ss_flags_in_handler & SS_ONSTACK) != 0);

    sa.sa_flags = 0;
    sigaction(SIGUSR1, &sa, NULL);
    raise(SIGUSR1);
    printf("plain handler on alt stack=%d\n", on_alt);

    sa.sa_handler = segv;
    sa.sa_flags = SA_ONSTACK;
    sigaction(SIGSEGV, &sa, NULL);
    int r = sigsetjmp(env, 1);
    if (r == 0) recurse(0);
    printf("stack overflow caught: sig=%d deep=%d\n", r, depth > 100);

    ss.ss_flags = SS_DISABLE;
    sigaltstack(&ss, NULL);
    sigaltstack(NULL, &cur);
    printf("disabled=%d\n", (cur.ss_flags & SS_DISABLE) != 0);
    return 0;
}
