/* Soft-float: Mandelbrot set in double precision (software floating point on armel). */
#include <stdio.h>
#include <stdlib.h>
int main(int argc, char **argv) {
    int size = argc > 1 ? atoi(argv[1]) : 550;
    long inside = 0;
    for (int py = 0; py < size; py++)
        for (int px = 0; px < size; px++) {
            double cx = -2.0 + 2.5 * px / size, cy = -1.25 + 2.5 * py / size;
            double x = 0, y = 0;
            int k = 0;
            while (k < 100 && x * x + y * y < 4.0) {
                double t = x * x - y * y + cx;
                y = 2 * x * y + cy;
                x = t;
                k++;
            }
            if (k == 100) inside++;
        }
    printf("mandelbrot %dx%d: %ld inside\n", size, size, inside);
    return 0;
}
