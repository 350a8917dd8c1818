// uname(): prints only sysname and machine (qemu-arm reports "Linux" and "armv7l").
#include <stdio.h>
#include <sys/utsname.h>

int main(void) {
    struct utsname u;
    if (uname(&u) != 0) { printf("uname failed\n"); return 1; }
    printf("sysname=%s machine=%s\n", u.sysname, u.machine);
    return 0;
}
