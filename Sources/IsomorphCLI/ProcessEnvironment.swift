#if canImport(Glibc)
import Glibc
#endif

/// The host process's environment and identity, as the CLI needs them.
enum ProcessEnvironment {
    static func value(_ name: String) -> String? {
        getenv(name).map { String(cString: $0) }
    }

    /// The host environment with -U removals and -E assignments applied, in order.
    static func guestEnvironment(set: [String], unset: [String]) -> [String] {
        var entries: [String] = []
        var p = environ
        while let entry = p.pointee {
            entries.append(String(cString: entry))
            p += 1
        }
        func name(_ entry: String) -> Substring { entry.split(separator: "=", maxSplits: 1).first ?? "" }
        for variable in unset { entries.removeAll { name($0) == variable } }
        for assignment in set {
            let key = name(assignment)
            entries.removeAll { name($0) == key }
            entries.append(assignment)
        }
        return entries
    }

    /// The absolute path of this isomorph binary.
    static func executablePath() -> String {
        var buffer = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        if n > 0 { return String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self) }
        return CommandLine.arguments[0]
    }

    /// `path` made absolute against the current directory.
    static func absolutePath(_ path: String) -> String {
        if path.hasPrefix("/") { return path }
        guard let cwd = getcwd(nil, 0) else { return path }
        defer { free(cwd) }
        return String(cString: cwd) + "/" + path
    }
}
