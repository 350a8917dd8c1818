import ARM
import Memory
import Semantics

/// Why interpreted code stopped short of a block's end, or what it failed with.
public enum InterpreterFailure: Error {
    case fault(MemoryFault)
    case undefined(String)
}

/// How the current block ended, written by the emitter; read by the block loop.
struct ExitRecord {
    enum Kind: UInt8 { case none, branch, svc, breakpoint, undefined, thumb, stopAfter }
    var kind: Kind = .none
    var value: UInt32 = 0
    /// The address of the instruction executing (kept here, not in the emitter, so the emitter
    /// is one constant value for the whole block loop).
    var currentPC: UInt32 = 0
    var reason = ""
}

/// `Emitter` over concrete values: executes semantics directly against the CPU state and guest
/// memory. Memory accesses check the guest page permissions in software, so a bad access is a
/// guest fault, never a host one.
struct InterpreterEmitter: Emitter {
    typealias Value = UInt32
    typealias Flag = Bool
    typealias Failure = InterpreterFailure

    let cpu: UnsafeMutablePointer<CPUState>
    let exit: UnsafeMutablePointer<ExitRecord>
    /// Unowned: the emitter is copied per instruction and must not retain.
    unowned(unsafe) let memory: AddressSpace
    /// Read through `memory` (its fields never change): three words pass in registers.
    @inline(__always) var base: UnsafeMutableRawPointer { memory.base }
    @inline(__always) var pageFlags: UnsafeMutablePointer<UInt8> { memory.pageFlags }
    @inline(__always) var currentPC: UInt32 { exit.pointee.currentPC }

    init(cpu: UnsafeMutablePointer<CPUState>, exit: UnsafeMutablePointer<ExitRecord>, memory: AddressSpace) {
        self.cpu = cpu
        self.exit = exit
        self.memory = memory
    }

    @inline(__always) func constant(_ v: UInt32) -> UInt32 { v }
    @inline(__always) func constant(_ b: Bool) -> Bool { b }

    // MARK: State

    @inline(__always) func readRegister(_ r: Int) -> UInt32 {
        UnsafeRawPointer(cpu).load(fromByteOffset: r &* 4, as: UInt32.self)
    }
    @inline(__always) func writeRegister(_ r: Int, _ v: UInt32) {
        UnsafeMutableRawPointer(cpu).storeBytes(of: v, toByteOffset: r &* 4, as: UInt32.self)
    }
    @inline(__always) func readFlag(_ f: StatusFlag) -> Bool {
        UnsafeRawPointer(cpu).load(fromByteOffset: CPUState.Offsets.n &+ f.rawValue, as: UInt8.self) != 0
    }
    @inline(__always) func writeFlag(_ f: StatusFlag, _ v: Bool) {
        UnsafeMutableRawPointer(cpu).storeBytes(of: v ? 1 : 0, toByteOffset: CPUState.Offsets.n &+ f.rawValue, as: UInt8.self)
    }
    @inline(__always) func readGE() -> UInt32 { UInt32(cpu.pointee.ge) }
    @inline(__always) func writeGE(_ v: UInt32) { cpu.pointee.ge = UInt8(v & 0xF) }

    // MARK: Arithmetic

