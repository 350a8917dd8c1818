// File I/O inside the directory argv[1]: open/read/write/lseek/pread/pwrite/stat/fstat/ftruncate,
// unlink, rename, mkdir/rmdir, readdir (printed sorted), fopen/fprintf/fgets. Prints no paths.
// Built with 64-bit file offsets: 32-bit readdir() fails with EOVERFLOW on hosts whose
// directory offsets or inode numbers exceed 32 bits (the usual case today).
// CFLAGS: -D_FILE_OFFSET_BITS=64
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char base[1024];
static const char *path(const char *name) {
    static char buf[2][1200];
    static int which;
    which ^= 1;
    snprintf(buf[which], sizeof buf[which], "%s/%s", base, name);
    return buf[which];
}

#define CHECK(cond)                                                            \
    do {                                                                       \
        if (!(cond)) {                                                         \
            printf("FAIL line %d: %s (errno %d %s)\n", __LINE__, #cond, errno, \
                   strerror(errno));                                           \
            return 1;                                                          \
        }                                                                      \
    } while (0)

static int cmp(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv) {
    if (argc < 2) { printf("usage: fileio DIR\n"); return 2; }
    snprintf(base, sizeof base, "%s", argv[1]);

    // Create, write, read back.
    int fd = open(path("a.txt"), O_CREAT | O_EXCL | O_RDWR, 0644);
    CHECK(fd >= 0);
    const char *msg = "hello file\nsecond line\n";
    CHECK(write(fd, msg, strlen(msg)) == (ssize_t)strlen(msg));
    CHECK(lseek(fd, 0, SEEK_CUR) == (off_t)strlen(msg));
    CHECK(lseek(fd, 6, SEEK_SET) == 6);
    char buf[256] = {0};
    ssize_t n = read(fd, buf, 4);
    printf("read %zd: '%s'\n", n, buf);
    CHECK(lseek(fd, -5, SEEK_END) == (off_t)strlen(msg) - 5);
    memset(buf, 0, sizeof buf);
    n = read(fd, buf, sizeof buf);
    printf("tail %zd: '%s'\n", n, buf[n - 1] == '\n' ? (buf[n - 1] = 0, buf) : buf);
    CHECK(read(fd, buf, sizeof buf) == 0);

    // Sparse write past EOF, pread/pwrite.
    CHECK(lseek(fd, 100, SEEK_SET) == 100);
    CHECK(write(fd, "X", 1) == 1);
    CHECK(pwrite(fd, "YZ", 2, 50) == 2);
    memset(buf, 1, sizeof buf);
    CHECK(pread(fd, buf, 101, 0) == 101);
    printf("hole bytes zero: %d, Y=%c Z=%c X=%c\n", buf[40] == 0 && buf[99] == 0, buf[50], buf[51],
           buf[100]);

    struct stat st;
    CHECK(fstat(fd, &st) == 0);
    printf("fstat: size=%lld regular=%d mode=%o\n", (long long)st.st_size, S_ISREG(st.st_mode),
           st.st_mode & 0777);
    CHECK(ftruncate(fd, 10) == 0);
    CHECK(fstat(fd, &st) == 0);
    printf("after ftruncate: size=%lld\n", (long long)st.st_size);
    CHECK(close(fd) == 0);
    CHECK(close(fd) == -1 && errno == EBADF);
    printf("close twice: EBADF\n");

    CHECK(stat(path("a.txt"), &st) == 0);
    printf("stat: size=%lld nlink=%ld\n", (long long)st.st_size, (long)st.st_nlink);
    CHECK(stat(path("missing"), &st) == -1);
    printf("stat missing: %s\n", errno == ENOENT ? "ENOENT" : "other");
    CHECK(open(path("a.txt"), O_CREAT | O_EXCL | O_WRONLY, 0644) == -1 && errno == EEXIST);
    printf("O_EXCL: EEXIST\n");

    // Rename, chmod, access.
    CHECK(rename(path("a.txt"), path("b.txt")) == 0);
    CHECK(access(path("a.txt"), F_OK) == -1 && errno == ENOENT);
    CHECK(access(path("b.txt"), R_OK | W_OK) == 0);
    CHECK(chmod(path("b.txt"), 0600) == 0);
    CHECK(stat(path("b.txt"), &st) == 0);
    printf("renamed, mode=%o\n", st.st_mode & 0777);

    // stdio on top.
    FILE *f = fopen(path("c.txt"), "w");
    CHECK(f != NULL);
    for (int i = 0; i < 1000; i++) fprintf(f, "line %d %x\n", i, i * 2654435761u);
    CHECK(fclose(f) == 0);
    f = fopen(path("c.txt"), "r");
    CHECK(f != NULL);
    unsigned lines = 0, sum = 0;
    while (fgets(buf, sizeof buf, f)) {
        lines++;
        for (char *p = buf; *p; p++) sum = sum * 33 + (unsigned char)*p;
    }
    fclose(f);
    printf("stdio: %u lines, hash %08x\n", lines, sum);

    // Directories.
    CHECK(mkdir(path("sub"), 0755) == 0);
    CHECK(mkdir(path("sub"), 0755) == -1 && errno == EEXIST);
    CHECK(stat(path("sub"), &st) == 0 && S_ISDIR(st.st_mode));
    fd = open(path("sub/inner"), O_CREAT | O_WRONLY | O_TRUNC, 0644);
    CHECK(fd >= 0);
    close(fd);
    CHECK(rmdir(path("sub")) == -1 && errno == ENOTEMPTY);
    printf("rmdir non-empty: ENOTEMPTY\n");
    for (int i = 9; i >= 0; i--) {
        char name[32];
        snprintf(name, sizeof name, "file%02d", i * 7 % 10);
        fd = open(path(name), O_CREAT | O_WRONLY, 0644);
        CHECK(fd >= 0);
        close(fd);
    }
    DIR *d = opendir(base);
    CHECK(d != NULL);
    char *names[64];
    int count = 0;
    struct dirent *e;
    errno = 0;
    while ((e = readdir(d)) != NULL && count < 64) names[count++] = strdup(e->d_name);
    CHECK(errno == 0);
    closedir(d);
    qsort(names, count, sizeof names[0], cmp);
    printf("readdir %d entries:", count);
    for (int i = 0; i < count; i++) { printf(" %s", names[i]); free(names[i]); }
    printf("\n");

    // Clean up everything so the directory is empty again.
    CHECK(unlink(path("sub/inner")) == 0);
    CHECK(rmdir(path("sub")) == 0);
    CHECK(unlink(path("b.txt")) == 0);
    CHECK(unlink(path("c.txt")) == 0);
    CHECK(unlink(path("b.txt")) == -1 && errno == ENOENT);
    for (int i = 0; i < 10; i++) {
        char name[32];
        snprintf(name, sizeof name, "file%02d", i);
        CHECK(unlink(path(name)) == 0);
    }
    d = opendir(base);
    count = 0;
    while ((e = readdir(d)) != NULL) count++;
    closedir(d);
    printf("after cleanup: %d entries\n", count);
    return 0;
}
