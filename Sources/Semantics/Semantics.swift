import ARM

/// What each A32 instruction does, written once over `Emitter`. The caller has already checked
/// the condition (`conditionPassed` produces it for compilers).
public enum Semantics {
    @inlinable
    public static func execute<E: Emitter>(_ i: Instruction, _ e: E) throws(E.Failure) {
        switch i.op {
        case .andImm, .eorImm, .subImm, .rsbImm, .addImm, .adcImm, .sbcImm, .rscImm,
             .tstImm, .teqImm, .cmpImm, .cmnImm, .orrImm, .movImm, .bicImm, .mvnImm:
            let (value, carry) = expandImmediate(i.imm, needCarry: setsShifterCarry(i), e)
            dataProcessing(i, value, carry, e)
        case .andReg, .eorReg, .subReg, .rsbReg, .addReg, .adcReg, .sbcReg, .rscReg,
             .tstReg, .teqReg, .cmpReg, .cmnReg, .orrReg, .movReg, .bicReg, .mvnReg:
            let (value, carry) = shiftImmediate(read(i.m, e), type: i.shiftType, amount: i.shiftAmount,
                                                needCarry: setsShifterCarry(i), e)
            dataProcessing(i, value, carry, e)
        case .andRSR, .eorRSR, .subRSR, .rsbRSR, .addRSR, .adcRSR, .sbcRSR, .rscRSR,
             .tstRSR, .teqRSR, .cmpRSR, .cmnRSR, .orrRSR, .movRSR, .bicRSR, .mvnRSR:
            if i.d == 15 || i.n == 15 || i.m == 15 || i.s == 15 {
                return e.undefined("register-shifted register form with PC is UNPREDICTABLE")
            }
            let (value, carry) = shiftRegister(read(i.m, e), type: i.shiftType, amount: read(i.s, e),
                                               needCarry: setsShifterCarry(i), e)
            dataProcessing(i, value, carry, e)
        case .movw:
            writeResult(i.d, e.constant(i.imm), e)
        case .movt:
            writeResult(i.d, e.or(e.and(read(i.d, e), e.constant(0xFFFF)), e.constant(i.imm << 16)), e)

        case .mul, .mla, .mls, .umull, .umlal, .smull, .smlal, .umaal,
             .smlaxy, .smlawy, .smulwy, .smlalxy, .smulxy, .smlad, .smuad, .smlsd, .smusd,
             .smlald, .smlsld, .smmla, .smmul, .smmls, .sdiv, .udiv, .usad8, .usada8:
            multiply(i, e)

        case .qadd, .qsub, .qdadd, .qdsub, .ssat, .usat, .ssat16, .usat16:
            saturate(i, e)
        case .sadd16, .sasx, .ssax, .ssub16, .sadd8, .ssub8, .qadd16, .qasx, .qsax, .qsub16, .qadd8, .qsub8,
             .shadd16, .shasx, .shsax, .shsub16, .shadd8, .shsub8, .uadd16, .uasx, .usax, .usub16, .uadd8, .usub8,
             .uqadd16, .uqasx, .uqsax, .uqsub16, .uqadd8, .uqsub8, .uhadd16, .uhasx, .uhsax, .uhsub16, .uhadd8, .uhsub8:
            parallelAddSubtract(i, e)
        case .pkhbt, .pkhtb, .sel, .sxtab16, .sxtb16, .sxtab, .sxtb, .sxtah, .sxth,
             .uxtab16, .uxtb16, .uxtab, .uxtb, .uxtah, .uxth, .rev, .rev16, .rbit, .revsh,
             .sbfx, .ubfx, .bfi, .bfc, .clz:
            bitManipulation(i, e)

        case .strImm, .ldrImm, .strbImm, .ldrbImm, .strReg, .ldrReg, .strbReg, .ldrbReg,
             .strtImm, .ldrtImm, .strbtImm, .ldrbtImm, .strtReg, .ldrtReg, .strbtReg, .ldrbtReg,
             .strhImm, .strhReg, .ldrhImm, .ldrhReg, .ldrsbImm, .ldrsbReg, .ldrshImm, .ldrshReg,
             .strhtImm, .strhtReg, .ldrhtImm, .ldrhtReg, .ldrsbtImm, .ldrsbtReg, .ldrshtImm, .ldrshtReg:
            try loadStore(i, e)
        case .ldrdImm, .ldrdReg, .strdImm, .strdReg:
            try loadStoreDual(i, e)
        case .stmda, .ldmda, .stm, .ldm, .stmdb, .ldmdb, .stmib, .ldmib:
            try loadStoreMultiple(i, e)
        case .stmUser, .ldmUser, .ldmException:
            e.undefined("user-register and exception-return LDM/STM are UNPREDICTABLE in user mode")
        case .swp, .swpb, .strex, .ldrex, .strexd, .ldrexd, .strexb, .ldrexb, .strexh, .ldrexh:
            try synchronization(i, e)

        case .b:
            e.branch(to: branchTarget(i, e))
        case .bl:
            e.writeRegister(14, e.constant(e.currentPC &+ 4))
            e.branch(to: branchTarget(i, e))
        case .blxImm:
            e.writeRegister(14, e.constant(e.currentPC &+ 4))
            // The target is Thumb code: interworking makes it an exchange to an odd address.
            e.branchExchange(e.constant((branchTarget(i, e) | (i.flagH ? 2 : 0)) | 1))
        case .bx, .bxj:
            e.branchExchange(read(i.m, e))
        case .blxReg:
            if i.m == 15 { return e.undefined("BLX to PC is UNPREDICTABLE") }
            let target = read(i.m, e)
            e.writeRegister(14, e.constant(e.currentPC &+ 4))
            e.branchExchange(target)

        case .mrs, .msrReg, .msrImm, .hint, .svc, .bkpt, .udf, .smc, .clrex, .dsb, .dmb, .isb,
             .pldImm, .pldReg, .pliImm, .pliReg, .setend, .cps, .rfe, .srs:
            system(i, e)
        case .mcr, .mrc, .mcrr, .mrrc, .cdp, .stc, .ldc, .mcr2, .mrc2, .mcrr2, .mrrc2, .cdp2, .stc2, .ldc2:
            try coprocessor(i, e)
        case .vfpDataProcessing, .vfpTransfer, .vfpTransfer64, .vfpLoadStore,
             .neonDataProcessing, .neonLoadStore:
            e.undefined(i.op.unsupportedReason ?? "not supported yet")
        }
    }

