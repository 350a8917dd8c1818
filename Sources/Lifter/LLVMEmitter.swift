import ARM
import CLLVM
import Memory
import Semantics

/// `Emitter` over LLVM values: instantiating `Semantics` with it emits IR. Guest registers and
/// flags live in allocas, loaded from the CPU state on entry and stored back at every exit;
/// mem2reg turns them into SSA values, so a register is read from memory once per region and
/// dead flag computations disappear. A slot is made when the region first uses it, so the IR
/// (and LLVM's time on it) holds only the state the region touches. For quick code the state
/// stays in memory instead (see `keepsStateInMemory`).
public final class LLVMEmitter: Emitter {
    public struct Value { public let ref: LLVMValueRef }
    public struct Flag { public let ref: LLVMValueRef }
    public typealias Failure = Never

    public var currentPC: UInt32 = 0
    /// The index of the current instruction in the region (blocks in order), for
    /// `flagsReadFromMemory` and `storeFlagWrites`.
    public var instructionIndex = 0

    let context: LLVMContextRef
    let module: LLVMModuleRef
    let builder: LLVMBuilderRef
    public let function: LLVMValueRef
    let i1: LLVMTypeRef, i8: LLVMTypeRef, i16: LLVMTypeRef, i32: LLVMTypeRef, i64: LLVMTypeRef, ptr: LLVMTypeRef
    let cpu: LLVMValueRef, guestBase: LLVMValueRef, pageFlags: LLVMValueRef
    /// The slots of r0-r14, N Z C V Q, GE and the loop budget, each made on first use by
    /// `slot(_:)` (nil until then).
    private var slots: [LLVMValueRef?] = Array(repeating: nil, count: Slot.count)
    /// Positioned before the entry block's branch, where `slot(_:)` loads the state.
    private let entryBuilder: LLVMBuilderRef
    /// The last subtraction a - b with a constant carry in (CMP, SUBS, RSBS, …), and for N Z C V
    /// the value and instruction of their last write on the current straight-line path: when
    /// all four came from that subtraction, a condition on them is one comparison of a and b
    /// (LLVM does not see that N != V after a - b means a < b).
    private var lastSubtraction: (pc: UInt32, a: LLVMValueRef, b: LLVMValueRef, carry: LLVMValueRef, overflow: LLVMValueRef)?
    private var flagWrites: [(value: LLVMValueRef, pc: UInt32)?] = [nil, nil, nil, nil]
    private var flagWriteCount = 0
    /// The LLVM block of each guest block in the region: branches between them stay inside
    /// the compiled code (backward ones while `CPUState.loopBudget` lasts).
    private var guestBlocks: [UInt32: LLVMBasicBlockRef] = [:]
    /// Direct exits that can chain: each has a pointer-sized global, null until the engine
    /// stores the compiled code of `target` there; the exit then tail-calls it.
    public private(set) var links: [(symbol: String, target: UInt32)] = []
    private let functionName: String
    /// See `useCounter` in `init`.
    private var counter: LLVMValueRef?
    /// See `Region.checksAccesses`.
    private let checksAccesses: Bool
    /// Guest state is read and written in the CPU state itself, not in allocas: no loads on
    /// entry, no stores at exits. Quick code uses it: LLVM's unoptimised code generation keeps
    /// no value in a register across LLVM blocks, so with allocas every guest register was
    /// spilled to the stack at each block end and reloaded for each exit's flush; in memory a
    /// read costs the same one load, and the exits and their IR are much smaller.
    private let keepsStateInMemory: Bool
    /// With `keepsStateInMemory`: the value each register and flag (by `Slot.index`) was last
    /// loaded or stored as in the LLVM block `knownIn`, so a read after a write in the same
    /// block reuses the value instead of reloading it (no LLVM block boundary between them,
    /// and compiled code changes the CPU state only through these loads and stores there).
    private var known: [LLVMValueRef?] = Array(repeating: nil, count: Slot.count)
    private var knownIn: LLVMBasicBlockRef?

    /// Creates `name` in `module` with the compiled-code ABI, with one LLVM block per guest
    /// block start in `blockStarts` (the first is the entry); `beginBlock` positions at one.
    /// `useCounter`, when given, names a 64-bit global the function increments when it is
    /// entered and at each backward branch inside (each loop iteration): quickly compiled code
    /// counts its use, so the hottest is compiled again, fully optimised. Not once per guest
    /// block: in a busy shell loop, quick code ran ~7% longer counting every block.
    public init(context: LLVMContextRef, module: LLVMModuleRef, name: String, blockStarts: [UInt32],
                checksAccesses: Bool = true, useCounter: String? = nil, keepsStateInMemory: Bool = false) {
        self.functionName = name
        self.checksAccesses = checksAccesses
        self.keepsStateInMemory = keepsStateInMemory
        self.context = context
        self.module = module
        builder = LLVMCreateBuilderInContext(context)
        i1 = LLVMInt1TypeInContext(context)
        i8 = LLVMInt8TypeInContext(context)
        i16 = LLVMInt16TypeInContext(context)
        i32 = LLVMInt32TypeInContext(context)
        i64 = LLVMInt64TypeInContext(context)
        ptr = LLVMPointerTypeInContext(context, 0)
        var params: [LLVMTypeRef?] = [ptr, ptr, ptr]
        let type = LLVMFunctionType(i32, &params, 3, 0)
        function = LLVMAddFunction(module, name, type)
        LLVMSetFunctionCallConv(function, CompiledCodeABI.callingConvention)
        cpu = LLVMGetParam(function, 0)
        guestBase = LLVMGetParam(function, 1)
        pageFlags = LLVMGetParam(function, 2)
        // The three pointers never alias one another (CPU state, guest memory, page table).
        let noalias = LLVMGetEnumAttributeKindForName("noalias", 7)
        for index in 1...3 {
            LLVMAddAttributeAtIndex(function, UInt32(index), LLVMCreateEnumAttribute(context, noalias, 0))
        }
        let nounwind = LLVMGetEnumAttributeKindForName("nounwind", 8)
        LLVMAddAttributeAtIndex(function, UInt32(bitPattern: -1), LLVMCreateEnumAttribute(context, nounwind, 0))

        let entry = LLVMAppendBasicBlockInContext(context, function, "entry")
        LLVMPositionBuilderAtEnd(builder, entry)
        if let useCounter {
            let made = LLVMAddGlobal(module, i64, useCounter)!
            LLVMSetVisibility(made, LLVMHiddenVisibility)
            LLVMSetInitializer(made, LLVMConstInt(i64, 0, 0))
            // One use per call; `branch(to:)` counts each loop iteration inside.
            LLVMEmitter.increment(made, builder, i64)
            counter = made
        }
        for start in blockStarts where guestBlocks[start] == nil {
            guestBlocks[start] = LLVMAppendBasicBlockInContext(context, function, "block_\(String(start, radix: 16))")
        }
        let toFirstBlock = LLVMBuildBr(builder, guestBlocks[blockStarts[0]])
        entryBuilder = LLVMCreateBuilderInContext(context)
        LLVMPositionBuilderBefore(entryBuilder, toFirstBlock)
    }

