// SIGALRM: alarm() + pause(), then setitimer(ITIMER_REAL) interrupting a busy loop,
// and a blocking read() interrupted with EINTR (no SA_RESTART).
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

static volatile sig_atomic_t alarms;
static void on_alarm(int sig) { (void)sig; alarms++; }

int main(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sigaction(SIGALRM, &sa, NULL);

    printf("alarm(5) previous=%u\n", alarm(5));
    printf("alarm(1) previous>0: %d\n", alarm(1) > 0);
    int r = pause();
    printf("pause returned %d errno=%s alarms=%d\n", r, errno == EINTR ? "EINTR" : "?", alarms);

    struct itimerval it = {{0, 0}, {0, 100 * 1000}};
    setitimer(ITIMER_REAL, &it, NULL);
    volatile unsigned long spins = 0;
    while (alarms < 2) spins++;
    printf("busy loop interrupted: alarms=%d\n", alarms);

    int fds[2];
    if (pipe(fds) != 0) return 1;
    alarm(1);
    char c;
    ssize_t n = read(fds[0], &c, 1);
    printf("read returned %zd errno=%s alarms=%d\n", n, errno == EINTR ? "EINTR" : "?", alarms);
    return 0;
}
