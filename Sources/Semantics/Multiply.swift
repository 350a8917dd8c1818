import ARM

extension Semantics {
    /// The top (1) or bottom (0) halfword of `v`, sign-extended.
    @inlinable
    static func half<E: Emitter>(_ v: E.Value, top: Bool, _ e: E) -> E.Value {
        top ? e.shiftRightArithmetic(v, e.constant(16)) : e.signExtend(v, fromBits: 16)
    }

    /// Adds with the Q flag set on signed overflow (the accumulate of SMLA<x><y>, SMLAW<y>, SMLAD…).
    @inlinable
    static func addSettingQ<E: Emitter>(_ a: E.Value, _ b: E.Value, _ e: E) -> E.Value {
        let sum = e.addWithCarry(a, b, e.constant(false))
        e.writeFlag(.q, e.or(e.readFlag(.q), sum.overflow))
        return sum.result
    }

    @inlinable
    static func multiply<E: Emitter>(_ i: Instruction, _ e: E) {
        if i.d == 15 || i.n == 15 || i.m == 15 {
            return e.undefined("multiply with PC operand is UNPREDICTABLE")
        }
        let rn = e.readRegister(i.n), rm = e.readRegister(i.m)
        func ra() -> E.Value { read(i.a, e) }
        switch i.op {
        case .mul, .mla, .mls:
            var r = e.mul(rn, rm)
            if i.op == .mla { r = e.add(r, ra()) }
            if i.op == .mls { r = e.sub(ra(), r) }
            e.writeRegister(i.d, r)
            if i.setFlags { setNZ(r, e) }
        case .umull, .umlal, .smull, .smlal, .umaal:
            if i.a == 15 || i.a == i.d { return e.undefined("long multiply with RdLo == RdHi or PC is UNPREDICTABLE") }
            var p = e.multiplyLong(rn, rm, signed: i.op == .smull || i.op == .smlal)
            if i.op == .umlal || i.op == .smlal {
                p = e.add64(p, (e.readRegister(i.a), e.readRegister(i.d)))
            } else if i.op == .umaal {
                p = e.add64(p, (e.readRegister(i.a), e.constant(0)))
                p = e.add64(p, (e.readRegister(i.d), e.constant(0)))
            }
            e.writeRegister(i.a, p.lo)
            e.writeRegister(i.d, p.hi)
            if i.setFlags {
                e.writeFlag(.n, e.bit(p.hi, 31))
                e.writeFlag(.z, e.equal(e.or(p.lo, p.hi), e.constant(0)))
            }
        case .smulxy, .smlaxy:
            let product = e.mul(half(rn, top: i.flagN, e), half(rm, top: i.flagM, e))
            e.writeRegister(i.d, i.op == .smulxy ? product : addSettingQ(product, ra(), e))
        case .smulwy, .smlawy:
            // (Rn * halfword) >> 16, from the 48-bit product.
            let p = e.multiplyLong(rn, half(rm, top: i.flagM, e), signed: true)
            let product = e.or(e.shiftRightLogical(p.lo, e.constant(16)), e.shiftLeft(p.hi, e.constant(16)))
            e.writeRegister(i.d, i.op == .smulwy ? product : addSettingQ(product, ra(), e))
        case .smlalxy:
            if i.a == i.d { return e.undefined("SMLAL<x><y> with RdLo == RdHi is UNPREDICTABLE") }
            let product = e.mul(half(rn, top: i.flagN, e), half(rm, top: i.flagM, e))
            let wide = (lo: product, hi: e.shiftRightArithmetic(product, e.constant(31)))
            let r = e.add64(wide, (e.readRegister(i.a), e.readRegister(i.d)))
            e.writeRegister(i.a, r.lo)
            e.writeRegister(i.d, r.hi)
        case .smlad, .smuad, .smlsd, .smusd:
            let m = i.flagM ? e.rotateRight(rm, e.constant(16)) : rm
            let p1 = e.mul(half(rn, top: false, e), half(m, top: false, e))
            let p2 = e.mul(half(rn, top: true, e), half(m, top: true, e))
            // Computed exactly in 64 bits: Q is set when the full result does not fit 32 bits.
            func wide(_ v: E.Value) -> (lo: E.Value, hi: E.Value) { (v, e.shiftRightArithmetic(v, e.constant(31))) }
            let subtract = i.op == .smlsd || i.op == .smusd
            var r = subtract ? wide(e.sub(p1, p2)) : e.add64(wide(p1), wide(p2))
            if i.op == .smlad || i.op == .smlsd { r = e.add64(r, wide(ra())) }
            let fits = e.equal(r.hi, e.shiftRightArithmetic(r.lo, e.constant(31)))
            e.writeFlag(.q, e.or(e.readFlag(.q), e.not(fits)))
            e.writeRegister(i.d, r.lo)
        case .smlald, .smlsld:
            if i.a == i.d { return e.undefined("SMLALD/SMLSLD with RdLo == RdHi is UNPREDICTABLE") }
            let m = i.flagM ? e.rotateRight(rm, e.constant(16)) : rm
            let p1 = e.mul(half(rn, top: false, e), half(m, top: false, e))
            let p2 = e.mul(half(rn, top: true, e), half(m, top: true, e))
            func wide(_ v: E.Value) -> (lo: E.Value, hi: E.Value) { (v, e.shiftRightArithmetic(v, e.constant(31))) }
            let p2w = i.op == .smlsld ? e.add64((e.not(p2), e.not(e.shiftRightArithmetic(p2, e.constant(31)))),
                                                (e.constant(1), e.constant(0))) : wide(p2)
            var r = e.add64(wide(p1), p2w)
            r = e.add64(r, (e.readRegister(i.a), e.readRegister(i.d)))
            e.writeRegister(i.a, r.lo)
            e.writeRegister(i.d, r.hi)
        case .smmul, .smmla, .smmls:
            // The top word of Ra:0 ± Rn*Rm, optionally rounded.
            let p = e.multiplyLong(rn, rm, signed: true)
            var r: (lo: E.Value, hi: E.Value)
            if i.op == .smmul {
                r = p
            } else if i.op == .smmla {
                r = e.add64(p, (e.constant(0), ra()))
            } else {
                // (Ra << 32) - p
                let negated = e.add64((e.not(p.lo), e.not(p.hi)), (e.constant(1), e.constant(0)))
                r = e.add64(negated, (e.constant(0), ra()))
            }
            if i.rotation != 0 { r = e.add64(r, (e.constant(0x8000_0000), e.constant(0))) }
            e.writeRegister(i.d, r.hi)
        case .sdiv, .udiv:
            e.writeRegister(i.d, e.divide(rn, rm, signed: i.op == .sdiv))
        case .usad8, .usada8:
            var sum = i.op == .usada8 ? ra() : e.constant(0)
            for lane in 0..<4 {
                let shift = e.constant(UInt32(lane * 8))
                let a = e.and(e.shiftRightLogical(rn, shift), e.constant(0xFF))
                let b = e.and(e.shiftRightLogical(rm, shift), e.constant(0xFF))
                let diff = e.select(e.unsignedLess(a, b), e.sub(b, a), e.sub(a, b))
                sum = e.add(sum, diff)
            }
            e.writeRegister(i.d, sum)
        default:
            preconditionFailure("not a multiply: \(i.op)")
        }
    }
}