    /// A piece of guest state that lives in an alloca while the region runs. The loop budget
    /// (`CPUState.loopBudget`) is one too: a loop inside the region does not read and write
    /// memory for it each iteration.
    private enum Slot {
        case register(Int), flag(StatusFlag), ge, budget
        static let count = 15 + 5 + 2
        var index: Int {
            switch self {
            case .register(let r): return r
            case .flag(let f): return 15 + f.rawValue
            case .ge: return 20
            case .budget: return 21
            }
        }
    }

    /// Where `s` lives while the region runs, with the type of its field in the CPU state:
    /// an alloca made (with the state's value stored in it on entry) on first use, or with
    /// `keepsStateInMemory` the field itself. Flags stay bytes (0 or 1, as in the CPU state) so
    /// that an exit stores an unchanged flag back as the very value it loaded, which LLVM then
    /// deletes with the load.
    private func slot(_ s: Slot) -> LLVMValueRef {
        if let made = slots[s.index] { return made }
        let type: LLVMTypeRef, offset: Int, name: String
        switch s {
        case .register(let r): (type, offset, name) = (i32, 4 * r, "r\(r)")
        case .flag(let f): (type, offset, name) = (i8, CPUState.Offsets.n + f.rawValue, "flag\(f.rawValue)")
        case .ge: (type, offset, name) = (i8, CPUState.Offsets.ge, "ge")
        case .budget: (type, offset, name) = (i32, CPUState.Offsets.loopBudget, "budget")
        }
        // Made where used: unoptimised code generation folds it into the access only there.
        if keepsStateInMemory { return statePointer(offset) }
        let made = LLVMBuildAlloca(entryBuilder, type, name)!
        LLVMBuildStore(entryBuilder, LLVMBuildLoad2(entryBuilder, type, statePointer(offset, building: entryBuilder), ""), made)
        slots[s.index] = made
        return made
    }

    // MARK: Quick code's flag stores
    //
    // With `keepsStateInMemory` a write of N, Z, C or V is not stored when made: most are read,
    // if at all, by the next conditional branch in the same LLVM block (from `known`), and
    // written again before anything else sees them. The lifter decides once the region is
    // emitted (`storeFlagWrites`), by liveness over the guest code counting the reads that did
    // go to memory, and the store goes in where the write was made.

    private struct UnstoredFlagWrite {
        let flag: StatusFlag, value: LLVMValueRef
        /// Where the store goes: after `after` in `block` (at its start when nil).
        let block: LLVMBasicBlockRef, after: LLVMValueRef?
        let instruction: Int
        var stored = false
    }
    private var unstoredFlagWrites: [UnstoredFlagWrite] = []
    /// By instruction index: the flags whose reads loaded them from the CPU state.
    private var memoryFlagReads: [Int: ConditionFlags] = [:]

    /// The flags instruction `index` loaded from the CPU state (reads not served by `known`).
    public func flagsReadFromMemory(byInstruction index: Int) -> ConditionFlags { memoryFlagReads[index] ?? [] }

    /// Stores each flag write whose flag `needed(instruction index)` says is live after the
    /// instruction that made it (it is read from memory or leaves the region before it is
    /// written again); the others are dead, and their writes stay unstored.
    public func storeFlagWrites(_ needed: (Int) -> ConditionFlags) {
        for k in unstoredFlagWrites.indices
        where needed(unstoredFlagWrites[k].instruction).contains(ConditionFlags(unstoredFlagWrites[k].flag)) {
            storeFlagWrite(k)
        }
    }

    private func storeFlagWrite(_ k: Int) {
        guard !unstoredFlagWrites[k].stored else { return }
        unstoredFlagWrites[k].stored = true
        let write = unstoredFlagWrites[k]
        let at = LLVMCreateBuilderInContext(context)!
        defer { LLVMDisposeBuilder(at) }
        if let next = write.after.map({ LLVMGetNextInstruction($0) }) ?? LLVMGetFirstInstruction(write.block) {
            LLVMPositionBuilderBefore(at, next)
        } else {
            LLVMPositionBuilderAtEnd(at, write.block)
        }
        LLVMBuildStore(at, LLVMBuildZExt(at, write.value, i8, ""),
                       statePointer(CPUState.Offsets.n + write.flag.rawValue, building: at))
    }

    /// Continues emission in the guest block at `start` (ending the dead block emission was in).
    func beginBlock(_ start: UInt32) {
        forgetFlagWrites()  // a block may be reached from several paths
        if LLVMGetBasicBlockTerminator(LLVMGetInsertBlock(builder)) == nil { LLVMBuildUnreachable(builder) }
        LLVMPositionBuilderAtEnd(builder, guestBlocks[start])
    }

    /// Adds one to the use counter (see `useCounter` in `init`), if there is one.
    private func countUse() {
        if let counter { LLVMEmitter.increment(counter, builder, i64) }
    }

    /// Adds one (or `delta`) to the 64-bit counter at `pointer`.
    private static func increment(_ pointer: LLVMValueRef, _ builder: LLVMBuilderRef, _ i64: LLVMTypeRef, by delta: Int64 = 1) {
        let sum = LLVMBuildAdd(builder, LLVMBuildLoad2(builder, i64, pointer, ""), LLVMConstInt(i64, UInt64(bitPattern: delta), 0), "")
        LLVMBuildStore(builder, sum, pointer)
    }

    /// Defines `CompiledCodeABI.unchainedSymbol` in `module`: it takes back the chained
    /// transition the exit that called it counted (see `chain(to:budgetLeft:)`) and returns
    /// `CompiledExit.branch` to the dispatcher.
    public static func addUnchainedExit(to module: LLVMModuleRef, context: LLVMContextRef) {
        let ptr = LLVMPointerTypeInContext(context, 0), i8 = LLVMInt8TypeInContext(context)
        let i32 = LLVMInt32TypeInContext(context)!, i64 = LLVMInt64TypeInContext(context)!
        var params: [LLVMTypeRef?] = [ptr, ptr, ptr]
        let function = LLVMAddFunction(module, CompiledCodeABI.unchainedSymbol, LLVMFunctionType(i32, &params, 3, 0))!
        LLVMSetFunctionCallConv(function, CompiledCodeABI.callingConvention)
        let builder = LLVMCreateBuilderInContext(context)!
        defer { LLVMDisposeBuilder(builder) }
        LLVMPositionBuilderAtEnd(builder, LLVMAppendBasicBlockInContext(context, function, "entry"))
        var offset: [LLVMValueRef?] = [LLVMConstInt(i64, UInt64(CPUState.Offsets.chainedTransitions), 0)]
        let counter = LLVMBuildInBoundsGEP2(builder, i8, LLVMGetParam(function, 0), &offset, 1, "")!
        increment(counter, builder, i64, by: -1)
        LLVMBuildRet(builder, LLVMConstInt(i32, UInt64(CompiledExit.branch.rawValue), 0))
    }

    deinit {
        LLVMDisposeBuilder(builder)
        LLVMDisposeBuilder(entryBuilder)
    }

