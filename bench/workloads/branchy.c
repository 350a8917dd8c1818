/* Branchy: Collatz trajectory lengths with data-dependent branches. */
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
/* 32-bit arithmetic, so native and ARM builds do the same work. */
int main(int argc, char **argv) {
    int32_t limit = argc > 1 ? atoi(argv[1]) : 8000000;
    int32_t best = 0, bestStart = 0;
    for (int32_t s = 1; s < limit; s++) {
        uint32_t x = s;
        int32_t steps = 0;
        while (x != 1) {
            if (x & 1) x = 3 * x + 1; else x >>= 1;
            steps++;
        }
        if (steps > best) { best = steps; bestStart = s; }
    }
    printf("longest collatz below %d: %d (%d steps)\n", limit, bestStart, best);
    return 0;
}
