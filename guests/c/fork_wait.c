// fork + waitpid/wait4/wait with exit codes, a child killed by a signal, WNOHANG, and that
// parent and child have separate copies of memory.
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

static int shared_value = 100;

int main(void) {
    fflush(stdout);
    pid_t kids[4];
    for (int i = 0; i < 4; i++) {
        pid_t p = fork();
        if (p < 0) { printf("fork failed\n"); return 1; }
        if (p == 0) {
            shared_value += i;
            _exit(10 + i + (shared_value == 100 + i ? 0 : 50));
        }
        kids[i] = p;
    }
    // Reap in reverse order by pid.
    for (int i = 3; i >= 0; i--) {
        int status;
        pid_t w = waitpid(kids[i], &status, 0);
        printf("child %d: same_pid=%d exited=%d code=%d\n", i, w == kids[i], WIFEXITED(status),
               WEXITSTATUS(status));
    }
    printf("parent value still %d\n", shared_value);

    // wait4 with rusage.
    pid_t p = fork();
    if (p == 0) _exit(7);
    struct rusage ru;
    int status;
    pid_t w = wait4(p, &status, 0, &ru);
    printf("wait4: same_pid=%d code=%d\n", w == p, WEXITSTATUS(status));

    // A child killed by SIGKILL while paused; WNOHANG before it dies.
    p = fork();
    if (p == 0) {
        for (;;) pause();
    }
    printf("WNOHANG: %d\n", (int)waitpid(p, &status, WNOHANG));
    kill(p, SIGKILL);
    waitpid(p, &status, 0);
    printf("killed: signaled=%d sig=%d\n", WIFSIGNALED(status), WTERMSIG(status));

    // A child that dies of SIGSEGV.
    p = fork();
    if (p == 0) {
        signal(SIGSEGV, SIG_DFL);
        volatile int *volatile bad = (volatile int *)4;
        *bad = 1;
        _exit(99);
    }
    waitpid(p, &status, 0);
    printf("segv child: signaled=%d sig=%d\n", WIFSIGNALED(status), WTERMSIG(status));

    // Nested: child forks a grandchild and reports its status through its own exit code.
    p = fork();
    if (p == 0) {
        pid_t g = fork();
        if (g == 0) _exit(3);
        int st;
        waitpid(g, &st, 0);
        _exit(WEXITSTATUS(st) * 10);
    }
    waitpid(p, &status, 0);
    printf("grandchild via child: %d\n", WEXITSTATUS(status));

    // wait() with no children left.
    printf("wait with no children: %d\n", (int)wait(&status));

    // Buffered output is not duplicated when the child uses _exit, but is when it uses exit.
    fflush(stdout);
    printf("buffered-before-fork ");
    p = fork();
    if (p == 0) exit(0);
    waitpid(p, &status, 0);
    printf("(parent)\n");
    return 0;
}
