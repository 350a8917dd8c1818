#if canImport(Glibc)
import Glibc
#endif
import Synchronization
import ARM
import Memory

// Guest signals. The guest's dispositions and mask live here, not in the host: the host signal
// mask stays empty, and a host signal the guest handles (or has blocked) only sets a bit in
// `hostPendingSignals`; the engine sees `hasPendingSignals` between blocks and calls
// `deliverPendingSignals`, which builds the ARM signal frame on the guest stack exactly as
// arch/arm/kernel/signal.c does. Signals the guest leaves at their default action keep the host
// default (a SIGTERM kills Isomorph as it would kill the guest; SIG_IGN is host SIG_IGN, so a
// write to a closed pipe returns EPIPE). SIGSEGV, SIGBUS, SIGILL, SIGFPE and SIGTRAP belong to
// the engine on the host side: the guest's handlers for them run through `raiseSynchronous`.

/// Host signals waiting for the guest, one bit per signal (bit n-1 for signal n). Written by
/// the async-signal-safe host handler, drained by `deliverPendingSignals`.
let hostPendingSignals = Atomic<UInt64>(0)

/// Per signal: si_code, si_pid, si_uid, si_status of the last host delivery.
private let hostSignalInfo: UnsafeMutablePointer<Int32> = {
    let p = UnsafeMutablePointer<Int32>.allocate(capacity: 65 * 4)
    p.initialize(repeating: 0, count: 65 * 4)
    return p
}()

private let recordingHandler: @convention(c) (Int32, UnsafeMutablePointer<siginfo_t>?, UnsafeMutableRawPointer?) -> Void = { sig, info, _ in
    guard sig > 0, sig <= 64 else { return }
    if let info {
        let raw = UnsafeRawPointer(info)
        let slot = hostSignalInfo + Int(sig) * 4
        slot[0] = raw.load(fromByteOffset: HostSiginfo.code, as: Int32.self)
        slot[1] = raw.load(fromByteOffset: HostSiginfo.pid, as: Int32.self)
        slot[2] = raw.load(fromByteOffset: HostSiginfo.uid, as: Int32.self)
        slot[3] = raw.load(fromByteOffset: HostSiginfo.status, as: Int32.self)
    }
    hostPendingSignals.bitwiseOr(UInt64(1) << UInt64(sig - 1), ordering: .sequentiallyConsistent)
}

/// Syscall-layer and signal state of one guest process (a stored property of LinuxProcess).
public final class KernelState {
    var actions = [ARMSigaction](repeating: ARMSigaction(), count: 65)
    /// Whether the guest has a handler for SIGSEGV or SIGBUS: then its memory faults must be
    /// delivered at the exact instruction, with the exact registers.
    public var catchesMemoryFaults: Bool {
        actions[Int(SIGSEGV)].handler > ARMSigaction.SIG_IGN || actions[Int(SIGBUS)].handler > ARMSigaction.SIG_IGN
    }
    /// The guest's blocked mask (bit n-1 for signal n).
    var blocked: UInt64 = 0
    /// Signals raised for the guest and not delivered yet, with their siginfo.
    var pending: UInt64 = 0
    var pendingInfo = [[UInt8]?](repeating: nil, count: 65)
    /// sigaltstack.
    var altStackSP: UInt32 = 0, altStackSize: UInt32 = 0, altStackFlags: UInt32 = ARMStack.SS_DISABLE
    /// The mask to restore once a handler frame is built (sigsuspend, ppoll, pselect).
    var maskAfterDelivery: UInt64?
    var clearChildTid: UInt32 = 0
    var robustList: UInt32 = 0
    var personality: UInt32 = 0
    var signalsReady = false
    /// Hooks the engine may set around fork (e.g. to stop and restart a compile thread).
    public var beforeFork: [() -> Void] = []
    public var afterForkParent: [() -> Void] = []
    public var afterForkChild: [() -> Void] = []
    /// Hooks run just before execve replaces this process (e.g. to save the code cache).
    public var beforeExec: [() -> Void] = []

    public init() {}

