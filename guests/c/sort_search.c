// qsort and bsearch over ints, strings and structs.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int cmp_int(const void *a, const void *b) {
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}
static int cmp_str(const void *a, const void *b) {
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}
struct rec { int key; char name[8]; };
static int cmp_rec(const void *a, const void *b) {
    const struct rec *x = a, *y = b;
    if (x->key != y->key) return x->key < y->key ? -1 : 1;
    return strcmp(x->name, y->name);
}

int main(void) {
    enum { N = 20000 };
    static int v[N];
    unsigned s = 1;
    for (int i = 0; i < N; i++) { s = s * 1103515245u + 12345u; v[i] = (int)(s >> 1) - (1 << 30); }
    qsort(v, N, sizeof v[0], cmp_int);
    int sorted = 1;
    for (int i = 1; i < N; i++) if (v[i - 1] > v[i]) sorted = 0;
    printf("ints sorted=%d min=%d max=%d median=%d\n", sorted, v[0], v[N - 1], v[N / 2]);
    int found = 0;
    for (int i = 0; i < N; i += 97) found += bsearch(&v[i], v, N, sizeof v[0], cmp_int) != NULL;
    int missing = 0x7fffffff;
    printf("bsearch found=%d missing=%s\n", found,
           bsearch(&missing, v, N, sizeof v[0], cmp_int) ? "found?!" : "absent");

    const char *words[] = {"pear", "apple", "fig", "banana", "cherry", "date", "kiwi",
                           "grape", "lemon", "mango", "apple", "zucchini", "elderberry"};
    size_t nw = sizeof words / sizeof words[0];
    qsort(words, nw, sizeof words[0], cmp_str);
    for (size_t i = 0; i < nw; i++) printf("%s%s", words[i], i + 1 < nw ? "," : "\n");
    const char *key = "kiwi";
    const char **hit = bsearch(&key, words, nw, sizeof words[0], cmp_str);
    printf("kiwi at %d\n", hit ? (int)(hit - words) : -1);

    struct rec r[200];
    for (int i = 0; i < 200; i++) {
        r[i].key = (i * 37) % 23;
        snprintf(r[i].name, sizeof r[i].name, "n%03d", (i * 91) % 200);
    }
    qsort(r, 200, sizeof r[0], cmp_rec);
    for (int i = 0; i < 200; i += 25) printf("(%d,%s) ", r[i].key, r[i].name);
    printf("\n");
    return 0;
}
