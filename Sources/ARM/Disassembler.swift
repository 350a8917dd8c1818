/// Prints decoded A32 instructions in the UAL syntax of GNU objdump (`arm-linux-gnueabi-objdump
/// -d -m armv7`), which is the oracle of the differential test in Tests/ARMTests. Every choice
/// below that looks odd (`stmia` but `ldm`, `stmfd sp!, {r0}`, `#-0`, `{-0}`) is objdump's.
///
/// Conventions:
/// - One space between mnemonic and operands (objdump prints a tab); objdump's `@ comments` and
///   `<symbol>` annotations are not printed.
/// - Immediates are decimal (`#-4`, `#255`), as objdump prints them; a data-processing immediate
///   whose rotation is not the smallest one possible prints as the raw pair `#imm8, rot`.
///   svc and bkpt print hex (`svc 0x00000000`, `bkpt 0x0012`), as objdump does.
/// - Branch targets are absolute hex without `0x` (`bl 8074`), computed from `address`.
/// - Words that decode to nothing print as `.word 0x%08x`; the families decoded only to be named
///   (VFP, NEON; see `Op.unsupportedReason`) print as `<vfp> 0x%08x` and `<neon> 0x%08x`.
public enum Disassembler {
    public static func text(word: UInt32, address: UInt32) -> String {
        guard let inst = Decoder.decode(word) else { return ".word 0x" + hex(word, digits: 8) }
        return text(inst, address: address)
    }

    public static func text(_ i: Instruction, address: UInt32) -> String {
        let (mnemonic, operands) = parts(i, address: address)
        return operands.isEmpty ? mnemonic : mnemonic + " " + operands
    }

    /// Register names as objdump prints them (APCS names for r10–r15).
    public static let registerNames = ["r0", "r1", "r2", "r3", "r4", "r5", "r6", "r7",
                                       "r8", "r9", "sl", "fp", "ip", "sp", "lr", "pc"]

    // MARK: Families