    /// Whether the instruction's condition holds, for compilers; interpreters test it directly.
    @inlinable
    public static func conditionPassed<E: Emitter>(_ cond: Condition, _ e: E) -> E.Flag {
        // Reads only the flags the condition tests (`flagUse` relies on it).
        let base: E.Flag
        switch cond.rawValue >> 1 {
        case 0: base = e.readFlag(.z)
        case 1: base = e.readFlag(.c)
        case 2: base = e.readFlag(.n)
        case 3: base = e.readFlag(.v)
        case 4: base = e.and(e.readFlag(.c), e.not(e.readFlag(.z)))
        case 5: base = e.not(e.xor(e.readFlag(.n), e.readFlag(.v)))
        case 6: base = e.and(e.not(e.readFlag(.z)), e.not(e.xor(e.readFlag(.n), e.readFlag(.v))))
        default: return e.constant(true)
        }
        return cond.rawValue & 1 == 0 ? base : e.not(base)
    }

    // MARK: Registers

    /// Reads a register; PC reads as the instruction's address + 8.
    @inlinable
    static func read<E: Emitter>(_ r: Int, _ e: E) -> E.Value {
        r == 15 ? e.constant(e.currentPC &+ 8) : e.readRegister(r)
    }

    /// Writes a data-processing or load result; a write to PC branches with interworking
    /// (ALUWritePC and LoadWritePC are BXWritePC in ARMv7 ARM state).
    @inlinable
    static func writeResult<E: Emitter>(_ d: Int, _ v: E.Value, _ e: E) {
        if d == 15 { e.branchExchange(v) } else { e.writeRegister(d, v) }
    }

    @inlinable
    static func setNZ<E: Emitter>(_ result: E.Value, _ e: E) {
        e.writeFlag(.n, e.bit(result, 31))
        e.writeFlag(.z, e.equal(result, e.constant(0)))
    }

    @inlinable
    static func branchTarget<E: Emitter>(_ i: Instruction, _ e: E) -> UInt32 {
        branchTarget(i, at: e.currentPC)
    }

