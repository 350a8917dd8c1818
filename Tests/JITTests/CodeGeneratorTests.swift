import XCTest
import ARM
import CLLVM
@testable import JIT
import Lifter

/// `CodeGenerator` runs one code generation pipeline for module after module; what it emits must
/// be what LLVM emits with a pipeline of its own for each module.
final class CodeGeneratorTests: XCTestCase {
    /// Three small regions, different enough that state left from one module would show in the
    /// next: a loop with flags, loads and stores, a call-like exit through lr.
    private let regions: [[UInt32: [UInt32]]] = [
        [0x1000: [0xE350_0000, 0x0A00_0000], 0x1008: [0xE291_1001], 0x100C: [0x0282_2001, 0xEA00_03FA]],
        [0x4000: [0xE591_0004, 0xE580_1008, 0xE251_1001, 0x1AFF_FFFB]],
        [0x8000: [0xE92D_4010, 0xE081_0312, 0xE8BD_4010, 0xE12F_FF1E]],
    ]

    private func region(_ code: [UInt32: [UInt32]]) -> Region {
        let start = code.keys.min()!
        return Lifter.region(start: start, block: { pc in code[pc].map { $0.compactMap(Decoder.decode) } },
                             include: { $0 >= start && $0 < start + 0x1000 })
    }

    private func bytes(_ buffer: LLVMMemoryBufferRef) -> [UInt8] {
        defer { LLVMDisposeMemoryBuffer(buffer) }
        return Array(UnsafeRawBufferPointer(start: LLVMGetBufferStart(buffer), count: LLVMGetBufferSize(buffer)))
    }

    func testReusedPipelineEmitsWhatAFreshOneEmits() throws {
        let compiler = try JITCompiler(callouts: [:])
        for level in [LLVMCodeGenLevelNone, LLVMCodeGenLevelDefault] {
            // Target machines as the compiler makes them (host CPU and features, PIC).
            let machine = {
                JITCompiler.makeTargetMachine(compiler.target, compiler.triple, compiler.hostCPU, compiler.hostFeatures, level)
            }
            let generator = try CodeGenerator(machine())
            let freshMachine = machine()
            defer { LLVMDisposeTargetMachine(freshMachine) }
            // Each region twice, interleaved, so that every module follows a different one.
            for (round, code) in (regions + regions.reversed()).enumerated() {
                let context = LLVMContextCreate()!
                defer { LLVMContextDispose(context) }
                let module = JITCompiler.makeModule("m\(round)", in: context, triple: compiler.triple, targetMachine: freshMachine)
                defer { LLVMDisposeModule(module) }
                Lifter.lift(region(code), into: module, context: context, name: "f\(round)",
                            keepsStateInMemory: level == LLVMCodeGenLevelNone)
                // Code generation changes the IR it reads: each emission gets a copy.
                let reusedCopy = LLVMCloneModule(module)!, freshCopy = LLVMCloneModule(module)!
                defer { LLVMDisposeModule(reusedCopy); LLVMDisposeModule(freshCopy) }
                var message: UnsafeMutablePointer<CChar>?
                var buffer: LLVMMemoryBufferRef?
                XCTAssertEqual(LLVMTargetMachineEmitToMemoryBuffer(freshMachine, freshCopy, LLVMObjectFile, &message, &buffer), 0)
                let fresh = bytes(buffer!)
                let reused = bytes(generator.objectCode(reusedCopy))
                XCTAssertGreaterThan(fresh.count, 500)
                XCTAssert(reused == fresh, "module \(round) at code generation level \(level.rawValue): "
                          + "\(reused.count) bytes, LLVM's own pipeline \(fresh.count) bytes, first difference at "
                          + "\((0..<min(reused.count, fresh.count)).first { reused[$0] != fresh[$0] } ?? min(reused.count, fresh.count))")
            }
        }
    }
}
