// A load fault in hot (compiled) code: dies of SIGSEGV (exit status 139), or with an argument
// catches it after the hot code was compiled, so the fault must then be exact.
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <sys/mman.h>

static sigjmp_buf resume;
static void on_segv(int sig) { (void)sig; siglongjmp(resume, 1); }

static int sum(volatile int *p, int n) {
    int s = 0;
    for (int i = 0; i < n; i++) s += p[i];
    return s;
}

int main(int argc, char **argv) {
    (void)argv;
    // One readable page followed by an unmapped one.
    int *p = mmap(0, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return 1;
    munmap((char *)p + 4096, 4096);
    for (int i = 0; i < 1024; i++) p[i] = i;
    long total = 0;
    for (int k = 0; k < 20000; k++) total += sum(p, 1024);
    printf("total %ld\n", total);
    fflush(stdout);
    if (argc > 1) {
        signal(SIGSEGV, on_segv);
        if (sigsetjmp(resume, 1) == 0) {
            total += sum(p, 1100);
            printf("not reached\n");
        } else {
            printf("caught the fault\n");
        }
        return 0;
    }
    total += sum(p, 1100);
    printf("not reached %ld\n", total);
    return 0;
}
