import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One end-to-end case: a guest program from guests/ run with given arguments, environment
/// and stdin, under qemu-arm (the reference) and under `isomorph run`, once per built variant.
///
/// Strings in `args` may contain placeholders, replaced per run:
///   {TMP}      a fresh, empty scratch directory (a different one for each run)
///   {BUILD}    guests/build
///   {VARIANT}  this run's variant, e.g. "static.v5"
struct GuestCase {
    enum Group: String, CaseIterable {
        case basics, libc, files, system, memory, signals, processes, assembly
    }

    /// What is expected besides "stdout and exit status equal qemu-arm's".
    enum Expectation {
        /// Compare with qemu-arm: stdout and status equal; stderr equal too unless `ignoreStderr`.
        case sameAsQemu
        /// Dies of this signal (status 128+signal, same stdout as qemu-arm). Isomorph's stderr
        /// must be exactly one line (`messageRequired`), or at most one line otherwise (qemu-arm
        /// itself prints nothing for signals that do not dump core, such as SIGPIPE).
        case killedBy(Int32, messageRequired: Bool)
        /// The guest execve()s `target` (another guest of the same variant) with the single
        /// argument "from-exec". qemu-arm cannot run this itself (without binfmt_misc its
        /// execve of an ARM binary fails with ENOEXEC), so the expected stdout is `prefix`,
        /// then qemu-arm's stdout for `target from-exec`, then `suffix`; the expected status is
        /// the target's (`statusFromTarget`) or 0.
        case execChain(target: String, prefix: String, suffix: String, statusFromTarget: Bool)
    }

    var name: String
    var label: String?
    var group: Group
    var args: [String] = []
    var env: [String: String] = [:]
    var stdin: String = ""
    /// Options given to both qemu-arm and isomorph before the program (-E, -U and -0 have the
    /// same syntax in both).
    var options: [String] = []
    var expect: Expectation = .sameAsQemu
    var ignoreStderr = false
    var timeout: TimeInterval = EndToEnd.defaultTimeout
    /// A known gap in isomorph, with the reason: the case still runs, a mismatch is printed but
    /// not counted as a failure, and passing is a failure (so the mark gets removed).
    var pending: String?

    init(_ name: String, _ group: Group, label: String? = nil, args: [String] = [],
         env: [String: String] = [:], stdin: String = "", options: [String] = [],
         expect: Expectation = .sameAsQemu, ignoreStderr: Bool = false,
         timeout: TimeInterval = EndToEnd.defaultTimeout, pending: String? = nil) {
        self.name = name
        self.label = label
        self.group = group
        self.args = args
        self.env = env
        self.stdin = stdin
        self.options = options
        self.expect = expect
        self.ignoreStderr = ignoreStderr
        self.timeout = timeout
        self.pending = pending
    }

    var displayName: String { label.map { "\(name) [\($0)]" } ?? name }
}

