import ARM

/// A static ARM ELF executable as segments: what the harness builds and runners load.
public struct GuestImage: Sendable {
    public struct Segment: Sendable {
        public var address: UInt32
        public var bytes: [UInt8]
        /// At least `bytes.count`; the rest is zero (bss).
        public var memorySize: UInt32
        public var readable = true, writable = false, executable = false
    }
    public var segments: [Segment]
    public var entry: UInt32

    /// The ELF file: ELF32, little-endian, ET_EXEC, EM_ARM, EABI version 5, one PT_LOAD per
    /// segment; no sections, no libc.
    public func elf() -> [UInt8] {
        var out: [UInt8] = []
        func u16(_ v: UInt16) { out += [UInt8(v & 0xFF), UInt8(v >> 8)] }
        func u32(_ v: UInt32) { for k in 0..<4 { out.append(UInt8((v >> (8 * UInt32(k))) & 0xFF)) } }
        let page: UInt32 = 0x1000
        let headerSize = 52 + 32 * UInt32(segments.count)
        precondition(headerSize <= page)
        // File offsets: each segment's bytes start on a page boundary after the headers.
        var offsets: [UInt32] = []
        var next = page
        for s in segments {
            precondition(s.address % page == 0, "segment addresses are page-aligned")
            offsets.append(s.bytes.isEmpty ? 0 : next)
            next += (UInt32(s.bytes.count) + page - 1) / page * page
        }
        out += [0x7F, 0x45, 0x4C, 0x46, 1, 1, 1, 0] + [UInt8](repeating: 0, count: 8)
        u16(2); u16(40); u32(1); u32(entry)
        u32(52); u32(0)              // e_phoff, e_shoff
        u32(0x0500_0200)             // EABI5, soft-float
        u16(52); u16(32); u16(UInt16(segments.count)); u16(40); u16(0); u16(0)
        for (s, off) in zip(segments, offsets) {
            u32(1); u32(off); u32(s.address); u32(s.address)
            u32(UInt32(s.bytes.count)); u32(max(s.memorySize, UInt32(s.bytes.count)))
            u32((s.readable ? 4 : 0) | (s.writable ? 2 : 0) | (s.executable ? 1 : 0))
            u32(page)
        }
        for (s, off) in zip(segments, offsets) where !s.bytes.isEmpty {
            out += [UInt8](repeating: 0, count: Int(off) - out.count)
            out += s.bytes
        }
        return out
    }
}

/// One sequence's final state as the harness writes it: at its end, or at the fault that
/// ended it (then the registers are those of the signal's ucontext).
public struct FinalState: Equatable, Sendable {
    /// r0–r14.
    public var registers: [UInt32]
    /// The APSR as MRS reads it at the end (the CPSR of the ucontext after a fault).
    public var apsr: UInt32
    /// Checksum of the scratch buffer.
    public var checksum: UInt32
    /// The signal that ended the sequence (0: it ran to its end), its si_code, si_addr, and
    /// the pc of the ucontext.
    public var signal: UInt32 = 0, code: UInt32 = 0, faultAddress: UInt32 = 0, faultPC: UInt32 = 0

    public init(registers: [UInt32], apsr: UInt32, checksum: UInt32,
                signal: UInt32 = 0, code: UInt32 = 0, faultAddress: UInt32 = 0, faultPC: UInt32 = 0) {
        self.registers = registers; self.apsr = apsr; self.checksum = checksum
        self.signal = signal; self.code = code; self.faultAddress = faultAddress; self.faultPC = faultPC
    }

    /// The flags compared: N Z C V Q and GE.
    public static let flagMask: UInt32 = 0xF80F_0000

    /// Names of the parts that differ (`r3`, `flags`, `memory`, `signal`, …).
    public func differences(from other: FinalState) -> [String] {
        var d: [String] = []
        for r in 0..<15 where registers[r] != other.registers[r] { d.append("r\(r)") }
        if apsr & FinalState.flagMask != other.apsr & FinalState.flagMask { d.append("flags") }
        if checksum != other.checksum { d.append("memory") }
        if signal != other.signal { d.append("signal") }
        if code != other.code { d.append("si_code") }
        if faultAddress != other.faultAddress { d.append("si_addr") }
        if faultPC != other.faultPC { d.append("fault pc") }
        return d
    }
}

