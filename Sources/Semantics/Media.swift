import ARM

extension Semantics {
    // MARK: Saturation (ARM ARM A2.2.1)

    /// Clamps a signed value to `bits` bits (1…32); also whether it was clamped.
    @inlinable
    static func signedSaturate<E: Emitter>(_ v: E.Value, bits: UInt32, _ e: E) -> (E.Value, E.Flag) {
        if bits >= 32 { return (v, e.constant(false)) }
        let maxV = e.constant((1 << (bits - 1)) - 1)
        let minV = e.constant(~((1 << (bits - 1)) - 1))
        let low = e.signedLess(v, minV), high = e.signedLess(maxV, v)
        return (e.select(low, minV, e.select(high, maxV, v)), e.or(low, high))
    }

    /// Clamps a signed value to the unsigned range of `bits` bits (0…31).
    @inlinable
    static func unsignedSaturate<E: Emitter>(_ v: E.Value, bits: UInt32, _ e: E) -> (E.Value, E.Flag) {
        let maxV = e.constant(bits >= 32 ? 0xFFFF_FFFF : (1 << bits) - 1)
        let low = e.signedLess(v, e.constant(0)), high = e.signedLess(maxV, v)
        return (e.select(low, e.constant(0), e.select(high, maxV, v)), e.or(low, high))
    }

    /// a + b (or a - b) saturated to 32 signed bits, setting Q when it saturates.
    @inlinable
    static func saturatingAdd<E: Emitter>(_ a: E.Value, _ b: E.Value, subtract: Bool, _ e: E) -> E.Value {
        let sum = subtract ? e.addWithCarry(a, e.not(b), e.constant(true)) : e.addWithCarry(a, b, e.constant(false))
        e.writeFlag(.q, e.or(e.readFlag(.q), sum.overflow))
        // On overflow the true result has the opposite sign of the wrapped one.
        let clamped = e.select(e.bit(sum.result, 31), e.constant(0x7FFF_FFFF), e.constant(0x8000_0000))
        return e.select(sum.overflow, clamped, sum.result)
    }

    @inlinable
    static func saturate<E: Emitter>(_ i: Instruction, _ e: E) {
        switch i.op {
        case .qadd, .qsub, .qdadd, .qdsub:
            if i.d == 15 || i.n == 15 || i.m == 15 { return e.undefined("saturating arithmetic with PC is UNPREDICTABLE") }
            var b = e.readRegister(i.n)
            if i.op == .qdadd || i.op == .qdsub { b = saturatingAdd(b, b, subtract: false, e) }
            e.writeRegister(i.d, saturatingAdd(e.readRegister(i.m), b, subtract: i.op == .qsub || i.op == .qdsub, e))
        case .ssat, .usat:
            if i.d == 15 || i.n == 15 { return e.undefined("SSAT/USAT with PC is UNPREDICTABLE") }
            let (operand, _) = shiftImmediate(e.readRegister(i.n), type: i.shiftType << 1, amount: i.shiftAmount,
                                              needCarry: false, e)
            let (r, sat) = i.op == .ssat ? signedSaturate(operand, bits: i.width + 1, e)
                                         : unsignedSaturate(operand, bits: i.width, e)
            e.writeRegister(i.d, r)
            e.writeFlag(.q, e.or(e.readFlag(.q), sat))
        case .ssat16, .usat16:
            if i.d == 15 || i.n == 15 { return e.undefined("SSAT16/USAT16 with PC is UNPREDICTABLE") }
            let rn = e.readRegister(i.n)
            var result = e.constant(0)
            var anySat = e.constant(false)
            for lane in 0..<2 {
                let v = e.signExtend(e.shiftRightLogical(rn, e.constant(UInt32(lane * 16))), fromBits: 16)
                let (r, sat) = i.op == .ssat16 ? signedSaturate(v, bits: i.width + 1, e)
                                               : unsignedSaturate(v, bits: i.width, e)
                result = e.or(result, e.shiftLeft(e.and(r, e.constant(0xFFFF)), e.constant(UInt32(lane * 16))))
                anySat = e.or(anySat, sat)
            }
            e.writeRegister(i.d, result)
            e.writeFlag(.q, e.or(e.readFlag(.q), anySat))
        default:
            preconditionFailure("not a saturating instruction: \(i.op)")
        }
    }

