// poll/select/ppoll/pselect on pipes: timeouts with nothing ready, readiness after a write,
// POLLHUP after the writer closes, writability of an empty pipe.
#define _GNU_SOURCE
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <sys/select.h>
#include <time.h>
#include <unistd.h>

int main(void) {
    int fds[2];
    if (pipe(fds) != 0) return 1;
    struct pollfd p[2] = {{fds[0], POLLIN, 0}, {fds[1], POLLOUT, 0}};
    int r = poll(p, 1, 50);
    printf("poll empty: r=%d revents=%#x\n", r, p[0].revents);
    r = poll(p, 2, 0);
    printf("poll write end: r=%d in=%#x out=%#x\n", r, p[0].revents, p[1].revents);
    write(fds[1], "hi", 2);
    r = poll(p, 1, 1000);
    printf("poll after write: r=%d revents=%#x\n", r, p[0].revents);

    fd_set rd, wr;
    FD_ZERO(&rd);
    FD_SET(fds[0], &rd);
    struct timeval tv = {1, 0};
    r = select(fds[0] + 1, &rd, NULL, NULL, &tv);
    printf("select readable: r=%d isset=%d\n", r, FD_ISSET(fds[0], &rd) != 0);
    char buf[8];
    read(fds[0], buf, sizeof buf);
    FD_ZERO(&rd);
    FD_SET(fds[0], &rd);
    FD_ZERO(&wr);
    FD_SET(fds[1], &wr);
    tv.tv_sec = 0;
    tv.tv_usec = 30000;
    r = select(fds[1] + 1, &rd, &wr, NULL, &tv);
    printf("select drained: r=%d rd=%d wr=%d\n", r, FD_ISSET(fds[0], &rd) != 0,
           FD_ISSET(fds[1], &wr) != 0);
    FD_ZERO(&rd);
    FD_SET(fds[0], &rd);
    tv.tv_sec = 0;
    tv.tv_usec = 20000;
    r = select(fds[0] + 1, &rd, NULL, NULL, &tv);
    printf("select timeout: r=%d\n", r);

    struct timespec ts = {0, 10 * 1000 * 1000};
    sigset_t mask;
    sigemptyset(&mask);
    r = ppoll(p, 1, &ts, &mask);
    printf("ppoll timeout: r=%d\n", r);
    FD_ZERO(&rd);
    FD_SET(fds[0], &rd);
    r = pselect(fds[0] + 1, &rd, NULL, NULL, &ts, &mask);
    printf("pselect timeout: r=%d\n", r);

    close(fds[1]);
    r = poll(p, 1, 1000);
    printf("poll after close: r=%d hup=%d\n", r, (p[0].revents & POLLHUP) != 0);
    struct pollfd bad = {999, POLLIN, 0};
    r = poll(&bad, 1, 0);
    printf("poll bad fd: r=%d nval=%d\n", r, (bad.revents & POLLNVAL) != 0);
    return 0;
}