    // MARK: Helpers

    private func statePointer(_ offset: Int, building with: LLVMBuilderRef? = nil) -> LLVMValueRef {
        var index: [LLVMValueRef?] = [LLVMConstInt(i64, UInt64(offset), 0)]
        return LLVMBuildInBoundsGEP2(with ?? builder, i8, cpu, &index, 1, "")
    }

    private func c32(_ v: UInt32) -> LLVMValueRef { LLVMConstInt(i32, UInt64(v), 0) }

    private func intrinsic(_ name: String, _ types: [LLVMTypeRef], _ args: [LLVMValueRef]) -> LLVMValueRef {
        let id = LLVMLookupIntrinsicID(name, name.utf8.count)
        var paramTypes: [LLVMTypeRef?] = types
        let declaration = LLVMGetIntrinsicDeclaration(module, id, &paramTypes, types.count)
        let type = LLVMIntrinsicGetType(context, id, &paramTypes, types.count)
        var arguments: [LLVMValueRef?] = args
        return LLVMBuildCall2(builder, type, declaration, &arguments, UInt32(args.count), "")
    }

    /// Leaves the region with `exit` and pc: the state flush (and chaining) is emitted by
    /// `finish`, in a block of its own, once the registers and flags the region writes are
    /// known: an exit stores only those (the others still hold their values in the CPU state),
    /// which keeps the IR that LLVM must clean up small. Emission continues in a fresh
    /// unreachable block, so the semantics after a branch need no special case.
    private func exit(_ exit: CompiledExit, pc: LLVMValueRef, chainTo target: UInt32? = nil,
                      indirect: Bool = false, goesTo destination: UInt32? = nil) {
        // Only a backward transition (to the exit's own address or below) spends the loop
        // budget: inside a region, paths without a backward branch (which spends it too) only
        // move forward, so every cycle of transitions that could keep the guest from the
        // dispatcher includes a backward one. Indirect targets are unknown: they spend.
        let budgetLeft = indirect || target.map({ $0 <= currentPC }) == true ? spendBudget() : nil
        let block = LLVMAppendBasicBlockInContext(context, function, "exit")!
        LLVMBuildBr(builder, block)
        pendingExits.append(PendingExit(block: block, exit: exit, pc: pc, target: target, indirect: indirect, budgetLeft: budgetLeft,
                                        destination: destination ?? target))
        LLVMPositionBuilderAtEnd(builder, LLVMAppendBasicBlockInContext(context, function, "after_exit"))
    }

    private struct PendingExit {
        let block: LLVMBasicBlockRef, exit: CompiledExit, pc: LLVMValueRef
        let target: UInt32?, indirect: Bool, budgetLeft: LLVMValueRef?
        /// Where the exit goes when known at compile time (chained or not), for its flags.
        let destination: UInt32?
    }
    private var pendingExits: [PendingExit] = []
    /// What the region writes, as bit sets: registers, flags (by `StatusFlag` raw value), GE,
    /// the loop budget.
    private var writtenRegisters: UInt16 = 0
    private var writtenFlags: UInt8 = 0
    private var writesGE = false
    private var spendsBudget = false

    /// The condition flags live where a direct branch or exit goes (`Region.flagLiveness`):
    /// an exit to a target listed stores only those (all flags at other exits).
    public var flagsLiveAtTarget: [UInt32: ConditionFlags] = [:]

    /// Stores the written state back, sets pc and chains or returns the exit.
    private func emit(_ e: PendingExit) {
        LLVMPositionBuilderAtEnd(builder, e.block)
        LLVMBuildStore(builder, e.pc, statePointer(4 * 15))
        if !keepsStateInMemory { flushState(flags: e.destination.flatMap { flagsLiveAtTarget[$0] } ?? .all) }
        if let target = e.target { return chain(to: target, budgetLeft: e.budgetLeft) }
        if e.indirect { chainIndirect(to: runningKernelHelpers(at: e.pc), budgetLeft: e.budgetLeft!) }
        LLVMBuildRet(builder, c32(e.exit.rawValue))
    }

    /// Stores the registers, flags, GE and budget the region writes from their allocas (of N Z
    /// C V, those in `flags`).
    private func flushState(flags: ConditionFlags) {
        for r in 0..<15 where writtenRegisters & (1 << r) != 0 {
            LLVMBuildStore(builder, LLVMBuildLoad2(builder, i32, slot(.register(r)), ""), statePointer(4 * r))
        }
        for f in 0..<5 where writtenFlags & (1 << f) != 0 && (f == StatusFlag.q.rawValue || flags.rawValue & (1 << f) != 0) {
            LLVMBuildStore(builder, LLVMBuildLoad2(builder, i8, slot(.flag(StatusFlag(rawValue: f)!)), ""),
                           statePointer(CPUState.Offsets.n + f))
        }
        if writesGE {
            LLVMBuildStore(builder, LLVMBuildLoad2(builder, i8, slot(.ge), ""), statePointer(CPUState.Offsets.ge))
        }
        if spendsBudget {
            LLVMBuildStore(builder, LLVMBuildLoad2(builder, i32, slot(.budget), ""), statePointer(CPUState.Offsets.loopBudget))
        }
    }

    /// Adds one to a 64-bit statistics counter in the CPU state.
    private func count(_ offset: Int) {
        LLVMEmitter.increment(statePointer(offset), builder, i64)
    }

    /// Spends one unit of the loop budget; the result (i1) says whether some is left.
    private func spendBudget() -> LLVMValueRef {
        spendsBudget = true
        let left = LLVMBuildSub(builder, LLVMBuildLoad2(builder, i32, slot(.budget), ""), c32(1), "")
        LLVMBuildStore(builder, left, slot(.budget))
        return LLVMBuildICmp(builder, LLVMIntNE, left, c32(0), "")
    }

    /// When `ready`, tail-calls compiled code `next` (counted in the statistics field at
    /// `counter`); otherwise continues, to return to the dispatcher.
    private func tailCall(_ next: LLVMValueRef, if ready: LLVMValueRef, counting counter: Int) {
        let back = LLVMAppendBasicBlockInContext(context, function, "to_dispatcher")
        if keepsStateInMemory {
            // Quick code's exits share one tail-calling block per counter: unoptimised code
            // generation selects a block ending in a tail call with SelectionDAG, not FastISel.
            let shared = sharedTailCall(counting: counter)
            var value: LLVMValueRef? = next
            var from: LLVMBasicBlockRef? = LLVMGetInsertBlock(builder)
            LLVMAddIncoming(shared.next, &value, &from, 1)
            LLVMBuildCondBr(builder, ready, shared.block, back)
        } else {
            let chained = LLVMAppendBasicBlockInContext(context, function, "chain")!
            LLVMBuildCondBr(builder, ready, chained, back)
            LLVMPositionBuilderAtEnd(builder, chained)
            buildTailCall(next, counting: counter)
        }
        LLVMPositionBuilderAtEnd(builder, back)
    }