    /// Dispatches on the encoding's family; each family derives its mnemonic from the case name
    /// (`adcRSR` → `adc`, `ldrbtImm` → `ldrbt`) so no encoding is spelled out twice.
    static func parts(_ i: Instruction, address: UInt32) -> (String, String) {
        let (name, form) = nameAndForm(i.op)
        switch i.op {
        case .andImm, .andReg, .andRSR, .eorImm, .eorReg, .eorRSR, .subImm, .subReg, .subRSR,
             .rsbImm, .rsbReg, .rsbRSR, .addImm, .addReg, .addRSR, .adcImm, .adcReg, .adcRSR,
             .sbcImm, .sbcReg, .sbcRSR, .rscImm, .rscReg, .rscRSR, .tstImm, .tstReg, .tstRSR,
             .teqImm, .teqReg, .teqRSR, .cmpImm, .cmpReg, .cmpRSR, .cmnImm, .cmnReg, .cmnRSR,
             .orrImm, .orrReg, .orrRSR, .movImm, .movReg, .movRSR, .bicImm, .bicReg, .bicRSR,
             .mvnImm, .mvnReg, .mvnRSR:
            return dataProcessing(i, name, form)
        case .movw, .movt:
            return (name + cond(i), "\(r(i.d)), #\(i.imm)")
        case .mul, .mla, .umaal, .mls, .umull, .umlal, .smull, .smlal, .smlaxy, .smlawy, .smulwy,
             .smlalxy, .smulxy, .smlad, .smuad, .smlsd, .smusd, .smlald, .smlsld, .smmla, .smmul,
             .smmls, .sdiv, .udiv, .usad8, .usada8:
            return multiply(i, name)
        case .qadd, .qsub, .qdadd, .qdsub:
            return (name + cond(i), regs(i.d, i.m, i.n))
        case .ssat, .usat, .ssat16, .usat16:
            return saturate(i, name)
        case .sadd16, .sasx, .ssax, .ssub16, .sadd8, .ssub8, .qadd16, .qasx, .qsax, .qsub16,
             .qadd8, .qsub8, .shadd16, .shasx, .shsax, .shsub16, .shadd8, .shsub8, .uadd16, .uasx,
             .usax, .usub16, .uadd8, .usub8, .uqadd16, .uqasx, .uqsax, .uqsub16, .uqadd8, .uqsub8,
             .uhadd16, .uhasx, .uhsax, .uhsub16, .uhadd8, .uhsub8, .sel:
            return (name + cond(i), regs(i.d, i.n, i.m))
        case .pkhbt, .pkhtb, .sxtab16, .sxtb16, .sxtab, .sxtb, .sxtah, .sxth, .uxtab16, .uxtb16,
             .uxtab, .uxtb, .uxtah, .uxth, .rev, .rev16, .rbit, .revsh, .clz,
             .sbfx, .ubfx, .bfi, .bfc:
            return packingAndBitField(i, name)
        case .strImm, .ldrImm, .strbImm, .ldrbImm, .strReg, .ldrReg, .strbReg, .ldrbReg,
             .strtImm, .ldrtImm, .strbtImm, .ldrbtImm, .strtReg, .ldrtReg, .strbtReg, .ldrbtReg,
             .strhImm, .strhReg, .ldrhImm, .ldrhReg, .ldrdImm, .ldrdReg, .ldrsbImm, .ldrsbReg,
             .strdImm, .strdReg, .ldrshImm, .ldrshReg, .strhtImm, .strhtReg, .ldrhtImm,
             .ldrhtReg, .ldrsbtImm, .ldrsbtReg, .ldrshtImm, .ldrshtReg:
            return loadStore(i, name, form)
        case .stmda, .ldmda, .stm, .ldm, .stmdb, .ldmdb, .stmib, .ldmib,
             .stmUser, .ldmUser, .ldmException:
            return blockTransfer(i)
        case .swp, .swpb:
            return (name + cond(i), "\(regs(i.t, i.m)), [\(r(i.n))]")
        case .strex, .strexd, .strexb, .strexh:
            // objdump names only the first register of the pair for the doubleword forms.
            return (name + cond(i), "\(regs(i.d, i.t)), [\(r(i.n))]")
        case .ldrex:
            // objdump prints this one register as a plain number (`ldrex r12, [ip]`).
            return (name + cond(i), "r\(i.t), [\(r(i.n))]")
        case .ldrexd, .ldrexb, .ldrexh:
            return (name + cond(i), "\(r(i.t)), [\(r(i.n))]")
        case .b, .bl, .blxImm:
            return (name + cond(i), hex(branchTarget(i, address: address)))
        case .bx, .bxj, .blxReg:
            return (name + cond(i), r(i.m))
        case .mrs, .msrReg, .msrImm, .hint, .svc, .bkpt, .udf, .smc, .clrex, .dsb, .dmb, .isb,
             .setend, .cps, .rfe, .srs:
            return system(i, name)
        case .pldImm, .pldReg, .pliImm, .pliReg:
            let mnemonic = i.op == .pldImm || i.op == .pldReg ? (i.flagX ? "pld" : "pldw") : "pli"
            var offset = i
            offset.index = true   // always an offset address; the encoding has no P bit
            return (mnemonic, i.op == .pldImm || i.op == .pliImm
                    ? immediateAddress(offset, offset: i.imm) : registerAddress(offset))
        case .mcr, .mrc, .mcrr, .mrrc, .cdp, .stc, .ldc,
             .mcr2, .mrc2, .mcrr2, .mrrc2, .cdp2, .stc2, .ldc2:
            return coprocessor(i, name)
        case .vfpDataProcessing, .vfpTransfer, .vfpTransfer64, .vfpLoadStore:
            return ("<vfp>", "0x" + hex(i.word, digits: 8))
        case .neonDataProcessing, .neonLoadStore:
            return ("<neon>", "0x" + hex(i.word, digits: 8))
        }
    }

    /// The operand form an encoding's name ends with.
    enum Form: String { case imm = "Imm", reg = "Reg", rsr = "RSR", none = "" }

    /// The case name split into mnemonic and form: `addRSR` → (`add`, .rsr), `strhtImm` →
    /// (`strht`, .imm), `mul` → (`mul`, .none).
    static func nameAndForm(_ op: Op) -> (String, Form) {
        let name = String(describing: op)
        for form in [Form.imm, .reg, .rsr] where name.hasSuffix(form.rawValue) {
            return (String(name.dropLast(form.rawValue.count)), form)
        }
        return (name, .none)
    }

