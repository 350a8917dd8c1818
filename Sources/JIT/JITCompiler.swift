#if canImport(Glibc)
import Glibc
#endif
import CLLVM
import Lifter
import Synchronization

/// A failure to set up LLVM or to compile a region.
public struct JITError: Error, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }

    /// Consumes an LLVMErrorRef.
    init(_ what: String, _ error: LLVMErrorRef) {
        let message = LLVMGetErrorMessage(error)
        description = "\(what): \(message.map { String(cString: $0) } ?? "unknown LLVM error")"
        LLVMDisposeErrorMessage(message)
    }
}

/// Which intermediate forms `--dump-ir` prints.
public enum DumpStage: String, CaseIterable, Sendable {
    case lift, opt, asm
}

/// Compiles regions to host code with LLVM: lift, optimise at O2, emit an object for the host
/// CPU, link it into one shared ORC LLJIT and look the function up. One instance per process.
/// Two threads may compile at once, each naming itself (`CompilingThread`): each has its own
/// LLVM target machines, which LLVM does not share between threads; each compilation makes
/// its own LLVMContext; the JIT itself is thread-safe.
public final class JITCompiler {
    let jit: LLVMOrcLLJITRef
    let dylib: LLVMOrcJITDylibRef
    /// For full compilations on the first compiling thread (see `CompilingThread`).
    let codeGenerator: CodeGenerator
    /// For full compilations on the second; made on first use.
    private var secondCodeGenerator: CodeGenerator?
    let target: LLVMTargetRef
    /// For quick compilations (first thread only): no optimisation in code generation (see
    /// `Quality`); made on first use.
    private var quickCodeGenerator: CodeGenerator?
    let triple: String
    /// The host CPU and its features (also in `fingerprint`, the code cache's key).
    public let hostCPU: String
    public let hostFeatures: String
    /// The optimisation pipeline for regions without a loop: the cleanup that lifted code needs
    /// (registers and flags into SSA, redundant state loads and stores gone, flag computations
    /// folded); O2's loop passes have nothing to do there. GVN and DSE left out: with them the
    /// JIT code was the same to within 0.5% (callgrind: lua5.4 4,823.1M against 4,823.8M host
    /// instructions, calls 18,296.7M against 18,206.7M, strings 11,103.8M against 11,116.2M,
    /// softfloat 19,290.1M against 19,281.9M), and compiling cost ~7% more (sqlite3 with every
    /// region compiled in full: 58.9G against 54.9G host instructions in all).
    /// ISOMORPH_LLVM_PIPELINE overrides it (for measuring).
    static let pipeline = getenv("ISOMORPH_LLVM_PIPELINE").map { String(cString: $0) }
        ?? "function(sroa,early-cse<memssa>,instcombine<no-verify-fixpoint>,simplifycfg,instcombine<no-verify-fixpoint>,simplifycfg)"
    /// For regions with a loop inside, where O2's loop passes pay (sieve's inner loop runs 1.5x
    /// faster than with the light pipeline). ISOMORPH_LLVM_LOOP_PIPELINE overrides it.
    static let loopPipeline = getenv("ISOMORPH_LLVM_LOOP_PIPELINE").map { String(cString: $0) } ?? "default<O2>"
    /// The pipeline of quick compilations (whose guest state stays in memory, see
    /// `LLVMEmitter.keepsStateInMemory`): trivially foldable computations and dead blocks gone.
    /// Quick compilations now cost ~38% fewer host instructions than sroa+instcombine+
    /// simplifycfg over SSA state did (callgrind, sqlite3 with every hot block quick-compiled:
    /// 1,388M against 2,237M in all); early-cse instead of instsimplify was worse.
    /// ISOMORPH_LLVM_QUICK_PIPELINE overrides it (for measuring).
    static let quickPipeline = getenv("ISOMORPH_LLVM_QUICK_PIPELINE").map { String(cString: $0) }
        ?? "function(instsimplify,simplifycfg)"
    /// Code generation effort: ISOMORPH_LLVM_CODEGEN=0…3 overrides it (for measuring).
    static let codeGenLevel: LLVMCodeGenOptLevel = {
        switch getenv("ISOMORPH_LLVM_CODEGEN").map({ String(cString: $0) }) {
        case "0": return LLVMCodeGenLevelNone
        case "1": return LLVMCodeGenLevelLess
        case "3": return LLVMCodeGenLevelAggressive
        default: return LLVMCodeGenLevelDefault
        }
    }()
    /// LLVM's options are process-wide and may be parsed only once.
    private static let setLLVMOptions: Void = {
        let extra = getenv("ISOMORPH_LLVM_OPTIONS").map { String(cString: $0) } ?? ""
        let words = ["isomorph", "-vectorize-slp=false"] + extra.split(separator: " ").map(String.init)
        var pointers = words.map { strdup($0).map { UnsafePointer($0) } }
        LLVMParseCommandLineOptions(Int32(words.count), &pointers, nil)
    }()
    /// Runs compiled code from Swift (see `CompiledCodeABI`).
    public let enter: CompiledEntry
    /// The unchained exit (see `CompiledCodeABI.unchainedSymbol`).
    public let unchained: CompiledCode
    public var dumpStages: Set<DumpStage> = []
    /// Dump only the region starting here (nil: all).
    public var dumpAddress: UInt32?
    /// Numbers modules (their symbols' names): two threads compile at once (see `CompileService`).
    private let modulesMade = Atomic<Int>(0)
    /// Part of every symbol this process defines, so that objects from other runs (the code
    /// cache) never define the same names; renewed in a forked child (see `renewRunID`).
    private var runID = UInt64.random(in: 1...UInt64.max)