    // MARK: Parallel add and subtract (ARM ARM A4.4.2)

    @inlinable
    static func parallelAddSubtract<E: Emitter>(_ i: Instruction, _ e: E) {
        if i.d == 15 || i.n == 15 || i.m == 15 { return e.undefined("parallel add/subtract with PC is UNPREDICTABLE") }
        let prefix = (i.word >> 20) & 7     // 1 S, 2 Q, 3 SH, 5 U, 6 UQ, 7 UH
        let operation = (i.word >> 5) & 7   // 0 ADD16, 1 ASX, 2 SAX, 3 SUB16, 4 ADD8, 7 SUB8
        let signed = prefix < 4
        let kind = prefix & 3               // 1 modular (sets GE), 2 saturating, 3 halving
        let bytes = operation >= 4
        let laneBits = bytes ? 8 : 16
        let laneCount = bytes ? 4 : 2
        let laneMask = e.constant(bytes ? 0xFF : 0xFFFF)
        let rn = e.readRegister(i.n), rm = e.readRegister(i.m)
        func lane(_ v: E.Value, _ k: Int) -> E.Value {
            let shifted = e.shiftRightLogical(v, e.constant(UInt32(k * laneBits)))
            return signed ? e.signExtend(shifted, fromBits: laneBits) : e.and(shifted, laneMask)
        }
        var result = e.constant(0)
        var ge = e.constant(0)
        for k in 0..<laneCount {
            // ASX: lane 0 subtracts the crossed lane, lane 1 adds it; SAX the other way round.
            let crossed = operation == 1 || operation == 2
            let b = lane(rm, crossed ? 1 - k : k)
            let isAdd: Bool
            switch operation {
            case 0, 4: isAdd = true
            case 1: isAdd = k == 1
            case 2: isAdd = k == 0
            default: isAdd = false
            }
            let a = lane(rn, k)
            let r = isAdd ? e.add(a, b) : e.sub(a, b)
            var out: E.Value
            switch kind {
            case 1:
                out = r
                // GE: signed result >= 0; unsigned add carries out; unsigned subtract does not borrow.
                let geLane: E.Flag = (!signed && isAdd)
                    ? e.not(e.unsignedLess(r, e.constant(1 << UInt32(laneBits))))
                    : e.not(e.signedLess(r, e.constant(0)))
                let geBits = e.constant(bytes ? 1 << UInt32(k) : 3 << UInt32(2 * k))
                ge = e.or(ge, e.select(geLane, geBits, e.constant(0)))
            case 2:
                out = signed ? signedSaturate(r, bits: UInt32(laneBits), e).0
                             : unsignedSaturate(r, bits: UInt32(laneBits), e).0
            default:
                out = e.shiftRightArithmetic(r, e.constant(1))
            }
            result = e.or(result, e.shiftLeft(e.and(out, laneMask), e.constant(UInt32(k * laneBits))))
        }
        e.writeRegister(i.d, result)
        if kind == 1 { e.writeGE(ge) }
    }

    // MARK: Packing, extension, reversal, selection, bit fields

