// Deep and branchy recursion: fib, Ackermann, Towers of Hanoi, mutual recursion, N-queens.
#include <stdio.h>

static unsigned fib(unsigned n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }

static unsigned ack(unsigned m, unsigned n) {
    if (m == 0) return n + 1;
    if (n == 0) return ack(m - 1, 1);
    return ack(m - 1, ack(m, n - 1));
}

static unsigned long hanoi(int n, int from, int to, int via, unsigned long *checksum) {
    if (n == 0) return 0;
    unsigned long moves = hanoi(n - 1, from, via, to, checksum);
    *checksum = *checksum * 3 + (unsigned long)(from * 4 + to);
    return moves + 1 + hanoi(n - 1, via, to, from, checksum);
}

static int is_odd(unsigned n);
static int is_even(unsigned n) { return n == 0 ? 1 : is_odd(n - 1); }
static int is_odd(unsigned n) { return n == 0 ? 0 : is_even(n - 1); }

static int queens(int n, int row, unsigned cols, unsigned d1, unsigned d2) {
    if (row == n) return 1;
    int count = 0;
    for (int c = 0; c < n; c++) {
        if ((cols >> c) & 1 || (d1 >> (row + c)) & 1 || (d2 >> (row - c + n)) & 1) continue;
        count += queens(n, row + 1, cols | 1u << c, d1 | 1u << (row + c), d2 | 1u << (row - c + n));
    }
    return count;
}

int main(void) {
    for (unsigned i = 0; i <= 25; i += 5) printf("fib(%u)=%u\n", i, fib(i));
    printf("ack(2,3)=%u ack(3,3)=%u ack(3,5)=%u\n", ack(2, 3), ack(3, 3), ack(3, 5));
    unsigned long sum = 0;
    unsigned long moves = hanoi(16, 1, 3, 2, &sum);
    printf("hanoi(16) moves=%lu checksum=%lu\n", moves, sum);
    printf("even(10001)=%d odd(10001)=%d\n", is_even(10001), is_odd(10001));
    for (int n = 4; n <= 8; n++) printf("queens(%d)=%d\n", n, queens(n, 0, 0, 0, 0));
    return 0;
}
