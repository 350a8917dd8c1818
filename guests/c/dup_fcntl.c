// dup/dup2/dup3/fcntl: F_DUPFD, F_DUPFD_CLOEXEC, F_GETFD/F_SETFD, F_GETFL/F_SETFL O_NONBLOCK
// (EAGAIN on an empty pipe), shared file offsets between duplicated descriptors, redirecting
// stdout with dup2.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv) {
    int fds[2];
    if (pipe(fds) != 0) return 1;
    int d = dup(fds[1]);
    printf("dup gives lowest free: %d\n", d == fds[1] + 1);
    write(d, "via dup ", 8);
    int d2 = dup2(fds[1], 20);
    printf("dup2 to 20: %d\n", d2);
    write(20, "via dup2", 8);
    char buf[64] = {0};
    read(fds[0], buf, sizeof buf - 1);
    printf("pipe got: '%s'\n", buf);
    printf("dup2 same fd: %d\n", dup2(20, 20));
    printf("dup2 bad fd: %d %s\n", dup2(555, 21), errno == EBADF ? "EBADF" : "?");
    int d3 = dup3(fds[1], 22, O_CLOEXEC);
    printf("dup3 cloexec: %d %d\n", d3, (fcntl(22, F_GETFD) & FD_CLOEXEC) != 0);
    int f = fcntl(fds[1], F_DUPFD, 30);
    int fc = fcntl(fds[1], F_DUPFD_CLOEXEC, 30);
    printf("F_DUPFD>=30: %d, F_DUPFD_CLOEXEC: %d cloexec=%d\n", f, fc,
           (fcntl(fc, F_GETFD) & FD_CLOEXEC) != 0);
    fcntl(f, F_SETFD, FD_CLOEXEC);
    printf("F_SETFD: %d\n", fcntl(f, F_GETFD));
    fcntl(f, F_SETFD, 0);
    printf("F_SETFD cleared: %d\n", fcntl(f, F_GETFD));

    int fl = fcntl(fds[0], F_GETFL);
    printf("F_GETFL accmode rdonly: %d nonblock=%d\n", (fl & O_ACCMODE) == O_RDONLY,
           (fl & O_NONBLOCK) != 0);
    fcntl(fds[0], F_SETFL, fl | O_NONBLOCK);
    ssize_t n = read(fds[0], buf, 1);
    printf("nonblocking empty read: %zd %s\n", n, errno == EAGAIN ? "EAGAIN" : strerror(errno));

    // Shared offset between dup'd file descriptors.
    char path[512];
    snprintf(path, sizeof path, "%s/dup-test", argc > 1 ? argv[1] : "/tmp");
    int a = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    unlink(path);
    write(a, "0123456789", 10);
    int b = dup(a);
    lseek(a, 3, SEEK_SET);
    char c;
    read(b, &c, 1);
    printf("shared offset: read '%c' offset now %ld\n", c, (long)lseek(a, 0, SEEK_CUR));

    // Redirect stdout into the file, then restore it.
    fflush(stdout);
    int saved = dup(1);
    lseek(a, 0, SEEK_SET);
    ftruncate(a, 0);
    dup2(a, 1);
    printf("this goes to the file\n");
    fflush(stdout);
    dup2(saved, 1);
    close(saved);
    memset(buf, 0, sizeof buf);
    pread(a, buf, sizeof buf - 1, 0);
    printf("redirected text: %s", buf);
    printf("close bad: %d %s\n", close(777), errno == EBADF ? "EBADF" : "?");
    return 0;
}
