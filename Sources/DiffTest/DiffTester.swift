import Foundation
import ARM

public struct DiffTestOptions: Sendable {
    public var count = 2000
    public var seed: UInt64 = 1
    /// Isomorph tiers to compare against qemu-arm.
    public var tiers: [String] = ["interp"]
    /// Sequences per ELF.
    public var batchSize = 500
    /// Run the interpreter tier inside this process instead of the `isomorph` executable.
    public var inProcess = false
    public var qemuPath = "/usr/bin/qemu-arm"
    public var isomorphPath = "isomorph"
    /// Extra `isomorph run` arguments per tier. By default the JIT compiles every block on
    /// its first execution, on the guest's thread, so every sequence runs compiled code and
    /// runs are deterministic.
    /// (The JIT tier compiles every block in full before it runs: fully optimised code is where
    /// flag and memory folding could go wrong; quick code is checked on every guest program by
    /// the end-to-end tests.)
    public var tierArguments: [String: [String]] = ["jit": ["--jit-threshold", "1", "--jit-sync", "--jit-upgrade-after", "0"]]
    /// Extra `isomorph run` arguments for every tier (after the per-tier ones).
    public var isomorphArguments: [String] = []
    /// Only these sequence indices (default: 0..<count).
    public var only: [Int]? = nil
    public var minimize = true
    /// Mismatches printed (and minimized) in full; the rest are listed by index.
    public var maxReports = 10
    /// Where to write a regression case per reported mismatch.
    public var corpusDirectory: String? = nil
    public var workDirectory = NSTemporaryDirectory()
    /// Print every sequence's code and states (with --only, for debugging the generator).
    public var show = false
    /// Save every sequence as a regression case in `corpusDirectory`, mismatching or not.
    public var record = false
    public init() {}
}

/// One sequence whose final state differs between qemu-arm and an Isomorph tier.
public struct Mismatch: Sendable {
    public var sequence: TestSequence
    public var tier: String
    public var expected: FinalState?
    public var actual: FinalState?
    public var expectedEnd: String
    public var actualEnd: String
}

/// Generates the sequences, runs them in batches on qemu-arm and on each tier, compares,
/// and reports mismatches with minimal reproducers.
public final class DiffTester {
    public let options: DiffTestOptions
    let log: (String) -> Void
    let tls: UInt32

    public init(options: DiffTestOptions, log: @escaping (String) -> Void = { print($0) }) {
        self.options = options
        self.log = log
        var rng = SplitMix64(seed: options.seed, index: -1)
        tls = rng.word()
    }

    func runner(forTier tier: String) -> GuestRunner {
        if options.inProcess && tier == "interp" { return InProcessInterpreterRunner() }
        return ProcessRunner.isomorph(path: options.isomorphPath, tier: tier,
                                      extra: (options.tierArguments[tier] ?? []) + options.isomorphArguments)
    }

    var qemu: GuestRunner { ProcessRunner.qemu(path: options.qemuPath) }

    /// Runs everything; returns (sequences, mismatching sequences).
    public func run() throws -> (sequences: Int, mismatches: Int) {
        let start = Date()
        let indices = options.only ?? Array(0..<options.count)
        let sequences = indices.map { Generator.sequence(seed: options.seed, index: $0) }
        let assembled = sequences.map { $0.assembled() }
        log(Coverage(sequences: sequences, assembled: assembled).report())

        var mismatches: [Mismatch] = []
        var position = 0
        while position < sequences.count {
            let batch = Array(position..<min(position + options.batchSize, sequences.count))
            mismatches += try runBatch(batch, sequences, assembled)
            position += batch.count
        }
        let seconds = Date().timeIntervalSince(start)
        let failing = Set(mismatches.map { $0.sequence.index })
        for tier in options.tiers {
            let m = mismatches.filter { $0.tier == tier }
            log("tier \(tier): \(sequences.count) sequences, \(m.count) mismatches" + (m.isEmpty ? "" : " (sequences \(m.prefix(40).map { String($0.sequence.index) }.joined(separator: " "))\(m.count > 40 ? " …" : ""))"))
        }
        for (k, m) in mismatches.prefix(options.maxReports).enumerated() {
            log("")
            log("=== mismatch \(k + 1) of \(mismatches.count)")
            try report(m)
        }
        if options.show || options.record {
            for s in sequences { try show(s) }
        }
        log(String(format: "time: %.1f s", seconds))
        log("\(sequences.count) sequences, \(failing.count) mismatches")
        return (sequences.count, failing.count)
    }