    /// Quick code's shared tail-calling blocks, by counter: each with the code to call as a phi.
    private var sharedTailCalls: [Int: (block: LLVMBasicBlockRef, next: LLVMValueRef)] = [:]

    private func sharedTailCall(counting counter: Int) -> (block: LLVMBasicBlockRef, next: LLVMValueRef) {
        if let made = sharedTailCalls[counter] { return made }
        let here = LLVMGetInsertBlock(builder)!
        let block = LLVMAppendBasicBlockInContext(context, function, "chain")!
        LLVMPositionBuilderAtEnd(builder, block)
        let next = LLVMBuildPhi(builder, ptr, "next")!
        buildTailCall(next, counting: counter)
        LLVMPositionBuilderAtEnd(builder, here)
        sharedTailCalls[counter] = (block, next)
        return (block, next)
    }

    /// Counts the transition and tail-calls compiled code `next`.
    private func buildTailCall(_ next: LLVMValueRef, counting counter: Int) {
        count(counter)
        var arguments: [LLVMValueRef?] = [cpu, guestBase, pageFlags]
        let call = LLVMBuildCall2(builder, LLVMGlobalGetValueType(function), next, &arguments, 3, "")!
        LLVMSetInstructionCallConv(call, CompiledCodeABI.callingConvention)
        LLVMSetTailCallKind(call, LLVMTailCallKindMustTail)
        LLVMBuildRet(builder, call)
    }

    /// With the state stored: a computed target in the vector page (the kuser helpers that
    /// glibc calls for its thread pointer and atomics) is run by the engine's callout here,
    /// and the result is where the code goes on: the helper's return address. Without this,
    /// each helper call was two trips through the dispatcher. When the callout declines (a
    /// fault, a signal return), the region returns to the dispatcher with pc at the target.
    private func runningKernelHelpers(at target: LLVMValueRef) -> LLVMValueRef {
        let before = LLVMGetInsertBlock(builder)
        let helper = LLVMAppendBasicBlockInContext(context, function, "kernel_helper")
        let ran = LLVMAppendBasicBlockInContext(context, function, "kernel_helper_ran")
        let declined = LLVMAppendBasicBlockInContext(context, function, "kernel_helper_declined")
        let join = LLVMAppendBasicBlockInContext(context, function, "after_kernel_helper")
        LLVMBuildCondBr(builder, LLVMBuildICmp(builder, LLVMIntUGE, target, c32(0xFFFF_0000), ""), helper, join)
        LLVMPositionBuilderAtEnd(builder, helper)
        var parameters: [LLVMTypeRef?] = [ptr]
        let type = LLVMFunctionType(i32, &parameters, 1, 0)!
        let callee = LLVMGetNamedFunction(module, CompiledCodeABI.kernelHelperCallout)
            ?? LLVMAddFunction(module, CompiledCodeABI.kernelHelperCallout, type)
        var arguments: [LLVMValueRef?] = [cpu]
        let result = LLVMBuildCall2(builder, type, callee, &arguments, 1, "")
        LLVMBuildCondBr(builder, LLVMBuildICmp(builder, LLVMIntNE, result, c32(0), ""), ran, declined)
        LLVMPositionBuilderAtEnd(builder, declined)
        LLVMBuildRet(builder, c32(CompiledExit.branch.rawValue))
        LLVMPositionBuilderAtEnd(builder, ran)
        let returnAddress = LLVMBuildLoad2(builder, i32, statePointer(4 * 15), "")
        LLVMBuildBr(builder, join)
        LLVMPositionBuilderAtEnd(builder, join)
        let next = LLVMBuildPhi(builder, i32, "next_pc")!
        var values: [LLVMValueRef?] = [target, returnAddress]
        var blocks: [LLVMBasicBlockRef?] = [before, ran]
        LLVMAddIncoming(next, &values, &blocks, 2)
        return next
    }

    /// With the state stored: look the computed target up in the dispatch table
    /// (`CPUState.dispatchTable`) and tail-call it on a hit while the loop budget lasts.
    private func chainIndirect(to target: LLVMValueRef, budgetLeft: LLVMValueRef) {
        count(CPUState.Offsets.indirectLookups)
        let table = LLVMBuildIntToPtr(builder, LLVMBuildLoad2(builder, i64, statePointer(CPUState.Offsets.dispatchTable), ""), ptr, "")
        let slot = LLVMBuildAnd(builder, LLVMBuildLShr(builder, target, c32(2), ""), c32(UInt32(DispatchTableLayout.entries - 1)), "")
        var index: [LLVMValueRef?] = [LLVMBuildMul(builder, LLVMBuildZExt(builder, slot, i64, ""),
                                                   LLVMConstInt(i64, UInt64(DispatchTableLayout.entrySize), 0), "")]
        let entry = LLVMBuildInBoundsGEP2(builder, i8, table, &index, 1, "")
        let key = LLVMBuildLoad2(builder, i32, entry, "")
        var functionOffset: [LLVMValueRef?] = [LLVMConstInt(i64, 8, 0)]
        let next = LLVMBuildLoad2(builder, ptr, LLVMBuildInBoundsGEP2(builder, i8, entry, &functionOffset, 1, ""), "")!
        let hit = LLVMBuildAnd(builder, LLVMBuildICmp(builder, LLVMIntEQ, key, target, ""), budgetLeft, "")!
        tailCall(next, if: hit, counting: CPUState.Offsets.indirectHits)
    }

    /// With the state stored: tail-calls what the exit's link slot holds (while the budget
    /// lasts, if spent here): the target's code or, while it has none, the unchained exit
    /// (`CompiledCodeABI.unchainedSymbol`), which returns to the dispatcher. Hot paths never
    /// return to the dispatcher. In full code an exit that spends no budget is one block, with
    /// no check of the slot (LLVM's time goes mostly per block). Quick code keeps a check of
    /// the slot, which passes once the code is linked: its exits branch to a shared tail call
    /// (see `tailCall`), and an unconditional branch there is merged with it by simplifycfg
    /// when it is the only one, leaving a block (often all of the region) for SelectionDAG,
    /// not FastISel (a quick compilation cost 5% more).
    private func chain(to target: UInt32, budgetLeft: LLVMValueRef?) {
        let symbol = "\(functionName)_link\(links.count)"
        links.append((symbol, target))
        let slot = LLVMAddGlobal(module, ptr, symbol)!
        LLVMSetVisibility(slot, LLVMHiddenVisibility)
        LLVMSetInitializer(slot, LLVMConstPointerNull(ptr))
        let next = LLVMBuildLoad2(builder, ptr, slot, "")!
        if keepsStateInMemory {
            var linked = LLVMBuildIsNotNull(builder, next, "")!
            if let budgetLeft { linked = LLVMBuildAnd(builder, linked, budgetLeft, "")! }
            tailCall(next, if: linked, counting: CPUState.Offsets.chainedTransitions)
        } else if let budgetLeft {
            tailCall(next, if: budgetLeft, counting: CPUState.Offsets.chainedTransitions)
        } else {
            return buildTailCall(next, counting: CPUState.Offsets.chainedTransitions)
        }
        LLVMBuildRet(builder, c32(CompiledExit.branch.rawValue))
    }

