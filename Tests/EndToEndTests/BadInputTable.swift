import Foundation

/// Inputs `isomorph` must refuse cleanly: a non-zero exit status, exactly one line on stderr,
/// no Swift "Fatal error" or backtrace, and no hang.
struct BadInputCase {
    var name: String
    /// Builds the `isomorph` arguments, creating any fixture it needs in `dir`.
    var arguments: (_ dir: URL) throws -> [String]
}

enum BadInputTable {
    static var hello: URL { EndToEnd.buildDir.appendingPathComponent("hello.static.v5") }
    static var helloDynamic: URL { EndToEnd.buildDir.appendingPathComponent("hello.dynamic.v5") }

    /// Writes `data` to dir/name as an executable file and returns its path.
    static func fixture(_ dir: URL, _ name: String, _ data: Data) throws -> String {
        let url = dir.appendingPathComponent(name)
        try data.write(to: url)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: url.path)
        return url.path
    }

    /// A copy of the ARMv5TE static hello with `patch` applied to its bytes.
    static func patchedHello(_ dir: URL, _ name: String, _ patch: (inout [UInt8]) -> Void) throws -> String {
        var bytes = [UInt8](try Data(contentsOf: hello))
        patch(&bytes)
        return try fixture(dir, name, Data(bytes))
    }

    static func put32(_ bytes: inout [UInt8], _ offset: Int, _ value: UInt32) {
        for i in 0..<4 { bytes[offset + i] = UInt8((value >> (8 * UInt32(i))) & 0xff) }
    }

    static func put16(_ bytes: inout [UInt8], _ offset: Int, _ value: UInt16) {
        bytes[offset] = UInt8(value & 0xff)
        bytes[offset + 1] = UInt8(value >> 8)
    }

    // ELF32 header offsets.
    static let eiClass = 4, eiData = 5, eMachine = 18, ePhoff = 28, ePhentsize = 42, ePhnum = 44

    static let all: [BadInputCase] = [
        BadInputCase(name: "not an ELF file") { dir in
            ["run", try fixture(dir, "text", Data("this is not an ELF file\n".utf8))]
        },
        BadInputCase(name: "empty file") { dir in
            ["run", try fixture(dir, "empty", Data())]
        },
        BadInputCase(name: "shell script") { dir in
            ["run", try fixture(dir, "script.sh", Data("#!/bin/sh\necho hi\n".utf8))]
        },
        BadInputCase(name: "truncated ELF (first 100 bytes of a guest)") { dir in
            ["run", try fixture(dir, "truncated", try Data(contentsOf: hello).prefix(100))]
        },
        BadInputCase(name: "program header table past the end of the file") { dir in
            ["run", try patchedHello(dir, "phoff") { put32(&$0, ePhoff, 0x7fff_0000) }]
        },
        BadInputCase(name: "wrong program header entry size") { dir in
            ["run", try patchedHello(dir, "phentsize") { put16(&$0, ePhentsize, 7) }]
        },
        BadInputCase(name: "absurd program header count") { dir in
            ["run", try patchedHello(dir, "phnum") { put16(&$0, ePhnum, 0xffff) }]
        },
        BadInputCase(name: "64-bit ELF class on an ARM header") { dir in
            ["run", try patchedHello(dir, "class64") { $0[eiClass] = 2 }]
        },
        BadInputCase(name: "big-endian ARM ELF (built with -mbig-endian)") { _ in
            ["run", EndToEnd.buildDir.appendingPathComponent("bad/bigendian").path]
        },
        BadInputCase(name: "EI_DATA flipped to big-endian") { dir in
            ["run", try patchedHello(dir, "flipped-endian") { $0[eiData] = 2 }]
        },
        BadInputCase(name: "x86-64 ELF (/bin/true)") { _ in
            ["run", "/bin/true"]
        },
        BadInputCase(name: "ELF for another machine (e_machine = EM_386)") { dir in
            ["run", try patchedHello(dir, "i386") { put16(&$0, eMachine, 3) }]
        },
        BadInputCase(name: "relocatable object, not an executable") { _ in
            ["run", EndToEnd.buildDir.appendingPathComponent("bad/relocatable.o").path]
        },
        BadInputCase(name: "Thumb entry point") { _ in
            ["run", EndToEnd.buildDir.appendingPathComponent("bad/thumb_entry").path]
        },
        BadInputCase(name: "dynamic guest whose interpreter is missing (-L empty directory)") { dir in
            let empty = dir.appendingPathComponent("empty-sysroot")
            try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
            return ["run", "-L", empty.path, helloDynamic.path]
        },
        BadInputCase(name: "nonexistent file") { dir in
            ["run", dir.appendingPathComponent("no-such-program").path]
        },
        // Tests run as root, for whom chmod 000 does not stop reading; a directory is the
        // unreadable-as-a-program case that works for every user.
        BadInputCase(name: "a directory instead of a program") { dir in
            ["run", dir.path]
        },
        BadInputCase(name: "unknown option") { _ in
            ["run", "--no-such-option", hello.path]
        },
        BadInputCase(name: "unknown subcommand") { _ in
            ["no-such-command"]
        },
        BadInputCase(name: "run without a program") { _ in
            ["run"]
        },
        BadInputCase(name: "-E without VAR=VALUE") { _ in
            ["run", "-E", "NOEQUALS", hello.path]
        },
        BadInputCase(name: "unknown tier") { _ in
            ["run", "--tier", "warp-drive", hello.path]
        },
        BadInputCase(name: "option missing its value") { _ in
            ["run", "-L"]
        },
    ]
}