    /// Runs one batch, resuming after a crash with the sequences that did not report.
    func runBatch(_ positions: [Int], _ sequences: [TestSequence], _ assembled: [AssembledSequence]) throws -> [Mismatch] {
        var found: [Mismatch] = []
        var pending = positions
        while !pending.isEmpty {
            let built = Harness.build(pending.map { assembled[$0] }, tls: tls)
            let results = try runAll(built.image, tiers: options.tiers)
            var reference = results[0]
            reference.records = reference.records.map { ($0.index, ExclusionRules.qemuDeviations($0.state)) }
            var stop = pending.count
            for r in results where !r.exitedCleanly || r.records.count < pending.count {
                stop = min(stop, r.records.count)
            }
            for k in 0..<min(stop + 1, pending.count) {
                let seq = sequences[pending[k]]
                let expected = reference.state(k)
                for (t, tier) in options.tiers.enumerated() {
                    let actual = results[t + 1].state(k)
                    switch (expected, actual) {
                    case let (e?, a?) where e.differences(from: a).isEmpty:
                        continue
                    case (nil, nil) where k < stop:
                        continue
                    default:
                        found.append(Mismatch(sequence: seq, tier: tier, expected: expected, actual: actual,
                                              expectedEnd: expected == nil ? reference.termination : "record written",
                                              actualEnd: actual == nil ? results[t + 1].termination : "record written"))
                    }
                }
            }
            pending = stop + 1 < pending.count ? Array(pending[(stop + 1)...]) : []
        }
        return found
    }

    /// qemu-arm first, then each tier, run concurrently on one ELF file.
    func runAll(_ image: GuestImage, tiers: [String]) throws -> [RunResult] {
        let runners = [qemu] + tiers.map { runner(forTier: $0) }
        let path = options.workDirectory + "/isomorph-difftest-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).elf"
        try Data(image.elf()).write(to: URL(fileURLWithPath: path))
        chmod(path, 0o755)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let results = ResultBox(count: runners.count)
        DispatchQueue.concurrentPerform(iterations: runners.count) { k in
            let r: Result<RunResult, Error> = Result { try runners[k].run(image, elfPath: path) }
            results.set(k, r)
        }
        return try results.values.map { try $0!.get() }
    }

    // MARK: Reporting

    /// Prints a minimal reproducer of a mismatch, and saves it as a regression case if asked.
    func report(_ m: Mismatch) throws {
        let seq = m.sequence
        log("sequence \(seq.index) of seed \(seq.seed), tier \(m.tier): " + describe(m.expected, m.actual, m.expectedEnd, m.actualEnd))
        log("reproduce: isomorph-difftest --seed \(seq.seed) --only \(seq.index) --tier \(m.tier)")
        var items = seq.items
        var check = try reproduce(items, seq.initial, tier: m.tier)
        if !check.differs {
            log("(does not reproduce alone in a one-sequence ELF; showing it as generated)")
        } else if options.minimize {
            let before = countInstructions(items)
            (items, check) = try minimize(items, seq.initial, tier: m.tier, first: check)
            log("minimized from \(before) to \(countInstructions(items)) instructions (one-sequence ELF)")
        }
        let a = TestSequence(seed: seq.seed, index: seq.index, items: items, initial: seq.initial).assembled()
        let built = Harness.build([a], tls: tls)
        log(listing(a, at: built.bodyAddresses[0]))
        log(stateTable(seq.initial, check.expected.state(0), check.actual.state(0),
                       check.expected.termination, check.actual.termination))
        if let dir = options.corpusDirectory {
            guard let expected = check.expected.state(0) else {
                log("(not saved as a regression case: qemu-arm wrote no final state)")
                return
            }
            let c = RegressionCase(sequence: a, tls: tls, expected: expected, notes: [
                "Found by isomorph-difftest --seed \(seq.seed) (sequence \(seq.index), tier \(m.tier)); minimized.",
                "Expected state recorded from qemu-arm -cpu cortex-a15 on this one-sequence harness (corrected by ExclusionRules.qemuDeviations).",
                "Isomorph gave: " + describe(check.expected.state(0), check.actual.state(0), check.expected.termination, check.actual.termination),
            ])
            try save(c, seq, dir)
        }
    }