    /// `callouts`: the engine's functions compiled code calls, by symbol (see
    /// `CompiledCodeABI`), defined in the JIT as absolute symbols.
    public init(callouts: [String: UnsafeRawPointer]) throws(JITError) {
        LLVMInitializeX86TargetInfo()
        LLVMInitializeX86Target()
        LLVMInitializeX86TargetMC()
        LLVMInitializeX86AsmPrinter()
        // SLP vectorisation (of the state flushes at exits) costs a quarter of the optimisation
        // time and gains nothing measurable; the pass builder option does not turn it off in
        // LLVM 19's default pipelines, the command-line option does. ISOMORPH_LLVM_OPTIONS adds
        // LLVM's own options (for measuring, e.g. "-time-passes").
        _ = JITCompiler.setLLVMOptions
        var created: LLVMOrcLLJITRef?
        if let error = LLVMOrcCreateLLJIT(&created, nil) { throw JITError("cannot create the LLVM JIT", error) }
        jit = created!
        dylib = LLVMOrcLLJITGetMainJITDylib(jit)
        for (name, address) in callouts {
            let flags = LLVMJITSymbolFlags(GenericFlags: UInt8(LLVMJITSymbolGenericFlagsExported.rawValue | LLVMJITSymbolGenericFlagsCallable.rawValue),
                                           TargetFlags: 0)
            var symbol = LLVMOrcCSymbolMapPair(Name: LLVMOrcLLJITMangleAndIntern(jit, name),
                                               Sym: LLVMJITEvaluatedSymbol(Address: LLVMOrcExecutorAddress(UInt(bitPattern: address)), Flags: flags))
            if let error = LLVMOrcJITDylibDefine(dylib, LLVMOrcAbsoluteSymbols(&symbol, 1)) {
                throw JITError("cannot define the callout \(name)", error)
            }
        }
        triple = String(cString: LLVMOrcLLJITGetTripleString(jit))
        let cpuName = LLVMGetHostCPUName()!, features = LLVMGetHostCPUFeatures()!
        hostCPU = String(cString: cpuName)
        hostFeatures = String(cString: features)
        var found: LLVMTargetRef?
        var message: UnsafeMutablePointer<CChar>?
        guard LLVMGetTargetFromTriple(triple, &found, &message) == 0, let found else {
            let text = message.map { String(cString: $0) } ?? "unknown target"
            LLVMDisposeMessage(message)
            throw JITError("no LLVM target for \(triple): \(text)")
        }
        target = found
        codeGenerator = try CodeGenerator(JITCompiler.makeTargetMachine(target, triple, hostCPU, hostFeatures, JITCompiler.codeGenLevel))
        LLVMDisposeMessage(cpuName)
        LLVMDisposeMessage(features)
        (enter, unchained) = try JITCompiler.compileEntry(jit: jit, dylib: dylib, codeGenerator: codeGenerator, triple: triple)
    }