    /// The one block every "leave this instruction to the interpreter" path branches to, with
    /// the instruction's pc as a phi: sharing it keeps the state flush out of every memory
    /// access's slow path (the allocas make the shared block see each path's values).
    private var interpretExit: (block: LLVMBasicBlockRef, pc: LLVMValueRef)?

    /// Ends the region at the current instruction, for the interpreter to execute it.
    func exitToInterpreter() {
        if interpretExit == nil {
            let here = LLVMGetInsertBlock(builder)!
            let block = LLVMAppendBasicBlockInContext(context, function, "to_interpreter")!
            LLVMPositionBuilderAtEnd(builder, block)
            let phi = LLVMBuildPhi(builder, i32, "interpret_pc")!
            interpretExit = (block, phi)
            LLVMPositionBuilderAtEnd(builder, here)
        }
        let (block, phi) = interpretExit!
        var value: LLVMValueRef? = c32(currentPC)
        var from: LLVMBasicBlockRef? = LLVMGetInsertBlock(builder)
        LLVMAddIncoming(phi, &value, &from, 1)
        LLVMBuildBr(builder, block)
        LLVMPositionBuilderAtEnd(builder, LLVMAppendBasicBlockInContext(context, function, "after_exit"))
    }

    /// Emits `then` only when `condition` holds at run time.
    func conditional(_ condition: Flag, _ then: () -> Void) {
        let taken = LLVMAppendBasicBlockInContext(context, function, "cond_taken")
        let join = LLVMAppendBasicBlockInContext(context, function, "cond_join")
        LLVMBuildCondBr(builder, condition.ref, taken, join)
        LLVMPositionBuilderAtEnd(builder, taken)
        let writes = flagWriteCount
        then()
        // Flags written on one path only are no longer known after the join.
        if flagWriteCount != writes { forgetFlagWrites() }
        LLVMBuildBr(builder, join)
        LLVMPositionBuilderAtEnd(builder, join)
    }

    private func forgetFlagWrites() {
        flagWrites = [nil, nil, nil, nil]
        flagWriteCount += 1
    }

    /// Whether condition `cond` holds: one comparison when the flags come from a known
    /// subtraction, the flags otherwise.
    func condition(_ cond: Condition) -> Flag {
        if let s = lastSubtraction, let n = flagWrites[0], let z = flagWrites[1], let c = flagWrites[2], let v = flagWrites[3],
           n.pc == s.pc, z.pc == s.pc, c.pc == s.pc, v.pc == s.pc, c.value == s.carry, v.value == s.overflow {
            let predicate: LLVMIntPredicate?
            switch cond {
            case .eq: predicate = LLVMIntEQ
            case .ne: predicate = LLVMIntNE
            case .cs: predicate = LLVMIntUGE
            case .cc: predicate = LLVMIntULT
            case .hi: predicate = LLVMIntUGT
            case .ls: predicate = LLVMIntULE
            case .ge: predicate = LLVMIntSGE
            case .lt: predicate = LLVMIntSLT
            case .gt: predicate = LLVMIntSGT
            case .le: predicate = LLVMIntSLE
            default: predicate = nil
            }
            if let predicate { return Flag(ref: LLVMBuildICmp(builder, predicate, s.a, s.b, "")) }
        }
        return Semantics.conditionPassed(cond, self)
    }

    /// Continues at `pc` after the last instruction of a guest block, unless no path reaches
    /// there (the block ended with an unconditional branch or exit).
    func fallThrough(to pc: UInt32) {
        guard LLVMGetFirstUse(LLVMBasicBlockAsValue(LLVMGetInsertBlock(builder))) != nil else { return }
        currentPC = pc &- 4
        branch(to: pc)
    }

    /// Ends the region: emits the shared exit to the interpreter, if any path needs it.
    func finish() {
        if LLVMGetBasicBlockTerminator(LLVMGetInsertBlock(builder)) == nil { LLVMBuildUnreachable(builder) }
        if let (block, phi) = interpretExit {
            LLVMPositionBuilderAtEnd(builder, block)
            exit(.interpret, pc: phi)
            LLVMBuildUnreachable(builder)
        }
        for e in pendingExits { emit(e) }
    }

    // MARK: Emitter: values and state

    public func constant(_ v: UInt32) -> Value { Value(ref: c32(v)) }
    public func constant(_ b: Bool) -> Flag { Flag(ref: LLVMConstInt(i1, b ? 1 : 0, 0)) }

    /// The value of `s` known in the current LLVM block (see `known`), else `load()`'s.
    private func read(_ s: Slot, _ load: () -> LLVMValueRef) -> LLVMValueRef {
        guard keepsStateInMemory else { return load() }
        forgetKnownOnNewBlock()
        if let value = known[s.index] { return value }
        let value = load()
        known[s.index] = value
        return value
    }

    private func remember(_ s: Slot, _ value: LLVMValueRef) {
        guard keepsStateInMemory else { return }
        forgetKnownOnNewBlock()
        known[s.index] = value
    }

    private func forgetKnownOnNewBlock() {
        let block = LLVMGetInsertBlock(builder)
        if knownIn == block { return }
        for index in known.indices { known[index] = nil }
        knownIn = block
    }

    public func readRegister(_ r: Int) -> Value {
        Value(ref: read(.register(r)) { LLVMBuildLoad2(builder, i32, slot(.register(r)), "") })
    }
    public func writeRegister(_ r: Int, _ v: Value) {
        LLVMBuildStore(builder, v.ref, slot(.register(r)))
        remember(.register(r), v.ref)
        writtenRegisters |= 1 << r
    }
    public func readFlag(_ f: StatusFlag) -> Flag {
        Flag(ref: read(.flag(f)) {
            if keepsStateInMemory && f != .q {
                memoryFlagReads[instructionIndex, default: []].formUnion(ConditionFlags(f))
                // An earlier write by this instruction is not the liveness pass's business.
                for k in unstoredFlagWrites.indices where unstoredFlagWrites[k].instruction == instructionIndex
                    && unstoredFlagWrites[k].flag == f { storeFlagWrite(k) }
            }
            return LLVMBuildTrunc(builder, LLVMBuildLoad2(builder, i8, slot(.flag(f)), ""), i1, "")
        })
    }
    public func writeFlag(_ f: StatusFlag, _ v: Flag) {
        if f.rawValue < 4 { flagWrites[f.rawValue] = (v.ref, currentPC) }
        flagWriteCount += 1
        remember(.flag(f), v.ref)
        if keepsStateInMemory && f != .q {
            let block = LLVMGetInsertBlock(builder)!
            unstoredFlagWrites.append(UnstoredFlagWrite(flag: f, value: v.ref, block: block,
                                                        after: LLVMGetLastInstruction(block), instruction: instructionIndex))
            return
        }
        LLVMBuildStore(builder, LLVMBuildZExt(builder, v.ref, i8, ""), slot(.flag(f)))
        writtenFlags |= 1 << f.rawValue
    }
    public func readGE() -> Value { Value(ref: LLVMBuildZExt(builder, LLVMBuildLoad2(builder, i8, slot(.ge), ""), i32, "")) }
    public func writeGE(_ v: Value) {
        LLVMBuildStore(builder, LLVMBuildTrunc(builder, LLVMBuildAnd(builder, v.ref, c32(0xF), ""), i8, ""), slot(.ge))
        writesGE = true
    }