    /// Prints a sequence with its initial and final states on qemu-arm and the first tier.
    func show(_ seq: TestSequence) throws {
        let check = try reproduce(seq.items, seq.initial, tier: options.tiers[0])
        let a = seq.assembled()
        log("")
        log("=== sequence \(seq.index) of seed \(seq.seed) (one-sequence ELF)")
        log(listing(a, at: Harness.build([a], tls: tls).bodyAddresses[0]))
        log(stateTable(seq.initial, check.expected.state(0), check.actual.state(0),
                       check.expected.termination, check.actual.termination))
        if options.record, let dir = options.corpusDirectory, let expected = check.expected.state(0) {
            try save(RegressionCase(sequence: a, tls: tls, expected: expected, notes: [
                "Recorded by isomorph-difftest --seed \(seq.seed) --only \(seq.index) --record.",
                "Expected state from qemu-arm -cpu cortex-a15 on this one-sequence harness (corrected by ExclusionRules.qemuDeviations).",
            ]), seq, dir)
        }
    }

    func save(_ c: RegressionCase, _ seq: TestSequence, _ dir: String) throws {
        let first = c.sequence.words.first.flatMap { Decoder.decode($0)?.op.name } ?? "empty"
        let path = dir + "/\(first)-s\(seq.seed)-i\(seq.index).case"
        try c.text.write(toFile: path, atomically: true, encoding: .utf8)
        log("saved regression case \(path)")
    }

    /// Re-records a regression case: runs its code on qemu-arm (with the current harness
    /// layout), writes the corrected expected state back, and reports what each tier gives.
    /// Returns the number of tiers that disagree.
    public func rerecord(_ path: String) throws -> Int {
        let old = try RegressionCase(parsing: String(contentsOfFile: path, encoding: .utf8), anyLayout: true)
        let results = try runAll(old.build().image, tiers: options.tiers)
        guard let state = results[0].state(0) else {
            log("\(path): qemu-arm wrote no final state (\(results[0].termination)); not changed")
            return options.tiers.count
        }
        var c = old
        c.expected = ExclusionRules.qemuDeviations(state)
        try c.text.write(toFile: path, atomically: true, encoding: .utf8)
        var disagreeing = 0
        for (k, tier) in options.tiers.enumerated() {
            let d = results[k + 1].state(0).map { c.expected.differences(from: $0).joined(separator: ", ") } ?? "no state (\(results[k + 1].termination))"
            if !d.isEmpty { disagreeing += 1 }
            log("\(path): tier \(tier): " + (d.isEmpty ? "agrees" : "differs: " + d))
        }
        return disagreeing
    }

    struct Check { var expected: RunResult; var actual: RunResult; var differs: Bool }

    func reproduce(_ items: [Item], _ initial: InitialState, tier: String) throws -> Check {
        let a = TestSequence(seed: 0, index: 0, items: items, initial: initial).assembled()
        var results = try runAll(Harness.build([a], tls: tls).image, tiers: [tier])
        results[0].records = results[0].records.map { ($0.index, ExclusionRules.qemuDeviations($0.state)) }
        let e = results[0].state(0), x = results[1].state(0)
        let differs: Bool
        switch (e, x) {
        case let (e?, x?): differs = !e.differences(from: x).isEmpty
        case (nil, nil): differs = false
        default: differs = true
        }
        return Check(expected: results[0], actual: results[1], differs: differs)
    }

