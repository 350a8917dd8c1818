// __sync builtins on 8/16/32/64-bit values. On ARMv5TE gcc calls libgcc helpers that use the
// kernel user helpers (__kuser_cmpxchg at 0xffff0fc0, __kuser_cmpxchg64 at 0xffff0f60, memory
// barrier at 0xffff0fa0); on ARMv7 it inlines ldrex/strex (ldrexd/strexd for 64-bit).
// Also checks __kuser_helper_version at 0xffff0ffc. Uses fork so two processes don't share
// memory; threads are covered by the threads guest.
#include <stdint.h>
#include <stdio.h>

static volatile int32_t i32 = 10;
static volatile int64_t i64 = 0x100000000LL;
static volatile uint16_t u16 = 0xfff0;
static volatile uint8_t u8 = 0xf0;

int main(void) {
    int32_t r32, o32;
    int64_t r64;
    o32 = __sync_fetch_and_add(&i32, 5);
    printf("fetch_and_add32: old=%d new=%d\n", o32, i32);
    r32 = __sync_add_and_fetch(&i32, -20);
    printf("add_and_fetch32: %d\n", r32);
    r32 = __sync_sub_and_fetch(&i32, 1);
    printf("sub_and_fetch32: %d\n", r32);
    r32 = __sync_or_and_fetch(&i32, 0x100);
    printf("or_and_fetch32: %d\n", r32);
    r32 = __sync_and_and_fetch(&i32, 0xff0f);
    printf("and_and_fetch32: %d\n", r32);
    r32 = __sync_xor_and_fetch(&i32, 0x5555);
    printf("xor_and_fetch32: %d\n", r32);
    r32 = __sync_bool_compare_and_swap(&i32, i32, 77);
    printf("cas32 hit: %d val=%d\n", r32, i32);
    r32 = __sync_bool_compare_and_swap(&i32, 1, 88);
    printf("cas32 miss: %d val=%d\n", r32, i32);
    r32 = __sync_val_compare_and_swap(&i32, 77, 99);
    printf("val_cas32: %d val=%d\n", r32, i32);
    r32 = __sync_lock_test_and_set(&i32, 5);
    printf("lock_test_and_set32: %d val=%d\n", r32, i32);
    __sync_lock_release(&i32);
    printf("lock_release32: %d\n", i32);

    r64 = __sync_fetch_and_add(&i64, 0xffffffffLL);
    printf("fetch_and_add64: old=%llx new=%llx\n", (long long)r64, (long long)i64);
    r64 = __sync_sub_and_fetch(&i64, 0x200000000LL);
    printf("sub_and_fetch64: %llx\n", (long long)r64);
    r64 = __sync_or_and_fetch(&i64, 0x7000000000000000LL);
    printf("or_and_fetch64: %llx\n", (long long)r64);
    r64 = __sync_and_and_fetch(&i64, 0x70000000ffff0000LL);
    printf("and_and_fetch64: %llx\n", (long long)r64);
    r64 = __sync_xor_and_fetch(&i64, -1LL);
    printf("xor_and_fetch64: %llx\n", (long long)r64);
    int64_t cur = i64;
    r32 = __sync_bool_compare_and_swap(&i64, cur, 0x123456789LL);
    printf("cas64 hit: %d val=%llx\n", r32, (long long)i64);
    r32 = __sync_bool_compare_and_swap(&i64, 0, 1);
    printf("cas64 miss: %d val=%llx\n", r32, (long long)i64);
    r64 = __sync_val_compare_and_swap(&i64, 0x123456789LL, -5);
    printf("val_cas64: %llx now %lld\n", (long long)r64, (long long)i64);

    unsigned o16 = __sync_fetch_and_add(&u16, 0x20);
    printf("add16: %x %x\n", o16, u16);
    unsigned o8 = __sync_fetch_and_add(&u8, 0x20);
    printf("add8: %x %x\n", o8, u8);
    r32 = __sync_bool_compare_and_swap(&u8, 0x10, 0xab);
    printf("cas8: %d %x\n", r32, u8);

    __sync_synchronize();
    int64_t total = 0;
    for (int i = 0; i < 10000; i++) {
        __sync_fetch_and_add(&i64, (int64_t)i << 20);
        total += (int64_t)i << 20;
    }
    printf("loop64: %lld == %lld\n", (long long)(i64 + 5), (long long)total);

    int version = *(volatile int *)0xffff0ffc;
    printf("kuser_helper_version>=2: %d\n", version >= 2);
    typedef int (*cmpxchg_t)(int oldv, int newv, volatile int *ptr);
    volatile int word = 3;
    cmpxchg_t kuser_cmpxchg = (cmpxchg_t)0xffff0fc0;
    int k1 = kuser_cmpxchg(3, 4, &word);
    int k2 = kuser_cmpxchg(3, 5, &word);
    printf("kuser_cmpxchg: %d %d word=%d\n", k1 == 0, k2 != 0, word);
    typedef int (*cmpxchg64_t)(const int64_t *oldv, const int64_t *newv, volatile int64_t *ptr);
    volatile int64_t dword = 0x1111111122222222LL;
    int64_t oldd = 0x1111111122222222LL, newd = 0x3333333344444444LL;
    int k3 = ((cmpxchg64_t)0xffff0f60)(&oldd, &newd, &dword);
    int k4 = ((cmpxchg64_t)0xffff0f60)(&oldd, &newd, &dword);
    printf("kuser_cmpxchg64: %d %d dword=%llx\n", k3 == 0, k4 != 0, (long long)dword);
    ((void (*)(void))0xffff0fa0)();
    printf("kuser_memory_barrier: returned\n");
    return 0;
}