    // MARK: Arithmetic

    public func add(_ a: Value, _ b: Value) -> Value { Value(ref: LLVMBuildAdd(builder, a.ref, b.ref, "")) }
    public func sub(_ a: Value, _ b: Value) -> Value { Value(ref: LLVMBuildSub(builder, a.ref, b.ref, "")) }
    public func mul(_ a: Value, _ b: Value) -> Value { Value(ref: LLVMBuildMul(builder, a.ref, b.ref, "")) }
    public func and(_ a: Value, _ b: Value) -> Value { Value(ref: LLVMBuildAnd(builder, a.ref, b.ref, "")) }
    public func or(_ a: Value, _ b: Value) -> Value { Value(ref: LLVMBuildOr(builder, a.ref, b.ref, "")) }
    public func xor(_ a: Value, _ b: Value) -> Value { Value(ref: LLVMBuildXor(builder, a.ref, b.ref, "")) }
    public func not(_ a: Value) -> Value { Value(ref: LLVMBuildNot(builder, a.ref, "")) }
    public func shiftLeft(_ a: Value, _ n: Value) -> Value { Value(ref: LLVMBuildShl(builder, a.ref, n.ref, "")) }
    public func shiftRightLogical(_ a: Value, _ n: Value) -> Value { Value(ref: LLVMBuildLShr(builder, a.ref, n.ref, "")) }
    public func shiftRightArithmetic(_ a: Value, _ n: Value) -> Value { Value(ref: LLVMBuildAShr(builder, a.ref, n.ref, "")) }
    public func rotateRight(_ a: Value, _ n: Value) -> Value {
        Value(ref: intrinsic("llvm.fshr", [i32], [a.ref, a.ref, n.ref]))
    }

    public func addWithCarry(_ a: Value, _ b: Value, _ carry: Flag) -> (result: Value, carry: Flag, overflow: Flag) {
        let negative = { (v: LLVMValueRef) in LLVMBuildICmp(self.builder, LLVMIntSLT, v, self.c32(0), "")! }
        // A constant carry in (ADDS, CMN: 0; SUBS, RSBS, CMP: 1) needs no 64-bit sum: 32-bit
        // IR that LLVM's quick code generation turns into an add or sub and a setcc.
        let constantCarry = LLVMIsAConstantInt(carry.ref) != nil ? LLVMConstIntGetZExtValue(carry.ref) : nil
        if constantCarry == 1 {
            // a + b + 1 is a - x with x = ~b; C is "no borrow". `condition` uses a and x.
            let x: LLVMValueRef
            if LLVMIsAInstruction(b.ref) != nil, LLVMGetInstructionOpcode(b.ref) == LLVMXor,
               let mask = LLVMGetOperand(b.ref, 1), LLVMIsAConstantInt(mask) != nil,
               UInt32(truncatingIfNeeded: LLVMConstIntGetZExtValue(mask)) == 0xFFFF_FFFF {
                x = LLVMGetOperand(b.ref, 0)
            } else {
                x = LLVMBuildNot(builder, b.ref, "")  // folded when b is a constant
            }
            let r: LLVMValueRef, overflow: LLVMValueRef
            if keepsStateInMemory {
                (r, overflow) = withOverflow("llvm.ssub.with.overflow", a.ref, x)
            } else {
                r = LLVMBuildSub(builder, a.ref, x, "")!
                overflow = negative(LLVMBuildAnd(builder, LLVMBuildXor(builder, a.ref, x, ""), LLVMBuildXor(builder, a.ref, r, ""), ""))
            }
            let carryOut = LLVMBuildICmp(builder, LLVMIntUGE, a.ref, x, "")!
            lastSubtraction = (currentPC, a.ref, x, carryOut, overflow)
            return (Value(ref: r), Flag(ref: carryOut), Flag(ref: overflow))
        }
        let r: LLVMValueRef, carryOut: LLVMValueRef
        if constantCarry == 0 {
            if keepsStateInMemory {
                let (sum, overflow) = withOverflow("llvm.sadd.with.overflow", a.ref, b.ref)
                return (Value(ref: sum), Flag(ref: LLVMBuildICmp(builder, LLVMIntULT, sum, a.ref, "")!), Flag(ref: overflow))
            }
            r = LLVMBuildAdd(builder, a.ref, b.ref, "")!
            carryOut = LLVMBuildICmp(builder, LLVMIntULT, r, a.ref, "")!
        } else {
            let wide = LLVMBuildAdd(builder,
                                    LLVMBuildAdd(builder, LLVMBuildZExt(builder, a.ref, i64, ""), LLVMBuildZExt(builder, b.ref, i64, ""), ""),
                                    LLVMBuildZExt(builder, carry.ref, i64, ""), "")
            r = LLVMBuildTrunc(builder, wide, i32, "")!
            carryOut = LLVMBuildTrunc(builder, LLVMBuildLShr(builder, wide, LLVMConstInt(i64, 32, 0), ""), i1, "")!
        }
        let overflow = negative(LLVMBuildAnd(builder, LLVMBuildXor(builder, a.ref, r, ""), LLVMBuildXor(builder, b.ref, r, ""), ""))
        return (Value(ref: r), Flag(ref: carryOut), Flag(ref: overflow))
    }

    /// `name`'s result and signed overflow: quick code generation makes them one add or sub
    /// and a seto, where the sign-bit formula costs five instructions more. (Full code keeps
    /// the formula, with which its pipelines were tuned.)
    private func withOverflow(_ name: String, _ a: LLVMValueRef, _ b: LLVMValueRef) -> (LLVMValueRef, LLVMValueRef) {
        let pair = intrinsic(name, [i32], [a, b])
        return (LLVMBuildExtractValue(builder, pair, 0, "")!, LLVMBuildExtractValue(builder, pair, 1, "")!)
    }

    public func multiplyLong(_ a: Value, _ b: Value, signed: Bool) -> (lo: Value, hi: Value) {
        let extend = signed ? LLVMBuildSExt : LLVMBuildZExt
        let p = LLVMBuildMul(builder, extend(builder, a.ref, i64, ""), extend(builder, b.ref, i64, ""), "")
        return split(p!)
    }

    private func join(_ v: (lo: Value, hi: Value)) -> LLVMValueRef {
        LLVMBuildOr(builder, LLVMBuildZExt(builder, v.lo.ref, i64, ""),
                    LLVMBuildShl(builder, LLVMBuildZExt(builder, v.hi.ref, i64, ""), LLVMConstInt(i64, 32, 0), ""), "")
    }

    private func split(_ v: LLVMValueRef) -> (lo: Value, hi: Value) {
        (Value(ref: LLVMBuildTrunc(builder, v, i32, "")),
         Value(ref: LLVMBuildTrunc(builder, LLVMBuildLShr(builder, v, LLVMConstInt(i64, 32, 0), ""), i32, "")))
    }