    /// Greedy reduction: drop items, unwrap loops and forward branches, shrink subroutines,
    /// as long as the mismatch stays (of the same kind: crash or wrong state).
    func minimize(_ items: [Item], _ initial: InitialState, tier: String, first: Check) throws -> ([Item], Check) {
        var current = items, check = first
        let crashes = first.actual.state(0) == nil, referenceCrashes = first.expected.state(0) == nil
        var budget = 250
        var progress = true
        while progress && budget > 0 {
            progress = false
            for candidate in reductions(current) {
                budget -= 1
                if budget <= 0 { break }
                let c = try reproduce(candidate, initial, tier: tier)
                if c.differs && (c.actual.state(0) == nil) == crashes && (c.expected.state(0) == nil) == referenceCrashes {
                    current = candidate; check = c; progress = true
                    break
                }
            }
        }
        return (current, check)
    }

    /// Every one-step reduction of an item list.
    func reductions(_ items: [Item]) -> [[Item]] {
        var out: [[Item]] = []
        for k in items.indices {
            var removed = items; removed.remove(at: k); out.append(removed)
        }
        for k in items.indices {
            func replace(_ with: [Item]) -> [Item] { var r = items; r.replaceSubrange(k...k, with: with); return r }
            switch items[k] {
            case .skip(let c, let j, let body):
                out.append(replace(body))
                for b in reductions(body) { out.append(replace([.skip(c, j == .addPC && b.isEmpty ? .branch : j, b)])) }
            case .loop(let counter, let count, let up, let body):
                out.append(replace(body))
                if count > 1 { out.append(replace([.loop(counter: counter, count: 1, countUp: up, body: body)])) }
                for b in reductions(body) { out.append(replace([.loop(counter: counter, count: count, countUp: up, body: b)])) }
            case .call(let c, let kind, let sub):
                for b in reductions(sub.items) { out.append(replace([.call(c, kind, Subroutine(items: b, ret: sub.ret))])) }
            default:
                break
            }
        }
        return out
    }

    func countInstructions(_ items: [Item]) -> Int { items.reduce(0) { $0 + $1.size } }

    func describe(_ e: FinalState?, _ a: FinalState?, _ eEnd: String, _ aEnd: String) -> String {
        switch (e, a) {
        case let (e?, a?): return "differs in " + e.differences(from: a).joined(separator: ", ")
        case (_?, nil): return "qemu-arm completes, Isomorph ends with \(aEnd)"
        case (nil, _?): return "Isomorph completes, qemu-arm ends with \(eEnd)"
        case (nil, nil): return "both end early (qemu-arm: \(eEnd); Isomorph: \(aEnd)): a generator bug"
        }
    }

    func listing(_ a: AssembledSequence, at address: UInt32) -> String {
        var lines = ["code:"]
        var pc = address
        for w in a.body {
            lines.append("  \(hex(pc, prefix: false)): \(hex(w, prefix: false))  \(Disassembler.text(word: w, address: pc))")
            pc &+= 4
        }
        lines.append("  \(hex(pc, prefix: false)): (harness epilogue, \(Harness.epilogueWords) words)")
        pc &+= UInt32(Harness.epilogueWords * 4)
        for w in a.subroutines {
            lines.append("  \(hex(pc, prefix: false)): \(hex(w, prefix: false))  \(Disassembler.text(word: w, address: pc))")
            pc &+= 4
        }
        return lines.joined(separator: "\n")
    }

