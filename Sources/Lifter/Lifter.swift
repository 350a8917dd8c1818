#if canImport(Glibc)
import Glibc
#endif
import ARM
import CLLVM
import Semantics

/// A piece of guest code to compile as one function: guest basic blocks, the first of them the
/// entry, joined by their direct branches. Branches between its blocks stay inside the compiled
/// code; every other exit leaves it (and chains to compiled code there when there is some).
public struct Region: Sendable {
    public struct Block: Sendable {
        public var start: UInt32
        public var instructions: [Instruction]
        public init(start: UInt32, instructions: [Instruction]) {
            self.start = start
            self.instructions = instructions
        }
        /// The guest code it was made from (in 64 bits: a block at the top of memory ends at 2^32).
        public var range: Range<UInt64> { UInt64(start)..<(UInt64(start) + UInt64(instructions.count * 4)) }
        /// The address after the last instruction (wrapping at 2^32, as the pc does).
        public var end: UInt32 { UInt32(truncatingIfNeeded: range.upperBound) }
    }
    /// The blocks; `blocks[0]` is the entry. Never empty.
    public var blocks: [Block]
    public init(blocks: [Block]) {
        precondition(!blocks.isEmpty, "a region has an entry block")
        self.blocks = blocks
    }
    /// Whether accesses check the guest page permissions inline (and stores, for pages holding
    /// code). Without the checks, an access the guest may not make faults in the host instead
    /// (host protection mirrors the guest's, see `AddressSpace.hostProtection`) and the guest
    /// dies of SIGSEGV without an exact pc: right only while the guest catches neither SIGSEGV
    /// nor SIGBUS. A store to a page holding code faults too (`AddressSpace.writeProtectsCode`)
    /// and is redone once the page is writable.
    public var checksAccesses = true
    public var start: UInt32 { blocks[0].start }
    /// Whether a branch between its blocks goes backward: a loop inside the region.
    public var hasLoop: Bool {
        let starts = Set(blocks.map(\.start))
        return blocks.contains { block in
            guard let last = block.instructions.last else { return false }
            return Semantics.staticSuccessors(ofLast: last, blockEnd: block.end).contains { starts.contains($0) && $0 < block.end }
        }
    }
    /// The code at the targets of the region's direct exits (branches, calls and
    /// fall-throughs that leave it), each as far as flag liveness reads it
    /// (`Lifter.flagLookahead`): compiled code does not keep the flags that code writes before
    /// reading them. Empty for a target that could not be fetched (all flags live there).
    public var exitCode: [Block] = []
    public var instructionCount: Int { blocks.reduce(0) { $0 + $1.instructions.count } }
    /// The guest code the region was compiled from or relies on, as [start, end) ranges (for
    /// invalidation).
    public var ranges: [Range<UInt64>] { (blocks + exitCode).map(\.range) }

    /// Where control can go, known at decode time, after a block: `Semantics.staticSuccessors`
    /// and a call's target; nil when it can also go elsewhere (a computed branch, an exception).
    static func directSuccessors(of block: Block) -> [UInt32]? {
        guard let last = block.instructions.last else { return nil }
        var targets = Semantics.staticSuccessors(ofLast: last, blockEnd: block.end)
        if last.op == .bl { targets.append(Semantics.branchTarget(last, at: block.end &- 4)) }
        return last.op == .b || last.op == .bl || !Semantics.leavesStraightLine(last) ? targets : nil
    }

    /// The flags live where `code` (an `exitCode` block) starts: read or escaping before they
    /// are written, or never decided within it (all flags count as live after it).
    func flagsLiveIn(_ code: Block) -> ConditionFlags {
        code.instructions.reversed().reduce(ConditionFlags.all) { live, i in
            Semantics.flagUse(of: i, faultsEscape: checksAccesses).liveBefore(after: live)
        }
    }

