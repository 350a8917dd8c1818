// Dies of SIGSEGV by dereferencing a bad pointer (expected exit status 139).
#include <stdio.h>

int main(void) {
    printf("about to fault\n");
    fflush(stdout);
    volatile int *p = (volatile int *)0xdead0000;
    *p = 42;
    printf("not reached\n");
    return 0;
}
