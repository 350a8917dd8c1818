// Prints argc/argv, the environment (sorted, with count), and getenv of ISOMORPH_TEST_VAR.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern char **environ;

static int cmp(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv, char **envp) {
    printf("argc=%d\n", argc);
    for (int i = 0; i < argc; i++) printf("argv[%d]=%s\n", i, argv[i]);
    printf("argv[argc]=%s\n", argv[argc] == NULL ? "NULL" : "non-NULL");
    int envc = 0;
    while (envp[envc]) envc++;
    printf("envc=%d environ==envp: %d\n", envc, environ == envp);
    char **copy = malloc(sizeof(char *) * (envc + 1));
    memcpy(copy, envp, sizeof(char *) * envc);
    qsort(copy, envc, sizeof(char *), cmp);
    for (int i = 0; i < envc; i++) printf("env: %s\n", copy[i]);
    const char *v = getenv("ISOMORPH_TEST_VAR");
    printf("ISOMORPH_TEST_VAR=%s\n", v ? v : "(unset)");
    setenv("ISOMORPH_TEST_VAR", "changed", 1);
    printf("after setenv: %s\n", getenv("ISOMORPH_TEST_VAR"));
    return 0;
}
