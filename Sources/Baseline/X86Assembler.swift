/// The x86-64 general registers, by encoding number.
enum Register: UInt8 {
    case rax = 0, rcx, rdx, rbx, rsp, rbp, rsi, rdi, r8, r9, r10, r11, r12, r13, r14, r15
}

/// An r/m operand: a register, memory at base + index + displacement, or (RIP-relative) one
/// of the code's data words (placed apart from the code, see `X86Assembler.finish`).
enum Operand {
    case register(Register)
    case memory(base: Register, index: Register?, displacement: Int32)
    case data(Int)

    static func memory(_ base: Register, _ displacement: Int32 = 0) -> Operand {
        .memory(base: base, index: nil, displacement: displacement)
    }
}

/// x86 condition codes (the low nibble of Jcc, SETcc and CMOVcc).
enum ConditionCode: UInt8 {
    case overflow = 0x0, notOverflow = 0x1, below = 0x2, aboveOrEqual = 0x3, equal = 0x4, notEqual = 0x5
    case belowOrEqual = 0x6, above = 0x7, sign = 0x8, notSign = 0x9, less = 0xC, greaterOrEqual = 0xD
    case lessOrEqual = 0xE, greater = 0xF
}

/// The ALU operations of opcodes 01-3B and 81 /digit, by their /digit.
enum ALUOperation: UInt8 {
    case add = 0, or = 1, adc = 2, sbb = 3, and = 4, sub = 5, xor = 6, cmp = 7
}

/// The shifts and rotates of D3 /digit and C1 /digit.
enum ShiftOperation: UInt8 {
    case rol = 0, ror = 1, shl = 4, shr = 5, sar = 7
}

/// A forward or backward jump target in the code being assembled.
struct Label: Hashable { let id: Int }

/// Encodes the x86-64 instructions the baseline tier needs into a byte buffer: 32-bit
/// operations unless the name says otherwise, rel32 jumps to labels, RIP-relative data words
/// (which live apart from the code: see `ExecutableMemory`).
/// The encodings follow the Intel SDM, volume 2 (ModRM, SIB, REX).
struct X86Assembler {
    private(set) var bytes: [UInt8] = []
    private var labelOffsets: [Int?] = []
    /// rel32 fields to fill in once their label is bound: (field offset, label).
    private var jumpFixups: [(at: Int, label: Int)] = []
    /// disp32 fields of data operands: (field offset, data word, end of the instruction).
    private var dataFixups: [(at: Int, word: Int, end: Int)] = []

    init() { bytes.reserveCapacity(2048) }

    var count: Int { bytes.count }

    mutating func makeLabel() -> Label {
        labelOffsets.append(nil)
        return Label(id: labelOffsets.count - 1)
    }

    mutating func bind(_ label: Label) {
        precondition(labelOffsets[label.id] == nil, "label bound twice")
        labelOffsets[label.id] = bytes.count
    }

    // MARK: Encoding

    private mutating func emit32(_ v: UInt32) {
        bytes.append(UInt8(truncatingIfNeeded: v)); bytes.append(UInt8(truncatingIfNeeded: v >> 8))
        bytes.append(UInt8(truncatingIfNeeded: v >> 16)); bytes.append(UInt8(truncatingIfNeeded: v >> 24))
    }

    /// One instruction: [66] [REX] opcode ModRM [SIB] [disp] [imm]. `reg` is the ModRM reg field
    /// (a register number or an opcode extension); `byteRegisters` forces a REX prefix so that
    /// registers 4-7 are spl/bpl/sil/dil, not ah/ch/dh/bh.
    private mutating func encode(_ opcode: [UInt8], reg: UInt8, _ rm: Operand, wide: Bool = false,
                                 operandSize16: Bool = false, byteRegisters: Bool = false, immediate: [UInt8] = []) {
        if operandSize16 { bytes.append(0x66) }
        var rex: UInt8 = (wide ? 8 : 0) | (reg >> 3 & 1) << 2
        switch rm {
        case .register(let r): rex |= r.rawValue >> 3 & 1
        case .memory(let base, let index, _):
            rex |= base.rawValue >> 3 & 1
            if let index { rex |= (index.rawValue >> 3 & 1) << 1 }
        case .data: break
        }
        if rex != 0 || byteRegisters { bytes.append(0x40 | rex) }
        bytes += opcode
        let regField = (reg & 7) << 3
        switch rm {
        case .register(let r):
            bytes.append(0xC0 | regField | r.rawValue & 7)
        case .memory(let base, let index, let displacement):
            let baseLow = base.rawValue & 7
            // mod 00 with base 101 means disp32 without a base: rbp and r13 take a disp8 of 0.
            let mod: UInt8 = displacement == 0 && baseLow != 5 ? 0 : Int8(exactly: displacement) != nil ? 1 : 2
            if let index {
                precondition(index != .rsp, "rsp cannot index")
                bytes.append(mod << 6 | regField | 4)
                bytes.append((index.rawValue & 7) << 3 | baseLow)
            } else if baseLow == 4 {
                bytes.append(mod << 6 | regField | 4)
                bytes.append(0x24)  // no index, base rsp/r12
            } else {
                bytes.append(mod << 6 | regField | baseLow)
            }
            if mod == 1 { bytes.append(UInt8(bitPattern: Int8(displacement))) }
            if mod == 2 { emit32(UInt32(bitPattern: displacement)) }
        case .data(let word):
            bytes.append(regField | 5)
            dataFixups.append((bytes.count, word, bytes.count + 4 + immediate.count))
            emit32(0)
        }
        bytes += immediate
    }