    @inlinable
    static func bitManipulation<E: Emitter>(_ i: Instruction, _ e: E) {
        if i.d == 15 || i.m == 15 && i.op != .sbfx && i.op != .ubfx && i.op != .bfi && i.op != .bfc {
            return e.undefined("\(i.op) with PC is UNPREDICTABLE")
        }
        switch i.op {
        case .pkhbt:
            let shifted = e.shiftLeft(e.readRegister(i.m), e.constant(i.shiftAmount))
            e.writeRegister(i.d, e.or(e.and(read(i.n, e), e.constant(0xFFFF)), e.and(shifted, e.constant(0xFFFF_0000))))
        case .pkhtb:
            let shifted = e.shiftRightArithmetic(e.readRegister(i.m), e.constant(i.shiftAmount == 0 ? 31 : i.shiftAmount))
            e.writeRegister(i.d, e.or(e.and(shifted, e.constant(0xFFFF)), e.and(read(i.n, e), e.constant(0xFFFF_0000))))
        case .sel:
            let ge = e.readGE()
            var mask = e.constant(0)
            for k in 0..<4 {
                mask = e.or(mask, e.mul(e.and(e.shiftRightLogical(ge, e.constant(UInt32(k))), e.constant(1)),
                                        e.constant(0xFF << UInt32(8 * k))))
            }
            e.writeRegister(i.d, e.or(e.and(read(i.n, e), mask), e.and(e.readRegister(i.m), e.not(mask))))
        case .sxtab, .sxtb, .sxtah, .sxth, .uxtab, .uxtb, .uxtah, .uxth:
            let rotated = e.rotateRight(e.readRegister(i.m), e.constant(i.rotation * 8))
            let byte = i.op == .sxtab || i.op == .sxtb || i.op == .uxtab || i.op == .uxtb
            let signed = i.op == .sxtab || i.op == .sxtb || i.op == .sxtah || i.op == .sxth
            let x = signed ? e.signExtend(rotated, fromBits: byte ? 8 : 16)
                           : e.and(rotated, e.constant(byte ? 0xFF : 0xFFFF))
            let accumulate = i.op == .sxtab || i.op == .sxtah || i.op == .uxtab || i.op == .uxtah
            e.writeRegister(i.d, accumulate ? e.add(read(i.n, e), x) : x)
        case .sxtab16, .sxtb16, .uxtab16, .uxtb16:
            let rotated = e.rotateRight(e.readRegister(i.m), e.constant(i.rotation * 8))
            let signed = i.op == .sxtab16 || i.op == .sxtb16
            let accumulate = i.op == .sxtab16 || i.op == .uxtab16
            var result = e.constant(0)
            for k in 0..<2 {
                let byte = e.shiftRightLogical(rotated, e.constant(UInt32(16 * k)))
                var h = signed ? e.signExtend(byte, fromBits: 8) : e.and(byte, e.constant(0xFF))
                if accumulate { h = e.add(h, e.shiftRightLogical(read(i.n, e), e.constant(UInt32(16 * k)))) }
                result = e.or(result, e.shiftLeft(e.and(h, e.constant(0xFFFF)), e.constant(UInt32(16 * k))))
            }
            e.writeRegister(i.d, result)
        case .rev:
            e.writeRegister(i.d, e.byteSwap(e.readRegister(i.m)))
        case .rev16:
            let m = e.readRegister(i.m)
            e.writeRegister(i.d, e.or(e.and(e.shiftRightLogical(m, e.constant(8)), e.constant(0x00FF_00FF)),
                                      e.and(e.shiftLeft(m, e.constant(8)), e.constant(0xFF00_FF00))))
        case .revsh:
            let m = e.readRegister(i.m)
            let swapped = e.or(e.shiftLeft(e.and(m, e.constant(0xFF)), e.constant(8)),
                               e.and(e.shiftRightLogical(m, e.constant(8)), e.constant(0xFF)))
            e.writeRegister(i.d, e.signExtend(swapped, fromBits: 16))
        case .rbit:
            e.writeRegister(i.d, e.reverseBits(e.readRegister(i.m)))
        case .clz:
            e.writeRegister(i.d, e.countLeadingZeros(e.readRegister(i.m)))
        case .sbfx, .ubfx:
            let msb = i.lsb + i.width
            if msb > 31 || i.n == 15 { return e.undefined("bit field beyond bit 31 is UNPREDICTABLE") }
            let up = e.shiftLeft(e.readRegister(i.n), e.constant(31 - msb))
            let amount = e.constant(31 - i.width)
            e.writeRegister(i.d, i.op == .sbfx ? e.shiftRightArithmetic(up, amount) : e.shiftRightLogical(up, amount))
        case .bfi, .bfc:
            let msb = i.width
            if msb < i.lsb { return e.undefined("BFI/BFC with msb < lsb is UNPREDICTABLE") }
            let fieldMask: UInt32 = (msb - i.lsb == 31 ? 0xFFFF_FFFF : (1 << (msb - i.lsb + 1)) - 1) << i.lsb
            let kept = e.and(e.readRegister(i.d), e.constant(~fieldMask))
            if i.op == .bfc {
                e.writeRegister(i.d, kept)
            } else {
                let inserted = e.and(e.shiftLeft(e.readRegister(i.n), e.constant(i.lsb)), e.constant(fieldMask))
                e.writeRegister(i.d, e.or(kept, inserted))
            }
        default:
            preconditionFailure("not a bit manipulation: \(i.op)")
        }
    }
}
