/* Memory-bound: sieve of Eratosthenes over a large byte array, repeated. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
int main(int argc, char **argv) {
    int rounds = argc > 1 ? atoi(argv[1]) : 100;
    enum { N = 4 << 20 };
    static unsigned char composite[N];
    long count = 0;
    for (int r = 0; r < rounds; r++) {
        memset(composite, 0, sizeof composite);
        count = 0;
        for (long i = 2; i < N; i++) {
            if (composite[i]) continue;
            count++;
            for (long j = i * 2; j < N; j += i) composite[j] = 1;
        }
    }
    printf("primes below %d: %ld\n", N, count);
    return 0;
}
