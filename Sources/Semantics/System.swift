import ARM

extension Semantics {
    @inlinable
    static func system<E: Emitter>(_ i: Instruction, _ e: E) {
        switch i.op {
        case .mrs:
            if i.flagX { return e.undefined("MRS of the SPSR is UNPREDICTABLE in user mode") }
            if i.d == 15 { return e.undefined("MRS to PC is UNPREDICTABLE") }
            e.writeRegister(i.d, e.readStatusRegister())
        case .msrReg, .msrImm:
            if i.flagX { return e.undefined("MSR to the SPSR is UNPREDICTABLE in user mode") }
            let value = i.op == .msrImm ? e.constant((i.imm & 0xFF).rotateRight((i.imm >> 8) * 2)) : read(i.n, e)
            if i.mask & 8 != 0 {
                e.writeFlag(.n, e.bit(value, 31))
                e.writeFlag(.z, e.bit(value, 30))
                e.writeFlag(.c, e.bit(value, 29))
                e.writeFlag(.v, e.bit(value, 28))
                e.writeFlag(.q, e.bit(value, 27))
            }
            if i.mask & 4 != 0 {
                e.writeGE(e.and(e.shiftRightLogical(value, e.constant(16)), e.constant(0xF)))
            }
            if i.mask & 3 != 0 { e.writeStatusControl(value, mask: i.mask & 3) }
        case .hint:
            switch i.imm {
            case 1: e.systemHint(.yield)
            case 2: e.systemHint(.waitForEvent)
            case 3: e.systemHint(.waitForInterrupt)
            case 4: e.systemHint(.sendEvent)
            case 0xF0...0xFF: e.systemHint(.debug)
            default: e.systemHint(.nop)
            }
        case .svc:
            e.supervisorCall(i.imm)
        case .bkpt:
            e.breakpoint(i.imm)
        case .udf:
            e.undefined("UDF (permanently undefined)")
        case .smc:
            e.undefined("SMC is not available in user mode")
        case .clrex:
            e.clearExclusive()
        case .dmb:
            e.systemHint(.dataMemoryBarrier)
        case .dsb:
            e.systemHint(.dataSynchronizationBarrier)
        case .isb:
            e.systemHint(.instructionSynchronizationBarrier)
        case .pldImm, .pldReg, .pliImm, .pliReg:
            break  // preload hints: no architectural effect
        case .setend:
            if i.flagE { e.undefined("SETEND BE: big-endian data accesses are not supported") }
        case .cps:
            e.systemHint(.changeProcessorState(i))
        case .rfe, .srs:
            e.undefined("\(i.op == .rfe ? "RFE" : "SRS") is UNPREDICTABLE in user mode")
        default:
            preconditionFailure("not a system instruction: \(i.op)")
        }
    }

    @inlinable
    static func coprocessor<E: Emitter>(_ i: Instruction, _ e: E) throws(E.Failure) {
        switch i.op {
        case .mrc:
            let value = try e.coprocessorRead(i)
            if i.t == 15 {
                // MRC to PC transfers the top four bits to the condition flags.
                e.writeFlag(.n, e.bit(value, 31))
                e.writeFlag(.z, e.bit(value, 30))
                e.writeFlag(.c, e.bit(value, 29))
                e.writeFlag(.v, e.bit(value, 28))
            } else {
                e.writeRegister(i.t, value)
            }
        case .mcr:
            if i.t == 15 { return e.undefined("MCR from PC is UNPREDICTABLE") }
            try e.coprocessorWrite(i, e.readRegister(i.t))
        default:
            e.undefined("coprocessor \(i.coprocessor) instruction \(i.op) is not available")
        }
    }
}
