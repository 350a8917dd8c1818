// Debian's libzstd-dev: compression of the on-disk code cache.
#include <zstd.h>