    /// A compiled region: its function and its exits' link slots (see `TranslationCache`), and
    /// for the code cache the object holding them (shared by a batch) and their symbols.
    public struct Compiled {
        public let function: CompiledCode
        public let links: [(slot: UnsafeMutablePointer<UnsafeRawPointer?>, target: UInt32)]
        /// Quick code's count of its uses, entries and loop iterations (nil for full code).
        public let useCount: UnsafePointer<UInt64>?
        public let object: CompiledObject?
        public let symbol: String
        public let linkSymbols: [(symbol: String, target: UInt32)]
    }

    /// What identifies this translator's output: objects compiled under another fingerprint
    /// (another build of isomorph, LLVM, host CPU or compile option) must not be reused.
    /// Static: the code cache is opened before the compiler is made (see `CompileService`).
    public static var fingerprint: String {
        var identity = stat()
        let executable = stat("/proc/self/exe", &identity) == 0
            ? "\(identity.st_size) \(identity.st_mtim.tv_sec).\(identity.st_mtim.tv_nsec)" : "unknown"
        let options = getenv("ISOMORPH_LLVM_OPTIONS").map { String(cString: $0) } ?? ""
        func text(_ message: UnsafeMutablePointer<CChar>?) -> String {
            defer { LLVMDisposeMessage(message) }
            return message.map { String(cString: $0) } ?? ""
        }
        return ["isomorph executable \(executable)", "LLVM \(LLVMInfo.version)", text(LLVMGetDefaultTargetTriple()),
                text(LLVMGetHostCPUName()), text(LLVMGetHostCPUFeatures()),
                JITCompiler.pipeline, JITCompiler.loopPipeline, JITCompiler.quickPipeline,
                "codegen \(JITCompiler.codeGenLevel.rawValue)", options,
                "regions \(Lifter.maxRegionBlocks)/\(Lifter.maxRegionInstructions)"].joined(separator: "\n")
    }

    /// A forked child compiles on its own from here: its symbols must differ from the parent's.
    public func renewRunID() { runID = UInt64.random(in: 1...UInt64.max) }

    /// How much a compilation spends on the code.
    public enum Quality: Sendable {
        /// About a sixth of the full cost (a cold lua5.4 run: 59 against 343 µs per guest
        /// instruction), for code running 2-6 times the host instructions (calls, strings,
        /// sieve): the first version of hot code, so it leaves the interpreter sooner. The code
        /// counts its use, and the compile service compiles the most used again in full.
        case quick
        /// The optimisation pipelines below and code generation at `codeGenLevel`.
        case full
    }

    /// The threads that may compile at the same time, each with its own target machines.
    public enum CompilingThread: Sendable {
        /// Compiles quick and full code.
        case first
        /// Compiles full code only.
        case second
    }

