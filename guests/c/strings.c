// String and memory functions from libc (many have hand-written ARM assembly in glibc).
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int main(void) {
    char buf[256];
    const char *s = "The quick brown fox jumps over the lazy dog";
    printf("strlen=%zu\n", strlen(s));
    for (int off = 0; off < 8; off++) printf("%zu ", strlen(s + off));
    printf("\n");
    strcpy(buf, "abc");
    strcat(buf, "def");
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wstringop-truncation"
    strncat(buf, "ghijkl", 3);
#pragma GCC diagnostic pop
    printf("cat: %s\n", buf);
    printf("cmp: %d %d %d %d %d\n", strcmp("abc", "abd") < 0, strcmp("b", "a") > 0,
           strcmp("same", "same"), strncmp("abcX", "abcY", 3), strcasecmp("HeLLo", "hello"));
    printf("chr: %s | %s | %s\n", strchr(s, 'q'), strrchr(s, 'o'), strstr(s, "over"));
    printf("chr miss: %p %p\n", (void *)strchr(s, 'Z'), (void *)strstr(s, "cat"));
    printf("spn: %zu %zu pbrk: %s\n", strspn("aaabbbccc", "ab"), strcspn(s, "xyz"),
           strpbrk(s, "xyz"));

    // memcpy/memmove/memset/memcmp at all small alignments and lengths.
    unsigned char src[128], dst[160];
    for (int i = 0; i < 128; i++) src[i] = (unsigned char)(i * 7 + 3);
    unsigned sum = 0;
    for (int so = 0; so < 4; so++)
        for (int doff = 0; doff < 4; doff++)
            for (int len = 0; len < 70; len += 3) {
                memset(dst, 0xee, sizeof dst);
                memcpy(dst + doff, src + so, len);
                for (int i = 0; i < 80; i++) sum = sum * 31 + dst[i];
                if (memcmp(dst + doff, src + so, len) != 0) printf("memcpy mismatch\n");
            }
    printf("memcpy hash %08x\n", sum);
    for (int i = 0; i < 64; i++) dst[i] = (unsigned char)i;
    memmove(dst + 5, dst, 40);
    memmove(dst + 50, dst + 53, 10);
    sum = 0;
    for (int i = 0; i < 64; i++) sum = sum * 31 + dst[i];
    printf("memmove hash %08x\n", sum);
    memset(buf, 'x', 100);
    buf[100] = 0;
    printf("memset len %zu, memchr %td, memcmp %d\n", strlen(buf),
           (char *)memchr(s, 'z', strlen(s)) - s, memcmp("abc", "abd", 3) < 0);

    // Conversions.
    printf("strtol: %ld %ld %ld %lu\n", strtol("-12345", NULL, 10), strtol("0x7fff", NULL, 16),
           strtol("0755", NULL, 0), strtoul("4294967295", NULL, 10));
    char *end;
    long long ll = strtoll("  -9223372036854775807xyz", &end, 10);
    printf("strtoll: %lld rest=%s\n", ll, end);
    printf("atoi %d atof %.3f strtod %.6g\n", atoi("  42abc"), atof("2.5e3"),
           strtod("-1.25e-3", NULL));

    // Tokenizing, duplication, case.
    char line[] = "alpha, beta,,gamma ,delta";
    int n = 0;
    for (char *tok = strtok(line, ", "); tok; tok = strtok(NULL, ", ")) printf("[%d:%s]", n++, tok);
    printf("\n");
    char *dup = strdup(s);
    for (char *p = dup; *p; p++) *p = (char)toupper((unsigned char)*p);
    printf("upper: %s\n", dup);
    free(dup);
    char *nd = strndup(s, 9);
    printf("strndup: '%s' isalpha %d isdigit %d isspace %d\n", nd, isalpha('q') != 0,
           isdigit('7') != 0, isspace('\t') != 0);
    free(nd);
    snprintf(buf, sizeof buf, "%s|%5.2s|%-4d|%s", "x", "yzw", 12, "end");
    printf("snprintf: %s\n", buf);
    return 0;
}
