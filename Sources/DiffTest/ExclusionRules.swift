import ARM

/// THE one place that says which instructions the differential test never generates, and why.
///
/// The generator walks `Op.allCases` (the encoding table) and fills each pattern's fields at
/// random; everything it must not produce is decided here, each rule with its reason from the
/// ARM Architecture Reference Manual, ARMv7-A and ARMv7-R edition (DDI 0406C; "ARM ARM",
/// section A8.8 is the alphabetical list of instructions, B9.3 the system instructions).
/// Three kinds of rule:
///
/// 1. `excludedEncoding`: whole encodings that cannot be compared in a user-mode process —
///    unsupported by design (VFP/NEON, Thumb), owned by the harness (SVC), or privileged
///    (UNPREDICTABLE or UNDEFINED in User mode). UDF and BKPT are tested only as faults.
/// 2. `unpredictable`: forms of the remaining encodings whose behaviour the ARM ARM leaves
///    UNPREDICTABLE (Isomorph raises SIGILL for them, qemu does something) or UNKNOWN.
///    Should-be-one/zero bits (`y`/`z` in the table; "(1)"/"(0)" in the ARM ARM, UNPREDICTABLE
///    when wrong) are never a question: the generator always emits them canonically.
/// 3. Implementation-defined memory behaviour the harness stays clear of: `fieldChoices`
///    (user-accessible system registers), `alignment` (alignment faults), `faultExcluded`
///    (state after a Data Abort), and the exclusive monitor rules on `ExclusiveMonitorRules`.
///
/// Restrictions that are not about the architecture but about the harness (loads and stores
/// stay in the scratch buffer, no branches to random addresses, base registers are not
/// overwritten) live in `Generator` and are documented there.
///
/// qemu-arm versus the ARM ARM: where qemu-arm (the practical oracle, run with
/// `-cpu cortex-a15`) disagrees with the ARM ARM on a form the generator produces, the
/// disagreement is noted here under "qemu notes" and the form is excluded with that reason.
///
/// qemu notes (qemu-arm 7.2, Debian 1:7.2+dfsg-7): see `qemuDeviations`.
public enum ExclusionRules {
    // MARK: 0. Where qemu-arm is not the reference

    /// Known places where qemu-arm differs from the ARM ARM or from Linux itself (the
    /// reference for the signal ABI); the expected state is corrected before comparing:
    /// - An UNDEFINED instruction raises SIGILL with si_code ILL_ILLOPN (2) under qemu-arm
    ///   (linux-user/arm/cpu_loop.c, EXCP_UDEF), but ILL_ILLOPC (1) under Linux
    ///   (arch/arm/kernel/traps.c, do_undefinstr) and Isomorph.
    public static func qemuDeviations(_ expected: FinalState) -> FinalState {
        var e = expected
        if e.signal == 4 && e.code == 2 { e.code = 1 }
        return e
    }

    // MARK: 1. Encodings never generated

    /// Why a whole encoding is never generated, or nil when it is.
    public static func excludedEncoding(_ op: Op) -> String? {
        if let reason = op.unsupportedReason {
            return "unsupported by design (\(reason))"
        }
        switch op {
        case .svc:
            return "SVC enters the operating system: the harness owns the syscalls (write, exit); syscalls are tested by the Linux layer's tests"
        case .smc:
            return "SMC is UNDEFINED in User mode (ARM ARM B9.3 SMC)"
        case .cps:
            return "CPS is privileged: a NOP in User mode (ARM ARM B9.3 CPS, 'if CurrentModeIsNotUser()'), and most imod/M combinations are UNPREDICTABLE: nothing to compare"
        case .rfe, .srs:
            return "RFE and SRS are UNPREDICTABLE in User mode (ARM ARM B9.3 RFE, SRS)"
        case .stmUser, .ldmUser, .ldmException:
            return "LDM/STM (User registers) and LDM (exception return) are UNPREDICTABLE in User mode (ARM ARM B9.3)"
        case .blxImm:
            return "BLX (immediate) always enters Thumb state, which Isomorph does not support yet"
        case .mcrr, .mrrc, .mcrr2, .mrrc2:
            return "the only 64-bit coprocessor registers a User-mode process may reach are the generic timer's counters (MRRC p15 CNTPCT/CNTVCT, when the kernel enables them): time-dependent, nothing to compare; every other form is UNDEFINED (ARM ARM A8.8 MCRR, MRRC; B8)"
        case .cdp, .stc, .ldc, .mcr2, .mrc2, .cdp2, .stc2, .ldc2:
            return "no coprocessor state is visible to User mode through this form: CP0-CP13 are absent (CP10/11 are VFP, unsupported), CP15 has no such operations, and CP14's debug-channel transfers depend on the debug configuration: UNDEFINED or configuration-dependent (ARM ARM A8.8 " + op.name.uppercased() + "; C6)"
        default:
            return nil
        }
    }

