// Leaving signal handlers with siglongjmp: from SIGUSR1, from a SIGSEGV caused by a bad
// pointer (read and write), and from SIGILL on an undefined instruction. Checks the signal
// mask is restored by sigsetjmp(env, 1) and the fault address is reported.
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static sigjmp_buf env;
static volatile uintptr_t fault_addr;
static volatile int fault_code;

static void handler(int sig, siginfo_t *info, void *uc) {
    (void)uc;
    fault_addr = (uintptr_t)info->si_addr;
    fault_code = info->si_code;
    siglongjmp(env, sig);
}

static int usr1_blocked(void) {
    sigset_t cur;
    sigprocmask(SIG_BLOCK, NULL, &cur);
    return sigismember(&cur, SIGUSR1);
}

int main(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = handler;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGUSR1, &sa, NULL);
    sigaction(SIGSEGV, &sa, NULL);
    sigaction(SIGILL, &sa, NULL);

    int r = sigsetjmp(env, 1);
    if (r == 0) {
        raise(SIGUSR1);
        printf("not reached\n");
    }
    printf("from SIGUSR1: r=%d usr1_blocked=%d\n", r, usr1_blocked());

    // sigsetjmp without saving the mask leaves SIGUSR1 blocked after jumping out.
    r = sigsetjmp(env, 0);
    if (r == 0) raise(SIGUSR1);
    printf("nosave: r=%d usr1_blocked=%d\n", r, usr1_blocked());
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGUSR1);
    sigprocmask(SIG_UNBLOCK, &s, NULL);

    volatile int *volatile bad = (volatile int *)0x10;
    r = sigsetjmp(env, 1);
    if (r == 0) (void)*bad;
    printf("read fault: sig=%d addr=%#lx maperr=%d\n", r, (unsigned long)fault_addr,
           fault_code == SEGV_MAPERR);

    bad = (volatile int *)0x00000ff0;
    r = sigsetjmp(env, 1);
    if (r == 0) *bad = 1;
    printf("write fault: sig=%d addr=%#lx\n", r, (unsigned long)fault_addr);

    // Writing to read-only code is an access error.
    r = sigsetjmp(env, 1);
    if (r == 0) *(volatile int *)(uintptr_t)main = 0;
    printf("write to text: sig=%d accerr=%d\n", r, fault_code == SEGV_ACCERR);

    for (volatile int i = 0; i < 3; i++) {
        r = sigsetjmp(env, 1);
        if (r == 0) __asm__ volatile(".word 0xe7f000f0"); // permanently undefined (UDF)
        // si_code is not printed: Linux reports ILL_ILLOPC, qemu-arm 7.2 reports ILL_ILLOPN.
        printf("undefined instruction %d: sig=%d\n", i, r);
    }
    return 0;
}