    /// Compiles `regions`. In full quality, one LLVM module per pipeline: regions with a loop
    /// inside get the full optimisation pipeline, the others the light one. The results are in
    /// the order of `regions`; a region whose IR is invalid fails alone.
    public func compile(_ regions: [Region], quality: Quality = .full,
                        on thread: CompilingThread = .first) -> [Result<Compiled, JITError>] {
        precondition(quality == .full || thread == .first, "quick code compiles on the first thread only")
        guard let generator = codeGenerator(for: quality, on: thread) else {
            return regions.map { _ in .failure(CodeGenerator.unavailable) }
        }
        if quality == .quick {
            return compileModule(regions, pipeline: JITCompiler.quickPipeline, generator: generator, countUses: true)
        }
        var results = [Result<Compiled, JITError>?](repeating: nil, count: regions.count)
        let hasLoop = regions.map(\.hasLoop)
        let loops = regions.indices.filter { hasLoop[$0] }
        let straight = regions.indices.filter { !hasLoop[$0] }
        for (group, pipeline) in [(loops, JITCompiler.loopPipeline), (straight, JITCompiler.pipeline)] where !group.isEmpty {
            for (index, result) in zip(group, compileModule(group.map { regions[$0] }, pipeline: pipeline,
                                                            generator: generator, countUses: false)) {
                results[index] = result
            }
        }
        return results.map { $0! }
    }

    /// The code generator of `quality` on `thread`, made on first use; nil if LLVM cannot make
    /// one (the same target made the first one, so not expected).
    private func codeGenerator(for quality: Quality, on thread: CompilingThread) -> CodeGenerator? {
        func make(_ level: LLVMCodeGenOptLevel) -> CodeGenerator? {
            try? CodeGenerator(JITCompiler.makeTargetMachine(target, triple, hostCPU, hostFeatures, level))
        }
        switch (quality, thread) {
        case (.quick, _):
            if quickCodeGenerator == nil { quickCodeGenerator = make(LLVMCodeGenLevelNone) }
            return quickCodeGenerator
        case (.full, .first):
            return codeGenerator
        case (.full, .second):
            if secondCodeGenerator == nil { secondCodeGenerator = make(JITCompiler.codeGenLevel) }
            return secondCodeGenerator
        }
    }

    /// A target machine for the host, generating code at `level`. PIC and the small code model
    /// match what JITLink expects on x86-64 ELF (DESIGN.md).
    static func makeTargetMachine(_ target: LLVMTargetRef, _ triple: String, _ cpu: String, _ features: String,
                                  _ level: LLVMCodeGenOptLevel) -> LLVMTargetMachineRef {
        LLVMCreateTargetMachine(target, triple, cpu, features, level, LLVMRelocPIC, LLVMCodeModelSmall)
    }