    /// The encodings the generator produces: the table minus `excludedEncoding`.
    public static let testableEncodings: [Op] = Op.allCases.filter { excludedEncoding($0) == nil }

    // MARK: 2. UNPREDICTABLE and UNKNOWN forms

    /// Why a decoded instruction is UNPREDICTABLE (or has an UNKNOWN result) in an ARMv7-A
    /// User-mode process, or nil when its behaviour is defined. Only forms the generator can
    /// produce are covered: encodings of `excludedEncoding` need no rules.
    public static func unpredictable(_ i: Instruction) -> String? {
        let (d, n, m, s, a, t) = (i.d, i.n, i.m, i.s, i.a, i.t)
        func pc(_ regs: Int...) -> Bool { regs.contains(15) }
        /// Write-back of a single load or store: post-indexed, or pre-indexed with W.
        var wback: Bool { !i.index || i.writeBack }
        switch i.op {
        // Data processing (A8.8 ADC … MVN): with S and Rd = PC the instruction is an exception
        // return (SUBS PC, LR and related, B9.3.19), UNPREDICTABLE in User mode.
        case .andImm, .eorImm, .subImm, .rsbImm, .addImm, .adcImm, .sbcImm, .rscImm, .orrImm, .movImm, .bicImm, .mvnImm,
             .andReg, .eorReg, .subReg, .rsbReg, .addReg, .adcReg, .sbcReg, .rscReg, .orrReg, .movReg, .bicReg, .mvnReg:
            if d == 15 && i.setFlags { return "S with Rd = PC is an exception return, UNPREDICTABLE in User mode (ARM ARM B9.3 SUBS PC, LR)" }
        // (register-shifted register) forms: "if d == 15 || n == 15 || m == 15 || s == 15 then UNPREDICTABLE".
        case .andRSR, .eorRSR, .subRSR, .rsbRSR, .addRSR, .adcRSR, .sbcRSR, .rscRSR, .orrRSR, .movRSR, .bicRSR, .mvnRSR:
            if pc(d, n, m, s) { return "register-shifted register form with PC (ARM ARM A8.8, e.g. ADD (register-shifted register))" }
        case .tstRSR, .teqRSR, .cmpRSR, .cmnRSR:
            if pc(n, m, s) { return "register-shifted register form with PC (ARM ARM A8.8, e.g. CMP (register-shifted register))" }
        case .movw, .movt:
            if d == 15 { return "MOVW/MOVT to PC (ARM ARM A8.8 MOV (immediate) A2, MOVT)" }

        // Multiplies (A8.8 MUL … UMAAL).
        case .mul, .smulwy, .smulxy, .smuad, .smusd, .smmul, .sdiv, .udiv, .usad8,
             .smlad, .smlsd, .smmla, .usada8:
            // For SMLAD, SMLSD, SMMLA, USADA8, Ra = PC is the non-accumulating encoding.
            if pc(d, n, m) { return "multiply with PC operand (ARM ARM A8.8 \(i.op.name.uppercased()))" }
        case .mla, .mls, .smlaxy, .smlawy, .smmls:
            if pc(d, n, m, a) { return "multiply-accumulate with PC operand (ARM ARM A8.8 \(i.op.name.uppercased()))" }
        case .umull, .umlal, .smull, .smlal, .umaal, .smlalxy, .smlald, .smlsld:
            if pc(d, a, n, m) { return "long multiply with PC operand (ARM ARM A8.8 \(i.op.name.uppercased()))" }
            if d == a { return "long multiply with RdHi == RdLo (ARM ARM A8.8 \(i.op.name.uppercased()))" }

        // Saturating and parallel arithmetic, packing, extension, reversal (A8.8).
        case .qadd, .qsub, .qdadd, .qdsub,
             .sadd16, .sasx, .ssax, .ssub16, .sadd8, .ssub8, .qadd16, .qasx, .qsax, .qsub16, .qadd8, .qsub8,
             .shadd16, .shasx, .shsax, .shsub16, .shadd8, .shsub8, .uadd16, .uasx, .usax, .usub16, .uadd8, .usub8,
             .uqadd16, .uqasx, .uqsax, .uqsub16, .uqadd8, .uqsub8, .uhadd16, .uhasx, .uhsax, .uhsub16, .uhadd8, .uhsub8,
             .pkhbt, .pkhtb, .sel:
            if pc(d, n, m) { return "\(i.op.name.uppercased()) with PC operand (ARM ARM A8.8)" }
        case .ssat, .usat, .ssat16, .usat16:
            if pc(d, n) { return "\(i.op.name.uppercased()) with PC operand (ARM ARM A8.8)" }
        case .sxtab16, .sxtb16, .sxtab, .sxtb, .sxtah, .sxth, .uxtab16, .uxtb16, .uxtab, .uxtb, .uxtah, .uxth,
             .rev, .rev16, .rbit, .revsh, .clz:
            // For the accumulating extends, Rn = PC is the non-accumulating encoding.
            if pc(d, m) { return "\(i.op.name.uppercased()) with PC operand (ARM ARM A8.8)" }
        case .sbfx, .ubfx:
            if pc(d, n) { return "\(i.op.name.uppercased()) with PC operand (ARM ARM A8.8)" }
            if i.lsb + i.width > 31 { return "\(i.op.name.uppercased()) with lsb + widthminus1 > 31 (ARM ARM A8.8)" }
        case .bfi, .bfc:
            // For BFI, Rn = PC is BFC.
            if d == 15 { return "\(i.op.name.uppercased()) to PC (ARM ARM A8.8)" }
            if i.width < i.lsb { return "\(i.op.name.uppercased()) with msb < lsb (ARM ARM A8.8)" }

        // Single loads and stores (A8.8 LDR … STRT). Rn = PC with write-back is the literal
        // form with its (1)/(0) P and W bits wrong, hence UNPREDICTABLE too.
        case .ldrImm, .strImm:
            if wback && (n == 15 || n == t) { return "write-back with Rn = PC or Rn = Rt (ARM ARM A8.8 LDR/STR (immediate))" }
        case .ldrReg, .strReg:
            if m == 15 { return "Rm = PC (ARM ARM A8.8 LDR/STR (register))" }
            if wback && (n == 15 || n == t) { return "write-back with Rn = PC or Rn = Rt (ARM ARM A8.8 LDR/STR (register))" }
        case .ldrbImm, .strbImm, .ldrhImm, .strhImm, .ldrsbImm, .ldrshImm:
            if t == 15 { return "byte/halfword transfer of PC (ARM ARM A8.8 \(i.op.name.uppercased()))" }
            if wback && (n == 15 || n == t) { return "write-back with Rn = PC or Rn = Rt (ARM ARM A8.8 \(i.op.name.uppercased()))" }
        case .ldrbReg, .strbReg, .ldrhReg, .strhReg, .ldrsbReg, .ldrshReg:
            if pc(t, m) { return "byte/halfword transfer of PC or Rm = PC (ARM ARM A8.8 \(i.op.name.uppercased()))" }
            if wback && (n == 15 || n == t) { return "write-back with Rn = PC or Rn = Rt (ARM ARM A8.8 \(i.op.name.uppercased()))" }
        case .strtImm:
            if n == 15 || n == t { return "STRT with Rn = PC or Rn = Rt (ARM ARM A8.8 STRT)" }
        case .strtReg:
            if n == 15 || n == t || m == 15 { return "STRT with Rn = PC, Rn = Rt or Rm = PC (ARM ARM A8.8 STRT)" }
        case .ldrtImm, .ldrbtImm, .strbtImm, .ldrhtImm, .strhtImm, .ldrsbtImm, .ldrshtImm:
            if pc(t, n) || n == t { return "unprivileged transfer with PC or Rn = Rt (ARM ARM A8.8 \(i.op.name.uppercased()))" }
        case .ldrtReg, .ldrbtReg, .strbtReg, .ldrhtReg, .strhtReg, .ldrsbtReg, .ldrshtReg:
            if pc(t, n, m) || n == t { return "unprivileged transfer with PC or Rn = Rt (ARM ARM A8.8 \(i.op.name.uppercased()))" }

        // Dual loads and stores (A8.8 LDRD, STRD).
        case .ldrdImm, .ldrdReg, .strdImm, .strdReg:
            let t2 = t + 1
            if t & 1 != 0 { return "LDRD/STRD with an odd Rt (ARM ARM A8.8 LDRD/STRD)" }
            if !i.index && i.writeBack { return "LDRD/STRD with P = 0 and W = 1 (ARM ARM A8.8 LDRD/STRD)" }
            if t2 == 15 { return "LDRD/STRD with Rt2 = PC (ARM ARM A8.8 LDRD/STRD)" }
            if wback && (n == 15 || n == t || n == t2) { return "LDRD/STRD write-back with Rn = PC, Rt or Rt2 (ARM ARM A8.8 LDRD/STRD)" }
            if i.op == .ldrdReg && (m == 15 || m == t || m == t2) { return "LDRD (register) with Rm = PC, Rt or Rt2 (ARM ARM A8.8 LDRD (register))" }
            if i.op == .strdReg && m == 15 { return "STRD (register) with Rm = PC (ARM ARM A8.8 STRD (register))" }

        // Block transfers (A8.8 LDM/STM and their DA/DB/IB forms).
        case .ldm, .ldmda, .ldmdb, .ldmib:
            if n == 15 || i.registerList == 0 { return "LDM with Rn = PC or an empty list (ARM ARM A8.8 LDM)" }
            if i.writeBack && i.registerList & (1 << UInt32(n)) != 0 { return "LDM with write-back and Rn in the list (ARM ARM A8.8 LDM, ArchVersion() >= 7)" }
        case .stm, .stmda, .stmdb, .stmib:
            if n == 15 || i.registerList == 0 { return "STM with Rn = PC or an empty list (ARM ARM A8.8 STM)" }
            if i.writeBack && i.registerList & (1 << UInt32(n)) != 0 && i.registerList & ((1 << UInt32(n)) - 1) != 0 {
                return "STM with write-back and Rn in the list but not lowest: the stored value is UNKNOWN (ARM ARM A8.8 STM)"
            }

        // Synchronisation (A8.8 SWP, LDREX…, STREX…).
        case .swp, .swpb:
            if pc(t, m, n) || n == t || n == m { return "SWP with PC or Rn = Rt/Rt2 (ARM ARM A8.8 SWP)" }
        case .ldrex, .ldrexb, .ldrexh:
            if pc(t, n) { return "LDREX with PC (ARM ARM A8.8 LDREX)" }
        case .ldrexd:
            if t & 1 != 0 || t == 14 || n == 15 { return "LDREXD with odd Rt, Rt2 = PC or Rn = PC (ARM ARM A8.8 LDREXD)" }
        case .strex, .strexb, .strexh:
            if pc(d, t, n) || d == n || d == t { return "STREX with PC or Rd = Rn/Rt (ARM ARM A8.8 STREX)" }
        case .strexd:
            if pc(d, n) || t & 1 != 0 || t == 14 || d == n || d == t || d == t + 1 {
                return "STREXD with PC, odd Rt, or Rd = Rn/Rt/Rt2 (ARM ARM A8.8 STREXD)"
            }

        // Branches (A8.8 BX, BXJ, BLX (register)).
        case .bxj:
            if m == 15 { return "BXJ PC (ARM ARM A8.8 BXJ)" }
        case .blxReg:
            if m == 15 { return "BLX PC (ARM ARM A8.8 BLX (register))" }

        // Status registers and hints (A8.8 MRS, MSR; B9.3 for the banked/SPSR forms).
        case .mrs:
            if d == 15 { return "MRS to PC (ARM ARM A8.8 MRS)" }
            if i.flagX { return "MRS of the SPSR is UNPREDICTABLE in User mode (ARM ARM B9.3 MRS)" }
        case .msrReg, .msrImm:
            if i.flagX { return "MSR to the SPSR is UNPREDICTABLE in User mode (ARM ARM B9.3 MSR)" }
            if i.mask == 0 { return "MSR with mask 0 (ARM ARM A8.8 MSR)" }
            if i.mask & 3 != 0 { return "MSR to the control or extension fields is a system-level write, not testable in User mode (ARM ARM B9.3 MSR)" }
            if i.op == .msrReg && n == 15 { return "MSR (register) from PC (ARM ARM A8.8 MSR (register))" }
        case .pldReg:
            if m == 15 || (n == 15 && !i.flagX) { return "PLD/PLDW (register) with Rm = PC, or PLDW with Rn = PC (ARM ARM A8.8 PLD (register))" }
        case .pliReg:
            if m == 15 { return "PLI (register) with Rm = PC (ARM ARM A8.8 PLI (register))" }
        case .setend:
            if i.flagE { return "SETEND BE: big-endian data accesses are not supported by Isomorph (not UNPREDICTABLE; excluded by design)" }

        // Coprocessor: only CP15's thread ID registers are reachable (see `fieldChoices`).
        case .mcr:
            if t == 15 { return "MCR from PC (ARM ARM A8.8 MCR)" }
            var state = CPUState()
            if UserCoprocessors.write(i, 0, &state) == false { return "MCR to a register that is not writable in User mode: UNDEFINED (ARM ARM B4.1)" }
        case .mrc:
            var state = CPUState()
            if UserCoprocessors.read(i, &state) == nil { return "MRC of a register that is not readable in User mode: UNDEFINED (ARM ARM B4.1)" }
        default:
            break
        }
        return nil
    }