    /// Flag liveness over the region, given each instruction's use of the flags (`uses`,
    /// indexed like the blocks' instructions): the flags live after each instruction (some path
    /// from there reads them or lets them escape before writing them), and those live where
    /// each branch goes (the region's blocks and its exits' targets). A direct exit's target
    /// counts as its `exitCode` reads; every other way out of the region (a computed branch,
    /// an exception, an instruction left to the interpreter) as reading all flags.
    ///
    /// Known divergence: at an exit (a loop-budget one included) the CPU state holds a flag the
    /// code there writes before reading as it was before, so a signal delivered there can find
    /// it stale in its frame. The program goes on as on ARM, but a handler that prints the
    /// saved CPSR may see another N, Z, C or V.
    public func flagLiveness(_ uses: [[FlagUse]]) -> (liveAfter: [[ConditionFlags]], liveAtTarget: [UInt32: ConditionFlags]) {
        var indexOfStart: [UInt32: Int] = [:]
        for (k, block) in blocks.enumerated() where indexOfStart[block.start] == nil { indexOfStart[block.start] = k }
        var liveAtExit: [UInt32: ConditionFlags] = [:]
        for code in exitCode where indexOfStart[code.start] == nil { liveAtExit[code.start] = flagsLiveIn(code) }
        let successors = blocks.map(Region.directSuccessors)
        var liveIn = [ConditionFlags](repeating: [], count: blocks.count)
        func liveAt(_ target: UInt32) -> ConditionFlags { indexOfStart[target].map { liveIn[$0] } ?? liveAtExit[target] ?? .all }
        func liveOut(_ b: Int) -> ConditionFlags {
            successors[b].map { $0.reduce(into: ConditionFlags()) { $0.formUnion(liveAt($1)) } } ?? .all
        }
        var changed = true
        while changed {
            changed = false
            for b in blocks.indices.reversed() {
                let live = uses[b].reversed().reduce(liveOut(b)) { $1.liveBefore(after: $0) }
                if live != liveIn[b] { liveIn[b] = live; changed = true }
            }
        }
        let liveAfter = blocks.indices.map { b in
            var live = liveOut(b)
            var after = [ConditionFlags](repeating: [], count: uses[b].count)
            for k in uses[b].indices.reversed() {
                after[k] = live
                live = uses[b][k].liveBefore(after: live)
            }
            return after
        }
        var liveAtTarget = liveAtExit
        for (start, k) in indexOfStart { liveAtTarget[start] = liveIn[k] }
        return (liveAfter, liveAtTarget)
    }
}

/// Turns regions of guest code into LLVM functions by instantiating `Semantics` over
/// `LLVMEmitter`.
public enum Lifter {
    /// Whether compiled code handles this instruction; a region ends before the first one it
    /// does not (exclusive accesses, coprocessors, exceptions), which the interpreter runs.
    public static func canLift(_ i: Instruction) -> Bool {
        switch i.op {
        case .ldrex, .ldrexb, .ldrexh, .ldrexd, .strex, .strexb, .strexh, .strexd, .clrex,
             .mrc, .mcr, .mcrr, .mrrc, .cdp, .ldc, .stc, .mcr2, .mrc2, .mcrr2, .mrrc2, .cdp2, .ldc2, .stc2,
             .bkpt, .udf, .smc, .rfe, .srs, .setend, .ldmUser, .stmUser, .ldmException,
             .vfpDataProcessing, .vfpTransfer, .vfpTransfer64, .vfpLoadStore, .neonDataProcessing, .neonLoadStore:
            return false
        default:
            return true
        }
    }

    /// The longest liftable prefix of a block's instructions.
    public static func liftablePrefix(_ block: [Instruction]) -> [Instruction] {
        Array(block.prefix { canLift($0) })
    }

    /// The largest regions formed. Compile time grows faster than region size (~5 ms for a
    /// 4-block region, ~70 ms for 16 blocks and 120 instructions at O2), and with the bench
    /// suite 4 blocks / 48 instructions measured best (1, 8 and 16 blocks were slower overall).
    /// ISOMORPH_REGION_BLOCKS and ISOMORPH_REGION_INSTRUCTIONS override them (for measuring).
    public static let maxRegionBlocks = getenv("ISOMORPH_REGION_BLOCKS").flatMap { Int(String(cString: $0)) } ?? 4
    public static let maxRegionInstructions = getenv("ISOMORPH_REGION_INSTRUCTIONS").flatMap { Int(String(cString: $0)) } ?? 48

