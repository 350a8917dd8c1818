// pipe between parent and child in both directions, EOF on close, large transfers that
// exceed the pipe buffer, and pipe2 with O_CLOEXEC.
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void) {
    int to_child[2], to_parent[2];
    if (pipe(to_child) || pipe(to_parent)) { printf("pipe failed\n"); return 1; }
    fflush(stdout);
    pid_t p = fork();
    if (p == 0) {
        close(to_child[1]);
        close(to_parent[0]);
        char buf[4096];
        unsigned long total = 0, sum = 0;
        ssize_t n;
        while ((n = read(to_child[0], buf, sizeof buf)) > 0) {
            for (ssize_t i = 0; i < n; i++) sum = sum * 31 + (unsigned char)buf[i];
            total += (unsigned long)n;
        }
        char reply[128];
        int len = snprintf(reply, sizeof reply, "child got %lu bytes hash %08lx", total, sum);
        write(to_parent[1], reply, (size_t)len);
        _exit(0);
    }
    close(to_child[0]);
    close(to_parent[1]);
    // 300 KB: far more than the 64 KB pipe buffer, so the writer blocks and the reader drains.
    static char chunk[3000];
    for (int i = 0; i < 100; i++) {
        for (int j = 0; j < (int)sizeof chunk; j++) chunk[j] = (char)(i * 7 + j);
        size_t off = 0;
        while (off < sizeof chunk) {
            ssize_t w = write(to_child[1], chunk + off, sizeof chunk - off);
            if (w <= 0) { printf("write failed\n"); return 1; }
            off += (size_t)w;
        }
    }
    close(to_child[1]);
    char reply[128] = {0};
    ssize_t n, got = 0;
    while ((n = read(to_parent[0], reply + got, sizeof reply - 1 - got)) > 0) got += n;
    int status;
    waitpid(p, &status, 0);
    printf("parent: '%s' status=%d\n", reply, WEXITSTATUS(status));

    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) { printf("pipe2 failed\n"); return 1; }
    printf("pipe2 cloexec: %d %d\n", (fcntl(fds[0], F_GETFD) & FD_CLOEXEC) != 0,
           (fcntl(fds[1], F_GETFD) & FD_CLOEXEC) != 0);
    write(fds[1], "abc", 3);
    close(fds[1]);
    char b[8];
    n = read(fds[0], b, sizeof b);
    ssize_t n2 = read(fds[0], b, sizeof b);
    printf("read %zd then EOF %zd\n", n, n2);
    return 0;
}
