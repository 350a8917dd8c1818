// clock_gettime / gettimeofday / time / nanosleep return plausible, monotonic values. Prints "ok".
#include <stdio.h>
#include <sys/time.h>
#include <time.h>

int main(void) {
    int bad = 0;
    struct timespec m0, m1, r0, c0;
    struct timeval tv;
    if (clock_gettime(CLOCK_MONOTONIC, &m0) != 0) bad |= 1;
    if (clock_gettime(CLOCK_REALTIME, &r0) != 0) bad |= 2;
    if (gettimeofday(&tv, NULL) != 0) bad |= 4;
    time_t t = time(NULL);
    // after 2020-01-01 (time_t is 32-bit on armel, so no useful upper bound)
    if (r0.tv_sec < 1577836800) bad |= 8;
    if (tv.tv_sec < r0.tv_sec || tv.tv_sec > r0.tv_sec + 5) bad |= 16;
    // time() reads the kernel's coarse clock (updated once per tick), which may still show the
    // previous second just after CLOCK_REALTIME has moved on.
    if (t < r0.tv_sec - 1 || t > r0.tv_sec + 5) bad |= 32;
    if (r0.tv_nsec < 0 || r0.tv_nsec >= 1000000000 || tv.tv_usec < 0 || tv.tv_usec >= 1000000)
        bad |= 64;
    struct timespec d = {0, 20 * 1000 * 1000};
    if (nanosleep(&d, NULL) != 0) bad |= 128;
    if (clock_gettime(CLOCK_MONOTONIC, &m1) != 0) bad |= 256;
    long long ns = (m1.tv_sec - m0.tv_sec) * 1000000000LL + (m1.tv_nsec - m0.tv_nsec);
    if (ns < 19 * 1000 * 1000 || ns > 30LL * 1000 * 1000 * 1000) bad |= 512;
    if (clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c0) != 0) bad |= 1024;
    if (clock_getres(CLOCK_MONOTONIC, &d) != 0 || d.tv_sec != 0 || d.tv_nsec <= 0) bad |= 2048;
    if (bad) { printf("bad %#x\n", bad); return 1; }
    printf("ok\n");
    return 0;
}
