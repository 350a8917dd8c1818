// malloc/free/realloc/calloc heavy workload with a deterministic PRNG; prints checksums.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint32_t state = 12345;
static uint32_t rnd(void) {
    state ^= state << 13;
    state ^= state >> 17;
    state ^= state << 5;
    return state;
}

#define SLOTS 512

int main(void) {
    static unsigned char *ptr[SLOTS];
    static size_t len[SLOTS];
    static unsigned char tag[SLOTS];
    unsigned long ops = 0, bytes = 0, errors = 0;

    for (int iter = 0; iter < 30000; iter++) {
        unsigned s = rnd() % SLOTS;
        unsigned action = rnd() % 4;
        if (ptr[s]) {
            // Verify contents before touching the block.
            for (size_t i = 0; i < len[s]; i += 1 + len[s] / 8)
                if (ptr[s][i] != tag[s]) errors++;
        }
        if (action == 0 && ptr[s]) {
            free(ptr[s]);
            ptr[s] = NULL;
        } else if (action == 1 && ptr[s]) {
            size_t nl = 1 + rnd() % ((rnd() % 16 == 0) ? 40000 : 2000);
            unsigned char *p = realloc(ptr[s], nl);
            if (!p) { errors++; continue; }
            if (nl > len[s]) memset(p + len[s], tag[s], nl - len[s]);
            ptr[s] = p;
            len[s] = nl;
            bytes += nl;
        } else if (!ptr[s]) {
            size_t nl = 1 + rnd() % ((rnd() % 32 == 0) ? 200000 : 1000);
            unsigned char *p = action == 2 ? calloc(nl, 1) : malloc(nl);
            if (!p) { errors++; continue; }
            if (action == 2)
                for (size_t i = 0; i < nl; i += 7) if (p[i]) { errors++; break; }
            tag[s] = (unsigned char)rnd();
            memset(p, tag[s], nl);
            ptr[s] = p;
            len[s] = nl;
            bytes += nl;
        }
        ops++;
    }
    uint32_t sum = 0;
    size_t live = 0;
    for (int s = 0; s < SLOTS; s++) {
        if (!ptr[s]) continue;
        for (size_t i = 0; i < len[s]; i += 1 + len[s] / 64) sum = sum * 31 + ptr[s][i];
        live += len[s];
        free(ptr[s]);
    }
    // Many tiny allocations in a linked list.
    struct node { struct node *next; int v; } *head = NULL;
    for (int i = 0; i < 30000; i++) {
        struct node *n = malloc(sizeof *n);
        n->v = i;
        n->next = head;
        head = n;
    }
    long long total = 0;
    while (head) {
        struct node *n = head->next;
        total += head->v;
        free(head);
        head = n;
    }
    // A big allocation (mmap-backed in glibc) that is grown and shrunk.
    char *big = malloc(1 << 20);
    memset(big, 0x5a, 1 << 20);
    big = realloc(big, 4 << 20);
    big[(4 << 20) - 1] = 1;
    big = realloc(big, 4096);
    int bigok = big[0] == 0x5a && big[4095] == 0x5a;
    free(big);
    printf("ops=%lu bytes=%lu live=%lu sum=%08x errors=%lu list=%lld big=%d\n", ops, bytes,
           (unsigned long)live, sum, errors, total, bigok);
    return errors != 0;
}