    public func add64(_ a: (lo: Value, hi: Value), _ b: (lo: Value, hi: Value)) -> (lo: Value, hi: Value) {
        split(LLVMBuildAdd(builder, join(a), join(b), ""))
    }

    public func divide(_ a: Value, _ b: Value, signed: Bool) -> Value {
        // ARM: x / 0 = 0 and INT_MIN / -1 = INT_MIN; LLVM's division is undefined there.
        let isZero = LLVMBuildICmp(builder, LLVMIntEQ, b.ref, c32(0), "")
        var unsafe = isZero!
        if signed {
            let overflow = LLVMBuildAnd(builder, LLVMBuildICmp(builder, LLVMIntEQ, a.ref, c32(0x8000_0000), ""),
                                        LLVMBuildICmp(builder, LLVMIntEQ, b.ref, c32(0xFFFF_FFFF), ""), "")
            unsafe = LLVMBuildOr(builder, unsafe, overflow, "")
        }
        let divisor = LLVMBuildSelect(builder, unsafe, c32(1), b.ref, "")
        let q = signed ? LLVMBuildSDiv(builder, a.ref, divisor, "") : LLVMBuildUDiv(builder, a.ref, divisor, "")
        return Value(ref: LLVMBuildSelect(builder, isZero, c32(0), q, ""))
    }

    public func countLeadingZeros(_ a: Value) -> Value {
        Value(ref: intrinsic("llvm.ctlz", [i32], [a.ref, LLVMConstInt(i1, 0, 0)]))
    }
    public func reverseBits(_ a: Value) -> Value { Value(ref: intrinsic("llvm.bitreverse", [i32], [a.ref])) }
    public func byteSwap(_ a: Value) -> Value { Value(ref: intrinsic("llvm.bswap", [i32], [a.ref])) }
    public func signExtend(_ a: Value, fromBits bits: Int) -> Value {
        let narrow = LLVMBuildTrunc(builder, a.ref, LLVMIntTypeInContext(context, UInt32(bits)), "")
        return Value(ref: LLVMBuildSExt(builder, narrow, i32, ""))
    }

    // MARK: Comparisons

    public func equal(_ a: Value, _ b: Value) -> Flag { Flag(ref: LLVMBuildICmp(builder, LLVMIntEQ, a.ref, b.ref, "")) }
    public func unsignedLess(_ a: Value, _ b: Value) -> Flag { Flag(ref: LLVMBuildICmp(builder, LLVMIntULT, a.ref, b.ref, "")) }
    public func signedLess(_ a: Value, _ b: Value) -> Flag { Flag(ref: LLVMBuildICmp(builder, LLVMIntSLT, a.ref, b.ref, "")) }
    public func select(_ c: Flag, _ a: Value, _ b: Value) -> Value { Value(ref: LLVMBuildSelect(builder, c.ref, a.ref, b.ref, "")) }
    public func select(_ c: Flag, _ a: Flag, _ b: Flag) -> Flag { Flag(ref: LLVMBuildSelect(builder, c.ref, a.ref, b.ref, "")) }
    public func and(_ a: Flag, _ b: Flag) -> Flag { Flag(ref: LLVMBuildAnd(builder, a.ref, b.ref, "")) }
    public func or(_ a: Flag, _ b: Flag) -> Flag { Flag(ref: LLVMBuildOr(builder, a.ref, b.ref, "")) }
    public func xor(_ a: Flag, _ b: Flag) -> Flag { Flag(ref: LLVMBuildXor(builder, a.ref, b.ref, "")) }
    public func not(_ a: Flag) -> Flag { Flag(ref: LLVMBuildNot(builder, a.ref, "")) }
    public func bit(_ a: Value, _ n: Int) -> Flag {
        Flag(ref: LLVMBuildTrunc(builder, LLVMBuildLShr(builder, a.ref, c32(UInt32(n & 31)), ""), i1, ""))
    }
    public func zeroExtend(_ f: Flag) -> Value { Value(ref: LLVMBuildZExt(builder, f.ref, i32, "")) }

    // MARK: Memory

    /// Whether the page holding `address` allows the access inline: mapped, readable (or
    /// writable), and for writes not holding code (those writes must invalidate translations).
    private func pageAllows(_ address: LLVMValueRef, write: Bool) -> LLVMValueRef {
        let page = LLVMBuildLShr(builder, address, c32(AddressSpace.pageShift), "")
        var index: [LLVMValueRef?] = [LLVMBuildZExt(builder, page, i64, "")]
        let flagPointer = LLVMBuildInBoundsGEP2(builder, i8, pageFlags, &index, 1, "")
        let pageFlag = LLVMBuildLoad2(builder, i8, flagPointer, "")
        let (mask, need) = AddressSpace.PageFlag.inlineAccess(write: write)
        return LLVMBuildICmp(builder, LLVMIntEQ, LLVMBuildAnd(builder, pageFlag, LLVMConstInt(i8, UInt64(mask), 0), ""),
                             LLVMConstInt(i8, UInt64(need), 0), "")
    }

    /// Continues on the fast path when `ok` (expected to hold); otherwise the current
    /// instruction is left to the interpreter (a fault, a page crossing, a page holding code).
    private func leaveUnless(_ ok: LLVMValueRef) {
        let expected = intrinsic("llvm.expect", [i1], [ok, LLVMConstInt(i1, 1, 0)])
        let fast = LLVMAppendBasicBlockInContext(context, function, "access")
        let slow = LLVMAppendBasicBlockInContext(context, function, "access_slow")
        LLVMBuildCondBr(builder, expected, fast, slow)
        LLVMPositionBuilderAtEnd(builder, slow)
        exitToInterpreter()
        LLVMBuildUnreachable(builder)  // the dead block exitToInterpreter positioned at
        LLVMPositionBuilderAtEnd(builder, fast)
    }

    /// The host address of guest `address`: guest memory base + zext(address). An address
    /// that is a register plus or minus a small constant becomes base + zext(register) +
    /// the constant, in 64 bits: then LLVM sees that [sp, #4] and [sp, #8] do not overlap,
    /// and keeps values in registers across stores to neighbouring stack slots. Where the
    /// 32-bit sum would wrap, the access lands in the reservation's guard and faults (the
    /// pages it would reach, the first and last of the address space, are never user memory).
    private func hostPointer(_ address: LLVMValueRef) -> LLVMValueRef {
        if let (register, displacement) = registerPlusConstant(address) {
            var index: [LLVMValueRef?] = [LLVMBuildZExt(builder, register, i64, "")]
            let registerPointer = LLVMBuildGEP2(builder, i8, guestBase, &index, 1, "")
            var offset: [LLVMValueRef?] = [LLVMConstInt(i64, UInt64(bitPattern: Int64(displacement)), 1)]
            return LLVMBuildGEP2(builder, i8, registerPointer, &offset, 1, "")
        }
        var offset: [LLVMValueRef?] = [LLVMBuildZExt(builder, address, i64, "")]
        return LLVMBuildGEP2(builder, i8, guestBase, &offset, 1, "")
    }