    /// The region entered at `start`: its block, then (breadth first) the blocks its direct
    /// branches and fall-throughs reach, as far as `include` admits them and the size limits
    /// allow. `block` gives the decoded block at a pc (nil if it cannot be fetched). The region
    /// is empty (no instructions) when the entry's first instruction cannot be lifted.
    public static func region(start: UInt32, block: (UInt32) -> [Instruction]?,
                              include: (UInt32) -> Bool) -> Region {
        // A block's liftable prefix, and whether that is the whole block (one cut short by an
        // unliftable instruction exits there, to the interpreter, so its successors are not
        // the region's business).
        func fetch(_ pc: UInt32) -> (instructions: [Instruction], whole: Bool)? {
            guard let full = block(pc) else { return nil }
            let prefix = liftablePrefix(full)
            return (prefix, prefix.count == full.count)
        }
        guard let entry = fetch(start), !entry.instructions.isEmpty else {
            return Region(blocks: [Region.Block(start: start, instructions: [])])
        }
        var blocks = [Region.Block(start: start, instructions: entry.instructions)]
        var whole = [entry.whole]
        var seen: Set<UInt32> = [start]
        var instructionCount = entry.instructions.count
        var next = 0
        while next < blocks.count {
            let current = blocks[next]
            defer { next += 1 }
            guard whole[next], let last = current.instructions.last else { continue }
            for successor in Semantics.staticSuccessors(ofLast: last, blockEnd: current.end) where !seen.contains(successor) {
                seen.insert(successor)
                guard blocks.count < maxRegionBlocks, include(successor), let fetched = fetch(successor),
                      !fetched.instructions.isEmpty,
                      instructionCount + fetched.instructions.count <= maxRegionInstructions else { continue }
                blocks.append(Region.Block(start: successor, instructions: fetched.instructions))
                whole.append(fetched.whole)
                instructionCount += fetched.instructions.count
            }
        }
        var region = Region(blocks: blocks)
        let starts = Set(blocks.map(\.start))
        var looked: Set<UInt32> = []
        for target in blocks.compactMap(Region.directSuccessors).joined()
        where !starts.contains(target) && looked.insert(target).inserted {
            guard let code = block(target), !code.isEmpty else { continue }
            region.exitCode.append(Region.Block(start: target, instructions: flagLookahead(code)))
        }
        return region
    }

    /// The first of `instructions` (a block), up to the one by which each flag has been read,
    /// escaped or been written: all that flag liveness at their start depends on (faults
    /// counted as not escaping, the longer reading).
    static func flagLookahead(_ instructions: [Instruction]) -> [Instruction] {
        var undecided = ConditionFlags.all
        for (k, i) in instructions.enumerated() {
            let use = Semantics.flagUse(of: i, faultsEscape: false)
            undecided.subtract(use.reads.union(use.escapes).union(use.kills))
            if undecided.isEmpty { return Array(instructions.prefix(k + 1)) }
        }
        return instructions
    }

    /// Emits `region` as the function `name` in `module`; returns its chainable exits (link
    /// slot symbol and target pc). With `useCounter`, the function counts its uses (entries
    /// and loop iterations) in that 64-bit global. `keepsStateInMemory`: see `LLVMEmitter`.
    @discardableResult
    public static func lift(_ region: Region, into module: LLVMModuleRef, context: LLVMContextRef,
                            name: String, useCounter: String? = nil, keepsStateInMemory: Bool = false) -> [(symbol: String, target: UInt32)] {
        let e = LLVMEmitter(context: context, module: module, name: name, blockStarts: region.blocks.map(\.start),
                            checksAccesses: region.checksAccesses, useCounter: useCounter,
                            keepsStateInMemory: keepsStateInMemory)
        let flagUses = region.blocks.map { $0.instructions.map { Semantics.flagUse(of: $0, faultsEscape: region.checksAccesses) } }
        if !keepsStateInMemory { e.flagsLiveAtTarget = region.flagLiveness(flagUses).liveAtTarget }
        for block in region.blocks {
            e.beginBlock(block.start)
            var pc = block.start
            for inst in block.instructions {
                e.currentPC = pc
                if inst.cond == .al || inst.cond == .nv {
                    Semantics.execute(inst, e)
                } else {
                    e.conditional(e.condition(inst.cond)) { Semantics.execute(inst, e) }
                }
                pc &+= 4
                e.instructionIndex += 1
            }
            e.fallThrough(to: pc)
        }
        if keepsStateInMemory {
            // A flag write needs its store where a flag read from memory (the emitter's count)
            // or an escape can follow (see `LLVMEmitter.storeFlagWrites`).
            var index = 0
            let quickUses = flagUses.map { block in
                block.map { use in
                    defer { index += 1 }
                    return FlagUse(reads: e.flagsReadFromMemory(byInstruction: index), escapes: use.escapes, kills: use.kills)
                }
            }
            let liveAfter = region.flagLiveness(quickUses).liveAfter.flatMap { $0 }
            let escapes = quickUses.flatMap { $0 }.map(\.escapes)
            e.storeFlagWrites { k in liveAfter[k].union(escapes[k]) }
        }
        e.finish()
        return e.links
    }
}
