import Foundation
import XCTest
import ARM
import Memory
@testable import Linux

final class SyscallSignalTests: XCTestCase {
    let act = SyscallHarness.data + 0x3000
    let handler: UInt32 = 0x8800
    let restorer: UInt32 = 0x8900

    /// rt_sigaction(sig, {handler, flags, restorer, mask}, NULL, 8).
    func install(_ h: SyscallHarness, _ sig: Int32, flags: UInt32, mask: UInt64 = 0) {
        var a = Bytes(count: 20)
        a.set32(0, handler); a.set32(4, flags); a.set32(8, restorer); a.set64(12, mask)
        h.put(a.b, at: act)
        XCTAssertEqual(h.call(NR.rt_sigaction, UInt32(sig), act, 0, 8), 0)
    }

    func testRtSigactionRoundTrip() throws {
        let h = try SyscallHarness()
        install(h, SIGUSR2, flags: 0x0400_0004, mask: 0x8000)
        let old = act + 0x100
        XCTAssertEqual(h.call(NR.rt_sigaction, UInt32(SIGUSR2), 0, old, 8), 0)
        XCTAssertEqual(h.u32(old), handler)
        XCTAssertEqual(h.u32(old + 4), 0x0400_0004)
        XCTAssertEqual(h.u32(old + 8), restorer)
        XCTAssertEqual(h.u64(old + 12), 0x8000)
        XCTAssertEqual(h.call(NR.rt_sigaction, UInt32(SIGKILL), act, 0, 8), -EINVAL)
        XCTAssertEqual(h.call(NR.rt_sigaction, UInt32(SIGUSR2), act, 0, 4), -EINVAL)
        XCTAssertEqual(h.call(NR.rt_sigaction, 65, 0, old, 8), -EINVAL)
        // Back to default so the host process is left as it was.
        h.put([UInt8](repeating: 0, count: 20), at: act)
        XCTAssertEqual(h.call(NR.rt_sigaction, UInt32(SIGUSR2), act, 0, 8), 0)
    }

    func testDeliverRtFrameAndSigreturn() throws {
        let h = try SyscallHarness()
        let SA_SIGINFO: UInt32 = 4, SA_RESTORER: UInt32 = 0x0400_0000
        install(h, SIGUSR1, flags: SA_SIGINFO | SA_RESTORER, mask: 1 << UInt64(SIGUSR2 - 1))
        // raise(SIGUSR1): tgkill(getpid(), gettid(), SIGUSR1) queues it for the guest.
        XCTAssertEqual(h.call(NR.tgkill, UInt32(getpid()), UInt32(h.call(NR.gettid)), UInt32(SIGUSR1)), 0)
        XCTAssertTrue(h.process.hasPendingSignals)
        // The register state at the block boundary where the engine delivers it.
        for i in 0..<13 { h.cpu[i] = 0x1000 + UInt32(i) }
        h.cpu[13] = 0x2_f00c   // not 8-aligned on purpose
        h.cpu[14] = 0x8abc
        h.cpu.n = 1; h.cpu.c = 1; h.cpu.ge = 5
        let r0Before: UInt32 = 0x1000
        let pcAtSignal = h.cpu.pc
        let savedCPSR = h.cpu.cpsr
        XCTAssertEqual(h.process.deliverPendingSignals(&h.cpu), .resume)
        XCTAssertFalse(h.process.hasPendingSignals)

        // The handler runs with r0 = signo, r1 = &info, r2 = &uc, sp = frame, lr = restorer.
        XCTAssertEqual(h.cpu.pc, handler)
        XCTAssertEqual(h.cpu[14], restorer)
        let frame = h.cpu[13]
        XCTAssertEqual(frame, (0x2_f00c - 888) & ~7)
        XCTAssertEqual(h.cpu[0], UInt32(SIGUSR1))
        XCTAssertEqual(h.cpu[1], frame)
        XCTAssertEqual(h.cpu[2], frame + 128)
        // siginfo
        XCTAssertEqual(h.u32(frame), UInt32(SIGUSR1))
        XCTAssertEqual(Int32(bitPattern: h.u32(frame + 8)), -6, "SI_TKILL")
        XCTAssertEqual(h.u32(frame + 12), UInt32(getpid()), "si_pid")
        // ucontext: mcontext at uc+20: trap_no, error_code, oldmask, r0..r15, cpsr, fault_address
        let mc = frame + 128 + 20
        XCTAssertEqual(h.u32(mc + 12), r0Before, "arm_r0")
        XCTAssertEqual(h.u32(mc + 12 + 4 * 5), 0x1005, "arm_r5")
        XCTAssertEqual(h.u32(mc + 12 + 4 * 13), 0x2_f00c, "arm_sp")
        XCTAssertEqual(h.u32(mc + 12 + 4 * 14), 0x8abc, "arm_lr")
        XCTAssertEqual(h.u32(mc + 12 + 4 * 15), pcAtSignal, "arm_pc")
        XCTAssertEqual(h.u32(mc + 76), savedCPSR, "arm_cpsr")
        XCTAssertEqual(h.u64(frame + 128 + 104), 0, "uc_sigmask: the mask before the handler")
        // During the handler SIGUSR1 (no SA_NODEFER) and sa_mask's SIGUSR2 are blocked.
        let blocked = h.process.kernel.blocked
        XCTAssertNotEqual(blocked & (1 << UInt64(SIGUSR1 - 1)), 0)
        XCTAssertNotEqual(blocked & (1 << UInt64(SIGUSR2 - 1)), 0)

        // The handler clobbers registers, then returns through the restorer: rt_sigreturn.
        for i in 0..<13 { h.cpu[i] = 0xdead }
        h.cpu.n = 0; h.cpu.c = 0; h.cpu.z = 1; h.cpu.ge = 0
        h.cpu[13] = frame
        XCTAssertEqual(h.call(NR.rt_sigreturn), Int32(bitPattern: r0Before), "r0 is restored, not a result")
        XCTAssertEqual(h.lastOutcome, .resume)
        for i in 0..<13 { XCTAssertEqual(h.cpu[i], 0x1000 + UInt32(i), "r\(i)") }
        XCTAssertEqual(h.cpu[13], 0x2_f00c)
        XCTAssertEqual(h.cpu[14], 0x8abc)
        XCTAssertEqual(h.cpu.pc, pcAtSignal)
        XCTAssertEqual(h.cpu.cpsr, savedCPSR)
        XCTAssertEqual(h.process.kernel.blocked, 0, "mask restored")

        h.put([UInt8](repeating: 0, count: 20), at: act)
        XCTAssertEqual(h.call(NR.rt_sigaction, UInt32(SIGUSR1), act, 0, 8), 0)
    }

