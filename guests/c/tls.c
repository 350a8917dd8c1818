// Thread-local storage with __thread (initialised and zero-initialised, TLS arrays, address
// of TLS). On ARMv5TE glibc reads the thread pointer via __kuser_get_tls (0xffff0fe0); on ARMv7
// via mrc p15, 0, rX, c13, c0, 3. The thread pointer is set by the set_tls syscall (0xf0005).
#include <stdint.h>
#include <stdio.h>

static __thread int counter = 42;
static __thread long long big = 0x1122334455667788LL;
static __thread char name[16] = "main";
static __thread int zeroed[100];
__thread int exported_tls = 7;

static int bump(void) { return ++counter; }

int main(void) {
    printf("counter=%d big=%llx name=%s exported=%d\n", counter, big, name, exported_tls);
    for (int i = 0; i < 10; i++) bump();
    int sum = 0;
    for (int i = 0; i < 100; i++) { sum += zeroed[i]; zeroed[i] = i; }
    for (int i = 0; i < 100; i++) sum += zeroed[i];
    big += 1;
    name[0] = 'M';
    printf("after: counter=%d big=%llx name=%s sum=%d\n", counter, big, name, sum);
    void *tp = __builtin_thread_pointer();
    printf("tls address near thread pointer: %d\n",
           (uintptr_t)&counter - (uintptr_t)tp < 65536u);
    typedef void *(*get_tls_t)(void);
    void *kuser_tp = ((get_tls_t)0xffff0fe0)();
    printf("kuser_get_tls == thread pointer: %d\n", kuser_tp == tp);
    return 0;
}
