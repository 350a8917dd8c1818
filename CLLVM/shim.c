// SwiftPM needs at least one source file in a C target; the LLVM API itself comes from libLLVM-19.
#include "CLLVM.h"