    func testNonSiginfoFrameReturnsThroughTrampoline() throws {
        let h = try SyscallHarness()
        install(h, SIGUSR2, flags: 0)   // no SA_SIGINFO, no SA_RESTORER
        h.cpu[4] = 0x4444
        h.cpu[13] = 0x2_0800
        XCTAssertEqual(h.call(NR.kill, UInt32(getpid()), UInt32(SIGUSR2)), 0)
        let back = h.cpu.pc
        XCTAssertEqual(h.process.deliverPendingSignals(&h.cpu), .resume)
        let frame = h.cpu[13]
        XCTAssertEqual(frame, 0x2_0800 - 760)
        XCTAssertEqual(h.cpu.pc, handler)
        XCTAssertEqual(h.cpu[14], SignalTrampoline.sigreturn)
        XCTAssertEqual(h.u32(frame), 0x5ac3_c35a, "sigframe uc_flags magic")
        XCTAssertEqual(h.u32(frame + 744), 0xe3a0_7077, "retcode: mov r7, #119")
        h.cpu[4] = 0
        h.cpu.pc = h.cpu[14]
        XCTAssertEqual(h.process.runKernelHelper(&h.cpu), .resume)
        XCTAssertEqual(h.cpu.pc, back)
        XCTAssertEqual(h.cpu[4], 0x4444)
        XCTAssertEqual(h.cpu[13], 0x2_0800)
        h.put([UInt8](repeating: 0, count: 20), at: act)
        XCTAssertEqual(h.call(NR.rt_sigaction, UInt32(SIGUSR2), act, 0, 8), 0)
    }

    func testBlockedSignalWaitsForUnblock() throws {
        let h = try SyscallHarness()
        install(h, SIGUSR1, flags: 0x0400_0004)
        // Block SIGUSR1, raise it: pending but not deliverable.
        try h.memory.write(act + 0x200, UInt64(1) << UInt64(SIGUSR1 - 1))
        XCTAssertEqual(h.call(NR.rt_sigprocmask, 0 /* SIG_BLOCK */, act + 0x200, 0, 8), 0)
        XCTAssertEqual(h.call(NR.tgkill, UInt32(getpid()), UInt32(h.call(NR.gettid)), UInt32(SIGUSR1)), 0)
        XCTAssertFalse(h.process.hasPendingSignals)
        XCTAssertEqual(h.call(176 /* rt_sigpending */, act + 0x300, 8), 0)
        XCTAssertEqual(h.u64(act + 0x300), UInt64(1) << UInt64(SIGUSR1 - 1))
        XCTAssertEqual(h.call(NR.rt_sigprocmask, 1 /* SIG_UNBLOCK */, act + 0x200, act + 0x208, 8), 0)
        XCTAssertEqual(h.u64(act + 0x208), UInt64(1) << UInt64(SIGUSR1 - 1), "old mask")
        XCTAssertTrue(h.process.hasPendingSignals)
        XCTAssertEqual(h.process.deliverPendingSignals(&h.cpu), .resume)
        XCTAssertEqual(h.cpu.pc, handler)
        h.put([UInt8](repeating: 0, count: 20), at: act)
        XCTAssertEqual(h.call(NR.rt_sigaction, UInt32(SIGUSR1), act, 0, 8), 0)
    }

