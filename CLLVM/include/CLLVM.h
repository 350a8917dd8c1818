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

// Isomorph's own addition (CodeGenerator.cpp, over LLVM's C++ API): object code generation
// with a pipeline built once per target machine and thread, instead of once per module.
#ifdef __cplusplus
extern "C" {
#endif
typedef struct IsomorphCodeGenerator *IsomorphCodeGeneratorRef;
/// NULL if the target machine cannot emit object files.
IsomorphCodeGeneratorRef IsomorphCreateCodeGenerator(LLVMTargetMachineRef machine);
void IsomorphDisposeCodeGenerator(IsomorphCodeGeneratorRef generator);
/// The object code of `module`, whose data layout must be the target machine's; the module
/// stays the caller's. One module at a time per generator.
LLVMMemoryBufferRef IsomorphGenerateObject(IsomorphCodeGeneratorRef generator, LLVMModuleRef module);
#ifdef __cplusplus
}
#endif
