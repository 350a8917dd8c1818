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
    public var instructionCount: Int { blocks.reduce(0) { $0 + $1.instructions.count } }
    /// The guest code the region was compiled from, as [start, end) ranges (for invalidation).
    public var ranges: [Range<UInt64>] { blocks.map(\.range) }

    /// The condition flags live after each instruction of each block, given each instruction's
    /// use of them (`uses`, indexed like the blocks' instructions): those some path from there
    /// reads or lets escape before writing them. Every way out of the region (an exit, a call,
    /// a computed branch, an instruction left to the interpreter) counts as reading all flags.
    ///
    /// Known divergence (see `LLVMEmitter.storeFlagWrites`): a loop-budget exit
    /// (`CPUState.loopBudget`) goes to a block of the region, whose liveness counts, so a
    /// signal delivered there can find a dead flag stale in its frame. The program goes on as
    /// on ARM (the flag is written before it is read), but a handler that prints the saved
    /// CPSR may see another N, Z, C or V.
    public func flagsLiveAfter(_ uses: [[FlagUse]]) -> [[ConditionFlags]] {
        var indexOfStart: [UInt32: Int] = [:]
        for (k, block) in blocks.enumerated() where indexOfStart[block.start] == nil { indexOfStart[block.start] = k }
        // The region blocks control goes to after each block, nil when it can leave the region.
        let successors: [[Int]?] = blocks.map { block in
            guard let last = block.instructions.last,
                  last.op == .b || !Semantics.leavesStraightLine(last) else { return nil }
            var inRegion: [Int] = []
            for target in Semantics.staticSuccessors(ofLast: last, blockEnd: block.end) {
                guard let k = indexOfStart[target] else { return nil }
                inRegion.append(k)
            }
            return inRegion
        }
        var liveIn = [ConditionFlags](repeating: [], count: blocks.count)
        func liveOut(_ b: Int) -> ConditionFlags {
            successors[b].map { $0.reduce(into: ConditionFlags()) { $0.formUnion(liveIn[$1]) } } ?? .all
        }
        func liveBefore(_ use: FlagUse, after live: ConditionFlags) -> ConditionFlags {
            live.subtracting(use.kills).union(use.reads).union(use.escapes)
        }
        var changed = true
        while changed {
            changed = false
            for b in blocks.indices.reversed() {
                let live = uses[b].reversed().reduce(liveOut(b)) { liveBefore($1, after: $0) }
                if live != liveIn[b] { liveIn[b] = live; changed = true }
            }
        }
        return blocks.indices.map { b in
            var live = liveOut(b)
            var after = [ConditionFlags](repeating: [], count: uses[b].count)
            for k in uses[b].indices.reversed() {
                after[k] = live
                live = liveBefore(uses[b][k], after: live)
            }
            return after
        }
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
        return Region(blocks: blocks)
    }

    /// Emits `region` as the function `name` in `module`; returns its chainable exits (link
    /// slot symbol and target pc). With `useCounter`, the function counts the guest blocks it
    /// runs in that 64-bit global. `keepsStateInMemory`: see `LLVMEmitter`.
    @discardableResult
    public static func lift(_ region: Region, into module: LLVMModuleRef, context: LLVMContextRef,
                            name: String, useCounter: String? = nil, keepsStateInMemory: Bool = false) -> [(symbol: String, target: UInt32)] {
        let e = LLVMEmitter(context: context, module: module, name: name, blockStarts: region.blocks.map(\.start),
                            checksAccesses: region.checksAccesses, useCounter: useCounter,
                            keepsStateInMemory: keepsStateInMemory)
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
            let uses = region.blocks.map { block in
                block.instructions.map { inst in
                    defer { index += 1 }
                    let use = Semantics.flagUse(of: inst, faultsEscape: region.checksAccesses)
                    return FlagUse(reads: e.flagsReadFromMemory(byInstruction: index), escapes: use.escapes, kills: use.kills)
                }
            }
            let liveAfter = region.flagsLiveAfter(uses).flatMap { $0 }, escapes = uses.flatMap { $0 }.map(\.escapes)
            e.storeFlagWrites { k in liveAfter[k].union(escapes[k]) }
        }
        e.finish()
        return e.links
    }
}