/// Wraps sequences in a static ELF with no libc. At the start the harness sets TPIDRURO
/// (set_tls), an alternate signal stack, and one handler for SIGILL, SIGTRAP, SIGBUS and SIGSEGV
/// (SA_SIGINFO | SA_ONSTACK | SA_NODEFER). For each sequence it fills the scratch buffer from
/// the sequence's seed, clears the exclusive monitor, starts the output record (index, no
/// signal, where to resume), sets TPIDRURW, the flags (MSR APSR_nzcvqg) and r0–r14 (LDM) from
/// a record, and runs the sequence. At its end it stores r0–r14 (r0 through TPIDRURW, the only
/// register free then) and the APSR; if instead the sequence faults, the handler copies r0–r14,
/// the CPSR and pc from the signal's ucontext, with the signal number, si_code and si_addr.
/// Either way the buffer is checksummed and a 92-byte record written to stdout (write syscall);
/// the handler then resumes at the next sequence without returning. After the last sequence
/// it exits (exit_group). A crash the handler cannot catch ends the output there.
///
/// Memory: code at 0x11000 between two 8 KiB pads of fixed pseudo-random words (so PC-relative
/// loads within ±4 KiB of any sequence read mapped, deterministic bytes); the scratch buffer,
/// the output record and the alternate signal stack at `Scratch.address` (bss); constants and
/// the initial-state records at 0x03000000. Nothing is mapped below 0x10000: fault sequences
/// aim there.
public enum Harness {
    /// Bumped whenever the layout changes, which invalidates recorded expectations (PC values).
    public static let layoutVersion = 2
    public static let codeSegment: UInt32 = 0x0001_0000
    public static let codeStart: UInt32 = 0x0001_1000
    public static let padWords = 2048
    public static let constantsAddress: UInt32 = 0x0300_0000
    public static let recordsAddress: UInt32 = constantsAddress + 0x40
    public static let outputAddress: UInt32 = Scratch.address + 0x3000
    public static let resumeSlot: UInt32 = outputAddress + 0x80
    public static let altStack: UInt32 = Scratch.address + 0x4000
    public static let altStackSize: UInt32 = 0x4000
    public static let dataSize: UInt32 = 0x8000
    public static let recordWords = 23
    public static let magic: UInt32 = 0x4D4F_5349   // "ISOM"
    public static let prologueWords = 24
    public static let epilogueWords = 10
    /// The signals the handler catches.
    public static let caughtSignals: [UInt32] = [4, 5, 7, 11]
    /// Byte offsets in the output record.
    enum Out {
        static let index = 0, registers = 4, apsr = 64, checksum = 68
        static let signal = 72, code = 76, address = 80, pc = 84, magic = 88
    }

    /// Where each sequence's body starts, and the image.
    public struct Built: Sendable {
        public var image: GuestImage
        public var bodyAddresses: [UInt32]
    }

