import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// Runs one table case on one variant under qemu-arm and isomorph and reports differences
/// as XCTest failures.
struct GuestChecker {
    /// Extra options for `isomorph run` only (e.g. ["--tier", "interp"]).
    var isomorphOptions: [String] = []
    var file: StaticString
    var line: UInt

    private func fail(_ message: String) {
        XCTFail(message, file: file, line: line)
    }

    /// Reports what `check` found: failures, or for a case marked `pending` a note (and a
    /// failure if it unexpectedly passes, so the mark gets removed).
    private func report(_ c: GuestCase, tag: String, _ problems: [String]) {
        guard let pending = c.pending else {
            problems.forEach(fail)
            return
        }
        if problems.isEmpty {
            fail("\(tag) passes now, but GuestTable marks it pending (\(pending)): remove the mark")
        } else {
            print("e2e \(tag): known gap, not counted as a failure (\(pending)): \(clip(problems[0], 300))")
        }
    }

    static var verbose: Bool { ProcessInfo.processInfo.environment["ISOMORPH_E2E_VERBOSE"] != nil }

    /// Arguments with placeholders replaced; {TMP} becomes `scratch`.
    private func expand(_ args: [String], variant: GuestVariant, scratch: URL) -> [String] {
        args.map {
            $0.replacingOccurrences(of: "{TMP}", with: scratch.path)
                .replacingOccurrences(of: "{BUILD}", with: EndToEnd.buildDir.path)
                .replacingOccurrences(of: "{VARIANT}", with: variant.variant)
        }
    }

    private func environment(_ c: GuestCase) -> [String: String] {
        EndToEnd.baseEnvironment.merging(c.env) { _, new in new }
    }

    /// Runs `program args` under qemu-arm with the case's options.
    private func runQemu(_ c: GuestCase, _ v: GuestVariant, program: String, args: [String],
                         cwd: URL) throws -> RunResult {
        var arguments = v.isDynamic ? ["-L", EndToEnd.sysroot] : []
        arguments += c.options + [program] + args
        return try runProcess(EndToEnd.qemu!, arguments, environment: environment(c),
                              stdin: Data(c.stdin.utf8), directory: cwd, timeout: c.timeout)
    }

    private func runIsomorph(_ c: GuestCase, _ v: GuestVariant, args: [String], cwd: URL) throws -> RunResult {
        var arguments = ["run"] + isomorphOptions
        if v.isDynamic { arguments += ["-L", EndToEnd.sysroot] }
        arguments += c.options + [v.path] + args
        return try runProcess(EndToEnd.isomorph!, arguments, environment: environment(c),
                              stdin: Data(c.stdin.utf8), directory: cwd, timeout: c.timeout)
    }

    func check(_ c: GuestCase, _ v: GuestVariant) {
        let tag = "[\(c.displayName) / \(v.id)\(isomorphOptions.isEmpty ? "" : " " + isomorphOptions.joined(separator: " "))]"
        var problems: [String] = []
        defer { report(c, tag: tag, problems) }
        func fail(_ message: String) { problems.append(message) }
        guard FileManager.default.fileExists(atPath: v.path) else {
            fail("\(tag) guest not built: \(v.path)")
            return
        }
        do {
            // Reference.
            let refDir = try EndToEnd.freshDirectory("\(v.id)-qemu")
            defer { try? FileManager.default.removeItem(at: refDir) }
            var expectedStdout: Data
            var expectedStatus: Int32
            var reference: RunResult
            switch c.expect {
            case .sameAsQemu, .killedBy:
                reference = try runQemu(c, v, program: v.path, args: expand(c.args, variant: v, scratch: refDir), cwd: refDir)
                expectedStdout = reference.stdout
                expectedStatus = reference.status
            case .execChain(let target, let prefix, let suffix, let statusFromTarget):
                let t = GuestVariant(name: target, variant: v.variant)
                reference = try runQemu(c, v, program: t.path, args: ["from-exec"], cwd: refDir)
                expectedStdout = Data(prefix.utf8) + reference.stdout + Data(suffix.utf8)
                expectedStatus = statusFromTarget ? reference.status : 0
            }
            if reference.timedOut {
                fail("\(tag) qemu-arm (the reference) timed out: \(reference.summary)")
                return
            }
            if case .killedBy(let signal, _) = c.expect, reference.status != 128 + signal {
                fail("\(tag) qemu-arm (the reference) did not die of signal \(signal): \(reference.summary)")
            }

            // Isomorph.
            let runDir = try EndToEnd.freshDirectory("\(v.id)-isomorph")
            defer { try? FileManager.default.removeItem(at: runDir) }
            let actual = try runIsomorph(c, v, args: expand(c.args, variant: v, scratch: runDir), cwd: runDir)
            if GuestChecker.verbose {
                print("e2e \(tag): qemu-arm \(String(format: "%.2f", reference.seconds)) s, isomorph \(String(format: "%.2f", actual.seconds)) s, status \(actual.status)")
            }
            if actual.timedOut {
                fail("\(tag) isomorph timed out after \(Int(c.timeout)) s: \(actual.summary)")
                return
            }
            if actual.stderrText.contains("Fatal error") || actual.stderrText.contains("Current stack trace") {
                fail("\(tag) isomorph crashed: \(clip(actual.stderrText, 2000))")
            }
            if actual.status != expectedStatus {
                fail("\(tag) exit status \(actual.status), expected \(expectedStatus) (qemu-arm: \(reference.summary)); isomorph: \(actual.summary)")
            }
            if actual.stdout != expectedStdout {
                fail("\(tag) stdout differs from qemu-arm: " +
                     firstDifference(expected: String(decoding: expectedStdout, as: UTF8.self), actual: actual.stdoutText) +
                     (actual.stderr.isEmpty ? "" : "\n  isomorph stderr: \(clip(actual.stderrText, 1000))"))
            }
            switch c.expect {
            case .killedBy(let signal, let messageRequired):
                let lines = actual.stderrLines.count
                if messageRequired ? lines != 1 : lines > 1 {
                    fail("\(tag) death by signal \(signal) should leave \(messageRequired ? "exactly" : "at most") one line on stderr, got \(lines): \(clip(actual.stderrText, 1000))")
                }
            case .sameAsQemu, .execChain:
                if !c.ignoreStderr, actual.stderr != reference.stderr {
                    fail("\(tag) stderr differs from qemu-arm: " +
                         firstDifference(expected: reference.stderrText, actual: actual.stderrText))
                }
            }
        } catch {
            fail("\(tag) \(error)")
        }
    }

    /// Checks every case of `cases` on every variant (subject to ISOMORPH_E2E_FILTER).
    func checkAll(_ cases: [GuestCase], variants pick: (GuestCase) -> [GuestVariant] = { GuestVariant.variants(of: $0.name) }) {
        for c in cases {
            let variants = pick(c)
            if variants.isEmpty {
                fail("[\(c.displayName)] no built variants in guests/build (is guests/c/\(c.name).c or guests/asm/\(c.name).S there?)")
                continue
            }
            for v in variants {
                if let filter = EndToEnd.filter, !filter.isEmpty, !v.id.contains(filter) { continue }
                check(c, v)
            }
        }
    }
}