    func testHostSignalIsRecordedAndDelivered() throws {
        let h = try SyscallHarness()
        install(h, SIGUSR1, flags: 0x0400_0004)
        // A real host signal: the host handler only records it.
        kill(getpid(), SIGUSR1)
        XCTAssertTrue(h.process.hasPendingSignals)
        XCTAssertEqual(h.process.deliverPendingSignals(&h.cpu), .resume)
        XCTAssertEqual(h.cpu.pc, handler)
        XCTAssertEqual(h.cpu[0], UInt32(SIGUSR1))
        XCTAssertEqual(h.u32(h.cpu[1] + 12), UInt32(getpid()), "si_pid from the host siginfo")
        h.put([UInt8](repeating: 0, count: 20), at: act)
        XCTAssertEqual(h.call(NR.rt_sigaction, UInt32(SIGUSR1), act, 0, 8), 0)
    }

    func testDefaultActionKills() throws {
        let h = try SyscallHarness()
        XCTAssertEqual(h.call(NR.tgkill, UInt32(getpid()), UInt32(h.call(NR.gettid)), UInt32(SIGABRT)), 0)
        XCTAssertEqual(h.process.deliverPendingSignals(&h.cpu), .killed(SIGABRT))
        XCTAssertEqual(h.process.deathMessage, "isomorph: guest terminated by SIGABRT (Aborted)")
        // An ignored-by-default signal is dropped.
        XCTAssertEqual(h.call(NR.kill, UInt32(getpid()), UInt32(SIGWINCH)), 0)
        XCTAssertEqual(h.process.deliverPendingSignals(&h.cpu), .resume)
    }

    func testRaiseSynchronousDefaultAndHandled() throws {
        let h = try SyscallHarness()
        h.cpu.pc = 0x0001_0234
        let o = h.process.raiseSynchronous(signal: SIGILL, code: 1, faultAddress: 0x0001_0234,
                                           description: "at pc 0x00010234: word 0xeeb00a41: VFP instructions are not supported yet", &h.cpu)
        XCTAssertEqual(o, .killed(SIGILL))
        XCTAssertEqual(h.process.deathMessage,
                       "isomorph: guest terminated by SIGILL (Illegal instruction) at pc 0x00010234: word 0xeeb00a41: VFP instructions are not supported yet")
        // With a SIGSEGV handler: a frame whose siginfo carries si_addr, pc saved = faulting pc.
        install(h, SIGSEGV, flags: 0x0400_0004)
        h.cpu.pc = 0x8040
        let o2 = h.process.raiseSynchronous(signal: SIGSEGV, code: 1, faultAddress: 0xdead_beef, description: "", &h.cpu)
        XCTAssertEqual(o2, .resume)
        XCTAssertEqual(h.cpu.pc, handler)
        let frame = h.cpu[13]
        XCTAssertEqual(h.u32(frame + 12), 0xdead_beef, "si_addr")
        XCTAssertEqual(h.u32(frame + 128 + 20 + 72), 0x8040, "arm_pc")
        XCTAssertEqual(h.u32(frame + 128 + 20 + 80), 0xdead_beef, "fault_address")
        // SIGSEGV is now blocked (inside the handler): a second fault kills.
        let o3 = h.process.raiseSynchronous(signal: SIGSEGV, code: 1, faultAddress: 4, description: "", &h.cpu)
        XCTAssertEqual(o3, .killed(SIGSEGV))
    }

    func testSigaltstackIsUsedWithSAOnstack() throws {
        let h = try SyscallHarness()
        // stack_t { ss_sp, ss_flags, ss_size }
        var ss = Bytes(count: 12)
        ss.set32(0, SyscallHarness.data + 0x8000); ss.set32(4, 0); ss.set32(8, 0x4000)
        h.put(ss.b, at: act + 0x400)
        XCTAssertEqual(h.call(NR.sigaltstack, act + 0x400, act + 0x500), 0)
        XCTAssertEqual(h.u32(act + 0x504), 2, "old: SS_DISABLE")
        install(h, SIGUSR1, flags: 0x0C00_0004)   // SA_ONSTACK | SA_RESTORER | SA_SIGINFO
        XCTAssertEqual(h.call(NR.kill, UInt32(getpid()), UInt32(SIGUSR1)), 0)
        XCTAssertEqual(h.process.deliverPendingSignals(&h.cpu), .resume)
        XCTAssertEqual(h.cpu[13], (SyscallHarness.data + 0xC000 - 888) & ~7)
        h.put([UInt8](repeating: 0, count: 20), at: act)
        XCTAssertEqual(h.call(NR.rt_sigaction, UInt32(SIGUSR1), act, 0, 8), 0)
    }
}