    /// Takes over the host's state at start: the inherited mask becomes the guest mask (the
    /// host mask is then cleared) and inherited SIG_IGN dispositions become the guest's.
    func ensureSignalSetup() {
        if signalsReady { return }
        signalsReady = true
        _ = hostPendingSignals.load(ordering: .relaxed)
        _ = hostSignalInfo
        var empty = sigset_t(), old = sigset_t()
        sigemptyset(&empty)
        sigprocmask(SIG_SETMASK, &empty, &old)
        for s in Int32(1)...64 where sigismember(&old, s) == 1 { blocked |= Signal.bit(s) }
        blocked &= ~Signal.unblockable
        for s in Int32(1)...64 where Signal.hostManaged(s) {
            var cur = sigaction()
            if sigaction(s, nil, &cur) == 0, unsafeBitCast(cur.__sigaction_handler.sa_handler, to: Int.self) == 1 {
                actions[Int(s)].handler = ARMSigaction.SIG_IGN
            }
        }
        for s in Int32(1)...64 { updateHostDisposition(s) }
    }

    /// Makes the host disposition of `sig` match the guest's.
    func updateHostDisposition(_ sig: Int32) {
        guard Signal.hostManaged(sig) else { return }
        let act = actions[Int(sig)]
        var sa = sigaction()
        sigemptyset(&sa.sa_mask)
        if act.handler == ARMSigaction.SIG_IGN {
            sa.__sigaction_handler.sa_handler = SIG_IGN
        } else if act.handler == ARMSigaction.SIG_DFL
                    && (blocked & Signal.bit(sig) == 0 || Signal.defaultAction(sig) == .ignore) {
            sa.__sigaction_handler.sa_handler = SIG_DFL
        } else {
            sa.__sigaction_handler.sa_sigaction = recordingHandler
            sa.sa_flags = SA_SIGINFO
            if sig == SIGCHLD && act.flags & ARMSigaction.SA_NOCLDSTOP != 0 { sa.sa_flags |= SA_NOCLDSTOP }
        }
        sigaction(sig, &sa, nil)
    }

    /// Moves host-recorded signals into the guest's pending set.
    func drainHostSignals() {
        let bits = hostPendingSignals.exchange(0, ordering: .sequentiallyConsistent)
        guard bits != 0 else { return }
        for s in Int32(1)...64 where bits & Signal.bit(s) != 0 {
            let slot = hostSignalInfo + Int(s) * 4
            var g = Bytes(ARMSiginfo.make(signo: s, code: slot[0], pid: slot[1], uid: UInt32(bitPattern: slot[2])))
            if s == SIGCHLD { g.seti32(ARMSiginfo.status, slot[3]) }
            if pending & Signal.bit(s) == 0 || s >= 32 { pendingInfo[Int(s)] = g.b }
            pending |= Signal.bit(s)
        }
    }

    /// The lowest-numbered pending signal the guest does not block.
    func nextDeliverable() -> Int32? {
        let ready = pending & ~blocked
        if ready == 0 { return nil }
        return Int32(ready.trailingZeroBitCount + 1)
    }

    func queue(_ sig: Int32, info: [UInt8]) {
        if pending & Signal.bit(sig) == 0 { pendingInfo[Int(sig)] = info }
        pending |= Signal.bit(sig)
    }

    func onAltStack(_ sp: UInt32) -> Bool {
        altStackSize != 0 && sp &- altStackSP <= altStackSize && altStackFlags & ARMStack.SS_DISABLE == 0
            && sp > altStackSP
    }
}

/// Signal numbers and default actions (the same numbers on ARM and x86-64).
enum Signal {
    enum DefaultAction { case terminate, core, ignore, stop }

    static func bit(_ s: Int32) -> UInt64 { UInt64(1) << UInt64(s - 1) }
    static let unblockable = bit(SIGKILL) | bit(SIGSTOP)

    static func defaultAction(_ s: Int32) -> DefaultAction {
        switch s {
        case SIGCHLD, SIGURG, SIGWINCH, SIGCONT: return .ignore
        case SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU: return .stop
        case SIGQUIT, SIGILL, SIGTRAP, SIGABRT, SIGBUS, SIGFPE, SIGSEGV, SIGXCPU, SIGXFSZ, SIGSYS: return .core
        default: return .terminate
        }
    }

