#if canImport(Glibc)
import Glibc
#endif
import ARM

/// The contract between compiled blocks and the engine (DESIGN.md convention 4).
///
/// A compiled region is a function
///     uint32_t f(CPUState *cpu, uint8_t *guestBase, const uint8_t *pageFlags)
/// in LLVM's preserve_none convention (`CompiledCodeABI.callingConvention`): regions chain by
/// tail calls, and a callee that saves no registers makes each chained transition a jump with
/// no register saves and restores. Swift enters compiled code through the C-convention entry
/// trampoline (`CompiledEntry`), which the JIT compiles once; it saves what C requires once.
/// It reads and writes guest registers through `cpu` (layout pinned by `CPUState.Offsets`),
/// guest memory at `guestBase + address`, and checks each access against the guest page
/// permissions in `pageFlags`. It embeds no host address, so an object can be cached and
/// loaded into another process. On return cpu.r15 holds the guest pc to continue at and the
/// result says why it returned.
public enum CompiledExit: UInt32, Sendable {
    /// Control left the region (a branch, or the end of the region): continue at cpu.pc.
    case branch = 0
    /// An SVC: cpu.pc is after it.
    case supervisorCall = 1
    /// The instruction at cpu.pc needs the interpreter: a memory access that faults, crosses a
    /// page or hits a page holding code, or an exception. The state is as before that
    /// instruction, so the interpreter re-executes it and reports precisely.
    case interpret = 2
    /// A branch to Thumb code: cpu.pc holds the target with bit 0 set.
    case thumb = 3
}

public enum CompiledCodeABI {
    /// LLVM's `preserve_nonecc` (llvm::CallingConv::PreserveNone).
    public static let callingConvention: UInt32 = 21
    /// The entry trampoline's symbol.
    public static let entrySymbol = "isomorph_enter"
    /// Callouts into the engine, C convention, defined by the JIT as absolute symbols (so an
    /// object still embeds no host address: the linker resolves them in each process).
    ///
    /// `uint32_t isomorph_kernel_helper(CPUState *cpu)`: called with the state stored when an
    /// indirect branch targets the vector page (0xffff0000 and up, where the Linux kuser
    /// helpers are). Nonzero: the helper ran and cpu.pc is its return address, where compiled
    /// code continues. Zero: nothing changed, and the region returns to the dispatcher.
    public static let kernelHelperCallout = "isomorph_kernel_helper"
    /// The compiled code a direct exit's link slot holds while its target has none (the
    /// engine links it when it installs the exit's code, and again when the target's code is
    /// invalidated): it returns `CompiledExit.branch` to the dispatcher, and takes back the
    /// chained transition the exit counted. So full code tail-calls what its slot holds, with
    /// no null check and no block of its own for the return. Compiled by the JIT with the
    /// entry trampoline; the engine finds it at `JITCompiler.unchained`.
    public static let unchainedSymbol = "isomorph_unchained"
}

/// ISOMORPH_PERF_MAP names compiled code for `perf report` in /tmp/perf-PID.map (measuring):
/// guest_f_ is full code, guest_q_ LLVM's quick code, guest_b_ baseline code, then the pc.
public enum PerfMap {
    nonisolated(unsafe) private static let file: UnsafeMutablePointer<FILE>? =
        getenv("ISOMORPH_PERF_MAP") == nil ? nil : fopen("/tmp/perf-\(getpid()).map", "w")

    public static func name(address: UInt, size: Int, _ name: @autoclosure () -> String) {
        guard let file else { return }
        fputs("\(String(address, radix: 16)) \(String(size, radix: 16)) \(name())\n", file)
        fflush(file)
    }
}

/// The C type of `CompiledCodeABI.kernelHelperCallout`.
public typealias KernelHelperCallout = @convention(c) (UnsafeMutableRawPointer) -> UInt32

/// The address of a compiled region (preserve_none: not callable from Swift directly).
public typealias CompiledCode = UnsafeRawPointer

/// The entry trampoline: (cpu, guestBase, pageFlags, code) -> the CompiledExit raw value of
/// running `code`.
public typealias CompiledEntry = @convention(c) (
    UnsafeMutableRawPointer, UnsafeMutableRawPointer, UnsafeRawPointer, CompiledCode) -> UInt32

/// The layout of the JIT's dispatch table as compiled code reads it: `entries` entries of
/// `entrySize` bytes, indexed by (pc >> 2) mod entries; each a UInt32 pc then a function pointer
/// at offset 8. `TranslationCache` owns the table.
public enum DispatchTableLayout {
    public static let entries = 1 << 14
    public static let entrySize = 16
}