    static func dataProcessing(_ i: Instruction, _ name: String, _ form: Form) -> (String, String) {
        let s = i.setFlags ? "s" : ""
        let isImm = form == .imm, isRSR = form == .rsr
        let op2 = isImm ? modifiedImmediate(i.imm)
            : isRSR ? "\(r(i.m)), \(shiftNames[Int(i.shiftType)]) \(r(i.s))"
            : r(i.m) + immediateShift(i.shiftType, i.shiftAmount)
        switch name {
        case "tst", "teq", "cmp", "cmn":  // the S bit is implied, never printed
            return (name + cond(i), "\(r(i.n)), \(op2)")
        case "mov" where !isImm:
            // A shifted register move prints as the shift itself (UAL's lsl/lsr/asr/ror/rrx).
            if i.word == 0xE1A0_0000 { return ("nop", "") }
            if isRSR {
                return (shiftNames[Int(i.shiftType)] + s + cond(i), regs(i.d, i.m, i.s))
            }
            if i.shiftType == 0 && i.shiftAmount == 0 { return ("mov" + s + cond(i), regs(i.d, i.m)) }
            if i.shiftType == 3 && i.shiftAmount == 0 { return ("rrx" + s + cond(i), regs(i.d, i.m)) }
            let amount = i.shiftAmount == 0 ? 32 : i.shiftAmount
            return (shiftNames[Int(i.shiftType)] + s + cond(i), "\(regs(i.d, i.m)), #\(amount)")
        case "mov", "mvn":
            return (name + s + cond(i), "\(r(i.d)), \(op2)")
        default:
            return (name + s + cond(i), "\(regs(i.d, i.n)), \(op2)")
        }
    }

    static func multiply(_ i: Instruction, _ name: String) -> (String, String) {
        let s = i.setFlags ? "s" : ""
        let half = { (top: Bool) in top ? "t" : "b" }
        switch i.op {
        case .mul:
            return ("mul" + s + cond(i), regs(i.d, i.n, i.m))
        case .mla, .mls, .usada8:
            return (name + s + cond(i), regs(i.d, i.n, i.m, i.a))
        case .umull, .umlal, .smull, .smlal:  // RdLo, RdHi, Rn, Rm
            return (name + s + cond(i), regs(i.a, i.d, i.n, i.m))
        case .umaal:
            return ("umaal" + cond(i), regs(i.a, i.d, i.n, i.m))
        case .smlaxy:
            return ("smla" + half(i.flagN) + half(i.flagM) + cond(i), regs(i.d, i.n, i.m, i.a))
        case .smulxy:
            return ("smul" + half(i.flagN) + half(i.flagM) + cond(i), regs(i.d, i.n, i.m))
        case .smlalxy:
            return ("smlal" + half(i.flagN) + half(i.flagM) + cond(i), regs(i.a, i.d, i.n, i.m))
        case .smlawy:
            return ("smlaw" + half(i.flagM) + cond(i), regs(i.d, i.n, i.m, i.a))
        case .smulwy:
            return ("smulw" + half(i.flagM) + cond(i), regs(i.d, i.n, i.m))
        case .smlad, .smlsd:   // M is the "exchange" bit here
            return (name + (i.flagM ? "x" : "") + cond(i), regs(i.d, i.n, i.m, i.a))
        case .smuad, .smusd:
            return (name + (i.flagM ? "x" : "") + cond(i), regs(i.d, i.n, i.m))
        case .smlald, .smlsld:
            return (name + (i.flagM ? "x" : "") + cond(i), regs(i.a, i.d, i.n, i.m))
        case .smmla, .smmls:   // R is the rounding bit
            return (name + (i.rotation != 0 ? "r" : "") + cond(i), regs(i.d, i.n, i.m, i.a))
        case .smmul:
            return (name + (i.rotation != 0 ? "r" : "") + cond(i), regs(i.d, i.n, i.m))
        default:               // sdiv, udiv, usad8
            return (name + cond(i), regs(i.d, i.n, i.m))
        }
    }

    static func saturate(_ i: Instruction, _ name: String) -> (String, String) {
        // ssat encodes saturate-to minus one; usat encodes it directly.
        let to = i.op == .ssat || i.op == .ssat16 ? i.width + 1 : i.width
        var operands = "\(r(i.d)), #\(to), \(r(i.n))"
        if i.op == .ssat || i.op == .usat {
            // objdump prints `asr #0` literally (not #32) and omits `lsl #0`.
            if i.shiftType == 1 { operands += ", asr #\(i.shiftAmount)" }
            else if i.shiftAmount != 0 { operands += ", lsl #\(i.shiftAmount)" }
        }
        return (name + cond(i), operands)
    }

