// CPU-bound kernels for measuring translation speed: sieve of Eratosthenes, table-driven
// CRC-32, integer matrix multiply, and a 64-bit LCG mix. argv[1] scales the work linearly
// (default 100: about 1 s under qemu-arm on this machine; the end-to-end tests use 2).
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint32_t crc_table[256];

static void crc_init(void) {
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++) c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
        crc_table[i] = c;
    }
}

static uint32_t crc32(uint32_t crc, const unsigned char *p, size_t n) {
    crc = ~crc;
    while (n--) crc = crc_table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
    return ~crc;
}

static unsigned sieve(unsigned limit, unsigned char *composite) {
    memset(composite, 0, limit + 1);
    unsigned count = 0;
    for (unsigned i = 2; i <= limit; i++) {
        if (composite[i]) continue;
        count++;
        for (unsigned j = i * 2; j <= limit; j += i) composite[j] = 1;
    }
    return count;
}

#define M 64
static int32_t a[M][M], b[M][M], c[M][M];

static uint32_t matmul(int rounds) {
    uint32_t h = 0;
    for (int r = 0; r < rounds; r++) {
        for (int i = 0; i < M; i++)
            for (int j = 0; j < M; j++) {
                a[i][j] = (i * 31 + j * 17 + r) % 101 - 50;
                b[i][j] = (i * 7 + j * 13 + r * 3) % 97 - 48;
            }
        for (int i = 0; i < M; i++)
            for (int j = 0; j < M; j++) {
                int32_t s = 0;
                for (int k = 0; k < M; k++) s += a[i][k] * b[k][j];
                c[i][j] = s;
            }
        for (int i = 0; i < M; i++)
            for (int j = 0; j < M; j++) h = h * 16777619u ^ (uint32_t)c[i][j];
    }
    return h;
}

static uint64_t mix64(unsigned n) {
    uint64_t x = 0x9e3779b97f4a7c15ULL, acc = 0;
    for (unsigned i = 0; i < n; i++) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        acc ^= (x >> 29) + (acc << 7) + (x % 1000003u);
    }
    return acc;
}

int main(int argc, char **argv) {
    int scale = argc > 1 ? atoi(argv[1]) : 100;
    if (scale < 1) scale = 1;
    crc_init();
    unsigned limit = 20000u * (unsigned)scale;
    unsigned char *buf = malloc(limit + 1);
    unsigned primes = sieve(limit, buf);
    printf("primes<=%u: %u\n", limit, primes);
    for (unsigned i = 0; i <= limit; i++) buf[i] = (unsigned char)(i * 2654435761u >> 24);
    uint32_t crc = 0;
    for (int r = 0; r < 4; r++) crc = crc32(crc, buf, limit + 1);
    printf("crc32: %08x\n", crc);
    printf("matmul: %08x\n", matmul((scale + 4) / 5));
    printf("mix64: %016llx\n", (unsigned long long)mix64(30000u * (unsigned)scale));
    free(buf);
    return 0;
}
