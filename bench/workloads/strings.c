/* Strings: build, sort and hash many short strings (libc string functions, qsort). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
static int cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }
int main(int argc, char **argv) {
    int rounds = argc > 1 ? atoi(argv[1]) : 45;
    enum { N = 40000 };
    static char storage[N][24];
    static char *items[N];
    uint32_t hash = 5381;  /* 32-bit, as on ARM */
    for (int r = 0; r < rounds; r++) {
        unsigned seed = 12345 + r;
        for (int i = 0; i < N; i++) {
            seed = seed * 1103515245u + 12345u;
            snprintf(storage[i], sizeof storage[i], "k%08x-%d", seed, i % 97);
            items[i] = storage[i];
        }
        qsort(items, N, sizeof items[0], cmp);
        for (int i = 0; i < N; i += 37)
            for (const char *p = items[i]; *p; p++) hash = hash * 33 + (unsigned char)*p;
    }
    printf("strings hash %x first %s\n", hash, items[0]);
    return 0;
}