    /// Signals whose host disposition follows the guest's. Not: SIGKILL/SIGSTOP (fixed), the
    /// synchronous fault signals (the engine's), and 32/33 (host glibc's internal signals).
    static func hostManaged(_ s: Int32) -> Bool {
        switch s {
        case SIGKILL, SIGSTOP, SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP, 32, 33: return false
        default: return s >= 1 && s <= 64
        }
    }

    static let names = ["", "SIGHUP", "SIGINT", "SIGQUIT", "SIGILL", "SIGTRAP", "SIGABRT", "SIGBUS", "SIGFPE",
                        "SIGKILL", "SIGUSR1", "SIGSEGV", "SIGUSR2", "SIGPIPE", "SIGALRM", "SIGTERM",
                        "SIGSTKFLT", "SIGCHLD", "SIGCONT", "SIGSTOP", "SIGTSTP", "SIGTTIN", "SIGTTOU",
                        "SIGURG", "SIGXCPU", "SIGXFSZ", "SIGVTALRM", "SIGPROF", "SIGWINCH", "SIGIO",
                        "SIGPWR", "SIGSYS"]
    static func name(_ s: Int32) -> String {
        if s > 0 && Int(s) < names.count { return names[Int(s)] }
        if s >= 34 && s <= 64 { return s == 34 ? "SIGRTMIN" : "SIGRTMIN+\(s - 34)" }
        return "SIG\(s)"
    }
    static func description(_ s: Int32) -> String {
        guard let p = strsignal(s) else { return "signal \(s)" }
        return String(cString: p)
    }
}

/// Addresses in the vector page where a handler without SA_RESTORER returns: `runKernelHelper`
/// performs sigreturn / rt_sigreturn there (the retcode is also written into the frame, as the
/// kernel does, for unwinders).
public enum SignalTrampoline {
    public static let sigreturn: UInt32 = 0xffff_0500
    public static let rtSigreturn: UInt32 = 0xffff_0508
}

extension SyscallTable {
    func registerSignals() {
        add(29, "pause", [], restart: .never) { p, _ in
            p.waitForSignal(timeout: nil, extra: 0)
            return -Errno.EINTR
        }
        add(37, "kill", [.int, .signal]) { p, a in p.sysKill(pid: a.sint(0), tid: nil, sig: a.int(1), code: ARMSiginfo.SI_USER) }
        add(238, "tkill", [.int, .signal]) { p, a in p.sysKill(pid: nil, tid: a.sint(0), sig: a.int(1), code: ARMSiginfo.SI_TKILL) }
        add(268, "tgkill", [.int, .int, .signal]) { p, a in p.sysKill(pid: a.sint(0), tid: a.sint(1), sig: a.int(2), code: ARMSiginfo.SI_TKILL) }
        addFull(ARMSyscall.sigreturn, "sigreturn", []) { p, cpu, _ in p.sysSigreturn(&cpu, rt: false) }
        addFull(ARMSyscall.rt_sigreturn, "rt_sigreturn", []) { p, cpu, _ in p.sysSigreturn(&cpu, rt: true) }
        add(174, "rt_sigaction", [.signal, .ptr, .ptr, .size]) { p, a in try p.sysRtSigaction(a) }
        add(175, "rt_sigprocmask", [.sigHow, .ptr, .ptr, .size]) { p, a in
            guard a[3] == 8 else { return -Errno.EINVAL }
            return try p.sysSigprocmask(a.int(0), a[1], a[2], wide: true)
        }
        add(126, "sigprocmask", [.sigHow, .ptr, .ptr]) { p, a in try p.sysSigprocmask(a.int(0), a[1], a[2], wide: false) }
        add(176, "rt_sigpending", [.ptr, .size]) { p, a in
            guard a[1] <= 8 else { return -Errno.EINVAL }
            p.kernel.drainHostSignals()
            try p.memory.write(a[0], p.kernel.pending & p.kernel.blocked)
            return 0
        }
        add(179, "rt_sigsuspend", [.ptr, .size], restart: .never) { p, a in
            guard a[1] == 8 else { return -Errno.EINVAL }
            let mask: UInt64 = try p.memory.read(a[0])
            p.kernel.maskAfterDelivery = p.kernel.blocked
            p.setBlocked(mask)
            p.waitForSignal(timeout: nil, extra: 0)
            return -Errno.EINTR
        }
        add(72, "sigsuspend", [.int, .int, .hex], restart: .never) { p, a in
            p.kernel.maskAfterDelivery = p.kernel.blocked
            p.setBlocked(p.kernel.blocked & ~0xffff_ffff | UInt64(a[2]))
            p.waitForSignal(timeout: nil, extra: 0)
            return -Errno.EINTR
        }
        add(177, "rt_sigtimedwait", [.ptr, .ptr, .ptr, .size]) { p, a in try p.sysSigtimedwait(a, .timespec32) }
        add(421, "rt_sigtimedwait_time64", [.ptr, .ptr, .ptr, .size]) { p, a in try p.sysSigtimedwait(a, .timespec64) }
        add(178, "rt_sigqueueinfo", [.int, .signal, .ptr]) { p, a in
            guard a.int(1) >= 1, a.int(1) <= 64 else { return -Errno.EINVAL }
            guard a.sint(0) == Int(getpid()) else { return -Errno.EPERM }
            var info = Bytes(try p.readBytes(a[2], ARMSiginfo.size))
            info.seti32(ARMSiginfo.signo, a.int(1))
            p.kernel.queue(a.int(1), info: info.b)
            return 0
        }
        addFull(186, "sigaltstack", [.ptr, .ptr]) { p, cpu, a in .value(try p.sysSigaltstack(a[0], a[1], sp: cpu[13])) }
    }
}

