/* Branchy: Collatz trajectory lengths with data-dependent branches. */
#include <stdio.h>
#include <stdlib.h>
int main(int argc, char **argv) {
    long limit = argc > 1 ? atol(argv[1]) : 2500000;
    long best = 0, bestStart = 0;
    for (long s = 1; s < limit; s++) {
        unsigned long x = s;
        long steps = 0;
        while (x != 1) {
            if (x & 1) x = 3 * x + 1; else x >>= 1;
            steps++;
        }
        if (steps > best) { best = steps; bestStart = s; }
    }
    printf("longest collatz below %ld: %ld (%ld steps)\n", limit, bestStart, best);
    return 0;
}