    static func packingAndBitField(_ i: Instruction, _ name: String) -> (String, String) {
        let mnemonic = name + cond(i)
        let rotation = i.rotation == 0 ? "" : ", ror #\(i.rotation * 8)"
        switch i.op {
        case .pkhbt:
            return (mnemonic, regs(i.d, i.n, i.m) + (i.shiftAmount == 0 ? "" : ", lsl #\(i.shiftAmount)"))
        case .pkhtb:
            return (mnemonic, regs(i.d, i.n, i.m) + ", asr #\(i.shiftAmount == 0 ? 32 : i.shiftAmount)")
        case .sxtab16, .sxtab, .sxtah, .uxtab16, .uxtab, .uxtah:
            return (mnemonic, regs(i.d, i.n, i.m) + rotation)
        case .sxtb16, .sxtb, .sxth, .uxtb16, .uxtb, .uxth:
            return (mnemonic, regs(i.d, i.m) + rotation)
        case .sbfx, .ubfx:
            return (mnemonic, "\(regs(i.d, i.n)), #\(i.lsb), #\(i.width + 1)")
        case .bfi, .bfc:
            // width holds msb here; objdump flags msb < lsb instead of printing a width.
            let field = i.width >= i.lsb ? "#\(i.lsb), #\(i.width - i.lsb + 1)"
                : "(invalid: \(i.lsb):\(i.width))"
            return (mnemonic, (i.op == .bfi ? regs(i.d, i.n) : r(i.d)) + ", " + field)
        default:               // rev, rev16, rbit, revsh, clz
            return (mnemonic, regs(i.d, i.m))
        }
    }

    static func loadStore(_ i: Instruction, _ name: String, _ form: Form) -> (String, String) {
        // push/pop of one register are str/ldr with sp pre-decrement / post-increment by 4.
        if i.n == 13 && i.imm == 4 {
            if i.op == .strImm && i.index && !i.add && i.writeBack { return ("push" + cond(i), "{\(r(i.t))}") }
            if i.op == .ldrImm && !i.index && i.add && !i.writeBack { return ("pop" + cond(i), "{\(r(i.t))}") }
        }
        let unprivileged = name.hasSuffix("t")   // T forms are post-indexed; W only marks them
        var inst = i
        if unprivileged { inst.index = false; inst.writeBack = false }
        let isImm = form == .imm
        let extraLoadStore = (i.word >> 26) & 3 == 0   // halfword, dual, signed byte
        if isImm && i.n == 15 && i.index && !unprivileged && extraLoadStore {
            // objdump prints a pc-relative halfword/dual/signed-byte address as a literal,
            // without the write-back mark.
            inst.writeBack = false
        }
        let address = isImm ? immediateAddress(inst, offset: i.imm) : registerAddress(inst)
        return (name + cond(i), "\(r(i.t)), \(address)")
    }

    static func blockTransfer(_ i: Instruction) -> (String, String) {
        let isLoad = (i.word >> 20) & 1 == 1
        // Not `registerList`: in ldmUser/ldmException bit 15 (pc) is a fixed bit of the pattern.
        let bits = i.word & 0xFFFF
        let list = registerList(bits)
        let count = bits.nonzeroBitCount
        if i.n == 13 && i.writeBack {
            // objdump: push/pop for several registers; stmfd/ldmfd for exactly one.
            if i.op == .stmdb { return count == 1 ? ("stmfd" + cond(i), "sp!, " + list) : ("push" + cond(i), list) }
            if i.op == .ldm { return count == 1 ? ("ldmfd" + cond(i), "sp!, " + list) : ("pop" + cond(i), list) }
        }
        let mode = addressingMode(i)
        let userOrException = i.op == .stmUser || i.op == .ldmUser || i.op == .ldmException
        // objdump spells increment-after `ldm` always, but `stm` only without `!` or `^`.
        let plain = mode == "ia" && (isLoad || !(i.writeBack || userOrException))
        let mnemonic = (isLoad ? "ldm" : "stm") + (plain ? "" : mode) + cond(i)
        return (mnemonic, r(i.n) + (i.writeBack ? "!" : "") + ", " + list + (userOrException ? "^" : ""))
    }