extension LinuxProcess {
    /// Whether a signal waits for the guest (cheap: the engine checks it between blocks).
    public var hasPendingSignals: Bool {
        hostPendingSignals.load(ordering: .relaxed) != 0 || kernel.pending & ~kernel.blocked != 0
    }

    /// Delivers the first deliverable pending signal: builds its frame and points pc at the
    /// guest handler (.resume), drops it (ignored: .resume), or reports the default action's
    /// death (.killed, with `deathMessage` set for the core-dumping signals).
    public func deliverPendingSignals(_ cpu: inout CPUState) -> LinuxOutcome {
        kernel.ensureSignalSetup()
        kernel.drainHostSignals()
        while let sig = kernel.nextDeliverable() {
            kernel.pending &= ~Signal.bit(sig)
            let info = kernel.pendingInfo[Int(sig)] ?? ARMSiginfo.make(signo: sig, code: ARMSiginfo.SI_KERNEL)
            kernel.pendingInfo[Int(sig)] = nil
            let act = kernel.actions[Int(sig)]
            if act.handler == ARMSigaction.SIG_IGN { continue }
            if act.handler == ARMSigaction.SIG_DFL {
                switch Signal.defaultAction(sig) {
                case .ignore:
                    continue
                case .stop:
                    kill(getpid(), SIGSTOP)
                    continue
                case .terminate, .core:
                    straceSignal(sig, info)
                    if Signal.defaultAction(sig) == .core {
                        deathMessage = "isomorph: guest terminated by \(Signal.name(sig)) (\(Signal.description(sig)))"
                    }
                    return .killed(sig)
                }
            }
            straceSignal(sig, info)
            return setupFrame(sig, info: info, action: act, trapNo: 0, errorCode: 0, faultAddress: 0, &cpu)
        }
        if let m = kernel.maskAfterDelivery {
            kernel.maskAfterDelivery = nil
            setBlocked(m)
        }
        return .resume
    }

