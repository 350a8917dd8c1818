/* Call-heavy: naive recursive Fibonacci and Ackermann. */
#include <stdio.h>
#include <stdlib.h>
static int fib(int n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }
static int ack(int m, int n) { return m == 0 ? n + 1 : n == 0 ? ack(m - 1, 1) : ack(m - 1, ack(m, n - 1)); }
int main(int argc, char **argv) {
    int n = argc > 1 ? atoi(argv[1]) : 42;
    printf("fib(%d) = %d, ack(2, %d) = %d\n", n, fib(n), n * 20, ack(2, n * 20));
    return 0;
}
