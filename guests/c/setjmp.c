// setjmp/longjmp: non-local exits across nested frames, preserved volatile locals.
#include <setjmp.h>
#include <stdio.h>

static jmp_buf env;
static int depth_reached;

static void dive(int depth) {
    char pad[64];
    pad[0] = (char)depth;
    depth_reached = depth + pad[0] - depth;
    if (depth == 50) longjmp(env, depth * 2);
    if (depth < 1000) dive(depth + 1);
}

static jmp_buf loop;

int main(void) {
    volatile int counter = 0;
    int r = setjmp(env);
    if (r == 0) {
        printf("setjmp returned 0\n");
        dive(0);
        printf("not reached\n");
    }
    printf("longjmp returned %d, depth %d\n", r, depth_reached);

    int v = setjmp(loop);
    counter++;
    if (v < 5) longjmp(loop, v + 1);
    printf("loop: v=%d counter=%d\n", v, counter);

    // longjmp with 0 must make setjmp return 1.
    if (setjmp(env) == 0) longjmp(env, 0);
    else printf("longjmp(0) gives 1\n");
    return 0;
}