/// The table: every guest program, and how to run it.
enum GuestTable {
    static let all: [GuestCase] = [
        // Basics: output, exit status, arguments, environment, stdin.
        GuestCase("hello", .basics),
        GuestCase("exit42", .basics),
        GuestCase("env", .basics, env: ["ISOMORPH_TEST_VAR": "from the test"]),
        GuestCase("env", .basics, label: "args and -E/-U/-0",
                  args: ["one", "two words", "", "-x", "--", "ünïcödé"],
                  env: ["ISOMORPH_TEST_VAR": "overridden", "TO_REMOVE": "1"],
                  options: ["-E", "ISOMORPH_TEST_VAR=from -E", "-E", "EXTRA=1", "-U", "TO_REMOVE",
                            "-0", "renamed-argv0"]),
        GuestCase("stdin_echo", .basics,
                  stdin: "hello world\nsecond  line\twith tabs\n\n" +
                      String(repeating: "long line ", count: 50) + "\nno trailing newline"),
        GuestCase("stdin_echo", .basics, label: "empty stdin"),

        // C library workloads: integer/float formatting, strings, sorting, control flow.
        GuestCase("printf_fmt", .libc),
        GuestCase("strings", .libc),
        GuestCase("sort_search", .libc),
        GuestCase("setjmp", .libc),
        GuestCase("recursion", .libc),
        GuestCase("math", .libc),
        GuestCase("malloc_stress", .libc),
        GuestCase("cpu_heavy", .libc, args: ["2"]),

        // Files and descriptors.
        GuestCase("fileio", .files, args: ["{TMP}"]),
        GuestCase("cwd", .files, args: ["{TMP}"]),
        GuestCase("dup_fcntl", .files, args: ["{TMP}"]),
        GuestCase("poll_select", .files),
        GuestCase("pipe", .files),
        GuestCase("proc_self_exe", .files),

        // The system as the guest sees it.
        GuestCase("uname", .system),
        GuestCase("time", .system),
        GuestCase("getrandom", .system),

        // Memory management, atomics, TLS, threads.
        GuestCase("mmap", .memory, args: ["{TMP}"]),
        GuestCase("atomics", .memory),
        GuestCase("tls", .memory),
        GuestCase("threads", .memory,
                  pending: "guest threads (clone with CLONE_VM) are not implemented yet: pthread_create fails with ENOSYS"),

        // Signals, including death by signal.
        GuestCase("sig_handler", .signals),
        GuestCase("sig_alarm", .signals),
        GuestCase("sig_longjmp", .signals),
        GuestCase("sig_altstack", .signals),
        GuestCase("segv", .signals, expect: .killedBy(SIGSEGV, messageRequired: true)),
        // Compiled code without access checks (the guest catches no SIGSEGV): the host fault
        // kills the guest; once the guest installs a handler, accesses are checked and exact.
        GuestCase("load_fault", .signals, expect: .killedBy(SIGSEGV, messageRequired: true)),
        GuestCase("load_fault", .signals, label: "caught", args: ["catch"]),
        GuestCase("store_fault", .signals, expect: .killedBy(SIGSEGV, messageRequired: true)),
        GuestCase("store_fault", .signals, label: "caught", args: ["catch"]),
        // A load at a constant offset whose 32-bit address wraps around (compiled code adds
        // such offsets in 64 bits and relies on the reservation's guard pages to fault).
        GuestCase("wrap_fault", .signals, expect: .killedBy(SIGSEGV, messageRequired: true)),
        GuestCase("wrap_fault", .signals, label: "caught", args: ["catch"]),
        GuestCase("abort", .signals, expect: .killedBy(SIGABRT, messageRequired: true)),
        GuestCase("sigpipe", .signals, expect: .killedBy(SIGPIPE, messageRequired: false)),
        GuestCase("sigpipe", .signals, label: "ignored", args: ["ignore"]),

        // Processes: fork/wait, exec.
        // fork_wait's children die of signals, and qemu-arm prints a line for the SIGSEGV one.
        GuestCase("fork_wait", .processes, ignoreStderr: true),
        GuestCase("exec", .processes, label: "fork+execve", args: ["{BUILD}/env.{VARIANT}", "fork"],
                  expect: .execChain(target: "env", prefix: "missing: ENOENT\nexec in child\n",
                                     suffix: "child exited=1 code=0\n", statusFromTarget: false)),
        GuestCase("exec", .processes, label: "execve", args: ["{BUILD}/env.{VARIANT}", "direct"],
                  expect: .execChain(target: "env", prefix: "missing: ENOENT\nexec direct\n",
                                     suffix: "", statusFromTarget: true)),

        // Assembly, no libc.
        GuestCase("asm_hello", .assembly),
        GuestCase("asm_alu", .assembly),
        GuestCase("asm_compare", .assembly),
        GuestCase("asm_ldst", .assembly),
        GuestCase("asm_media", .assembly),
        GuestCase("asm_smc", .assembly),
        GuestCase("asm_jit", .assembly),
        GuestCase("asm_loop", .assembly),
    ]

    static func cases(in group: GuestCase.Group) -> [GuestCase] { all.filter { $0.group == group } }
}

/// A built guest: guests/build/NAME.VARIANT.
struct GuestVariant {
    var name: String
    /// "static.v5", "dynamic.v7", …
    var variant: String
    var path: String { EndToEnd.buildDir.appendingPathComponent("\(name).\(variant)").path }
    var isDynamic: Bool { variant.hasPrefix("dynamic.") }
    var id: String { "\(name).\(variant)" }

    /// The variants guests/build.sh makes for a guest: four for C, one for assembly.
    static func variants(of name: String) -> [GuestVariant] {
        let fm = FileManager.default
        if fm.fileExists(atPath: EndToEnd.guestsDir.appendingPathComponent("c/\(name).c").path) {
            return ["static.v5", "static.v7", "dynamic.v5", "dynamic.v7"].map { GuestVariant(name: name, variant: $0) }
        }
        if fm.fileExists(atPath: EndToEnd.guestsDir.appendingPathComponent("asm/\(name).S").path) {
            let built = (try? fm.contentsOfDirectory(atPath: EndToEnd.buildDir.path)) ?? []
            let prefix = "\(name).static."
            let found = built.filter { $0.hasPrefix(prefix) && !$0.contains(".tmp.") }.sorted()
            return found.map { GuestVariant(name: name, variant: String($0.dropFirst("\(name).".count))) }
        }
        return []
    }
}
