import ARM

extension Semantics {
    /// Whether a block must end after this instruction: it may change the PC, enter the
    /// operating system, raise an exception or change processor state. A decode-time fact,
    /// shared by the interpreter and the lifter.
    public static func endsBlock(_ i: Instruction) -> Bool {
        if leavesStraightLine(i) { return true }
        switch i.op {
        case .srs, .cps, .setend, .ldmUser, .stmUser, .isb,
             .vfpDataProcessing, .vfpTransfer, .vfpTransfer64, .vfpLoadStore, .neonDataProcessing, .neonLoadStore,
             .mcrr, .mrrc, .cdp, .stc, .ldc, .mcr2, .mrc2, .mcrr2, .mrrc2, .cdp2, .stc2, .ldc2:
            return true
        case .msrReg, .msrImm:
            return i.mask & 3 != 0
        default:
            return false
        }
    }

    /// Whether the instruction, when its condition passes, never continues at the next address:
    /// it writes the pc, enters the operating system or raises an exception.
    public static func leavesStraightLine(_ i: Instruction) -> Bool {
        switch i.op {
        case .b, .bl, .blxImm, .bx, .bxj, .blxReg, .svc, .bkpt, .udf, .smc, .rfe, .ldmException:
            return true
        case .ldm, .ldmda, .ldmdb, .ldmib:
            return i.registerList & 0x8000 != 0
        default:
            let fields = Decoder.fields(of: i.op)
            return (fields.contains(.d) && i.d == 15) || (fields.contains(.t) && i.t == 15)
                || (fields.contains(.a) && i.a == 15)
        }
    }

    /// Where control can go, known at decode time, after the last instruction of a block that
    /// ends at `end` (the address after it): the target of a B, and the next address unless the
    /// instruction always goes elsewhere. Calls (BL, BLX), returns and computed branches have
    /// no static successor: their targets are entries of their own.
    public static func staticSuccessors(ofLast i: Instruction, blockEnd end: UInt32) -> [UInt32] {
        let conditional = i.cond != .al && i.cond != .nv
        var successors: [UInt32] = []
        if i.op == .b { successors.append(branchTarget(i, at: end &- 4)) }
        if conditional || !leavesStraightLine(i) { successors.append(end) }
        return successors
    }
}