    static func system(_ i: Instruction, _ name: String) -> (String, String) {
        let psr = i.flagX ? "SPSR" : "CPSR"
        switch i.op {
        case .mrs:
            return ("mrs" + cond(i), "\(r(i.d)), \(psr)")
        case .msrReg, .msrImm:
            let fields = zip([8, 4, 2, 1], ["f", "s", "x", "c"])
                .filter { i.mask & UInt32($0.0) != 0 }.map { $0.1 }.joined()
            let source = i.op == .msrReg ? r(i.n) : modifiedImmediate(i.imm)
            return ("msr" + cond(i), "\(psr)_\(fields), \(source)")
        case .hint:
            if let hint = hintNames[Int(i.imm)] { return (hint + cond(i), "") }
            return i.imm >= 0xF0 ? ("dbg" + cond(i), "#\(i.imm & 0xF)") : ("nop" + cond(i), "{\(i.imm)}")
        case .svc:
            return ("svc" + cond(i), "0x" + hex(i.imm, digits: 8))
        case .bkpt:
            return ("bkpt" + cond(i), "0x" + hex(i.imm, digits: 4))
        case .udf:
            return ("udf", "#\(i.imm)")
        case .smc:
            return ("smc" + cond(i), "\(i.imm)")
        case .clrex:
            return ("clrex", "")
        case .dsb where i.imm == 0 || i.imm == 4:  // the ARMv8 speculation barriers' encodings
            return (i.imm == 0 ? "ssbb" : "pssbb", "")
        case .dsb, .dmb:
            return (name, barrierOptions[Int(i.imm)] ?? "#\(i.imm)")
        case .isb:
            return ("isb", i.imm == 15 ? "sy" : "#\(i.imm)")
        case .setend:
            return ("setend", i.flagE ? "be" : "le")
        case .cps:
            // imod 10 enables, 11 disables; anything else changes only the mode (objdump's
            // `cps #mode`). cpsie/cpsid without M need a zero mode field to be recognised.
            let flags = zip([4, 2, 1], ["a", "i", "f"])
                .filter { i.registerList & UInt32($0.0) != 0 }.map { $0.1 }.joined()
            if i.imm >= 2 && (i.flagM || i.width == 0) {
                return (i.imm == 2 ? "cpsie" : "cpsid", flags + (i.flagM ? ",#\(i.width)" : ""))
            }
            return ("cps", "#\(i.width)")
        case .rfe:
            return ("rfe" + addressingMode(i), r(i.n) + (i.writeBack ? "!" : ""))
        default:  // srs
            return ("srs" + addressingMode(i), "sp" + (i.writeBack ? "!" : "") + ", #\(i.width)")
        }
    }

    static func coprocessor(_ i: Instruction, _ name: String) -> (String, String) {
        let mnemonic = name + cond(i)
        switch i.op {
        case .mcr, .mrc, .mcr2, .mrc2:
            // Rt = pc in mrc transfers the flags: objdump names it APSR_nzcv.
            let rt = i.t == 15 && i.op == .mrc ? "APSR_nzcv" : r(i.t)
            return (mnemonic, "\(i.coprocessor), \(i.opc1), \(rt), cr\(i.n), cr\(i.m), {\(i.opc2)}")
        case .mcrr, .mrrc, .mcrr2, .mrrc2:
            return (mnemonic, "\(i.coprocessor), \(i.opc1), \(regs(i.t, i.a)), cr\(i.m)")
        case .cdp, .cdp2:
            return (mnemonic, "\(i.coprocessor), \(i.opc1), cr\(i.d), cr\(i.n), cr\(i.m), {\(i.opc2)}")
        default:  // ldc, stc and their unconditional forms; D selects the long form
            let mnemonic = name + (i.flagD ? "l" : "") + cond(i)
            return (mnemonic, "\(i.coprocessor), cr\(i.d), \(coprocessorAddress(i))")
        }
    }

    // MARK: Operands

    static let shiftNames = ["lsl", "lsr", "asr", "ror"]

    static let hintNames = [1: "yield", 2: "wfe", 3: "wfi", 4: "sev", 0x14: "csdb"]

    /// Block transfers, rfe and srs: bits 24:23 (P U) as decrement/increment after/before.
    static func addressingMode(_ i: Instruction) -> String {
        ["da", "ia", "db", "ib"][Int((i.word >> 23) & 3)]
    }

    /// dsb/dmb option names (objdump prints the ARMv8 load-only ones too).
    static let barrierOptions = [1: "oshld", 2: "oshst", 3: "osh", 5: "nshld", 6: "unst", 7: "un",
                                 9: "ishld", 10: "ishst", 11: "ish", 13: "ld", 14: "st", 15: "sy"]

