// getrandom() and /dev/urandom return the requested number of bytes; prints only "ok".
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

int main(void) {
    unsigned char a[64], b[64];
    memset(a, 0, sizeof a);
    memset(b, 0, sizeof b);
    ssize_t n1 = getrandom(a, sizeof a, 0);
    ssize_t n2 = getrandom(b, sizeof b, GRND_NONBLOCK);
    int fd = open("/dev/urandom", O_RDONLY);
    unsigned char c[32];
    ssize_t n3 = fd >= 0 ? read(fd, c, sizeof c) : -1;
    if (fd >= 0) close(fd);
    int differ = memcmp(a, b, sizeof a) != 0;
    int nonzero = 0;
    for (unsigned i = 0; i < sizeof a; i++) nonzero |= a[i];
    if (n1 != 64 || n2 != 64 || n3 != 32 || !differ || !nonzero) {
        printf("bad: %zd %zd %zd differ=%d nonzero=%d\n", n1, n2, n3, differ, nonzero);
        return 1;
    }
    printf("ok\n");
    return 0;
}
