/* Startup: the trivial program whose run time is process start-up. */
#include <stdio.h>
int main(void) { puts("hello"); return 0; }