    static func r(_ n: Int) -> String { registerNames[n] }

    static func regs(_ list: Int...) -> String { list.map(r).joined(separator: ", ") }

    static func cond(_ i: Instruction) -> String { i.cond.name }

    static func registerList(_ bits: UInt32) -> String {
        "{" + (0..<16).filter { bits & (1 << $0) != 0 }.map(r).joined(separator: ", ") + "}"
    }

    /// `, lsl #n` for an imm5 shift; amount 0 means none for lsl, 32 for lsr/asr, rrx for ror.
    static func immediateShift(_ type: UInt32, _ amount: UInt32) -> String {
        switch (type, amount) {
        case (0, 0): return ""
        case (3, 0): return ", rrx"
        case (_, 0): return ", \(shiftNames[Int(type)]) #32"
        default: return ", \(shiftNames[Int(type)]) #\(amount)"
        }
    }

    /// An A32 modified immediate (imm8 rotated right by twice imm4), printed as a signed decimal.
    /// Several encodings can give one value; when this one is not the one with the smallest
    /// rotation, objdump prints the raw `#imm8, rotation` so the text reassembles to the same word.
    static func modifiedImmediate(_ imm12: UInt32) -> String {
        let rotation = (imm12 >> 8) * 2, imm8 = imm12 & 0xFF
        let value = rotateRight(imm8, rotation)
        let smallest = stride(from: UInt32(0), to: 32, by: 2).first { rotateRight(value, 32 - $0) <= 0xFF }
        return smallest == rotation ? "#\(Int32(bitPattern: value))" : "#\(imm8), \(rotation)"
    }

    /// `[rn, #±off]{!}` / `[rn], #±off`; a zero offset that adds, without write-back, is `[rn]`
    /// while a subtracted zero keeps its sign (`[rn, #-0]`), as objdump prints them.
    static func immediateAddress(_ i: Instruction, offset: UInt32) -> String {
        let sign = i.add ? "" : "-"
        if !i.index { return "[\(r(i.n))], #\(sign)\(offset)" }
        if offset == 0 && i.add && !i.writeBack { return "[\(r(i.n))]" }
        return "[\(r(i.n)), #\(sign)\(offset)]" + (i.writeBack ? "!" : "")
    }

    /// ldc/stc addresses, whose zero offsets objdump elides differently from ldr/str: a zero
    /// offset drops `!`, and the unindexed form prints its 8-bit coprocessor option raw.
    static func coprocessorAddress(_ i: Instruction) -> String {
        let base = "[\(r(i.n))", offset = i.imm * 4, sign = i.add ? "" : "-"
        switch (i.index, i.writeBack) {
        case (true, _):
            if offset != 0 { return base + ", #\(sign)\(offset)]" + (i.writeBack ? "!" : "") }
            return base + (i.add ? "]" : ", #-0]")
        case (false, true):
            if offset != 0 { return base + "], #\(sign)\(offset)" }
            return base + (i.add ? "]" : "], #-0")
        case (false, false):
            return base + "], {\(i.add || i.imm != 0 ? "" : "-")\(i.imm)}"
        }
    }

    /// `[rn, ±rm, shift]{!}` / `[rn], ±rm, shift`.
    static func registerAddress(_ i: Instruction) -> String {
        let offset = (i.add ? "" : "-") + r(i.m) + immediateShift(i.shiftType, i.shiftAmount)
        if !i.index { return "[\(r(i.n))], \(offset)" }
        return "[\(r(i.n)), \(offset)]" + (i.writeBack ? "!" : "")
    }

    /// b/bl: pc (address + 8) plus the sign-extended word offset; blx adds the H halfword.
    static func branchTarget(_ i: Instruction, address: UInt32) -> UInt32 {
        let offset = UInt32(bitPattern: Int32(bitPattern: i.imm << 8) >> 6)
        return address &+ 8 &+ offset &+ (i.flagH ? 2 : 0)
    }

    static func rotateRight(_ v: UInt32, _ n: UInt32) -> UInt32 {
        let n = n & 31
        return n == 0 ? v : (v >> n) | (v << (32 - n))
    }

    static func hex(_ v: UInt32, digits: Int = 1) -> String {
        let s = String(v, radix: 16)
        return String(repeating: "0", count: max(0, digits - s.count)) + s
    }
}
