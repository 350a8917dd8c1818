// execve of another guest program. argv[1] = path of the program to run (the harness passes the
// hello guest of the same variant). Modes: "direct" replaces this process; "fork" runs it in a
// child and reports its exit status; also checks execve of a missing file fails with ENOENT.
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

int main(int argc, char **argv) {
    if (argc < 3) { printf("usage: exec PROGRAM direct|fork\n"); return 2; }
    char *missing_argv[] = {"/nonexistent/program", NULL};
    execve(missing_argv[0], missing_argv, environ);
    printf("missing: %s\n", errno == ENOENT ? "ENOENT" : strerror(errno));
    char *args[] = {argv[1], "from-exec", NULL};
    if (strcmp(argv[2], "direct") == 0) {
        printf("exec direct\n");
        fflush(stdout);
        execve(argv[1], args, environ);
        printf("execve failed: %s\n", strerror(errno));
        return 1;
    }
    printf("exec in child\n");
    fflush(stdout);
    pid_t p = fork();
    if (p == 0) {
        execve(argv[1], args, environ);
        _exit(127);
    }
    int status;
    waitpid(p, &status, 0);
    printf("child exited=%d code=%d\n", WIFEXITED(status), WEXITSTATUS(status));
    return 0;
}