    /// A synchronous signal caused by the instruction at cpu.pc (SIGSEGV from a guest memory
    /// fault, SIGILL, SIGTRAP, SIGBUS). A guest handler that isn't blocked runs (frame with
    /// si_addr = faultAddress, pc of the frame = cpu.pc so returning retries the instruction);
    /// otherwise the guest dies: `deathMessage` becomes
    /// "isomorph: guest terminated by SIGILL (Illegal instruction) " + description, so pass a
    /// description like "at pc 0x00010234: word 0xeeb00a41: VFP instructions are not supported
    /// yet" (an empty one is replaced by "at pc 0x…" and the fault address).
    public func raiseSynchronous(signal sig: Int32, code: Int32, faultAddress: UInt32, description: String,
                                 _ cpu: inout CPUState) -> LinuxOutcome {
        kernel.ensureSignalSetup()
        let act = kernel.actions[Int(sig)]
        let info = ARMSiginfo.fault(signo: sig, code: code, address: faultAddress)
        if act.handler > ARMSigaction.SIG_IGN && kernel.blocked & Signal.bit(sig) == 0 {
            straceSignal(sig, info)
            let trapNo: UInt32 = (sig == SIGSEGV || sig == SIGBUS) ? 14 : (sig == SIGILL || sig == SIGTRAP ? 6 : 0)
            return setupFrame(sig, info: info, action: act, trapNo: trapNo, errorCode: 0, faultAddress: faultAddress, &cpu)
        }
        var where_ = description
        if where_.isEmpty {
            where_ = "at pc " + hex8(cpu.pc)
            if sig == SIGSEGV || sig == SIGBUS { where_ += ": fault address " + hex8(faultAddress) }
        }
        straceSignal(sig, info)
        deathMessage = "isomorph: guest terminated by \(Signal.name(sig)) (\(Signal.description(sig))) \(where_)"
        return .killed(sig)
    }

