import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// What one run of a program produced.
struct RunResult {
    /// The exit status as a shell reports it: the exit code, or 128+N if killed by signal N.
    var status: Int32
    var stdout: Data
    var stderr: Data
    var timedOut: Bool
    var seconds: Double

    var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
    var stderrText: String { String(decoding: stderr, as: UTF8.self) }

    /// Non-empty lines of stderr.
    var stderrLines: [Substring] { stderrText.split(separator: "\n", omittingEmptySubsequences: true) }

    /// "status 0, 3 lines of stdout, stderr: …" for failure messages.
    var summary: String {
        var s = timedOut ? "TIMED OUT after \(String(format: "%.1f", seconds)) s" : "status \(status)"
        s += ", \(stdout.count) bytes of stdout"
        if !stderr.isEmpty { s += ", stderr: \(clip(stderrText, 600))" }
        return s
    }
}

enum SubprocessError: Error, CustomStringConvertible {
    case cannotStart(String, Error)
    var description: String {
        switch self {
        case .cannotStart(let path, let error): return "cannot start \(path): \(error)"
        }
    }
}

/// Runs `executable` with `arguments`, exactly `environment`, stdin from `stdin`, in `directory`.
/// Output goes to files in a private directory under `ioParent` (never inside `directory`, which
/// the program may list), so a chatty or forking program can never dead-lock on a pipe. After
/// `timeout` seconds the process and its process group (Foundation starts each child in a
/// group of its own) are killed, and the result is marked `timedOut`.
func runProcess(_ executable: String, _ arguments: [String], environment: [String: String],
                stdin: Data = Data(), directory: URL, timeout: TimeInterval,
                ioParent: URL = FileManager.default.temporaryDirectory) throws -> RunResult {
    let fm = FileManager.default
    let io = ioParent.appendingPathComponent("isomorph-e2e-io-\(UUID().uuidString)")
    try fm.createDirectory(at: io, withIntermediateDirectories: true)
    defer { try? fm.removeItem(at: io) }
    let inURL = io.appendingPathComponent("stdin")
    let outURL = io.appendingPathComponent("stdout")
    let errURL = io.appendingPathComponent("stderr")
    try stdin.write(to: inURL)
    _ = fm.createFile(atPath: outURL.path, contents: nil)
    _ = fm.createFile(atPath: errURL.path, contents: nil)
    let inHandle = try FileHandle(forReadingFrom: inURL)
    let outHandle = try FileHandle(forWritingTo: outURL)
    let errHandle = try FileHandle(forWritingTo: errURL)
    defer {
        try? inHandle.close()
        try? outHandle.close()
        try? errHandle.close()
    }

    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    process.environment = environment
    process.currentDirectoryURL = directory
    process.standardInput = inHandle
    process.standardOutput = outHandle
    process.standardError = errHandle
    let done = DispatchSemaphore(value: 0)
    process.terminationHandler = { _ in done.signal() }

    let start = Date()
    do {
        try process.run()
    } catch {
        throw SubprocessError.cannotStart(executable, error)
    }
    var timedOut = false
    if done.wait(timeout: .now() + timeout) == .timedOut {
        timedOut = true
        let pid = process.processIdentifier
        kill(-pid, SIGKILL)
        kill(pid, SIGKILL)
        done.wait()
    }
    // Let stragglers in the group (forked guest children) go too; harmless if none are left.
    kill(-process.processIdentifier, SIGKILL)
    let seconds = Date().timeIntervalSince(start)

    var status = process.terminationStatus
    if process.terminationReason == .uncaughtSignal { status += 128 }
    return RunResult(status: status,
                     stdout: (try? Data(contentsOf: outURL)) ?? Data(),
                     stderr: (try? Data(contentsOf: errURL)) ?? Data(),
                     timedOut: timedOut, seconds: seconds)
}

/// Shortens `text` to about `limit` characters for a failure message.
func clip(_ text: String, _ limit: Int) -> String {
    if text.count <= limit { return text }
    return String(text.prefix(limit)) + "… (\(text.count - limit) more characters)"
}

/// Where two outputs first differ, with a little context, for failure messages.
func firstDifference(expected: String, actual: String) -> String {
    let e = expected.split(separator: "\n", omittingEmptySubsequences: false)
    let a = actual.split(separator: "\n", omittingEmptySubsequences: false)
    var i = 0
    while i < e.count, i < a.count, e[i] == a[i] { i += 1 }
    func line(_ lines: [Substring], _ n: Int) -> String { n < lines.count ? "\"\(clip(String(lines[n]), 300))\"" : "<end of output>" }
    return "first difference at line \(i + 1) (of \(e.count) expected, \(a.count) actual):\n" +
        "  expected: \(line(e, i))\n  actual:   \(line(a, i))"
}
