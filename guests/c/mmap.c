// mmap/munmap/mprotect/mremap used directly: anonymous and file-backed mappings, MAP_FIXED,
// protection changes observed through SIGSEGV, mremap growth and moves, MAP_SHARED visibility
// across fork.
#define _GNU_SOURCE
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

static sigjmp_buf env;
static void on_segv(int sig) { siglongjmp(env, sig); }

static int probe_write(volatile char *p) {
    if (sigsetjmp(env, 1) == 0) {
        *p = 1;
        return 1;
    }
    return 0;
}
static int probe_read(volatile char *p) {
    if (sigsetjmp(env, 1) == 0) {
        (void)*p;
        return 1;
    }
    return 0;
}

int main(int argc, char **argv) {
    signal(SIGSEGV, on_segv);
    long page = sysconf(_SC_PAGESIZE);
    printf("page size %ld\n", page);

    char *a = mmap(NULL, 4 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (a == MAP_FAILED) { printf("mmap failed\n"); return 1; }
    int zero = 1;
    for (long i = 0; i < 4 * page; i++) if (a[i]) zero = 0;
    printf("anon zero-filled=%d aligned=%d\n", zero, ((unsigned long)a & (page - 1)) == 0);
    memset(a, 'A', 4 * page);

    mprotect(a + page, page, PROT_READ);
    printf("after PROT_READ: read=%d write=%d\n", probe_read(a + page), probe_write(a + page));
    mprotect(a + page, page, PROT_NONE);
    printf("after PROT_NONE: read=%d write=%d\n", probe_read(a + page), probe_write(a + page));
    printf("neighbours still writable: %d %d\n", probe_write(a), probe_write(a + 2 * page));
    mprotect(a + page, page, PROT_READ | PROT_WRITE);
    printf("restored: write=%d data=%c\n", probe_write(a + page + 1), a[page + 2]);

    munmap(a + 2 * page, page);
    printf("after munmap middle: read=%d, last page read=%d\n", probe_read(a + 2 * page),
           probe_read(a + 3 * page));

    // mremap: grow in place or move, contents preserved.
    char *b = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    strcpy(b, "remap me");
    char *c = mremap(b, page, 64 * page, MREMAP_MAYMOVE);
    if (c == MAP_FAILED) { printf("mremap failed\n"); return 1; }
    c[64 * page - 1] = 'z';
    printf("mremap grow: '%s' tail=%c\n", c, c[64 * page - 1]);
    // Grow again (may move); shrinking with mremap is not exercised because qemu-arm 7.2
    // corrupts its own mapping state after a shrinking mremap (later mmaps crash).
    char *d = mremap(c, 64 * page, 128 * page, MREMAP_MAYMOVE);
    printf("mremap grow again: '%s' tail=%c new_zero=%d\n", d, d[64 * page - 1],
           d[128 * page - 1] == 0);
    munmap(d, 128 * page);
    munmap(a, 2 * page);
    munmap(a + 3 * page, page);

    // MAP_FIXED at a chosen hint inside a reservation.
    char *res = mmap(NULL, 8 * page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    char *fx = mmap(res + 3 * page, page, PROT_READ | PROT_WRITE,
                    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    printf("MAP_FIXED honoured=%d usable=%d neighbour_none=%d\n", fx == res + 3 * page,
           probe_write(fx), !probe_read(res + 2 * page));
    munmap(res, 8 * page);

    // File-backed mapping of a temporary file in argv[1] (or /tmp).
    char path[512];
    snprintf(path, sizeof path, "%s/mmap-test-file", argc > 1 ? argv[1] : "/tmp");
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (fd < 0) { printf("open failed\n"); return 1; }
    unlink(path);
    ftruncate(fd, 2 * page);
    pwrite(fd, "file data", 9, page);
    char *f = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    printf("file map: '%s'\n", f + page);
    strcpy(f, "written via map");
    msync(f, page, MS_SYNC);
    char back[32] = {0};
    pread(fd, back, 15, 0);
    printf("pread after msync: '%s'\n", back);
    char *fo = mmap(NULL, page, PROT_READ, MAP_PRIVATE, fd, page);
    printf("offset map: '%s'\n", fo);
    munmap(fo, page);

    // Shared anonymous memory is visible to the parent after the child writes it.
    int *shared = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    int *priv = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    *shared = 1;
    *priv = 1;
    fflush(stdout);
    pid_t p = fork();
    if (p == 0) {
        *shared = 2;
        *priv = 2;
        f[0] = 'W';
        _exit(0);
    }
    waitpid(p, NULL, 0);
    printf("after child: shared=%d private=%d file=%c\n", *shared, *priv, f[0]);
    munmap(f, 2 * page);
    close(fd);
    return 0;
}
