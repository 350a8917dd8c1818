// Writes to a pipe whose read end is closed: dies of SIGPIPE (expected exit status 141).
// With argument "ignore", SIGPIPE is ignored and write fails with EPIPE instead.
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv) {
    int fds[2];
    if (pipe(fds) != 0) return 1;
    close(fds[0]);
    if (argc > 1 && strcmp(argv[1], "ignore") == 0) {
        signal(SIGPIPE, SIG_IGN);
        ssize_t n = write(fds[1], "x", 1);
        printf("write returned %zd errno=%s\n", n, errno == EPIPE ? "EPIPE" : strerror(errno));
        return 0;
    }
    printf("writing to closed pipe\n");
    fflush(stdout);
    write(fds[1], "x", 1);
    printf("not reached\n");
    return 0;
}