    /// The target of B, BL or BLX (immediate) at `pc`: pc + 8 + the sign-extended imm24 * 4.
    @inlinable
    public static func branchTarget(_ i: Instruction, at pc: UInt32) -> UInt32 {
        let offset = UInt32(bitPattern: Int32(bitPattern: i.imm << 8) >> 6)
        return pc &+ 8 &+ offset
    }

    // MARK: Shifter operands (ARM ARM A8.4)

    /// ARMExpandImm_C: a rotated 8-bit immediate and its carry.
    @inlinable
    static func expandImmediate<E: Emitter>(_ imm12: UInt32, needCarry: Bool, _ e: E) -> (E.Value, E.Flag?) {
        let rotation = (imm12 >> 8) * 2
        let value = (imm12 & 0xFF).rotateRight(rotation)
        let carry = !needCarry || rotation == 0 ? nil : e.constant(value >> 31 != 0)
        return (e.constant(value), carry)
    }

    /// Shift_C with an amount known at decode time (DecodeImmShift applied). The carry out is
    /// nil when it is C itself (LSL #0), or not `needCarry`: a flag-setting instruction then
    /// leaves C alone, and nothing reads or writes it.
    @inlinable
    static func shiftImmediate<E: Emitter>(_ v: E.Value, type: UInt32, amount: UInt32,
                                           needCarry: Bool, _ e: E) -> (E.Value, E.Flag?) {
        func carry(_ make: @autoclosure () -> E.Flag) -> E.Flag? { needCarry ? make() : nil }
        switch type {
        case 0:  // LSL
            if amount == 0 { return (v, nil) }
            return (e.shiftLeft(v, e.constant(amount)), carry(e.bit(v, Int(32 - amount))))
        case 1:  // LSR; #0 encodes #32
            if amount == 0 { return (e.constant(0), carry(e.bit(v, 31))) }
            return (e.shiftRightLogical(v, e.constant(amount)), carry(e.bit(v, Int(amount - 1))))
        case 2:  // ASR; #0 encodes #32
            if amount == 0 { return (e.shiftRightArithmetic(v, e.constant(31)), carry(e.bit(v, 31))) }
            return (e.shiftRightArithmetic(v, e.constant(amount)), carry(e.bit(v, Int(amount - 1))))
        default:
            if amount == 0 {  // RRX
                let c = e.readFlag(.c)
                let r = e.or(e.shiftLeft(e.zeroExtend(c), e.constant(31)), e.shiftRightLogical(v, e.constant(1)))
                return (r, carry(e.bit(v, 0)))
            }
            return (e.rotateRight(v, e.constant(amount)), carry(e.bit(v, Int(amount - 1))))
        }
    }

    /// Shift_C by the bottom byte of a register (the carry out nil when not `needCarry`).
    @inlinable
    static func shiftRegister<E: Emitter>(_ v: E.Value, type: UInt32, amount rs: E.Value,
                                          needCarry: Bool, _ e: E) -> (E.Value, E.Flag?) {
        let amount = e.and(rs, e.constant(0xFF))
        let low5 = e.and(amount, e.constant(31))
        let isZero = e.equal(amount, e.constant(0))
        let below32 = e.unsignedLess(amount, e.constant(32))
        let zero = e.constant(0)
        // Read only when wanted: an unneeded read would make C live for flag liveness.
        var carryIn: E.Flag { e.readFlag(.c) }
        switch type {
        case 0:  // LSL
            let r = e.select(below32, e.shiftLeft(v, low5), zero)
            guard needCarry else { return (r, nil) }
            // Carry is bit (32 - amount) for 1…32, 0 beyond.
            let out = e.bit(e.shiftRightLogical(v, e.and(e.sub(e.constant(32), amount), e.constant(31))), 0)
            let c = e.select(isZero, carryIn, e.select(e.unsignedLess(amount, e.constant(33)), out, e.constant(false)))
            return (r, c)
        case 1:  // LSR
            let r = e.select(below32, e.shiftRightLogical(v, low5), zero)
            guard needCarry else { return (r, nil) }
            let out = e.bit(e.shiftRightLogical(v, e.and(e.sub(amount, e.constant(1)), e.constant(31))), 0)
            let c = e.select(isZero, carryIn, e.select(e.unsignedLess(amount, e.constant(33)), out, e.constant(false)))
            return (r, c)
        case 2:  // ASR
            let r = e.select(below32, e.shiftRightArithmetic(v, low5), e.shiftRightArithmetic(v, e.constant(31)))
            guard needCarry else { return (r, nil) }
            let out = e.bit(e.shiftRightLogical(v, e.and(e.sub(amount, e.constant(1)), e.constant(31))), 0)
            let c = e.select(isZero, carryIn, e.select(below32, out, e.bit(v, 31)))
            return (r, c)
        default:  // ROR
            let r = e.rotateRight(v, low5)
            guard needCarry else { return (r, nil) }
            return (r, e.select(isZero, carryIn, e.bit(r, 31)))
        }
    }

