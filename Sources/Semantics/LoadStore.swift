import ARM

extension Semantics {
    /// Access size, signedness and direction of a single load or store.
    @usableFromInline
    struct Access {
        @usableFromInline var size: Int
        @usableFromInline var signed: Bool
        @usableFromInline var load: Bool
        @usableFromInline init(_ size: Int, signed: Bool = false, load: Bool) {
            self.size = size; self.signed = signed; self.load = load
        }
    }

    @inlinable
    static func access(of op: Op) -> Access {
        switch op {
        case .strImm, .strReg, .strtImm, .strtReg: return Access(4, load: false)
        case .ldrImm, .ldrReg, .ldrtImm, .ldrtReg: return Access(4, load: true)
        case .strbImm, .strbReg, .strbtImm, .strbtReg: return Access(1, load: false)
        case .ldrbImm, .ldrbReg, .ldrbtImm, .ldrbtReg: return Access(1, load: true)
        case .strhImm, .strhReg, .strhtImm, .strhtReg: return Access(2, load: false)
        case .ldrhImm, .ldrhReg, .ldrhtImm, .ldrhtReg: return Access(2, load: true)
        case .ldrsbImm, .ldrsbReg, .ldrsbtImm, .ldrsbtReg: return Access(1, signed: true, load: true)
        default: return Access(2, signed: true, load: true)  // ldrsh forms
        }
    }

    /// The offset of a load or store: an immediate, or a register (shifted for word and byte forms).
    @inlinable
    static func offset<E: Emitter>(_ i: Instruction, _ e: E) -> E.Value {
        switch i.op {
        case .strReg, .ldrReg, .strbReg, .ldrbReg, .strtReg, .ldrtReg, .strbtReg, .ldrbtReg:
            return shiftImmediate(e.readRegister(i.m), type: i.shiftType, amount: i.shiftAmount, needCarry: false, e).0
        case .strhReg, .ldrhReg, .ldrsbReg, .ldrshReg, .strhtReg, .ldrhtReg, .ldrsbtReg, .ldrshtReg,
             .ldrdReg, .strdReg:
            return e.readRegister(i.m)
        default:
            return e.constant(i.imm)
        }
    }

    /// Whether the encoding is one of the unprivileged (T) forms: post-indexed with write-back.
    @inlinable
    static func isUnprivileged(_ op: Op) -> Bool {
        switch op {
        case .strtImm, .ldrtImm, .strbtImm, .ldrbtImm, .strtReg, .ldrtReg, .strbtReg, .ldrbtReg,
             .strhtImm, .strhtReg, .ldrhtImm, .ldrhtReg, .ldrsbtImm, .ldrsbtReg, .ldrshtImm, .ldrshtReg:
            return true
        default:
            return false
        }
    }

    /// Address computation shared by single and dual transfers: (address, write-back value, write back?).
    @inlinable
    static func addressing<E: Emitter>(_ i: Instruction, _ e: E) -> (E.Value, E.Value, Bool) {
        let unprivileged = isUnprivileged(i.op)
        let index = unprivileged ? false : i.index
        let writeBack = unprivileged || !i.index || i.writeBack
        let base = read(i.n, e)
        let off = offset(i, e)
        let offsetAddress = i.add ? e.add(base, off) : e.sub(base, off)
        return (index ? offsetAddress : base, offsetAddress, writeBack)
    }

    @inlinable
    static func loadStore<E: Emitter>(_ i: Instruction, _ e: E) throws(E.Failure) {
        let a = access(of: i.op)
        let (address, newBase, writeBack) = addressing(i, e)
        if writeBack && (i.n == 15 || i.n == i.t) {
            return e.undefined("load/store write-back to PC or to the transfer register is UNPREDICTABLE")
        }
        if a.load {
            if i.t == 15 && a.size != 4 { return e.undefined("byte or halfword load to PC is UNPREDICTABLE") }
            var value = try e.load(address, size: a.size)
            if a.signed { value = e.signExtend(value, fromBits: a.size * 8) }
            if writeBack { e.writeRegister(i.n, newBase) }
            writeResult(i.t, value, e)
        } else {
            try e.store(address, read(i.t, e), size: a.size)
            if writeBack { e.writeRegister(i.n, newBase) }
        }
    }