    /// `address` as x + d (an add or sub of a constant) when |d| leaves room for an access
    /// within the reservation's guard.
    private func registerPlusConstant(_ address: LLVMValueRef) -> (LLVMValueRef, Int32)? {
        guard LLVMIsABinaryOperator(address) != nil,
              let constant = LLVMGetOperand(address, 1), LLVMIsAConstantInt(constant) != nil else { return nil }
        let value = Int32(truncatingIfNeeded: LLVMConstIntGetZExtValue(constant))
        let displacement: Int32
        switch LLVMGetInstructionOpcode(address) {
        case LLVMAdd: displacement = value
        case LLVMSub: displacement = 0 &- value
        default: return nil
        }
        guard displacement.magnitude <= UInt32(AddressSpace.guardSize / 2) else { return nil }
        return (LLVMGetOperand(address, 0), displacement)
    }

    /// The host address of a guest access after the inline permission check.
    private func hostAddress(_ address: Value, size: Int, write: Bool) -> LLVMValueRef {
        if !checksAccesses { return hostPointer(address.ref) }
        var ok = pageAllows(address.ref, write: write)
        if size > 1 {
            let offset = LLVMBuildAnd(builder, address.ref, c32(AddressSpace.pageSize - 1), "")
            let fits = LLVMBuildICmp(builder, LLVMIntULE, offset, c32(AddressSpace.pageSize - UInt32(size)), "")
            ok = LLVMBuildAnd(builder, ok, fits, "")
        }
        leaveUnless(ok)
        return hostPointer(address.ref)
    }

    /// One check for the `count` words of an LDM/STM: they span at most two pages (at most 64
    /// bytes), so the pages of the first and the last byte are all there is to check.
    private func checkWords(_ start: Value, count: Int, write: Bool) {
        let last = LLVMBuildAdd(builder, start.ref, c32(UInt32(4 * count - 1)), "")!
        leaveUnless(LLVMBuildAnd(builder, pageAllows(start.ref, write: write), pageAllows(last, write: write), ""))
    }

    private func word(_ start: Value, _ k: Int) -> LLVMValueRef {
        hostPointer(LLVMBuildAdd(builder, start.ref, c32(UInt32(4 * k)), ""))
    }

    public func loadWords(_ start: Value, count: Int, _ loaded: (Value) -> Void) {
        if checksAccesses { checkWords(start, count: count, write: false) }
        for k in 0..<count {
            let v = LLVMBuildLoad2(builder, i32, word(start, k), "")!
            LLVMSetAlignment(v, 1)
            loaded(Value(ref: v))
        }
    }

    public func storeWords(_ start: Value, count: Int, _ value: (Int) -> Value) {
        if checksAccesses { checkWords(start, count: count, write: true) }
        for k in 0..<count {
            let s = LLVMBuildStore(builder, value(k).ref, word(start, k))!
            LLVMSetAlignment(s, 1)
        }
    }

    private func accessType(_ size: Int) -> LLVMTypeRef { size == 4 ? i32 : size == 2 ? i16 : i8 }

    public func load(_ address: Value, size: Int) -> Value {
        let p = hostAddress(address, size: size, write: false)
        let v = LLVMBuildLoad2(builder, accessType(size), p, "")!
        LLVMSetAlignment(v, 1)
        return Value(ref: size == 4 ? v : LLVMBuildZExt(builder, v, i32, ""))
    }

    public func store(_ address: Value, _ value: Value, size: Int) {
        let p = hostAddress(address, size: size, write: true)
        let v = size == 4 ? value.ref : LLVMBuildTrunc(builder, value.ref, accessType(size), "")
        let s = LLVMBuildStore(builder, v, p)!
        LLVMSetAlignment(s, 1)
    }

    // Exclusive accesses and coprocessors are left to the interpreter (`Lifter.canLift`).
    public func loadExclusive(_ address: Value, size: Int) -> Value { exitToInterpreter(); return constant(0) }
    public func storeExclusive(_ address: Value, _ value: Value, _ high: Value?, size: Int) -> Value {
        exitToInterpreter(); return constant(1)
    }
    public func clearExclusive() { exitToInterpreter() }

    // MARK: Control flow

    public func branch(to target: UInt32) {
        guard let block = guestBlocks[target] else { return exit(.branch, pc: c32(target), chainTo: target) }
        if target > currentPC {
            // Forward: no cycle can close here (every cycle has a backward edge).
            LLVMBuildBr(builder, block)
            LLVMPositionBuilderAtEnd(builder, LLVMAppendBasicBlockInContext(context, function, "after_branch"))
            return
        }
        countUse()
        let again = spendBudget()
        let leave = LLVMAppendBasicBlockInContext(context, function, "loop_budget_spent")
        LLVMBuildCondBr(builder, again, block, leave)
        LLVMPositionBuilderAtEnd(builder, leave)
        exit(.branch, pc: c32(target), goesTo: target)
    }

    public func branchExchange(_ target: Value) {
        let thumb = LLVMBuildTrunc(builder, target.ref, i1, "")
        let thumbBlock = LLVMAppendBasicBlockInContext(context, function, "to_thumb")
        let armBlock = LLVMAppendBasicBlockInContext(context, function, "to_arm")
        LLVMBuildCondBr(builder, thumb, thumbBlock, armBlock)
        LLVMPositionBuilderAtEnd(builder, thumbBlock)
        exit(.thumb, pc: target.ref)
        LLVMBuildUnreachable(builder)
        LLVMPositionBuilderAtEnd(builder, armBlock)
        exit(.branch, pc: LLVMBuildAnd(builder, target.ref, c32(~3), ""), indirect: true)
    }

    public func supervisorCall(_ immediate: UInt32) { exit(.supervisorCall, pc: c32(currentPC &+ 4)) }
    public func breakpoint(_ immediate: UInt32) { exitToInterpreter() }
    public func undefined(_ reason: String) { exitToInterpreter() }

    // MARK: System

    public func readStatusRegister() -> Value {
        var cpsr = LLVMBuildLoad2(builder, i32, statePointer(CPUState.Offsets.cpsrControl), "")!
        for (f, shift) in [(StatusFlag.n, 31), (.z, 30), (.c, 29), (.v, 28), (.q, 27)] {
            let bit = LLVMBuildShl(builder, zeroExtend(readFlag(f)).ref, c32(UInt32(shift)), "")
            cpsr = LLVMBuildOr(builder, cpsr, bit, "")
        }
        return Value(ref: LLVMBuildOr(builder, cpsr, LLVMBuildShl(builder, readGE().ref, c32(16), ""), ""))
    }
    public func writeStatusControl(_ value: Value, mask: UInt32) {
        // User mode ignores writes to the control fields (ARM ARM B1.3.3).
    }
    public func coprocessorRead(_ i: Instruction) -> Value { exitToInterpreter(); return constant(0) }
    public func coprocessorWrite(_ i: Instruction, _ value: Value) { exitToInterpreter() }
    public func systemHint(_ operation: SystemHint) {}
}