    /// Builds the harness around `sequences`; sequence k reports index k. `tls` is set as
    /// TPIDRURO (set_tls) at the start.
    public static func build(_ sequences: [AssembledSequence], tls: UInt32) -> Built {
        var code = CodeWriter(base: codeStart)
        var pad = SplitMix64(seed: 0x5041_4444_494E_4721)
        for _ in 0..<padWords { code.emit(pad.word()) }
        func str(_ t: Int, _ n: Int, _ offset: Int) {
            code.emit(Op.strImm.encode(["P": 1, "U": offset >= 0 ? 1 : 0, "n": UInt32(n), "t": UInt32(t), "i": UInt32(abs(offset))]))
        }
        func ldr(_ t: Int, _ n: Int, _ offset: Int) {
            code.emit(Op.ldrImm.encode(["P": 1, "U": offset >= 0 ? 1 : 0, "n": UInt32(n), "t": UInt32(t), "i": UInt32(abs(offset))]))
        }
        func movw(_ d: Int, _ v: UInt32) { code.emit(Op.movw.encode(["d": UInt32(d), "i": v])) }
        func svc() { code.emit(Op.svc.encode(["i": 0])) }

        // fill: r0 = seed; xorshift32 into the whole scratch buffer.
        let fill = code.here
        code.load(1, Scratch.address)
        code.load(2, Scratch.address + UInt32(Scratch.totalSize))
        let fillLoop = code.here
        code.emit(Op.eorReg.encode(["n": 0, "d": 0, "m": 0, "r": 0, "v": 13]))
        code.emit(Op.eorReg.encode(["n": 0, "d": 0, "m": 0, "r": 1, "v": 17]))
        code.emit(Op.eorReg.encode(["n": 0, "d": 0, "m": 0, "r": 0, "v": 5]))
        code.emit(Op.strImm.encode(["P": 0, "U": 1, "n": 1, "t": 0, "i": 4]))
        code.emit(Op.cmpReg.encode(["n": 1, "m": 2]))
        code.branch(.b, .ne, to: fillLoop)
        code.emit(Op.bx.encode(["m": 14]))

        // report: checksum the buffer, complete the record, write it.
        let report = code.here
        code.load(1, Scratch.address)
        code.load(2, Scratch.address + UInt32(Scratch.totalSize))
        movw(3, 0x1A2B)
        code.load(5, 0x9E37_79B1)
        let sumLoop = code.here
        code.emit(Op.ldrImm.encode(["P": 0, "U": 1, "n": 1, "t": 4, "i": 4]))
        code.emit(Op.eorReg.encode(["n": 4, "d": 3, "m": 3, "r": 3, "v": 27]))
        code.emit(Op.mul.encode(["d": 3, "n": 3, "m": 5]))
        code.emit(Op.cmpReg.encode(["n": 1, "m": 2]))
        code.branch(.b, .ne, to: sumLoop)
        code.load(0, outputAddress)
        str(3, 0, Out.checksum)
        code.load(1, magic)
        str(1, 0, Out.magic)
        code.emit(Op.movReg.encode(["d": 1, "m": 0]))
        movw(0, 1)
        movw(2, UInt32(recordWords * 4))
        movw(7, 4)                                   // write
        svc()
        code.emit(Op.bx.encode(["m": 14]))

        // handler(sig, siginfo *, ucontext *): record the faulting state, report, resume.
        let handler = code.here
        code.load(3, outputAddress)
        str(0, 3, Out.signal)
        ldr(4, 1, 8); str(4, 3, Out.code)            // si_code
        ldr(4, 1, 12); str(4, 3, Out.address)        // si_addr
        code.emit(Op.addImm.encode(["n": 2, "d": 5, "i": 32]))    // &uc_mcontext.arm_r0
        code.emit(Op.addImm.encode(["n": 3, "d": 6, "i": UInt32(Out.registers)]))
        movw(8, 15)
        let copyLoop = code.here
        code.emit(Op.ldrImm.encode(["P": 0, "U": 1, "n": 5, "t": 7, "i": 4]))
        code.emit(Op.strImm.encode(["P": 0, "U": 1, "n": 6, "t": 7, "i": 4]))
        code.emit(Op.subImm.encode(["S": 1, "n": 8, "d": 8, "i": 1]))
        code.branch(.b, .ne, to: copyLoop)
        ldr(7, 5, 0); str(7, 3, Out.pc)              // arm_pc
        ldr(7, 5, 4); str(7, 3, Out.apsr)            // arm_cpsr
        code.call(report)
        code.load(0, resumeSlot)
        ldr(15, 0, 0)

        // finish: exit_group(0).
        let finish = code.here
        movw(0, 0)
        movw(7, 248)
        svc()

        // Constants: the alternate stack's stack_t, the handler's struct sigaction.
        var constants: [UInt8] = []
        for w in [altStack, 0, altStackSize, 0] { appendWord(&constants, w) }
        let sigaction = constantsAddress + UInt32(constants.count)
        for w in [handler, 0x4800_0004 /* SA_NODEFER | SA_ONSTACK | SA_SIGINFO */, 0, 0, 0] { appendWord(&constants, w) }
        constants += [UInt8](repeating: 0, count: Int(recordsAddress - constantsAddress) - constants.count)

        // _start: set_tls(tls), sigaltstack, rt_sigaction for each caught signal.
        let entry = code.here
        code.load(0, tls)
        code.load(7, 0x000F_0005)
        svc()
        code.load(0, constantsAddress)
        movw(1, 0)
        movw(7, 186)                                 // sigaltstack
        svc()
        for sig in caughtSignals {
            movw(0, sig)
            code.load(1, sigaction)
            movw(2, 0)
            movw(3, 8)
            movw(7, 174)                             // rt_sigaction
            svc()
        }

        var records = constants
        var bodyAddresses: [UInt32] = []
        let mcrR0 = Op.mcr.encode(["o": 0, "n": 13, "t": 0, "p": 15, "q": 2, "m": 0])
        for (k, s) in sequences.enumerated() {
            let record = constantsAddress + UInt32(records.count)
            for r in s.initial.registers { appendWord(&records, r) }
            appendWord(&records, s.initial.apsr)
            // Prologue (prologueWords).
            let start = code.words.count
            code.load(0, s.initial.scratchSeed)
            code.call(fill)
            code.emit(Op.clrex.encode([:]))
            code.load(0, outputAddress)
            movw(1, UInt32(k)); str(1, 0, Out.index)
            movw(1, 0); str(1, 0, Out.signal); str(1, 0, Out.code); str(1, 0, Out.address); str(1, 0, Out.pc)
            let resume = code.forwardLoad(1)
            str(1, 0, Int(resumeSlot - outputAddress))
            code.load(0, s.initial.tpidrurw)
            code.emit(mcrR0)
            code.load(0, record)
            ldr(1, 0, 60)
            code.emit(Op.msrReg.encode(["k": 12, "n": 1]))
            code.emit(Op.ldm.encode(["n": 0, "x": 0x7FFF]))
            precondition(code.words.count - start == prologueWords)
            bodyAddresses.append(code.here)
            for w in s.body { code.emit(w) }
            // Epilogue (epilogueWords).
            let epilogue = code.words.count
            code.emit(mcrR0)
            code.load(0, outputAddress + 8)
            code.emit(Op.stm.encode(["n": 0, "x": 0x7FFE]))
            code.emit(Op.mrs.encode(["d": 1]))
            str(1, 0, Out.apsr - 8)
            code.emit(Op.mrc.encode(["o": 0, "n": 13, "t": 1, "p": 15, "q": 2, "m": 0]))
            str(1, 0, -4)
            code.call(report)
            let next = code.forwardBranch()
            precondition(code.words.count - epilogue == epilogueWords)
            for w in s.subroutines { code.emit(w) }
            code.bindForward(next)
            code.bindLoad(resume)
        }
        code.branch(.b, .al, to: finish)
        for _ in 0..<padWords { code.emit(pad.word()) }

        var codeBytes = [UInt8](repeating: 0, count: Int(codeStart - codeSegment))
        for w in code.words { appendWord(&codeBytes, w) }
        let image = GuestImage(segments: [
            .init(address: codeSegment, bytes: codeBytes, memorySize: UInt32(codeBytes.count), executable: true),
            .init(address: Scratch.address, bytes: [], memorySize: dataSize, writable: true),
            .init(address: constantsAddress, bytes: records, memorySize: UInt32(records.count)),
        ], entry: entry)
        return Built(image: image, bodyAddresses: bodyAddresses)
    }

