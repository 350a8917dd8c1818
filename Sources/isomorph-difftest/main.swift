#if canImport(Glibc)
import Glibc
#endif
import ARM
import ArgumentParser
import DiffTest
import Engine
import Foundation

/// `isomorph-difftest`: random A32 sequences run on qemu-arm and on Isomorph's tiers, compared.
@main
struct DiffTestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "isomorph-difftest",
        abstract: "Differential ISA test: random A32 instruction sequences on qemu-arm and on Isomorph.",
        discussion: """
            Generates COUNT sequences from SEED (sequence i depends only on SEED and i), wraps \
            them in static ARM ELFs, runs each ELF under qemu-arm -cpu cortex-a15 and under \
            `isomorph run --tier T`, and compares r0-r14, the flags and a checksum of the \
            scratch memory. Mismatches are printed with a minimal reproducer. The last line is \
            `N sequences, M mismatches`; the exit status is 1 when M > 0.
            """)

    @Option(help: "Number of sequences.")
    var count = 2000

    @Option(help: "Random seed.")
    var seed: UInt64 = 1

    @Option(help: ArgumentHelp("Isomorph tier to compare: \(Tier.allCases.map(\.rawValue).joined(separator: ", ")), or all (repeatable).", valueName: "tier"))
    var tier: [String] = ["all"]

    @Option(help: "Run only these sequence indices (repeatable).")
    var only: [Int] = []

    @Option(help: "Sequences per ELF.")
    var batch = 500

    @Flag(help: "Run the interp tier inside this process (no isomorph executable needed).")
    var inProcess = false

    @Option(help: "The qemu-arm executable.")
    var qemu = "/usr/bin/qemu-arm"

    @Option(help: "The isomorph executable (default: next to this program).")
    var isomorph: String?

    @Option(parsing: .unconditionalSingleValue, help: ArgumentHelp("An extra argument for every `isomorph run` (repeatable; e.g. --isomorph-arg --jit-threshold --isomorph-arg 50). The jit tier runs with --jit-threshold 1 --jit-sync --jit-upgrade-after 0 (full code) unless overridden (--isomorph-arg --jit-upgrade-after --isomorph-arg 1000000 checks quick code).", valueName: "arg"))
    var isomorphArg: [String] = []

    @Flag(help: "Print mismatches as found, without minimizing them.")
    var noMinimize = false

    @Option(help: "Mismatches to print in full.")
    var maxReports = 10

    @Option(help: "Write a regression case per reported mismatch into this directory.")
    var saveCorpus: String?

    @Flag(help: "Print each sequence's code and states (use with --only).")
    var show = false

    @Flag(help: "With --save-corpus: save every sequence run (use with --only) as a regression case, mismatching or not.")
    var record = false

    @Option(help: ArgumentHelp("Re-record this regression case with qemu-arm (its expected state, in the current harness layout) and compare the tiers (repeatable).", valueName: "file"))
    var rerecord: [String] = []

    @Flag(help: "Print the excluded encodings with their reasons and exit.")
    var listExclusions = false

    func run() throws {
        if listExclusions {
            for op in Op.allCases {
                if let reason = ExclusionRules.excludedEncoding(op) { print("\(op.name): \(reason)") }
            }
            return
        }
        var options = DiffTestOptions()
        options.count = count
        options.seed = seed
        options.tiers = tier.contains("all") ? Tier.allCases.map(\.rawValue) : tier
        for t in options.tiers where Tier(rawValue: t) == nil {
            throw ValidationError("unknown tier '\(t)' (choose from \(Tier.allCases.map(\.rawValue).joined(separator: ", ")), all)")
        }
        options.only = only.isEmpty ? nil : only
        options.batchSize = max(1, batch)
        options.inProcess = inProcess
        options.qemuPath = qemu
        options.isomorphPath = isomorph ?? Self.siblingExecutable("isomorph")
        options.isomorphArguments = isomorphArg
        if !isomorphArg.isEmpty { options.tierArguments = [:] }
        options.minimize = !noMinimize
        options.maxReports = maxReports
        options.corpusDirectory = saveCorpus
        options.show = show
        options.record = record
        if record && saveCorpus == nil { throw ValidationError("--record needs --save-corpus DIR") }
        guard FileManager.default.isExecutableFile(atPath: options.qemuPath) else {
            throw ValidationError("qemu-arm not found at \(options.qemuPath) (use --qemu)")
        }
        if !(inProcess && options.tiers == ["interp"]) && !FileManager.default.isExecutableFile(atPath: options.isomorphPath) {
            throw ValidationError("isomorph not found at \(options.isomorphPath) (build it with `swift build --product isomorph`, or use --isomorph or --in-process)")
        }
        setvbuf(stdout, nil, _IOLBF, 0)
        if !rerecord.isEmpty {
            let tester = DiffTester(options: options)
            var disagreeing = 0
            for file in rerecord { disagreeing += try tester.rerecord(file) }
            if disagreeing > 0 { throw ExitCode(1) }
            return
        }
        let result = try DiffTester(options: options).run()
        if result.mismatches > 0 { throw ExitCode(1) }
    }

    /// A program in the same directory as this one.
    static func siblingExecutable(_ name: String) -> String {
        let me = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return ((me as NSString).deletingLastPathComponent as NSString).appendingPathComponent(name)
    }
}