    /// Compiles `regions` together, as one LLVM module: part of the cost of a compilation
    /// (pipelines, code generation set-up, linking) is per module, not per function.
    private func compileModule(_ regions: [Region], pipeline: String, generator: CodeGenerator,
                               countUses: Bool) -> [Result<Compiled, JITError>] {
        let targetMachine = generator.machine
        let context = LLVMContextCreate()!
        defer { LLVMContextDispose(context) }
        let moduleNumber = modulesMade.add(1, ordering: .relaxed).newValue
        // With this compilation's own target machine: another thread may be using the other.
        let module = JITCompiler.makeModule("isomorph_module_\(moduleNumber)", in: context, triple: triple, targetMachine: targetMachine)
        var moduleOwned = true
        defer { if moduleOwned { LLVMDisposeModule(module) } }

        var results = [Result<Compiled, JITError>?](repeating: nil, count: regions.count)
        var lifted: [(index: Int, name: String, links: [(symbol: String, target: UInt32)])] = []
        for (index, region) in regions.enumerated() {
            let name = "isomorph_\(String(region.start, radix: 16))_\(String(runID, radix: 16))_\(moduleNumber)_\(index)"
            let links = Lifter.lift(region, into: module, context: context, name: name,
                                    useCounter: countUses ? JITCompiler.useCounterSymbol(name) : nil,
                                    keepsStateInMemory: countUses)
            if dumps(region, .lift) { dump("lifted IR", region, function: name, module: module) }
            let function = LLVMGetNamedFunction(module, name)!
            if LLVMVerifyFunction(function, LLVMReturnStatusAction) != 0 {
                // The verifier's text comes only from a module check; then drop the function
                // (its link slots stay behind unused) and report it; the rest compile.
                var message: UnsafeMutablePointer<CChar>?
                LLVMVerifyModule(module, LLVMReturnStatusAction, &message)
                let text = message.map { String(cString: $0) } ?? ""
                LLVMDisposeMessage(message)
                LLVMDeleteFunction(function)
                results[index] = .failure(JITError("lifted IR for 0x\(String(region.start, radix: 16)) is invalid: \(text.prefix(300))"))
                continue
            }
            lifted.append((index, name, links))
        }
        let fail = { (error: JITError) -> [Result<Compiled, JITError>] in
            results.map { $0 ?? .failure(error) }
        }
        if lifted.isEmpty { return fail(JITError("nothing to compile")) }
        let options = LLVMCreatePassBuilderOptions()
        defer { LLVMDisposePassBuilderOptions(options) }
        // Vectorising and unrolling guest loops cost compile time and gain nothing measurable.
        LLVMPassBuilderOptionsSetLoopVectorization(options, 0)
        LLVMPassBuilderOptionsSetLoopUnrolling(options, 0)
        if let error = LLVMRunPasses(module, pipeline, targetMachine, options) {
            return fail(JITError("optimisation failed", error))
        }
        for (index, name, _) in lifted where dumps(regions[index], .opt) {
            dump("optimised IR", regions[index], function: name, module: module)
        }
        if let index = lifted.first(where: { dumps(regions[$0.index], .asm) })?.index {
            var message: UnsafeMutablePointer<CChar>?
            var asmBuffer: LLVMMemoryBufferRef?
            if LLVMTargetMachineEmitToMemoryBuffer(targetMachine, module, LLVMAssemblyFile, &message, &asmBuffer) == 0, let asmBuffer {
                let text = String(decoding: UnsafeRawBufferPointer(start: LLVMGetBufferStart(asmBuffer),
                                                                   count: LLVMGetBufferSize(asmBuffer)), as: UTF8.self)
                emitDump("host assembly", regions[index], text)
                LLVMDisposeMemoryBuffer(asmBuffer)
            }
            LLVMDisposeMessage(message)
        }
        moduleOwned = false
        let object: CompiledObject
        switch JITCompiler.emitAndLink(module, generator, jit, dylib) {
        case .success(let o): object = o
        case .failure(let error): return fail(error)
        }
        for (index, name, linkSymbols) in lifted {
            results[index] = lookUp(name, linkSymbols, start: regions[index].start, object: object, countsUses: countUses)
        }
        return results.map { $0! }
    }

    /// Links an object compiled in an earlier run (from the code cache); its functions are
    /// then found with `lookUp`. An object that does not link is an error, never a crash.
    public func link(cached object: [UInt8]) -> JITError? {
        let buffer = object.withUnsafeBytes { bytes in
            LLVMCreateMemoryBufferWithMemoryRangeCopy(bytes.baseAddress?.assumingMemoryBound(to: CChar.self), bytes.count, "cached object")!
        }
        if let error = LLVMOrcLLJITAddObjectFile(jit, dylib, buffer) {
            return JITError("linking a cached object failed", error)
        }
        return nil
    }

