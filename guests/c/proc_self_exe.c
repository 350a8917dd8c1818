// readlink("/proc/self/exe") must name the guest program (not the translator); prints only
// the basename. Also opens /proc/self/exe and checks it is an ARM ELF file.
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(void) {
    char buf[4096];
    ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
    if (n < 0) { printf("readlink failed\n"); return 1; }
    buf[n] = 0;
    const char *base = strrchr(buf, '/');
    printf("exe basename: %s\n", base ? base + 1 : buf);
    printf("absolute: %d\n", buf[0] == '/');
    int fd = open("/proc/self/exe", O_RDONLY);
    unsigned char hdr[20];
    if (fd < 0 || read(fd, hdr, sizeof hdr) != sizeof hdr) { printf("open failed\n"); return 1; }
    printf("ELF=%d class32=%d little=%d machine_arm=%d\n", memcmp(hdr, "\177ELF", 4) == 0,
           hdr[4] == 1, hdr[5] == 1, hdr[18] == 40 && hdr[19] == 0);
    close(fd);
    return 0;
}
