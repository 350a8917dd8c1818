// swift-tools-version:6.0
import PackageDescription

/// LLVM 19's static libraries, in link order (`llvm-config-19 --link-static --libnames orcjit
/// x86codegen x86asmparser x86desc x86info passes`). Linked statically, a process starts about
/// 10 ms sooner than with libLLVM-19.so, whose relocation every run would pay (bench/RESULTS.md).
let llvmLibraries = [
    "LLVMX86AsmParser", "LLVMX86CodeGen", "LLVMX86Desc", "LLVMX86Info", "LLVMMCDisassembler",
    "LLVMGlobalISel", "LLVMSelectionDAG", "LLVMAsmPrinter", "LLVMOrcJIT", "LLVMPasses",
    "LLVMIRPrinter", "LLVMHipStdPar", "LLVMCoroutines", "LLVMipo", "LLVMInstrumentation",
    "LLVMVectorize", "LLVMLinker", "LLVMFrontendOpenMP", "LLVMFrontendOffloading", "LLVMCodeGen",
    "LLVMScalarOpts", "LLVMInstCombine", "LLVMObjCARCOpts", "LLVMCodeGenTypes", "LLVMBitWriter",
    "LLVMCFGuard", "LLVMAggressiveInstCombine", "LLVMTransformUtils", "LLVMWindowsDriver",
    "LLVMJITLink", "LLVMOption", "LLVMExecutionEngine", "LLVMTarget", "LLVMAnalysis",
    "LLVMProfileData", "LLVMSymbolize", "LLVMDebugInfoBTF", "LLVMDebugInfoPDB", "LLVMDebugInfoMSF",
    "LLVMDebugInfoDWARF", "LLVMRuntimeDyld", "LLVMOrcTargetProcess", "LLVMOrcShared", "LLVMObject",
    "LLVMTextAPI", "LLVMMCParser", "LLVMIRReader", "LLVMAsmParser", "LLVMBitReader", "LLVMMC",
    "LLVMDebugInfoCodeView", "LLVMCore", "LLVMRemarks", "LLVMBitstreamReader", "LLVMBinaryFormat",
    "LLVMTargetParser", "LLVMSupport", "LLVMDemangle"
]

let package = Package(
    name: "Isomorph",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "isomorph", targets: ["isomorph"]),
        .executable(name: "isomorph-difftest", targets: ["isomorph-difftest"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // LLVM 19 C API; see CLLVM/include/CLLVM.h.
        // CodeGenerator.cpp uses LLVM's C++ API (Debian's LLVM: no RTTI, no exceptions); its
        // debug information is DWARF 4, as valgrind 3.19 cannot read clang's DWARF 5 for it.
        .target(name: "CLLVM", path: "CLLVM",
                cxxSettings: [.unsafeFlags(["-I/usr/lib/llvm-19/include", "-fno-exceptions", "-fno-rtti", "-gdwarf-4"])],
                linkerSettings: [.unsafeFlags(["-L/usr/lib/llvm-19/lib"])]
                    + llvmLibraries.map { .linkedLibrary($0) }
                    + ["stdc++", "z", "zstd", "m"].map { .linkedLibrary($0) }),
        // libzstd, for the on-disk code cache.
        .systemLibrary(name: "CZstd", path: "CZstd"),
        // The ISA as data: encoding table, decoder, disassembler, CPU state.
        .target(name: "ARM"),
        // Guest address space: reservation, mappings, permissions.
        .target(name: "Memory"),
        // Instruction semantics written once over the Emitter protocol.
        .target(name: "Semantics", dependencies: ["ARM"]),
        // Emitter over concrete values, decoded-block cache. Without dynamic exclusivity checks:
        // the block loop touched the interpreter's properties per call, and each check cost
        // ~60 host instructions (~4% of a cold lua run's interpreting, under callgrind).
        .target(name: "Interpreter", dependencies: ["ARM", "Semantics", "Memory"],
                swiftSettings: [.unsafeFlags(["-enforce-exclusivity=unchecked"])]),
        // ELF loader, process image, syscalls, signals, kuser helpers.
        .target(name: "Linux", dependencies: ["ARM", "Memory"]),
        // Emitter over LLVM values: a region of guest code becomes one LLVM function.
        .target(name: "Lifter", dependencies: ["ARM", "Semantics", "Memory", "CLLVM"]),
        // Emitter over x86-64 machine code: the baseline tier, compiled on the guest's thread.
        .target(name: "Baseline", dependencies: ["ARM", "Semantics", "Memory", "Lifter"]),
        // LLVM ORC JIT tier: compile thread, translation cache.
        .target(name: "JIT", dependencies: ["CLLVM", "ARM", "Lifter", "Memory"]),
        // Compiled code kept on disk between runs: keys, zstd files, integrity, merging.
        .target(name: "CodeCache", dependencies: ["CZstd", "ARM", "Lifter", "JIT"]),
        // The run loop tying tiers together.
        .target(name: "Engine", dependencies: ["ARM", "Memory", "Interpreter", "Linux", "JIT", "CodeCache", "Baseline"]),
        .target(name: "IsomorphCLI", dependencies: [
            "Engine", "ARM", "Linux", "JIT", "CodeCache",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        // The Swift runtime linked in too: a guest process starts sooner without loading it.
        // Not position-independent: as a PIE, the dynamic loader applied ~136,000 relocations
        // (LLVM's tables and vtables) at every start, touching ~1.8 MB of data pages; without
        // them a process starts ~1 ms sooner (static hello: 9.3 -> 8.0 ms, best of 30).
        .executableTarget(name: "isomorph", dependencies: ["IsomorphCLI"],
                          linkerSettings: [.unsafeFlags(["-static-stdlib", "-Xclang-linker", "-no-pie"]), .linkedLibrary("_FoundationCShims"), .linkedLibrary("_FoundationCollections")]),
        // Differential ISA testing against qemu-arm (issue 3): generator, harness, runners.
        .target(name: "DiffTest", dependencies: ["ARM", "Memory", "Interpreter"]),
        .executableTarget(name: "isomorph-difftest", dependencies: [
            "DiffTest", "Engine",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .testTarget(name: "ARMTests", dependencies: ["ARM"]),
        .testTarget(name: "InterpreterTests", dependencies: ["ARM", "Interpreter", "Memory", "Semantics"]),
        .testTarget(name: "LinuxTests", dependencies: ["Linux", "Memory", "ARM"]),
        .testTarget(name: "EndToEndTests", dependencies: ["IsomorphCLI"]),
        .testTarget(name: "DiffTestTests", dependencies: ["DiffTest", "ARM", "Engine"]),
        .testTarget(name: "JITTests", dependencies: ["JIT", "Lifter", "Semantics", "ARM", "CLLVM"]),
    ],
    swiftLanguageModes: [.v5],
    cxxLanguageStandard: .cxx17
)