    /// Ends the host process the way the guest died: prints `deathMessage` (not for SIGPIPE or
    /// SIGINT, which a shell reports quietly), disables core dumps, restores the default
    /// action, unblocks and raises the signal. Falls back to exit(128 + sig).
    public func dieBySignal(_ sig: Int32) -> Never {
        if let m = deathMessage, sig != SIGPIPE, sig != SIGINT {
            let line = Array((m + "\n").utf8)
            line.withUnsafeBytes { _ = Glibc.write(2, $0.baseAddress, $0.count) }
        }
        fflush(nil)
        let noCore: [UInt64] = [0, 0]
        noCore.withUnsafeBytes { _ = hostSyscall(HostSys.prlimit64, 0, Int(RLIMIT_CORE.rawValue), Int(bitPattern: $0.baseAddress!), 0) }
        signal(sig, SIG_DFL)
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, sig)
        sigprocmask(SIG_UNBLOCK, &set, nil)
        kill(getpid(), sig)
        // A signal whose default does not terminate, or one still in flight.
        usleep(10_000)
        _exit(128 + sig)
    }

    /// Sets the guest mask (SIGKILL and SIGSTOP can't be blocked) and follows it on the host.
    func setBlocked(_ mask: UInt64) {
        let new = mask & ~Signal.unblockable
        let changed = new ^ kernel.blocked
        kernel.blocked = new
        if changed != 0 {
            for s in Int32(1)...64 where changed & Signal.bit(s) != 0 { kernel.updateHostDisposition(s) }
        }
    }

    /// Waits until a signal the guest doesn't block (or one in `extra`) is pending, or the
    /// timeout (a host timespec) passes. Returns false on timeout.
    @discardableResult
    func waitForSignal(timeout: [UInt8]?, extra: UInt64) -> Bool {
        kernel.ensureSignalSetup()
        var all = sigset_t(), prev = sigset_t()
        sigfillset(&all)
        let noMask: UInt64 = 0
        // Block host signals while checking so none slips in between the check and the wait;
        // ppoll unblocks atomically.
        sigprocmask(SIG_BLOCK, &all, &prev)
        defer { sigprocmask(SIG_SETMASK, &prev, nil) }
        var ts = timeout.map { Bytes($0) }
        while true {
            kernel.drainHostSignals()
            if kernel.pending & (~kernel.blocked | extra) != 0 { return true }
            let r: Int = withUnsafeBytes(of: noMask) { m in
                if var t = ts {
                    let r = t.b.withUnsafeMutableBytes { hostSyscall(HostSys.ppoll, 0, 0, Int(bitPattern: $0.baseAddress!), Int(bitPattern: m.baseAddress!), 8) }
                    ts = t
                    return r
                }
                return hostSyscall(HostSys.ppoll, 0, 0, 0, Int(bitPattern: m.baseAddress!), 8)
            }
            if r == 0 { return false }
        }
    }

    func sysKill(pid: Int?, tid: Int?, sig: Int32, code: Int32) -> Int {
        guard sig >= 0, sig <= 64 else { return -Errno.EINVAL }
        let me = Int(getpid()), myTid = hostSyscall(HostSys.gettid)
        let toSelf: Bool
        if let tid {
            if tid <= 0 { return -Errno.EINVAL }
            toSelf = tid == myTid && (pid == nil || pid! == me)
        } else {
            toSelf = pid! == me
        }
        if !toSelf {
            if let tid {
                return pid == nil ? hostSyscall(200 /* tkill */, tid, Int(sig))
                                  : hostSyscall(HostSys.tgkill, pid!, tid, Int(sig))
            }
            return hostSyscall(HostSys.kill, pid!, Int(sig))
        }
        if sig == 0 { return 0 }
        if sig == SIGKILL || sig == SIGSTOP {
            signal(sig, SIG_DFL)
            return hostSyscall(HostSys.kill, me, Int(sig))
        }
        kernel.queue(sig, info: ARMSiginfo.make(signo: sig, code: code, pid: Int32(me), uid: getuid()))
        return 0
    }

    func sysRtSigaction(_ a: SyscallArgs) throws -> Int {
        let sig = a.int(0)
        guard a[3] == 8, sig >= 1, sig <= 64 else { return -Errno.EINVAL }
        if a[1] != 0 && (sig == SIGKILL || sig == SIGSTOP) { return -Errno.EINVAL }
        kernel.ensureSignalSetup()
        let old = kernel.actions[Int(sig)]
        let new: ARMSigaction? = a[1] != 0 ? ARMSigaction(try readBytes(a[1], ARMSigaction.size)) : nil
        if a[2] != 0 { try writeBytes(a[2], old.bytes) }
        if var new {
            new.mask &= ~Signal.unblockable
            kernel.actions[Int(sig)] = new
            if new.handler == ARMSigaction.SIG_IGN
                || (new.handler == ARMSigaction.SIG_DFL && Signal.defaultAction(sig) == .ignore) {
                kernel.pending &= ~Signal.bit(sig)
            }
            kernel.updateHostDisposition(sig)
        }
        return 0
    }

    func sysSigprocmask(_ how: Int32, _ set: UInt32, _ oldSet: UInt32, wide: Bool) throws -> Int {
        let old = kernel.blocked
        if set != 0 {
            let m: UInt64 = wide ? try memory.read(set) : UInt64(try readU32(set))
            switch how {
            case 0: setBlocked(kernel.blocked | m)
            case 1: setBlocked(kernel.blocked & ~m)
            case 2: setBlocked(wide ? m : (kernel.blocked & ~0xffff_ffff) | m)
            default: return -Errno.EINVAL
            }
        }
        if oldSet != 0 {
            if wide { try memory.write(oldSet, old) } else { try writeU32(oldSet, UInt32(truncatingIfNeeded: old)) }
        }
        return 0
    }

    func sysSigtimedwait(_ a: SyscallArgs, _ kind: TimeKind) throws -> Int {
        guard a[3] == 8 else { return -Errno.EINVAL }
        let set = (try memory.read(a[0], as: UInt64.self)) & ~Signal.unblockable
        let ts = try hostTimespec(a[2], kind)
        func take() throws -> Int? {
            kernel.drainHostSignals()
            let ready = kernel.pending & set
            guard ready != 0 else { return nil }
            let sig = Int32(ready.trailingZeroBitCount + 1)
            kernel.pending &= ~Signal.bit(sig)
            let info = kernel.pendingInfo[Int(sig)] ?? ARMSiginfo.make(signo: sig, code: ARMSiginfo.SI_KERNEL)
            kernel.pendingInfo[Int(sig)] = nil
            if a[1] != 0 { try writeBytes(a[1], info) }
            return Int(sig)
        }
        if let s = try take() { return s }
        if let ts, Bytes(ts).i64(0) == 0 && Bytes(ts).i64(8) == 0 { return -Errno.EAGAIN }
        let woke = waitForSignal(timeout: ts, extra: set)
        if let s = try take() { return s }
        return woke ? -Errno.EINTR : -Errno.EAGAIN
    }

    func sysSigaltstack(_ ss: UInt32, _ oss: UInt32, sp: UInt32) throws -> Int {
        let on = kernel.onAltStack(sp)
        if oss != 0 {
            var g = Bytes(count: ARMStack.size)
            g.set32(0, kernel.altStackSP)
            g.set32(4, kernel.altStackSize == 0 ? ARMStack.SS_DISABLE : (on ? ARMStack.SS_ONSTACK : kernel.altStackFlags & ~ARMStack.SS_ONSTACK))
            g.set32(8, kernel.altStackSize)
            try writeBytes(oss, g.b)
        }
        if ss != 0 {
            let g = Bytes(try readBytes(ss, ARMStack.size))
            if on { return -Errno.EPERM }
            let flags = g.u32(4)
            if flags & ARMStack.SS_DISABLE != 0 {
                kernel.altStackSP = 0; kernel.altStackSize = 0; kernel.altStackFlags = ARMStack.SS_DISABLE
            } else {
                guard flags & ~(ARMStack.SS_ONSTACK | 0x8000_0000 /* SS_AUTODISARM */) == 0 else { return -Errno.EINVAL }
                guard g.u32(8) >= 2048 else { return -Errno.ENOMEM }   // MINSIGSTKSZ
                kernel.altStackSP = g.u32(0); kernel.altStackSize = g.u32(8); kernel.altStackFlags = 0
            }
        }
        return 0
    }

    /// Builds the (rt_)sigframe for `sig` on the guest stack and enters the handler.
    func setupFrame(_ sig: Int32, info: [UInt8], action act: ARMSigaction, trapNo: UInt32, errorCode: UInt32,
                    faultAddress: UInt32, _ cpu: inout CPUState) -> LinuxOutcome {
        let rt = act.flags & ARMSigaction.SA_SIGINFO != 0
        let size = rt ? ARMSignalFrame.rtSigframeSize : ARMSignalFrame.sigframeSize
        var sp = cpu[13]
        if act.flags & ARMSigaction.SA_ONSTACK != 0, kernel.altStackSize != 0,
           kernel.altStackFlags & ARMStack.SS_DISABLE == 0, !kernel.onAltStack(sp) {
            sp = kernel.altStackSP &+ kernel.altStackSize
        }
        let frame = (sp &- UInt32(size)) & ~7
        let uc = rt ? ARMSignalFrame.rtSig : 0
        let savedMask = kernel.maskAfterDelivery ?? kernel.blocked
        kernel.maskAfterDelivery = nil
        var f = Bytes(count: size)
        if rt { f.setBytes(ARMSignalFrame.rtInfo, info) }
        f.set32(uc + ARMSignalFrame.ucFlags, rt ? 0 : ARMSignalFrame.sigframeMagic)
        f.set32(uc + ARMSignalFrame.ucStack, kernel.altStackSP)
        f.set32(uc + ARMSignalFrame.ucStack + 4, kernel.altStackSize == 0 ? ARMStack.SS_DISABLE
                : (kernel.onAltStack(cpu[13]) ? ARMStack.SS_ONSTACK : 0))
        f.set32(uc + ARMSignalFrame.ucStack + 8, kernel.altStackSize)
        let mc = uc + ARMSignalFrame.ucMcontext
        f.set32(mc + ARMSignalFrame.scTrapNo, trapNo)
        f.set32(mc + ARMSignalFrame.scErrorCode, errorCode)
        f.set32(mc + ARMSignalFrame.scOldmask, UInt32(truncatingIfNeeded: savedMask))
        for i in 0..<16 { f.set32(mc + ARMSignalFrame.scR0 + 4 * i, cpu[i]) }
        f.set32(mc + ARMSignalFrame.scCPSR, cpu.cpsr)
        f.set32(mc + ARMSignalFrame.scFaultAddress, faultAddress)
        f.set64(uc + ARMSignalFrame.ucSigmask, savedMask)
        // retcode: mov r7, #NR_(rt_)sigreturn; svc #0
        let nr = rt ? ARMSyscall.rt_sigreturn : ARMSyscall.sigreturn
        f.set32(uc + ARMSignalFrame.retcode, 0xe3a0_7000 | nr)
        f.set32(uc + ARMSignalFrame.retcode + 4, 0xef00_0000)
        do {
            try memory.writeBytes(frame, f.b)
        } catch {
            deathMessage = "isomorph: guest terminated by SIGSEGV (Segmentation fault) at pc \(hex8(cpu.pc)): "
                + "cannot write the frame of \(Signal.name(sig)) to the stack at \(hex8(frame))"
            return .killed(SIGSEGV)
        }
        cpu[0] = UInt32(bitPattern: sig)
        if rt {
            cpu[1] = frame &+ UInt32(ARMSignalFrame.rtInfo)
            cpu[2] = frame &+ UInt32(uc)
        }
        cpu[13] = frame
        cpu[14] = act.flags & ARMSigaction.SA_RESTORER != 0 ? act.restorer
                : (rt ? SignalTrampoline.rtSigreturn : SignalTrampoline.sigreturn)
        cpu.pc = act.handler & ~1
        cpu.cpsrControl &= ~(PSR.thumbBit | 0x0600_FC00)   // ARM state, IT bits clear
        if act.handler & 1 != 0 { cpu.cpsrControl |= PSR.thumbBit }
        var newMask = kernel.blocked | act.mask
        if act.flags & ARMSigaction.SA_NODEFER == 0 { newMask |= Signal.bit(sig) }
        setBlocked(newMask)
        if act.flags & ARMSigaction.SA_RESETHAND != 0 {
            kernel.actions[Int(sig)] = ARMSigaction()
            kernel.updateHostDisposition(sig)
        }
        return .resume
    }

    /// sigreturn / rt_sigreturn: restores registers, flags, the mask (and for rt the
    /// alternate stack) from the frame at sp. r0 is the saved r0, not a syscall result.
    func sysSigreturn(_ cpu: inout CPUState, rt: Bool) -> SyscallReturn {
        let frame = cpu[13]
        let uc = frame &+ UInt32(rt ? ARMSignalFrame.rtSig : 0)
        guard frame & 7 == 0, let bytes = try? readBytes(uc, ARMSignalFrame.ucRegspace) else {
            let o = raiseSynchronous(signal: SIGSEGV, code: 128 /* SI_KERNEL */, faultAddress: 0,
                                     description: "at pc \(hex8(cpu.pc)): bad signal frame at sp \(hex8(frame))", &cpu)
            return o == .resume ? .registersSet : .outcome(o)
        }
        let g = Bytes(bytes)
        let mc = ARMSignalFrame.ucMcontext
        for i in 0..<16 { cpu[i] = g.u32(mc + ARMSignalFrame.scR0 + 4 * i) }
        let saved = g.u32(mc + ARMSignalFrame.scCPSR)
        cpu.cpsr = (saved & (PSR.applicationWritableMask | PSR.thumbBit)) | (cpu.cpsrControl & ~PSR.thumbBit)
        setBlocked(g.u64(ARMSignalFrame.ucSigmask))
        if rt {
            let ssFlags = g.u32(ARMSignalFrame.ucStack + 4)
            if !kernel.onAltStack(cpu[13]) {
                if ssFlags & ARMStack.SS_DISABLE != 0 {
                    kernel.altStackSP = 0; kernel.altStackSize = 0; kernel.altStackFlags = ARMStack.SS_DISABLE
                } else if g.u32(ARMSignalFrame.ucStack + 8) >= 2048 {
                    kernel.altStackSP = g.u32(ARMSignalFrame.ucStack); kernel.altStackSize = g.u32(ARMSignalFrame.ucStack + 8)
                    kernel.altStackFlags = 0
                }
            }
        }
        return .registersSet
    }
}

/// "0x" and eight hex digits.
func hex8(_ v: UInt32) -> String {
    let h = String(v, radix: 16)
    return "0x" + String(repeating: "0", count: max(0, 8 - h.count)) + h
}