    private static func imm32(_ v: UInt32) -> [UInt8] {
        [UInt8(truncatingIfNeeded: v), UInt8(truncatingIfNeeded: v >> 8), UInt8(truncatingIfNeeded: v >> 16), UInt8(truncatingIfNeeded: v >> 24)]
    }

    // MARK: Moves

    /// mov r32, r/m32
    mutating func mov(_ r: Register, _ rm: Operand) {
        if case .register(let s) = rm, s == r { return }
        encode([0x8B], reg: r.rawValue, rm)
    }
    /// mov r/m32, r32
    mutating func mov(_ rm: Operand, _ r: Register) {
        if case .register(let d) = rm { return mov(d, .register(r)) }
        encode([0x89], reg: r.rawValue, rm)
    }
    /// mov r32, imm32 (xor for 0 would change the flags, which callers may need)
    mutating func mov(_ r: Register, immediate v: UInt32) {
        if r.rawValue >= 8 { bytes.append(0x41) }
        bytes.append(0xB8 + r.rawValue & 7)
        emit32(v)
    }
    /// mov r/m32, imm32
    mutating func mov(_ rm: Operand, immediate v: UInt32) {
        if case .register(let r) = rm { return mov(r, immediate: v) }
        encode([0xC7], reg: 0, rm, immediate: X86Assembler.imm32(v))
    }
    /// mov r64, r/m64
    mutating func mov64(_ r: Register, _ rm: Operand) { encode([0x8B], reg: r.rawValue, rm, wide: true) }
    /// mov r64, imm64
    mutating func mov64(_ r: Register, immediate v: UInt64) {
        bytes.append(0x48 | r.rawValue >> 3 & 1)
        bytes.append(0xB8 + r.rawValue & 7)
        emit32(UInt32(truncatingIfNeeded: v))
        emit32(UInt32(truncatingIfNeeded: v >> 32))
    }
    /// mov r/m8, r8
    mutating func movByte(_ rm: Operand, _ r: Register) { encode([0x88], reg: r.rawValue, rm, byteRegisters: true) }
    /// mov r/m8, imm8
    mutating func movByte(_ rm: Operand, immediate v: UInt8) { encode([0xC6], reg: 0, rm, byteRegisters: true, immediate: [v]) }
    /// mov r/m16, r16
    mutating func movHalf(_ rm: Operand, _ r: Register) { encode([0x89], reg: r.rawValue, rm, operandSize16: true) }
    /// movzx r32, r/m8
    mutating func movzxByte(_ r: Register, _ rm: Operand) { encode([0x0F, 0xB6], reg: r.rawValue, rm, byteRegisters: true) }
    /// movzx r32, r/m16
    mutating func movzxHalf(_ r: Register, _ rm: Operand) { encode([0x0F, 0xB7], reg: r.rawValue, rm) }
    /// movsx r32, r/m8
    mutating func movsxByte(_ r: Register, _ rm: Operand) { encode([0x0F, 0xBE], reg: r.rawValue, rm, byteRegisters: true) }
    /// movsx r32, r/m16
    mutating func movsxHalf(_ r: Register, _ rm: Operand) { encode([0x0F, 0xBF], reg: r.rawValue, rm) }

    // MARK: Arithmetic

