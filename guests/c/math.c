// libm on soft-float: sqrt, trig, exp/log, pow, fmod, rounding, float<->int conversions,
// NaN/Inf handling. Printed with limited precision so results are exact across libm paths.
// LDFLAGS: -lm
#include <math.h>
#include <stdio.h>

static volatile double in[] = {0.0, 0.5, 1.0, 2.0, 3.7, 10.0, 100.25, -1.5, -7.25};

int main(void) {
    for (unsigned i = 0; i < sizeof in / sizeof in[0]; i++) {
        double x = in[i];
        printf("x=%g sqrt=%.9f sin=%.9f cos=%.9f exp=%.6e log=%.9f atan=%.9f\n", x,
               x >= 0 ? sqrt(x) : -1.0, sin(x), cos(x), exp(x), x > 0 ? log(x) : 0.0, atan(x));
        printf("  floor=%g ceil=%g round=%g trunc=%g fmod3=%.9f pow1.5=%.9f fabs=%g\n", floor(x),
               ceil(x), round(x), trunc(x), fmod(x, 3.0), x >= 0 ? pow(x, 1.5) : 0.0, fabs(x));
        float f = (float)x;
        printf("  sqrtf=%.5f sinf=%.5f expf=%.4e lrint=%ld\n", f >= 0 ? sqrtf(f) : -1.0f,
               sinf(f), expf(f), lrint(x));
    }
    volatile double zero = 0.0;
    double inf = 1.0 / zero, nan = zero / zero;
    printf("inf=%f -inf=%f nan_is_nan=%d isinf=%d isfinite=%d\n", inf, -inf, isnan(nan) != 0,
           isinf(inf) != 0, isfinite(1.0) != 0);
    printf("nan compares: eq=%d lt=%d ne=%d\n", nan == nan, nan < 1.0, nan != nan);
    printf("hypot=%.9f atan2=%.9f cbrt=%.9f\n", hypot(3, 4), atan2(1, -1), cbrt(27.0));
    printf("frexp: ");
    int e;
    double m = frexp(1234.5, &e);
    printf("%g * 2^%d, ldexp=%g\n", m, e, ldexp(m, e));
    double pi = 0;
    for (int k = 0; k < 20000; k++) pi += (k % 2 ? -4.0 : 4.0) / (2 * k + 1);
    printf("leibniz pi=%.10f\n", pi);
    volatile float a = 16777216.0f;
    printf("float rounding: %.1f %.1f\n", (double)(a + 1.0f), (double)(a + 2.0f));
    printf("casts: %d %u %lld %d\n", (int)-3.99, (unsigned)3.99e9, (long long)-9.1e17,
           (int)(float)0.1f * 100);
    return 0;
}