    @inlinable
    static func loadStoreDual<E: Emitter>(_ i: Instruction, _ e: E) throws(E.Failure) {
        if i.t & 1 != 0 || i.t == 14 {
            return e.undefined("LDRD/STRD needs an even first register below r14")
        }
        let (address, newBase, writeBack) = addressing(i, e)
        if writeBack && (i.n == 15 || i.n == i.t || i.n == i.t + 1) {
            return e.undefined("LDRD/STRD write-back to PC or a transfer register is UNPREDICTABLE")
        }
        let second = e.add(address, e.constant(4))
        if i.op == .ldrdImm || i.op == .ldrdReg {
            let low = try e.load(address, size: 4)
            let high = try e.load(second, size: 4)
            if writeBack { e.writeRegister(i.n, newBase) }
            e.writeRegister(i.t, low)
            e.writeRegister(i.t + 1, high)
        } else {
            try e.store(address, read(i.t, e), size: 4)
            try e.store(second, read(i.t + 1, e), size: 4)
            if writeBack { e.writeRegister(i.n, newBase) }
        }
    }

    @inlinable
    static func loadStoreMultiple<E: Emitter>(_ i: Instruction, _ e: E) throws(E.Failure) {
        let list = i.registerList
        let count = UInt32(list.nonzeroBitCount)
        if i.n == 15 || count == 0 { return e.undefined("LDM/STM with PC base or an empty list is UNPREDICTABLE") }
        let load: Bool
        let start: E.Value, newBase: E.Value
        let base = e.readRegister(i.n)
        let size = e.constant(4 * count)
        switch i.op {
        case .stmda, .ldmda:
            load = i.op == .ldmda
            newBase = e.sub(base, size)
            start = e.add(newBase, e.constant(4))
        case .stm, .ldm:
            load = i.op == .ldm
            start = base
            newBase = e.add(base, size)
        case .stmdb, .ldmdb:
            load = i.op == .ldmdb
            newBase = e.sub(base, size)
            start = newBase
        default:
            load = i.op == .ldmib
            start = e.add(base, e.constant(4))
            newBase = e.add(base, size)
        }
        if load {
            // All loads happen before any register changes, so a fault leaves the state intact.
            // (On the stack: a heap array here cost the interpreter an allocation per LDM.)
            try withUnsafeTemporaryAllocation(of: E.Value.self, capacity: 16) { values throws(E.Failure) in
                var loaded = 0
                try e.loadWords(start, count: Int(count)) {
                    values.initializeElement(at: loaded, to: $0)
                    loaded += 1
                }
                defer { _ = values.prefix(loaded).deinitialize() }
                // With the base in the list the loaded value wins (write-back is UNKNOWN there).
                if i.writeBack && list & (1 << UInt32(i.n)) == 0 { e.writeRegister(i.n, newBase) }
                var remaining = list
                for v in values.prefix(loaded) {
                    writeResult(remaining.trailingZeroBitCount, v, e)
                    remaining &= remaining - 1
                }
            }
        } else {
            // Words go in ascending register order: `remaining` drops each register as it is stored.
            var remaining = list
            try e.storeWords(start, count: Int(count)) { _ in
                defer { remaining &= remaining - 1 }
                return read(remaining.trailingZeroBitCount, e)
            }
            if i.writeBack { e.writeRegister(i.n, newBase) }
        }
    }

    @inlinable
    static func synchronization<E: Emitter>(_ i: Instruction, _ e: E) throws(E.Failure) {
        if i.n == 15 || i.t == 15 { return e.undefined("exclusive access with PC is UNPREDICTABLE") }
        let address = e.readRegister(i.n)
        switch i.op {
        case .swp, .swpb:
            let size = i.op == .swp ? 4 : 1
            let old = try e.load(address, size: size)
            try e.store(address, e.readRegister(i.m), size: size)
            e.writeRegister(i.t, old)
        case .ldrex, .ldrexb, .ldrexh:
            let size = i.op == .ldrex ? 4 : (i.op == .ldrexh ? 2 : 1)
            e.writeRegister(i.t, try e.loadExclusive(address, size: size))
        case .ldrexd:
            if i.t & 1 != 0 || i.t == 14 { return e.undefined("LDREXD needs an even first register below r14") }
            // The monitor marks the doubleword; both words are read before either register changes.
            let low = try e.loadExclusive(address, size: 4)
            let high = try e.load(e.add(address, e.constant(4)), size: 4)
            e.writeRegister(i.t, low)
            e.writeRegister(i.t + 1, high)
        case .strex, .strexb, .strexh:
            if i.d == 15 || i.d == i.n || i.d == i.t { return e.undefined("STREX status register overlaps an operand") }
            let size = i.op == .strex ? 4 : (i.op == .strexh ? 2 : 1)
            e.writeRegister(i.d, try e.storeExclusive(address, e.readRegister(i.t), nil, size: size))
        default:  // strexd
            if i.d == 15 || i.d == i.n || i.d == i.t || i.d == i.t + 1 || i.t & 1 != 0 || i.t == 14 {
                return e.undefined("STREXD with overlapping or odd registers is UNPREDICTABLE")
            }
            e.writeRegister(i.d, try e.storeExclusive(address, e.readRegister(i.t), e.readRegister(i.t + 1), size: 8))
        }
    }
}
