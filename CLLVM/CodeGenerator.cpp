// A code generator that builds LLVM's code generation pipeline once and runs it for module after
// module. LLVMTargetMachineEmitToMemoryBuffer builds the pipeline (a hundred-odd passes, an
// MCContext, an object streamer) again for every module: 15% of a quick compilation's host
// instructions. The passes are made to be run for several modules: AsmPrinter resets its
// object streamer at the end of each, MachineModuleInfo its MCContext, and the machine
// functions are freed after each function.
#include "CLLVM.h"
#include <llvm/ADT/SmallVector.h>
#include <llvm/IR/LegacyPassManager.h>
#include <llvm/IR/Module.h>
#include <llvm/Support/MemoryBuffer.h>
#include <llvm/Support/raw_ostream.h>
#include <llvm/Target/TargetMachine.h>

struct IsomorphCodeGenerator {
    llvm::SmallVector<char, 0> object;
    // Writes into `object` directly (unbuffered), its position being the vector's size.
    llvm::raw_svector_ostream stream{object};
    llvm::legacy::PassManager passes;
};

extern "C" IsomorphCodeGeneratorRef IsomorphCreateCodeGenerator(LLVMTargetMachineRef machine) {
    auto *targetMachine = reinterpret_cast<llvm::TargetMachine *>(machine);
    auto *generator = new IsomorphCodeGenerator();
    if (targetMachine->addPassesToEmitFile(generator->passes, generator->stream, nullptr,
                                           llvm::CodeGenFileType::ObjectFile)) {
        delete generator;
        return nullptr;
    }
    return generator;
}

extern "C" void IsomorphDisposeCodeGenerator(IsomorphCodeGeneratorRef generator) { delete generator; }

extern "C" LLVMMemoryBufferRef IsomorphGenerateObject(IsomorphCodeGeneratorRef generator, LLVMModuleRef module) {
    generator->object.clear();
    generator->passes.run(*llvm::unwrap(module));
    llvm::StringRef bytes(generator->object.data(), generator->object.size());
    return llvm::wrap(llvm::MemoryBuffer::getMemBufferCopy(bytes, "isomorph object").release());
}
