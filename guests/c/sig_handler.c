// sigaction with SA_SIGINFO, delivery via raise() and kill(getpid()), sigprocmask blocking and
// unblocking (pending delivery on unblock), sa_mask, SA_RESETHAND, SIG_IGN, sigsuspend,
// and that the interrupted code's registers survive the handler (sigreturn).
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t usr1_count, usr2_count, last_code_user, nested_seen;
static volatile int in_usr1;

static void on_usr1(int sig, siginfo_t *info, void *uctx) {
    (void)uctx;
    in_usr1 = 1;
    usr1_count++;
    if (info->si_signo != sig) usr1_count += 1000;
    last_code_user = info->si_code == SI_USER || info->si_code == SI_TKILL;
    // SIGUSR2 is in sa_mask, so raising it here must not run its handler until we return.
    if (usr1_count == 1) {
        raise(SIGUSR2);
        if (usr2_count != 0) nested_seen = 1;
    }
    in_usr1 = 0;
}

static void on_usr2(int sig) {
    (void)sig;
    if (in_usr1) nested_seen = 1;
    usr2_count++;
}

static volatile int term_count;
static void on_term(int sig) { (void)sig; term_count++; }

int main(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_usr1;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    sigaddset(&sa.sa_mask, SIGUSR2);
    if (sigaction(SIGUSR1, &sa, NULL) != 0) { printf("sigaction failed\n"); return 1; }
    signal(SIGUSR2, on_usr2);

    raise(SIGUSR1);
    printf("after raise: usr1=%d usr2=%d nested=%d si_code_user=%d\n", usr1_count, usr2_count,
           nested_seen, last_code_user);
    kill(getpid(), SIGUSR1);
    printf("after kill: usr1=%d si_code_user=%d\n", usr1_count, last_code_user);

    // Block, raise twice (standard signals do not queue), check pending, unblock.
    sigset_t block, old, pending;
    sigemptyset(&block);
    sigaddset(&block, SIGUSR1);
    sigprocmask(SIG_BLOCK, &block, &old);
    raise(SIGUSR1);
    raise(SIGUSR1);
    sigpending(&pending);
    printf("blocked: usr1=%d pending=%d\n", usr1_count, sigismember(&pending, SIGUSR1));
    sigprocmask(SIG_SETMASK, &old, NULL);
    printf("unblocked: usr1=%d\n", usr1_count);
    sigpending(&pending);
    printf("pending after unblock=%d\n", sigismember(&pending, SIGUSR1));

    // The old action is reported back.
    struct sigaction cur;
    sigaction(SIGUSR1, NULL, &cur);
    printf("query: siginfo=%d handler_same=%d mask_has_usr2=%d\n",
           (cur.sa_flags & SA_SIGINFO) != 0, cur.sa_sigaction == on_usr1,
           sigismember(&cur.sa_mask, SIGUSR2));

    // SA_RESETHAND: second SIGTERM would kill us, so ignore it afterwards explicitly.
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_term;
    sa.sa_flags = SA_RESETHAND;
    sigaction(SIGTERM, &sa, NULL);
    raise(SIGTERM);
    sigaction(SIGTERM, NULL, &cur);
    printf("resethand: count=%d now_default=%d\n", term_count, cur.sa_handler == SIG_DFL);
    signal(SIGTERM, SIG_IGN);
    raise(SIGTERM);
    printf("ignored SIGTERM survived\n");

    // sigsuspend atomically unblocks and waits.
    sigprocmask(SIG_BLOCK, &block, NULL);
    raise(SIGUSR1);
    sigset_t waitmask;
    sigemptyset(&waitmask);
    int before = usr1_count;
    sigsuspend(&waitmask);
    printf("sigsuspend delivered=%d\n", usr1_count == before + 1);
    sigprocmask(SIG_UNBLOCK, &block, NULL);

    // Registers live across a handler invocation must be intact.
    volatile unsigned acc = 1;
    for (unsigned i = 0; i < 200; i++) {
        acc = acc * 2654435761u + i;
        if (i % 50 == 0) raise(SIGUSR2);
    }
    printf("acc=%08x usr2=%d\n", acc, usr2_count);
    return 0;
}