    /// op r32, r/m32
    mutating func alu(_ op: ALUOperation, _ r: Register, _ rm: Operand) { encode([op.rawValue << 3 | 3], reg: r.rawValue, rm) }
    /// op r/m32, imm (imm8 sign-extended when it fits)
    mutating func alu(_ op: ALUOperation, _ rm: Operand, immediate v: UInt32) {
        if Int8(exactly: Int32(bitPattern: v)) != nil {
            encode([0x83], reg: op.rawValue, rm, immediate: [UInt8(truncatingIfNeeded: v)])
        } else {
            encode([0x81], reg: op.rawValue, rm, immediate: X86Assembler.imm32(v))
        }
    }
    /// op r/m64, imm8 (sign-extended)
    mutating func alu64(_ op: ALUOperation, _ rm: Operand, immediate v: Int8) {
        encode([0x83], reg: op.rawValue, rm, wide: true, immediate: [UInt8(bitPattern: v)])
    }
    /// cmp r/m8, imm8
    mutating func cmpByte(_ rm: Operand, immediate v: UInt8) { encode([0x80], reg: 7, rm, byteRegisters: true, immediate: [v]) }
    /// shift r/m32 by cl
    mutating func shift(_ op: ShiftOperation, _ rm: Operand) { encode([0xD3], reg: op.rawValue, rm) }
    /// shift r/m32 by imm8
    mutating func shift(_ op: ShiftOperation, _ rm: Operand, by amount: UInt8) {
        encode([0xC1], reg: op.rawValue, rm, immediate: [amount])
    }
    /// not r/m32
    mutating func not(_ rm: Operand) { encode([0xF7], reg: 2, rm) }
    /// mul r/m32 (edx:eax = eax * r/m32, unsigned) or imul (signed)
    mutating func multiplyWide(_ rm: Operand, signed: Bool) { encode([0xF7], reg: signed ? 5 : 4, rm) }
    /// div r/m32 (eax = edx:eax / r/m32, unsigned) or idiv (signed)
    mutating func divide(_ rm: Operand, signed: Bool) { encode([0xF7], reg: signed ? 7 : 6, rm) }
    /// cdq (edx = the sign of eax)
    mutating func signExtendIntoEDX() { bytes.append(0x99) }
    /// imul r32, r/m32
    mutating func imul(_ r: Register, _ rm: Operand) { encode([0x0F, 0xAF], reg: r.rawValue, rm) }
    /// bsr r32, r/m32
    mutating func bsr(_ r: Register, _ rm: Operand) { encode([0x0F, 0xBD], reg: r.rawValue, rm) }
    /// bswap r32
    mutating func bswap(_ r: Register) {
        if r.rawValue >= 8 { bytes.append(0x41) }
        bytes += [0x0F, 0xC8 + r.rawValue & 7]
    }
    /// setcc r/m8
    mutating func set(_ cc: ConditionCode, _ rm: Operand) { encode([0x0F, 0x90 | cc.rawValue], reg: 0, rm, byteRegisters: true) }
    /// cmovcc r32, r/m32
    mutating func cmov(_ cc: ConditionCode, _ r: Register, _ rm: Operand) { encode([0x0F, 0x40 | cc.rawValue], reg: r.rawValue, rm) }
    /// test r/m8, imm8
    mutating func testByte(_ rm: Operand, immediate v: UInt8) { encode([0xF6], reg: 0, rm, byteRegisters: true, immediate: [v]) }
    /// inc r/m64
    mutating func increment64(_ rm: Operand) { encode([0xFF], reg: 0, rm, wide: true) }
    /// dec r/m32
    mutating func decrement(_ rm: Operand) { encode([0xFF], reg: 1, rm) }
    mutating func setCarry() { bytes.append(0xF9) }

    // MARK: Control flow

    /// jcc rel32 to `label`
    mutating func jump(if cc: ConditionCode, to label: Label) {
        bytes += [0x0F, 0x80 | cc.rawValue]
        jumpFixups.append((bytes.count, label.id))
        emit32(0)
    }
    /// jmp rel32 to `label`
    mutating func jump(to label: Label) {
        bytes.append(0xE9)
        jumpFixups.append((bytes.count, label.id))
        emit32(0)
    }
    /// jmp r/m64
    mutating func jump(_ rm: Operand) { encode([0xFF], reg: 4, rm) }
    /// call r/m64
    mutating func call(_ rm: Operand) { encode([0xFF], reg: 2, rm) }
    mutating func push(_ r: Register) {
        if r.rawValue >= 8 { bytes.append(0x41) }
        bytes.append(0x50 + r.rawValue & 7)
    }
    mutating func pop(_ r: Register) {
        if r.rawValue >= 8 { bytes.append(0x41) }
        bytes.append(0x58 + r.rawValue & 7)
    }
    mutating func ret() { bytes.append(0xC3) }

    // MARK: Finishing

    /// The code with every jump and data reference filled in, for data word 0 at
    /// `dataDisplacement` bytes from the code's start (data words are 64 bits each).
    func finish(dataDisplacement: Int) -> [UInt8] {
        var out = bytes
        for (at, label) in jumpFixups {
            guard let target = labelOffsets[label] else { preconditionFailure("jump to an unbound label") }
            write(Int32(target - (at + 4)), at: at, in: &out)
        }
        for (at, word, end) in dataFixups {
            guard let displacement = Int32(exactly: dataDisplacement + 8 * word - end) else {
                preconditionFailure("data out of RIP-relative reach")
            }
            write(displacement, at: at, in: &out)
        }
        return out
    }

    private func write(_ v: Int32, at offset: Int, in out: inout [UInt8]) {
        let u = UInt32(bitPattern: v)
        for k in 0..<4 { out[offset + k] = UInt8(truncatingIfNeeded: u >> (8 * UInt32(k))) }
    }
}