    /// The linked function `name` (the region entered at `start`) and its link slots.
    public func lookUp(_ name: String, _ linkSymbols: [(symbol: String, target: UInt32)],
                       start: UInt32, object: CompiledObject? = nil, countsUses: Bool = false) -> Result<Compiled, JITError> {
        var address: LLVMOrcExecutorAddress = 0
        if let error = LLVMOrcLLJITLookup(jit, &address, name) {
            return .failure(JITError("compiled function \(name) not found", error))
        }
        var useCount: UnsafePointer<UInt64>?
        if countsUses {
            var counter: LLVMOrcExecutorAddress = 0
            if let error = LLVMOrcLLJITLookup(jit, &counter, JITCompiler.useCounterSymbol(name)) {
                return .failure(JITError("the use counter of \(name) was not found", error))
            }
            useCount = UnsafePointer(bitPattern: UInt(counter))
        }
        var links: [(slot: UnsafeMutablePointer<UnsafeRawPointer?>, target: UInt32)] = []
        for (symbol, target) in linkSymbols {
            var slot: LLVMOrcExecutorAddress = 0
            if let error = LLVMOrcLLJITLookup(jit, &slot, symbol) {
                return .failure(JITError("link slot \(symbol) not found", error))
            }
            links.append((UnsafeMutablePointer(bitPattern: UInt(slot))!, target))
        }
        // A page is a good enough extent for perf: functions are small.
        PerfMap.name(address: UInt(address), size: 0x1000, "guest_\(countsUses ? "q" : "f")_0x\(String(start, radix: 16))")
        return .success(Compiled(function: UnsafeRawPointer(bitPattern: UInt(address))!, links: links,
                                 useCount: useCount, object: object, symbol: name, linkSymbols: linkSymbols))
    }

    static func useCounterSymbol(_ function: String) -> String { function + "_uses" }

    /// An empty module for the host: its target triple and data layout set.
    static func makeModule(_ name: String, in context: LLVMContextRef, triple: String,
                           targetMachine: LLVMTargetMachineRef) -> LLVMModuleRef {
        let module = LLVMModuleCreateWithNameInContext(name, context)!
        LLVMSetTarget(module, triple)
        let layout = LLVMCreateTargetDataLayout(targetMachine)
        LLVMSetModuleDataLayout(module, layout)
        LLVMDisposeTargetData(layout)
        return module
    }

    /// Whether `--dump-ir` asks for `stage` of `region`.
    private func dumps(_ region: Region, _ stage: DumpStage) -> Bool {
        dumpStages.contains(stage) && (dumpAddress == nil || dumpAddress == region.start)
    }

    /// Generates host code for `module` (consumed) and adds it to the JIT; returns a copy of
    /// the object (for the code cache).
    private static func emitAndLink(_ module: LLVMModuleRef, _ generator: CodeGenerator,
                                    _ jit: LLVMOrcLLJITRef, _ dylib: LLVMOrcJITDylibRef) -> Result<CompiledObject, JITError> {
        defer { LLVMDisposeModule(module) }
        let buffer = generator.objectCode(module)
        let object = CompiledObject(bytes: Array(UnsafeRawBufferPointer(start: LLVMGetBufferStart(buffer),
                                                                        count: LLVMGetBufferSize(buffer))))
        // The JIT takes ownership of the object buffer.
        if let error = LLVMOrcLLJITAddObjectFile(jit, dylib, buffer) {
            return .failure(JITError("linking the compiled object failed", error))
        }
        return .success(object)
    }