    // MARK: 3. Implementation-defined behaviour the harness avoids

    /// Field values allowed where most values of a field are not testable in User mode.
    /// - MRC/MCR: CP15 c13, c0, opc1 0: opc2 2 is TPIDRURW (user read/write), 3 is TPIDRURO
    ///   (user read-only); every other CP15 register is UNDEFINED from User mode (B4.1.150–152).
    /// - MSR: the APSR forms only: mask 0b1000 (nzcvq), 0b0100 (g), 0b1100 (nzcvqg) (A8.8 MSR);
    ///   R (the `X` letter) selects the SPSR, UNPREDICTABLE in User mode.
    /// - MRS: the CPSR/APSR form (X = 0).
    /// - SETEND: LE only (see `unpredictable`).
    public static func fieldChoices(_ op: Op) -> [Character: [UInt32]] {
        switch op {
        case .mrc: return ["p": [15], "o": [0], "n": [13], "m": [0], "q": [2, 3]]
        case .mcr: return ["p": [15], "o": [0], "n": [13], "m": [0], "q": [2]]
        case .msrReg, .msrImm: return ["X": [0], "k": [4, 8, 12]]
        case .mrs: return ["X": [0]]
        case .setend: return ["E": [0]]
        default: return [:]
        }
    }

    /// Alignment (bytes) an access of this encoding must have. ARMv7 with SCTLR.A = 0 (as a
    /// Linux process runs) allows unaligned LDR, STR, LDRH, STRH, LDRSH and their T forms
    /// (ARM ARM A3.2.1); LDRD, STRD, LDM, STM and SWP need word alignment, and the exclusives
    /// natural alignment, or they take an alignment fault. Linux then fixes LDRD/LDM/STM up in
    /// software (IMPLEMENTATION DEFINED from the program's point of view, and qemu-arm raises
    /// SIGBUS), so the generator only makes aligned ones.
    public static func alignment(_ op: Op) -> Int {
        switch op {
        case .ldrdImm, .ldrdReg, .strdImm, .strdReg, .ldm, .ldmda, .ldmdb, .ldmib, .stm, .stmda, .stmdb, .stmib,
             .swp, .ldrex, .strex:
            return 4
        case .ldrexh, .strexh: return 2
        case .ldrexd, .strexd: return 8
        default: return 1
        }
    }

