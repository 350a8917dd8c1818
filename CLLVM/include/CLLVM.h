// Umbrella header over the LLVM 19 C API (Debian's llvm-19-dev). The llvm-c and llvm/Config
// entries beside this file are symlinks into /usr/lib/llvm-19/include.
#include <llvm-c/Core.h>
#include <llvm-c/Analysis.h>
#include <llvm-c/Target.h>
#include <llvm-c/TargetMachine.h>
#include <llvm-c/Transforms/PassBuilder.h>
#include <llvm-c/Orc.h>
#include <llvm-c/LLJIT.h>
#include <llvm-c/Error.h>
#include <llvm-c/Support.h>
