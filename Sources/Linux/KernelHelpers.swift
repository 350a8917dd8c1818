#if canImport(Glibc)
import Glibc
#endif
import ARM
import Memory

// The kuser helpers of the ARM vector page (Documentation/arm/kernel_user_helpers.rst), run in
// Swift instead of as guest code: glibc for ARMv5 reads its thread pointer through
// __kuser_get_tls and does atomics through __kuser_cmpxchg.

/// Entry points in the vector page.
public enum KernelHelper {
    public static let cmpxchg64: UInt32 = 0xffff_0f60
    public static let memoryBarrier: UInt32 = 0xffff_0fa0
    public static let cmpxchg: UInt32 = 0xffff_0fc0
    public static let getTLS: UInt32 = 0xffff_0fe0
    /// The helper ABI version word the loader stores at 0xffff0ffc (kuser_helper_version).
    public static let versionAddress: UInt32 = 0xffff_0ffc

    /// Whether `pc` is an address `runKernelHelper` handles (helpers and signal trampolines).
    public static func isEntry(_ pc: UInt32) -> Bool {
        switch pc {
        case cmpxchg64, memoryBarrier, cmpxchg, getTLS, SignalTrampoline.sigreturn, SignalTrampoline.rtSigreturn:
            return true
        default:
            return false
        }
    }
}

extension LinuxProcess {
    /// Runs the kuser helper (or signal-return trampoline) at cpu.pc.
    ///
    /// Contract: the engine calls this before fetching an instruction at any pc >= 0xffff0000
    /// (or at least at the addresses `KernelHelper.isEntry` accepts). It returns nil when pc is
    /// not one of them (the engine then treats the fetch as usual: the page is the loader's).
    /// Otherwise the helper has run and returned to lr (pc = lr & ~1; Thumb if lr & 1) and the
    /// result is `.resume`; a guest fault inside the helper becomes the guest's SIGSEGV (a
    /// handler frame, `.resume`, or `.killed`). The signal trampolines perform sigreturn and
    /// rt_sigreturn.
    public func runKernelHelper(_ cpu: inout CPUState) -> LinuxOutcome? {
        let pc = cpu.pc
        guard pc >= 0xffff_0000, KernelHelper.isEntry(pc) else { return nil }
        switch pc {
        case KernelHelper.memoryBarrier:
            break
        case KernelHelper.getTLS:
            cpu[0] = cpu.tpidruro
        case KernelHelper.cmpxchg:
            // r0 = oldval, r1 = newval, r2 = ptr. Returns r0 = 0 and C set when *ptr was oldval
            // and now holds newval; else r0 = oldval - *ptr (nonzero) and C clear, as the
            // kernel's `rsbs r0, r3, #0` leaves them.
            if let fault = accessFault(&cpu) { return helperFault(fault, &cpu) }
            let ptr = cpu[2]
            let current: UInt32 = (try? memory.read(ptr)) ?? 0
            var diff = current &- cpu[0]
            if diff == 0 {
                try? memory.write(ptr, cpu[1])
            }
            diff = 0 &- diff
            setRsbsFlags(&cpu, operand: current &- cpu[0])
            cpu[0] = diff
        case KernelHelper.cmpxchg64:
            // r0 = &oldval (64-bit), r1 = &newval, r2 = ptr.
            if let fault = accessFault(&cpu) { return helperFault(fault, &cpu) }
            let pOld = cpu[0], pNew = cpu[1], ptr = cpu[2]
            let old: UInt64 = (try? memory.read(pOld)) ?? 0
            let new: UInt64 = (try? memory.read(pNew)) ?? 0
            let current: UInt64 = (try? memory.read(ptr)) ?? 0
            let differs: UInt32 = current == old ? 0 : 1
            if differs == 0 { try? memory.write(ptr, new) }
            setRsbsFlags(&cpu, operand: differs)
            cpu[0] = 0 &- differs
        case SignalTrampoline.sigreturn, SignalTrampoline.rtSigreturn:
            syscallCount += 1
            switch sysSigreturn(&cpu, rt: pc == SignalTrampoline.rtSigreturn) {
            case .outcome(let o): return o
            default: return .resume
            }
        default:
            return nil
        }
        let lr = cpu[14]
        cpu.pc = lr & ~1
        if lr & 1 != 0 { cpu.cpsrControl |= PSR.thumbBit } else { cpu.cpsrControl &= ~PSR.thumbBit }
        return .resume
    }

    /// The fault the helper at cpu.pc would take on its memory accesses, if any. (Only the
    /// registers are read: a copy of the whole CPU state was most of a helper call's cost.)
    private func accessFault(_ cpu: inout CPUState) -> MemoryFault? {
        switch cpu.pc {
        case KernelHelper.cmpxchg:
            return memory.fault(at: cpu[2], length: 4, write: true)
        case KernelHelper.cmpxchg64:
            // r0 = &oldval, r1 = &newval (read), r2 = ptr (written).
            return memory.fault(at: cpu[0], length: 8, write: false) ?? memory.fault(at: cpu[1], length: 8, write: false)
                ?? memory.fault(at: cpu[2], length: 8, write: true)
        default:
            return nil
        }
    }

    /// For compiled code, which calls this on a branch into the vector page: runs the helper at
    /// cpu.pc and returns true when it needs nothing of the engine (a kuser helper that does
    /// not fault and returns to ARM code); otherwise changes nothing and returns false, and the
    /// engine runs it through `runKernelHelper`.
    public func runKernelHelperInline(_ cpu: inout CPUState) -> Bool {
        switch cpu.pc {
        case KernelHelper.memoryBarrier, KernelHelper.getTLS, KernelHelper.cmpxchg, KernelHelper.cmpxchg64:
            guard cpu[14] & 1 == 0, accessFault(&cpu) == nil else { return false }
            return runKernelHelper(&cpu) == .resume
        default:
            return false
        }
    }

    /// The flags of `rsbs r0, rX, #0` with rX = operand: N Z of the result, C = no borrow, V.
    private func setRsbsFlags(_ cpu: inout CPUState, operand: UInt32) {
        let result = 0 &- operand
        cpu.n = UInt8(result >> 31)
        cpu.z = result == 0 ? 1 : 0
        cpu.c = operand == 0 ? 1 : 0
        cpu.v = operand == 0x8000_0000 ? 1 : 0
    }

    private func helperFault(_ fault: MemoryFault, _ cpu: inout CPUState) -> LinuxOutcome {
        raiseSynchronous(signal: SIGSEGV, code: fault.isPermission ? 2 : 1, faultAddress: fault.address,
                         description: "at pc \(hex8(cpu.pc)) (kernel helper): fault address \(hex8(fault.address))", &cpu)
    }
}
