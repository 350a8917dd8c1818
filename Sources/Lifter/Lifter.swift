import ARM
import CLLVM
import Semantics

/// A piece of guest code to compile as one function: today one basic block (consecutive
/// instructions from `start`); traces of several blocks with side exits extend this later.
public struct Region: Sendable {
    public var start: UInt32
    public var instructions: [Instruction]
    public init(start: UInt32, instructions: [Instruction]) {
        self.start = start
        self.instructions = instructions
    }
    /// The address after the last instruction.
    public var end: UInt32 { start &+ UInt32(instructions.count * 4) }
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

    /// The longest liftable prefix of a block's instructions, as a region.
    public static func region(start: UInt32, block: [Instruction]) -> Region {
        var instructions: [Instruction] = []
        for i in block {
            guard canLift(i) else { break }
            instructions.append(i)
        }
        return Region(start: start, instructions: instructions)
    }

    /// Emits `region` as the function `name` in `module`; returns its chainable exits (link
    /// slot symbol and target pc).
    @discardableResult
    public static func lift(_ region: Region, into module: LLVMModuleRef, context: LLVMContextRef,
                            name: String) -> [(symbol: String, target: UInt32)] {
        let e = LLVMEmitter(context: context, module: module, name: name, regionStart: region.start)
        var pc = region.start
        for inst in region.instructions {
            e.currentPC = pc
            if inst.cond == .al || inst.cond == .nv {
                Semantics.execute(inst, e)
            } else {
                e.conditional(Semantics.conditionPassed(inst.cond, e)) { Semantics.execute(inst, e) }
            }
            pc &+= 4
        }
        e.finish(fallthrough: region.end)
        return e.links
    }
}