    @inline(__always) func add(_ a: UInt32, _ b: UInt32) -> UInt32 { a &+ b }
    @inline(__always) func sub(_ a: UInt32, _ b: UInt32) -> UInt32 { a &- b }
    @inline(__always) func mul(_ a: UInt32, _ b: UInt32) -> UInt32 { a &* b }
    @inline(__always) func and(_ a: UInt32, _ b: UInt32) -> UInt32 { a & b }
    @inline(__always) func or(_ a: UInt32, _ b: UInt32) -> UInt32 { a | b }
    @inline(__always) func xor(_ a: UInt32, _ b: UInt32) -> UInt32 { a ^ b }
    @inline(__always) func not(_ a: UInt32) -> UInt32 { ~a }
    @inline(__always) func shiftLeft(_ a: UInt32, _ n: UInt32) -> UInt32 { a << (n & 31) }
    @inline(__always) func shiftRightLogical(_ a: UInt32, _ n: UInt32) -> UInt32 { a >> (n & 31) }
    @inline(__always) func shiftRightArithmetic(_ a: UInt32, _ n: UInt32) -> UInt32 {
        UInt32(bitPattern: Int32(bitPattern: a) >> (n & 31))
    }
    @inline(__always) func rotateRight(_ a: UInt32, _ n: UInt32) -> UInt32 {
        let s = n & 31
        return (a >> s) | (a << ((32 &- s) & 31))
    }
    @inline(__always) func addWithCarry(_ a: UInt32, _ b: UInt32, _ carry: Bool) -> (result: UInt32, carry: Bool, overflow: Bool) {
        let wide = UInt64(a) &+ UInt64(b) &+ (carry ? 1 : 0)
        let r = UInt32(truncatingIfNeeded: wide)
        let overflow = ((a ^ r) & (b ^ r)) >> 31 != 0
        return (r, wide >> 32 != 0, overflow)
    }
    @inline(__always) func multiplyLong(_ a: UInt32, _ b: UInt32, signed: Bool) -> (lo: UInt32, hi: UInt32) {
        let p: UInt64 = signed
            ? UInt64(bitPattern: Int64(Int32(bitPattern: a)) &* Int64(Int32(bitPattern: b)))
            : UInt64(a) &* UInt64(b)
        return (UInt32(truncatingIfNeeded: p), UInt32(truncatingIfNeeded: p >> 32))
    }
    @inline(__always) func add64(_ a: (lo: UInt32, hi: UInt32), _ b: (lo: UInt32, hi: UInt32)) -> (lo: UInt32, hi: UInt32) {
        let s = (UInt64(a.hi) << 32 | UInt64(a.lo)) &+ (UInt64(b.hi) << 32 | UInt64(b.lo))
        return (UInt32(truncatingIfNeeded: s), UInt32(truncatingIfNeeded: s >> 32))
    }
    @inline(__always) func divide(_ a: UInt32, _ b: UInt32, signed: Bool) -> UInt32 {
        if b == 0 { return 0 }
        if signed {
            let x = Int32(bitPattern: a), y = Int32(bitPattern: b)
            if x == Int32.min && y == -1 { return a }
            return UInt32(bitPattern: x / y)
        }
        return a / b
    }
    @inline(__always) func countLeadingZeros(_ a: UInt32) -> UInt32 { UInt32(a.leadingZeroBitCount) }
    @inline(__always) func reverseBits(_ a: UInt32) -> UInt32 {
        var v = a
        v = ((v >> 1) & 0x5555_5555) | ((v & 0x5555_5555) << 1)
        v = ((v >> 2) & 0x3333_3333) | ((v & 0x3333_3333) << 2)
        v = ((v >> 4) & 0x0F0F_0F0F) | ((v & 0x0F0F_0F0F) << 4)
        return v.byteSwapped
    }
    @inline(__always) func byteSwap(_ a: UInt32) -> UInt32 { a.byteSwapped }
    @inline(__always) func signExtend(_ a: UInt32, fromBits bits: Int) -> UInt32 {
        let s = UInt32(32 - bits)
        return UInt32(bitPattern: Int32(bitPattern: a << s) >> s)
    }

    // MARK: Comparisons

    @inline(__always) func equal(_ a: UInt32, _ b: UInt32) -> Bool { a == b }
    @inline(__always) func unsignedLess(_ a: UInt32, _ b: UInt32) -> Bool { a < b }
    @inline(__always) func signedLess(_ a: UInt32, _ b: UInt32) -> Bool { Int32(bitPattern: a) < Int32(bitPattern: b) }
    @inline(__always) func select(_ c: Bool, _ a: UInt32, _ b: UInt32) -> UInt32 { c ? a : b }
    @inline(__always) func select(_ c: Bool, _ a: Bool, _ b: Bool) -> Bool { c ? a : b }
    @inline(__always) func and(_ a: Bool, _ b: Bool) -> Bool { a && b }
    @inline(__always) func or(_ a: Bool, _ b: Bool) -> Bool { a || b }
    @inline(__always) func xor(_ a: Bool, _ b: Bool) -> Bool { a != b }
    @inline(__always) func not(_ a: Bool) -> Bool { !a }
    @inline(__always) func bit(_ a: UInt32, _ n: Int) -> Bool { (a >> UInt32(n & 31)) & 1 != 0 }
    @inline(__always) func zeroExtend(_ f: Bool) -> UInt32 { f ? 1 : 0 }

    // MARK: Memory

    @inline(__always) static var readable: UInt8 { Protection.read.rawValue | AddressSpace.PageFlag.mapped }
    @inline(__always) static var writable: UInt8 { Protection.write.rawValue | AddressSpace.PageFlag.mapped }
    @inline(__always) static var writableMask: UInt8 { writable | AddressSpace.PageFlag.code }

    @inline(__always) func load(_ address: UInt32, size: Int) throws(InterpreterFailure) -> UInt32 {
        let flags = pageFlags[Int(address >> 12)]
        guard flags & Self.readable == Self.readable, Int(address & 0xFFF) <= 4096 &- size else {
            if let f = memory.fault(at: address, length: UInt32(size), write: false) { throw .fault(f) }
            return rawLoad(address, size)
        }
        return rawLoad(address, size)
    }

