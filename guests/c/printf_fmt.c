// printf of ints, floats (soft-float on armel), long long arithmetic and division.
#include <inttypes.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>

static volatile long long vll[] = {0, 1, -1, 7, -7, 1000000007LL, -123456789012345LL,
                                   LLONG_MAX, LLONG_MIN + 1, 0x123456789abcdefLL};
static volatile unsigned long long vull[] = {1, 3, 10, 0xffffffffULL, 0x100000000ULL,
                                             0xfedcba9876543210ULL, ULLONG_MAX};
static volatile double vd[] = {0.0, -0.0, 1.0, -2.5, 3.14159265358979, 1e-10, 6.02214076e23,
                               1.0 / 3.0, 123456.789};
static volatile float vf[] = {0.5f, -1.25f, 3.3333333f, 1e10f};

int main(void) {
    printf("int: %d %i %u %x %X %o %5d|%-5d|%05d %+d\n", 42, -42, 4000000000u, 0xdeadbeef,
           0xcafe, 8, 7, 7, 7, 7);
    printf("limits: %d %d %u\n", INT_MAX, INT_MIN, UINT_MAX);
    printf("char/str: %c %s %.3s %10s|%-10s|\n", 'A', "string", "truncate", "right", "left");
    printf("ll: %lld %llu %llx %" PRId64 " %" PRIu64 "\n", LLONG_MIN, ULLONG_MAX,
           0x1122334455667788ULL, (int64_t)-5, (uint64_t)5);

    for (unsigned i = 0; i < sizeof vll / sizeof vll[0]; i++) {
        for (unsigned j = 0; j < sizeof vll / sizeof vll[0]; j++) {
            long long a = vll[i], b = vll[j];
            long long q = 0, r = 0;
            if (b != 0 && !(a == LLONG_MIN && b == -1)) { q = a / b; r = a % b; }
            printf("%lld,%lld: + %lld * %lld / %lld %% %lld << %lld >> %lld\n", a, b,
                   (long long)((unsigned long long)a + (unsigned long long)b),
                   (long long)((unsigned long long)a * (unsigned long long)b), q, r,
                   (long long)((unsigned long long)a << (j % 64)), a >> (i % 64));
        }
    }
    for (unsigned i = 0; i < sizeof vull / sizeof vull[0]; i++) {
        for (unsigned j = 0; j < sizeof vull / sizeof vull[0]; j++) {
            unsigned long long a = vull[i], b = vull[j];
            printf("u %llu/%llu = %llu r %llu; mul %llx; cmp %d\n", a, b, a / b, a % b, a * b,
                   (a > b) - (a < b));
        }
    }
    for (unsigned i = 0; i < sizeof vd / sizeof vd[0]; i++) {
        double d = vd[i];
        printf("d: %f %e %g %.15g %a | *3=%.10f /7=%.10f -1=%.10f int=%d ll=%lld\n", d, d, d, d,
               d, d * 3, d / 7, d - 1, (int)(d < 2e9 && d > -2e9 ? d : 0),
               (long long)(d < 9e18 && d > -9e18 ? d : 0));
    }
    for (unsigned i = 0; i < sizeof vf / sizeof vf[0]; i++) {
        float f = vf[i];
        printf("f: %f %g %.9g sq=%.9g cmp=%d\n", f, f, (double)f, (double)(f * f), f > 1.0f);
    }
    double acc = 0;
    for (int i = 1; i <= 1000; i++) acc += 1.0 / ((double)i * i);
    printf("basel(1000)=%.15f\n", acc);
    unsigned u = 0x80000000u;
    printf("conv: %d %u %f %lld\n", (int)(float)123.75f, (unsigned)(double)u, (double)u,
           (long long)-1.5e15);
    char buf[64];
    int n = snprintf(buf, sizeof buf, "%08.3f|%-8.2e|%%|%p", 3.14159, -0.000123, (void *)0);
    printf("snprintf %d: %s\n", n, buf);
    return 0;
}
