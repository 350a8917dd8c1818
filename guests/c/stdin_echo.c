// Reads all of stdin: counts lines/words/bytes, prints lines reversed and upper-cased.
#include <ctype.h>
#include <stdio.h>
#include <string.h>

int main(void) {
    char line[1024];
    unsigned lines = 0, words = 0, bytes = 0;
    while (fgets(line, sizeof line, stdin)) {
        size_t n = strlen(line);
        bytes += (unsigned)n;
        if (n && line[n - 1] == '\n') { line[--n] = 0; lines++; }
        int inword = 0;
        for (size_t i = 0; i < n; i++) {
            if (isspace((unsigned char)line[i])) inword = 0;
            else if (!inword) { inword = 1; words++; }
        }
        for (size_t i = 0; i < n / 2; i++) {
            char t = line[i];
            line[i] = line[n - 1 - i];
            line[n - 1 - i] = t;
        }
        for (size_t i = 0; i < n; i++) line[i] = (char)toupper((unsigned char)line[i]);
        printf("%s\n", line);
    }
    printf("lines=%u words=%u bytes=%u eof=%d\n", lines, words, bytes, feof(stdin) != 0);
    fprintf(stderr, "stdin_echo: done\n");
    return 0;
}