    @inline(__always) func rawLoad(_ address: UInt32, _ size: Int) -> UInt32 {
        let p = base + Int(address)
        switch size {
        case 4: return p.loadUnaligned(as: UInt32.self)
        case 2: return UInt32(p.loadUnaligned(as: UInt16.self))
        default: return UInt32(p.load(as: UInt8.self))
        }
    }

    @inline(__always) func store(_ address: UInt32, _ value: UInt32, size: Int) throws(InterpreterFailure) {
        let flags = pageFlags[Int(address >> 12)]
        guard flags & Self.writableMask == Self.writable, Int(address & 0xFFF) <= 4096 &- size else {
            return try slowStore(address, value, size: size)
        }
        rawStore(address, value, size)
    }

    @inline(__always) func rawStore(_ address: UInt32, _ value: UInt32, _ size: Int) {
        let p = base + Int(address)
        switch size {
        case 4: p.storeBytes(of: value, as: UInt32.self)
        case 2: p.storeBytes(of: UInt16(truncatingIfNeeded: value), as: UInt16.self)
        default: p.storeBytes(of: UInt8(truncatingIfNeeded: value), as: UInt8.self)
        }
    }

    /// Crossing a page, hitting a page with decoded code, or faulting.
    func slowStore(_ address: UInt32, _ value: UInt32, size: Int) throws(InterpreterFailure) {
        if let f = memory.fault(at: address, length: UInt32(size), write: true) { throw .fault(f) }
        let touchesCode = (memory.flags(ofPage: address) | memory.flags(ofPage: address &+ UInt32(size) &- 1))
            & AddressSpace.PageFlag.code != 0
        if touchesCode {
            // Self-modifying code: forget the decoded blocks (which also lifts the page's host
            // write protection, so before the store) and stop this block after this
            // instruction, so the next instruction is fetched anew.
            memory.invalidateCode(address, UInt32(size))
            if exit.pointee.kind == .none {
                exit.pointee.kind = .stopAfter
            }
        }
        rawStore(address, value, size)
    }

    func loadExclusive(_ address: UInt32, size: Int) throws(InterpreterFailure) -> UInt32 {
        let v = try load(address, size: size)
        cpu.pointee.exclusiveAddress = address
        cpu.pointee.exclusiveOpen = 1
        return v
    }

    func storeExclusive(_ address: UInt32, _ value: UInt32, _ high: UInt32?, size: Int) throws(InterpreterFailure) -> UInt32 {
        guard cpu.pointee.exclusiveOpen != 0, cpu.pointee.exclusiveAddress == address else {
            cpu.pointee.exclusiveOpen = 0
            return 1
        }
        if let high {
            if let f = memory.fault(at: address, length: 8, write: true) { throw .fault(f) }
            try store(address, value, size: 4)
            try store(address &+ 4, high, size: 4)
        } else {
            try store(address, value, size: size)
        }
        cpu.pointee.exclusiveOpen = 0
        return 0
    }

    func clearExclusive() { cpu.pointee.exclusiveOpen = 0 }

    // MARK: Control flow

    @inline(__always) func branch(to target: UInt32) {
        cpu.pointee.r.15 = target
        exit.pointee.kind = .branch
    }

    @inline(__always) func branchExchange(_ target: UInt32) {
        if target & 1 != 0 {
            exit.pointee.kind = .thumb
            exit.pointee.value = target
            return
        }
        cpu.pointee.r.15 = target & ~3
        exit.pointee.kind = .branch
    }

    func supervisorCall(_ immediate: UInt32) {
        exit.pointee.kind = .svc
        exit.pointee.value = immediate
    }

    func breakpoint(_ immediate: UInt32) {
        exit.pointee.kind = .breakpoint
        exit.pointee.value = immediate
    }

    func undefined(_ reason: String) {
        exit.pointee.kind = .undefined
        exit.pointee.reason = reason
    }

    // MARK: System

    func readStatusRegister() -> UInt32 { cpu.pointee.cpsr }
    func writeStatusControl(_ value: UInt32, mask: UInt32) {
        // User mode: writes to the control and extension fields are ignored (ARM ARM B1.3.3).
    }
    func coprocessorRead(_ i: Instruction) throws(InterpreterFailure) -> UInt32 {
        guard let v = UserCoprocessors.read(i, &cpu.pointee) else {
            throw .undefined(UserCoprocessors.describe(i))
        }
        return v
    }
    func coprocessorWrite(_ i: Instruction, _ value: UInt32) throws(InterpreterFailure) {
        guard UserCoprocessors.write(i, value, &cpu.pointee) else {
            throw .undefined(UserCoprocessors.describe(i))
        }
    }
    func systemHint(_ operation: SystemHint) {
        // Single-threaded user mode: hints and barriers have no observable effect; CPS is a NOP.
    }
}
