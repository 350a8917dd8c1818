import ARM

extension Semantics {
    /// Whether a block must end after this instruction: it may change the PC, enter the
    /// operating system, raise an exception or change processor state. A decode-time fact,
    /// shared by the interpreter and the lifter.
    public static func endsBlock(_ i: Instruction) -> Bool {
        switch i.op {
        case .b, .bl, .blxImm, .bx, .bxj, .blxReg, .svc, .bkpt, .udf, .smc, .rfe, .srs, .cps, .setend,
             .ldmUser, .ldmException, .stmUser, .isb,
             .vfpDataProcessing, .vfpTransfer, .vfpTransfer64, .vfpLoadStore, .neonDataProcessing, .neonLoadStore,
             .mcrr, .mrrc, .cdp, .stc, .ldc, .mcr2, .mrc2, .mcrr2, .mrrc2, .cdp2, .stc2, .ldc2:
            return true
        case .msrReg, .msrImm:
            return i.mask & 3 != 0
        case .ldm, .ldmda, .ldmdb, .ldmib:
            return i.registerList & 0x8000 != 0
        default:
            let letters = Op.fieldLetters[i.op] ?? []
            return (letters.contains("d") && i.d == 15) || (letters.contains("t") && i.t == 15)
                || (letters.contains("a") && i.a == 15)
        }
    }
}

extension Op {
    /// The field letters each encoding's pattern uses.
    public static let fieldLetters: [Op: Set<Character>] = {
        var table: [Op: Set<Character>] = [:]
        for op in Op.allCases {
            table[op] = Set(op.rawValue.filter { $0.isLetter && $0 != "y" && $0 != "z" })
        }
        return table
    }()
}
