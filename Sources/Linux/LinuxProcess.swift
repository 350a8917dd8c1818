import ARM
import Memory

/// How the guest process is run: the user's options that the Linux layer honours.
public struct LinuxOptions: Sendable {
    /// Where the ARM dynamic loader and libraries live (`-L`, ISOMORPH_LD_PREFIX).
    public var sysroot: String?
    /// Print each syscall with decoded arguments and result on stderr (`--strace`).
    public var strace = false
    /// The host command that runs another ARM program under Isomorph with the same options:
    /// execve of an ARM ELF runs `execPrefix + [path] + ["--"]? ...` — see `execve`.
    public var execPrefix: [String] = []
    public init() {}
}

/// What the engine does after the Linux layer handled an event.
public enum LinuxOutcome: Equatable, Sendable {
    /// Resume the guest at cpu.pc.
    case resume
    /// The guest called exit/exit_group with this status.
    case exit(Int32)
    /// The guest dies of this host signal number (default action); the message, if any, has
    /// been prepared in `deathMessage`. The engine calls `dieBySignal` after writing its stats.
    case killed(Int32)
}

/// The Linux user-mode personality of one guest process: its memory, the syscalls, signals,
/// the kernel helper page. One instance per process (fork copies it with the host process).
public final class LinuxProcess {
    public let memory: AddressSpace
    public var options: LinuxOptions
    /// Absolute host path of the running guest program (what /proc/self/exe names).
    public var executablePath = ""
    /// Program break: start (end of the data segment, page-aligned up) and current value.
    public var brkStart: UInt32 = 0
    public var brkCurrent: UInt32 = 0
    /// Statistics.
    public var syscallCount = 0
    /// One line for stderr when the guest dies of a signal, set before `.killed` is returned.
    public var deathMessage: String?
    /// Syscall-layer and signal state: dispositions, masks, pending signals, fork hooks
    /// (Signals.swift, Syscalls*.swift).
    public let kernel = KernelState()

    public init(memory: AddressSpace, options: LinuxOptions) {
        self.memory = memory
        self.options = options
    }
}