    func stateTable(_ initial: InitialState, _ e: FinalState?, _ a: FinalState?, _ eEnd: String, _ aEnd: String) -> String {
        func col(_ v: UInt32?) -> String { v.map { hex($0) } ?? "     -    " }
        var lines = ["        initial     qemu-arm    isomorph"]
        for r in 0..<15 {
            let ev = e?.registers[r], av = a?.registers[r]
            let mark = ev != av ? "  *" : ""
            lines.append(String("r\(r)".padding(toLength: 6, withPad: " ", startingAt: 0)) + "  \(hex(initial.registers[r]))  \(col(ev))  \(col(av))\(mark)")
        }
        let ef = e.map { $0.apsr & FinalState.flagMask }, af = a.map { $0.apsr & FinalState.flagMask }
        lines.append("apsr    \(hex(initial.apsr))  \(col(e?.apsr))  \(col(a?.apsr))\(ef != af ? "  *" : "")  (\(flagsText(initial.apsr)) -> \(e.map { flagsText($0.apsr) } ?? "-") / \(a.map { flagsText($0.apsr) } ?? "-"))")
        lines.append("memory  seed \(hex(initial.scratchSeed, prefix: false))  \(col(e?.checksum))  \(col(a?.checksum))\(e?.checksum != a?.checksum ? "  *" : "")  (scratch checksum)")
        if (e?.signal ?? 0) != 0 || (a?.signal ?? 0) != 0 {
            for (name, ev, av) in [("signal", e?.signal, a?.signal), ("si_code", e?.code, a?.code),
                                   ("si_addr", e?.faultAddress, a?.faultAddress), ("pc", e?.faultPC, a?.faultPC)] {
                lines.append(name.padding(toLength: 8, withPad: " ", startingAt: 0) + "              \(col(ev))  \(col(av))\(ev != av ? "  *" : "")")
            }
        }
        lines.append("tpidrurw \(hex(initial.tpidrurw))")
        lines.append("end: qemu-arm \(eEnd); isomorph \(aEnd)")
        return lines.joined(separator: "\n")
    }
}

/// "NzCvq ge=0101": upper case for a set flag.
func flagsText(_ apsr: UInt32) -> String {
    let names = ["n", "z", "c", "v", "q"]
    var s = ""
    for (k, n) in names.enumerated() { s += apsr >> UInt32(31 - k) & 1 != 0 ? n.uppercased() : n }
    let ge = (apsr >> 16) & 0xF
    return s + " ge=" + String(ge, radix: 2).leftPadded(4)
}

extension String {
    func leftPadded(_ n: Int) -> String { String(repeating: "0", count: max(0, n - count)) + self }
}

/// Results filled in by concurrent runs.
final class ResultBox: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var values: [Result<RunResult, Error>?]
    init(count: Int) { values = Array(repeating: nil, count: count) }
    func set(_ k: Int, _ r: Result<RunResult, Error>) { lock.lock(); values[k] = r; lock.unlock() }
}

/// Which encodings and structures the sequences contain.
public struct Coverage {
    public var counts: [Op: Int] = [:]
    public var loops = 0, maxIterations: UInt32 = 0, skips = 0, calls = 0
    public var instructions = 0

    public init(sequences: [TestSequence], assembled: [AssembledSequence]) {
        for a in assembled {
            for w in a.words {
                if let op = Decoder.decode(w)?.op { counts[op, default: 0] += 1 }
                instructions += 1
            }
        }
        func walk(_ items: [Item]) {
            for item in items {
                switch item {
                case .skip(_, _, let body): skips += 1; walk(body)
                case .loop(_, let count, _, let body): loops += 1; maxIterations = max(maxIterations, count); walk(body)
                case .call(_, _, let sub): calls += 1; walk(sub.items)
                default: break
                }
            }
        }
        for s in sequences { walk(s.items) }
    }

    public var missing: [Op] { ExclusionRules.testableEncodings.filter { counts[$0, default: 0] == 0 } }

    public func report() -> String {
        let testable = ExclusionRules.testableEncodings
        let covered = testable.count - missing.count
        let minimum = testable.map { counts[$0, default: 0] }.min() ?? 0
        let excluded = Op.allCases.count - testable.count
        var lines = ["coverage: \(covered) of \(testable.count) testable encodings (fewest uses: \(minimum)); \(excluded) of \(Op.allCases.count) encodings excluded (ExclusionRules.swift); \(instructions) instructions"]
        lines.append("structures: \(skips) forward branches, \(loops) loops (up to \(maxIterations) iterations), \(calls) calls")
        if !missing.isEmpty { lines.append("not covered: " + missing.map(\.name).joined(separator: " ")) }
        return lines.joined(separator: "\n")
    }
}