    // MARK: Data processing

    /// Whether a data-processing instruction writes the flags: its S bit, or TST TEQ CMP CMN,
    /// whose encodings fix bit 20 instead of naming it S (so `setFlags` is false for them).
    @inlinable
    static func writesFlags(_ i: Instruction) -> Bool {
        i.setFlags || (i.word >> 23) & 3 == 2
    }

    /// Whether a data-processing instruction sets C from its shifter: the flag-setting logical
    /// operations (AND EOR TST TEQ ORR MOV BIC MVN). Arithmetic sets C from the addition, and
    /// without S nothing reads it, so the shifter's carry (often the old C) is not wanted.
    @inlinable
    static func setsShifterCarry(_ i: Instruction) -> Bool {
        let logicalOpcodes: UInt32 = 0xF303  // bit k: opcode k is logical
        return writesFlags(i) && (logicalOpcodes >> ((i.word >> 21) & 0xF)) & 1 != 0
    }

    /// `shiftCarry`: the shifter's carry out, nil when it is C itself (see `shiftImmediate`).
    @inlinable
    static func dataProcessing<E: Emitter>(_ i: Instruction, _ op2: E.Value, _ shiftCarry: E.Flag?, _ e: E) {
        let opcode = (i.word >> 21) & 0xF
        let s = i.setFlags || (opcode >> 2) == 2   // TST TEQ CMP CMN always set flags
        if s && i.d == 15 && (opcode >> 2) != 2 {
            return e.undefined("flag-setting write to PC (exception return) is UNPREDICTABLE in user mode")
        }
        // Without S nothing reads a carry or overflow out: plain ADD, SUB and RSB are one
        // operation (for the JIT, far less IR to clean up than the carry chain).
        if !s && (opcode == 0x2 || opcode == 0x3 || opcode == 0x4) {
            let n = read(i.n, e)
            return writeResult(i.d, opcode == 0x4 ? e.add(n, op2) : opcode == 0x2 ? e.sub(n, op2) : e.sub(op2, n), e)
        }
        var logical: E.Value? = nil
        var arithmetic: (result: E.Value, carry: E.Flag, overflow: E.Flag)? = nil
        switch opcode {
        case 0x0, 0x8: logical = e.and(read(i.n, e), op2)
        case 0x1, 0x9: logical = e.xor(read(i.n, e), op2)
        case 0x2, 0xA: arithmetic = e.addWithCarry(read(i.n, e), e.not(op2), e.constant(true))
        case 0x3: arithmetic = e.addWithCarry(op2, e.not(read(i.n, e)), e.constant(true))
        case 0x4, 0xB: arithmetic = e.addWithCarry(read(i.n, e), op2, e.constant(false))
        case 0x5: arithmetic = e.addWithCarry(read(i.n, e), op2, e.readFlag(.c))
        case 0x6: arithmetic = e.addWithCarry(read(i.n, e), e.not(op2), e.readFlag(.c))
        case 0x7: arithmetic = e.addWithCarry(op2, e.not(read(i.n, e)), e.readFlag(.c))
        case 0xC: logical = e.or(read(i.n, e), op2)
        case 0xD: logical = op2
        case 0xE: logical = e.and(read(i.n, e), e.not(op2))
        default: logical = e.not(op2)
        }
        let result = logical ?? arithmetic!.result
        if (opcode >> 2) != 2 { writeResult(i.d, result, e) }
        guard s else { return }
        setNZ(result, e)
        if let a = arithmetic {
            e.writeFlag(.c, a.carry)
            e.writeFlag(.v, a.overflow)
        } else if let shiftCarry {
            e.writeFlag(.c, shiftCarry)
        }
    }
}

extension UInt32 {
    @inlinable @inline(__always)
    func rotateRight(_ n: UInt32) -> UInt32 {
        let s = n & 31
        return s == 0 ? self : (self >> s) | (self << (32 - s))
    }
}
