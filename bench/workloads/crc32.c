/* Integer: bitwise CRC-32 over a buffer. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
int main(int argc, char **argv) {
    int rounds = argc > 1 ? atoi(argv[1]) : 1000;
    static uint8_t buf[1 << 16];
    for (int i = 0; i < (int)sizeof buf; i++) buf[i] = (uint8_t)(i * 7 + 3);
    uint32_t crc = 0xFFFFFFFFu;
    for (int r = 0; r < rounds; r++)
        for (int i = 0; i < (int)sizeof buf; i++) {
            crc ^= buf[i];
            for (int k = 0; k < 8; k++) crc = (crc >> 1) ^ (0xEDB88320u & -(crc & 1));
        }
    printf("crc32 %08x\n", crc);
    return 0;
}
