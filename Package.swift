// swift-tools-version:6.0
import PackageDescription

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
        .target(name: "CLLVM", path: "CLLVM",
                linkerSettings: [.linkedLibrary("LLVM-19")]),
        // libzstd, for the on-disk code cache.
        .systemLibrary(name: "CZstd", path: "CZstd"),
        // The ISA as data: encoding table, decoder, disassembler, CPU state.
        .target(name: "ARM"),
        // Guest address space: reservation, mappings, permissions.
        .target(name: "Memory"),
        // Instruction semantics written once over the Emitter protocol.
        .target(name: "Semantics", dependencies: ["ARM"]),
        // Emitter over concrete values, decoded-block cache.
        .target(name: "Interpreter", dependencies: ["ARM", "Semantics", "Memory"]),
        // ELF loader, process image, syscalls, signals, kuser helpers.
        .target(name: "Linux", dependencies: ["ARM", "Memory"]),
        // Emitter over LLVM values: a region of guest code becomes one LLVM function.
        .target(name: "Lifter", dependencies: ["ARM", "Semantics", "Memory", "CLLVM"]),
        // LLVM ORC JIT tier: compile thread, translation cache.
        .target(name: "JIT", dependencies: ["CLLVM", "ARM", "Lifter", "Memory"]),
        // Compiled code kept on disk between runs: keys, zstd files, integrity, merging.
        .target(name: "CodeCache", dependencies: ["CZstd", "ARM", "Lifter", "JIT"]),
        // The run loop tying tiers together.
        .target(name: "Engine", dependencies: ["ARM", "Memory", "Interpreter", "Linux", "JIT", "CodeCache"]),
        .target(name: "IsomorphCLI", dependencies: [
            "Engine", "ARM", "Linux", "JIT", "CodeCache",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "isomorph", dependencies: ["IsomorphCLI"]),
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
    ],
    swiftLanguageModes: [.v5]
)