    /// Why a load or store is not used to make a fault (an access to unmapped memory, which
    /// the harness's SIGSEGV handler records), or nil when it is. (UDF and BKPT are made only as
    /// faults, and BKPT only with condition AL: other conditions are UNPREDICTABLE, ARM ARM A8.8 BKPT.)
    public static func faultExcluded(_ op: Op) -> String? {
        switch op {
        case .ldm, .ldmda, .ldmdb, .ldmib, .ldrdImm, .ldrdReg, .ldrexd:
            return "after a Data Abort on a load of several registers, those already loaded are UNKNOWN (ARM ARM B1.9, Data Abort exception)"
        case .strex, .strexb, .strexh, .strexd:
            return "whether a STREX that fails its monitor check still takes a Data Abort is IMPLEMENTATION DEFINED (ARM ARM A3.4.5)"
        case .pldImm, .pldReg, .pliImm, .pliReg:
            return "preload hints never fault (ARM ARM A8.8 PLD, PLI)"
        default:
            return nil
        }
    }

    /// Why a UDF immediate is not used, or nil. UDF is UNDEFINED (SIGILL) for the ARM ARM, but
    /// Linux gives some immediates a meaning through its undefined-instruction hooks:
    /// - #16 (0xe7f001f0) is the ARM breakpoint: SIGTRAP, TRAP_BRKPT (arch/arm/kernel/ptrace.c).
    ///   Generated: qemu-arm and Isomorph both follow Linux.
    /// - #25 and #26 (0xe7f001f9, 0xe7f001fa) are the uprobes breakpoint and single-step
    ///   instructions (arch/arm/probes/uprobes): with CONFIG_UPROBES the first raises SIGTRAP
    ///   (SI_KERNEL) and the second is swallowed, so the instruction repeats forever; without
    ///   it, SIGILL. Kernel-configuration dependent: not generated.
    public static func udfExcluded(_ imm16: UInt32) -> String? {
        switch imm16 {
        case 25, 26: return "UDF #\(imm16) is a uprobes instruction: its effect depends on the kernel configuration"
        default: return nil
        }
    }

    /// The exclusive monitor (ARM ARM A3.4): what the generator keeps clear of, because the
    /// ARM ARM leaves it IMPLEMENTATION DEFINED or UNPREDICTABLE and real implementations
    /// (qemu-arm compares the remembered value, Isomorph the remembered address) differ:
    /// - a STREX to an address or size other than the marked one (A3.4.5: UNPREDICTABLE
    ///   whether it succeeds, and the granule is IMPLEMENTATION DEFINED);
    /// - any ordinary store while the local monitor may be in Exclusive Access state (A3.4.1:
    ///   IMPLEMENTATION DEFINED whether it clears the monitor);
    /// - exclusives inside loops and subroutines, where the monitor's state on entry is not
    ///   known when generating.
    /// So a STREX is generated only when every path to it leaves the monitor Open (it fails:
    /// both sides write 1) or marking exactly its address and size with no store since (it
    /// succeeds). The harness executes CLREX before every sequence. `Generator` tracks this.
    public enum ExclusiveMonitorRules {}
}
