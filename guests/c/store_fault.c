// A store fault in hot (compiled) code, which stores without checks and relies on host page
// protection: dies of SIGSEGV (exit status 139), or with an argument catches it after the hot
// code was compiled, so the fault must then be exact.
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <sys/mman.h>

static sigjmp_buf resume;
static void on_segv(int sig) { (void)sig; siglongjmp(resume, 1); }

__attribute__((noinline)) static void fill(volatile int *p, int n, int v) {
    for (int i = 0; i < n; i++) p[i] = v + i;
}

int main(int argc, char **argv) {
    (void)argv;
    // One writable page followed by a read-only one.
    int *p = mmap(0, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return 1;
    if (mprotect((char *)p + 4096, 4096, PROT_READ) != 0) return 2;
    long total = 0;
    for (int k = 0; k < 20000; k++) {
        fill(p, 1024, k);
        total += p[k % 1024];
    }
    printf("total %ld\n", total);
    fflush(stdout);
    if (argc > 1) {
        signal(SIGSEGV, on_segv);
        if (sigsetjmp(resume, 1) == 0) {
            fill(p, 1100, 0);
            printf("not reached\n");
        } else {
            printf("caught the fault at element %d\n", p[1023] == 1023 ? 1024 : -1);
        }
        return 0;
    }
    fill(p, 1100, 0);
    printf("not reached %ld\n", total);
    return 0;
}
