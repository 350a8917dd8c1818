// getcwd/chdir/fchdir, relative paths after chdir. argv[1] is a scratch directory; only
// paths relative to it are printed.
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc < 2) { printf("usage: cwd DIR\n"); return 2; }
    char cwd[4096], base[4096];
    if (chdir("/") != 0 || !getcwd(cwd, sizeof cwd)) { printf("chdir / failed\n"); return 1; }
    printf("at root: %s\n", cwd);
    if (chdir(argv[1]) != 0) { printf("chdir failed\n"); return 1; }
    getcwd(base, sizeof base);
    size_t bl = strlen(base);
    mkdir("deep", 0755);
    mkdir("deep/er", 0755);
    chdir("deep/er");
    getcwd(cwd, sizeof cwd);
    printf("relative chdir: prefix_ok=%d rest=%s\n", strncmp(cwd, base, bl) == 0, cwd + bl);
    int fd = open("marker", O_CREAT | O_WRONLY, 0644);
    close(fd);
    chdir("..");
    getcwd(cwd, sizeof cwd);
    printf("dotdot: %s marker_visible=%d\n", cwd + bl, access("er/marker", F_OK) == 0);
    int dfd = open("er", O_RDONLY | O_DIRECTORY);
    fchdir(dfd);
    close(dfd);
    getcwd(cwd, sizeof cwd);
    printf("fchdir: %s\n", cwd + bl);
    printf("chdir missing: %s\n", chdir("no/such/dir") == -1 && errno == ENOENT ? "ENOENT" : "?");
    char tiny[4];
    printf("getcwd small buffer: %s\n", getcwd(tiny, sizeof tiny) == NULL && errno == ERANGE
                                            ? "ERANGE" : "?");
    unlink("marker");
    chdir(base);
    rmdir("deep/er");
    rmdir("deep");
    printf("cleaned: %d\n", access("deep", F_OK) != 0);
    return 0;
}
