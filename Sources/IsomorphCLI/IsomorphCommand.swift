#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import JIT

/// `isomorph`: run 32-bit ARM Linux programs on x86-64.
public struct IsomorphCommand: ParsableCommand {
    public static let version = "0.1.0"

    public static let configuration = CommandConfiguration(
        commandName: "isomorph",
        abstract: "Run 32-bit ARM Linux programs on x86-64.",
        version: "isomorph \(version) (LLVM \(LLVMInfo.version))",
        subcommands: [RunCommand.self, DisasmCommand.self])

    public init() {}

    /// Parses the command line and runs it. Errors are one line on stderr, "isomorph: …",
    /// with a non-zero exit status; help and version go to stdout.
    public static func main(_ arguments: [String]? = nil) -> Never {
        do {
            var command = try parseAsRoot(arguments)
            try command.run()
            Glibc.exit(0)
        } catch {
            let code = exitCode(for: error)
            if code == .success {
                print(fullMessage(for: error))
                Glibc.exit(0)
            }
            let message = self.message(for: error).split(separator: "\n").first.map(String.init) ?? "\(error)"
            fail(message, status: code.rawValue == 0 ? 1 : code.rawValue)
        }
    }
}

/// Prints one line to stderr and exits.
func fail(_ message: String, status: Int32) -> Never {
    var line = message
    if line.hasPrefix("Error: ") { line.removeFirst("Error: ".count) }
    FileHandleOutput.stderr("isomorph: \(line)\n")
    exit(status)
}

enum FileHandleOutput {
    static func stderr(_ s: String) {
        var bytes = Array(s.utf8)
        _ = bytes.withUnsafeMutableBytes { write(2, $0.baseAddress, $0.count) }
    }
}