    /// Compiles the entry trampoline (`CompiledEntry`): a C function that calls its fourth
    /// argument, compiled code, in the compiled-code convention; and the unchained exit
    /// (`CompiledCodeABI.unchainedSymbol`), which compiled code links to.
    private static func compileEntry(jit: LLVMOrcLLJITRef, dylib: LLVMOrcJITDylibRef, codeGenerator: CodeGenerator,
                                     triple: String) throws(JITError) -> (CompiledEntry, CompiledCode) {
        let context = LLVMContextCreate()!
        defer { LLVMContextDispose(context) }
        let module = makeModule(CompiledCodeABI.entrySymbol, in: context, triple: triple, targetMachine: codeGenerator.machine)
        let ptr = LLVMPointerTypeInContext(context, 0), i32 = LLVMInt32TypeInContext(context)
        var entryParams: [LLVMTypeRef?] = [ptr, ptr, ptr, ptr]
        let entry = LLVMAddFunction(module, CompiledCodeABI.entrySymbol, LLVMFunctionType(i32, &entryParams, 4, 0))!
        var codeParams: [LLVMTypeRef?] = [ptr, ptr, ptr]
        let codeType = LLVMFunctionType(i32, &codeParams, 3, 0)
        let builder = LLVMCreateBuilderInContext(context)!
        defer { LLVMDisposeBuilder(builder) }
        LLVMPositionBuilderAtEnd(builder, LLVMAppendBasicBlockInContext(context, entry, "entry"))
        var arguments: [LLVMValueRef?] = (0..<3).map { LLVMGetParam(entry, $0) }
        let call = LLVMBuildCall2(builder, codeType, LLVMGetParam(entry, 3), &arguments, 3, "")!
        LLVMSetInstructionCallConv(call, CompiledCodeABI.callingConvention)
        LLVMBuildRet(builder, call)
        LLVMEmitter.addUnchainedExit(to: module, context: context)
        if case .failure(let error) = emitAndLink(module, codeGenerator, jit, dylib) { throw error }
        var address: LLVMOrcExecutorAddress = 0, unchainedAddress: LLVMOrcExecutorAddress = 0
        if let error = LLVMOrcLLJITLookup(jit, &address, CompiledCodeABI.entrySymbol) {
            throw JITError("the entry trampoline was not found", error)
        }
        if let error = LLVMOrcLLJITLookup(jit, &unchainedAddress, CompiledCodeABI.unchainedSymbol) {
            throw JITError("the unchained exit was not found", error)
        }
        return (unsafeBitCast(UInt(address), to: CompiledEntry.self), UnsafeRawPointer(bitPattern: UInt(unchainedAddress))!)
    }

    private func dump(_ what: String, _ region: Region, function name: String, module: LLVMModuleRef) {
        let text = LLVMPrintValueToString(LLVMGetNamedFunction(module, name))!
        emitDump(what, region, String(cString: text))
        LLVMDisposeMessage(text)
    }

    private func emitDump(_ what: String, _ region: Region, _ text: String) {
        let header = "; isomorph: \(what) of the region at 0x\(String(region.start, radix: 16)) (\(region.instructionCount) instructions in \(region.blocks.count) blocks)\n"
        let all = header + text + "\n"
        _ = all.withCString { fputs($0, stderr) }
    }
}

/// A relocatable object file as code generation produced it, shared by the regions of a batch.
public final class CompiledObject: @unchecked Sendable {
    public let bytes: [UInt8]
    init(bytes: [UInt8]) { self.bytes = bytes }
}

/// LLVM's code generation for one target machine, its pass pipeline built once and run for
/// module after module (CLLVM/CodeGenerator.cpp): building it per module was 15% of a quick
/// compilation. Used by one thread at a time, like its target machine.
final class CodeGenerator {
    let machine: LLVMTargetMachineRef
    private let generator: IsomorphCodeGeneratorRef

    static let unavailable = JITError("LLVM cannot generate object code for this host")

    /// Takes ownership of `machine`.
    init(_ machine: LLVMTargetMachineRef) throws(JITError) {
        guard let generator = IsomorphCreateCodeGenerator(machine) else {
            LLVMDisposeTargetMachine(machine)
            throw CodeGenerator.unavailable
        }
        self.machine = machine
        self.generator = generator
    }

    deinit {
        IsomorphDisposeCodeGenerator(generator)
        LLVMDisposeTargetMachine(machine)
    }

    /// The object code of `module` (whose data layout is the machine's), as a new buffer.
    func objectCode(_ module: LLVMModuleRef) -> LLVMMemoryBufferRef {
        IsomorphGenerateObject(generator, module)
    }
}
