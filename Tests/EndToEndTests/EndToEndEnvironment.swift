import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// Everything the end-to-end tests need from the machine: the repository, the built
/// `isomorph` executable, qemu-arm (the reference), the ARM cross compiler, and the guests
/// built by guests/build.sh. Missing tools are test failures, never skips.
enum EndToEnd {
    /// The repository root, found from this source file's path.
    static let repoRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()   // EndToEndTests
        .deletingLastPathComponent()   // Tests
        .deletingLastPathComponent()

    static let guestsDir = repoRoot.appendingPathComponent("guests")
    static let buildDir = guestsDir.appendingPathComponent("build")

    /// The ARM sysroot for dynamically linked guests (Debian's libc6-armel-cross).
    static let sysroot = "/usr/arm-linux-gnueabi"

    static let qemuName = "qemu-arm"
    static let crossCompilerName = "arm-linux-gnueabi-gcc"

    /// Per-run time limit; a hang fails the run instead of blocking the suite.
    static let defaultTimeout: TimeInterval = {
        if let s = ProcessInfo.processInfo.environment["ISOMORPH_E2E_TIMEOUT"], let t = Double(s) { return t }
        return 60
    }()

    /// Only guest variants whose "name.variant" contains this string run (for quick iteration);
    /// unset runs everything.
    static let filter: String? = ProcessInfo.processInfo.environment["ISOMORPH_E2E_FILTER"]

    /// Looks `name` up in PATH.
    static func which(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for dir in path.split(separator: ":") {
            let candidate = "\(dir)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    static let qemu: String? = which(qemuName)
    static let crossCompiler: String? = which(crossCompilerName)

    /// The `isomorph` executable built alongside this test bundle (same configuration), or
    /// the one named by ISOMORPH_BIN.
    static let isomorph: String? = {
        let fm = FileManager.default
        if let explicit = ProcessInfo.processInfo.environment["ISOMORPH_BIN"] {
            return fm.isExecutableFile(atPath: explicit) ? explicit : nil
        }
        var dirs: [URL] = []
        // On Linux the bundle path is the build products directory; on Darwin it is the
        // .xctest bundle inside it.
        let bundle = Bundle(for: BundleToken.self).bundleURL
        dirs.append(bundle)
        dirs.append(bundle.deletingLastPathComponent())
        if let argv0 = CommandLine.arguments.first {
            dirs.append(URL(fileURLWithPath: argv0).deletingLastPathComponent())
        }
        for dir in dirs {
            let candidate = dir.appendingPathComponent("isomorph").path
            var isDir: ObjCBool = false
            if fm.fileExists(atPath: candidate, isDirectory: &isDir), !isDir.boolValue,
               fm.isExecutableFile(atPath: candidate) {
                return candidate
            }
        }
        return nil
    }()

    /// A scratch directory for this test process; each run gets a fresh subdirectory.
    static let sessionDir: URL = {
        let dir = FileManager.default.temporaryDirectory
            .appendingPathComponent("isomorph-e2e-\(getpid())")
        try? FileManager.default.removeItem(at: dir)
        try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        // No core files from guests killed by signals (qemu-arm writes qemu_*.core otherwise).
        var limit = rlimit(rlim_cur: 0, rlim_max: 0)
        getrlimit(Int32(RLIMIT_CORE.rawValue), &limit)
        limit.rlim_cur = 0
        setrlimit(Int32(RLIMIT_CORE.rawValue), &limit)
        return dir
    }()

    /// A new empty directory under the session directory.
    static func freshDirectory(_ label: String) throws -> URL {
        let safe = label.map { $0.isLetter || $0.isNumber || $0 == "." || $0 == "-" ? $0 : "_" }
        let dir = sessionDir.appendingPathComponent("\(String(safe))-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    /// The environment every guest run gets (plus the case's own variables): fixed, so that
    /// output never depends on the machine or the user running the tests.
    static let baseEnvironment: [String: String] = [
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "LANG": "C",
        "HOME": sessionDir.appendingPathComponent("home").path,
    ]

    /// Runs guests/build.sh once per test process; nil on success, else why it failed.
    static let guestBuildFailure: String? = {
        guard crossCompiler != nil else { return "\(crossCompilerName) is not installed" }
        let script = guestsDir.appendingPathComponent("build.sh").path
        do {
            let result = try runProcess("/bin/bash", [script],
                                        environment: ProcessInfo.processInfo.environment,
                                        directory: repoRoot, timeout: 900)
            if result.timedOut { return "guests/build.sh timed out" }
            if result.status != 0 {
                return "guests/build.sh failed with status \(result.status):\n" +
                    String(result.stderrText.suffix(3000))
            }
            return nil
        } catch {
            return "cannot run guests/build.sh: \(error)"
        }
    }()

    /// Why end-to-end tests cannot run here, or nil if everything is in place.
    static func missingPrerequisites(needQemu: Bool = true) -> [String] {
        var problems: [String] = []
        if needQemu, qemu == nil {
            problems.append("\(qemuName) not found in PATH (apt-get install qemu-user; see .ci/setup)")
        }
        if crossCompiler == nil {
            problems.append("\(crossCompilerName) not found in PATH (apt-get install gcc-arm-linux-gnueabi libc6-dev-armel-cross; see .ci/setup)")
        }
        if isomorph == nil {
            problems.append("the isomorph executable was not found next to the test bundle (\(Bundle(for: BundleToken.self).bundlePath)); build it with `swift build` (or set ISOMORPH_BIN)")
        }
        if problems.isEmpty, let failure = guestBuildFailure { problems.append(failure) }
        return problems
    }
}

private final class BundleToken {}

/// Base class: `requirePrerequisites()` turns a missing tool into a test failure.
class EndToEndTestCase: XCTestCase {
    /// Fails the test (never skips) if a tool or the guest build is missing.
    func requirePrerequisites(needQemu: Bool = true, file: StaticString = #filePath, line: UInt = #line) -> Bool {
        let problems = EndToEnd.missingPrerequisites(needQemu: needQemu)
        for problem in problems { XCTFail(problem, file: file, line: line) }
        return problems.isEmpty
    }

    /// Runs `isomorph ARGUMENTS` in a fresh directory with the fixed test environment; a
    /// timeout fails the test.
    func isomorph(_ arguments: [String], file: StaticString = #filePath, line: UInt = #line) throws -> RunResult {
        let dir = try EndToEnd.freshDirectory("cli")
        let result = try runProcess(EndToEnd.isomorph!, arguments, environment: EndToEnd.baseEnvironment,
                                    directory: dir, timeout: EndToEnd.defaultTimeout)
        XCTAssertFalse(result.timedOut, "isomorph \(arguments.joined(separator: " ")) timed out", file: file, line: line)
        return result
    }
}