    /// Parses the records a run wrote; stops at the first incomplete or corrupt one.
    public static func parse(_ output: [UInt8]) -> [(index: Int, state: FinalState)] {
        var result: [(Int, FinalState)] = []
        var offset = 0
        let size = recordWords * 4
        while offset + size <= output.count {
            var w: [UInt32] = []
            for k in 0..<recordWords {
                let o = offset + 4 * k
                w.append(UInt32(output[o]) | UInt32(output[o + 1]) << 8 | UInt32(output[o + 2]) << 16 | UInt32(output[o + 3]) << 24)
            }
            guard w[Out.magic / 4] == magic else { break }
            result.append((Int(w[0]), FinalState(registers: Array(w[1...15]), apsr: w[16], checksum: w[17],
                                                 signal: w[18], code: w[19], faultAddress: w[20], faultPC: w[21])))
            offset += size
        }
        return result
    }

    static func appendWord(_ bytes: inout [UInt8], _ w: UInt32) {
        bytes += [UInt8(w & 0xFF), UInt8(w >> 8 & 0xFF), UInt8(w >> 16 & 0xFF), UInt8(w >> 24)]
    }
}

/// Emits harness code at known addresses.
struct CodeWriter {
    let base: UInt32
    var words: [UInt32] = []
    init(base: UInt32) { self.base = base }

    var here: UInt32 { base + UInt32(words.count * 4) }
    mutating func emit(_ w: UInt32) { words.append(w) }

    /// movw/movt: a 32-bit constant in two words (always two, so sizes are fixed).
    mutating func load(_ r: Int, _ value: UInt32) {
        emit(Op.movw.encode(["d": UInt32(r), "i": value & 0xFFFF]))
        emit(Op.movt.encode(["d": UInt32(r), "i": value >> 16]))
    }

    static func offsetField(from at: UInt32, to target: UInt32) -> UInt32 {
        UInt32(bitPattern: (Int32(bitPattern: target &- at &- 8)) >> 2) & 0x00FF_FFFF
    }

    mutating func branch(_ op: Op, _ cond: Condition, to target: UInt32) {
        emit(op.encode(["i": CodeWriter.offsetField(from: here, to: target)], cond: cond))
    }
    mutating func call(_ target: UInt32) { branch(.bl, .al, to: target) }

    /// A `b` whose target is bound later.
    mutating func forwardBranch() -> Int { emit(Op.b.encode([:])); return words.count - 1 }
    mutating func bindForward(_ at: Int) {
        words[at] |= CodeWriter.offsetField(from: base + UInt32(at * 4), to: here)
    }

    /// movw/movt of an address bound later.
    mutating func forwardLoad(_ r: Int) -> Int { load(r, 0); return words.count - 2 }
    mutating func bindLoad(_ at: Int) {
        let v = here
        words[at] |= (v & 0xFFF) | (v >> 12 & 0xF) << 16
        words[at + 1] |= (v >> 16 & 0xFFF) | (v >> 28) << 16
    }
}
