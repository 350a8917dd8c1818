#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import ARM
import Linux

/// `isomorph disasm`: the disassembler the tests use, on an ELF's code or on given words.
struct DisasmCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "disasm",
        abstract: "Disassemble an ARM ELF's executable segments, or hex instruction words.")

    @Option(name: .long, help: ArgumentHelp("Address of the first word given with --words.", valueName: "hex"))
    var address: String = "0"

    @Flag(help: "Treat the arguments as hex instruction words instead of an ELF file.")
    var words = false

    @Argument(help: "An ELF file, or hex words with --words.")
    var inputs: [String]

    func run() throws {
        if words {
            guard var pc = UInt32(address.hasPrefix("0x") ? String(address.dropFirst(2)) : address, radix: 16) else {
                throw ValidationError("--address must be hex, got '\(address)'")
            }
            for input in inputs {
                let digits = input.hasPrefix("0x") ? String(input.dropFirst(2)) : input
                guard let word = UInt32(digits, radix: 16) else { throw ValidationError("not a hex word: '\(input)'") }
                print(line(pc, word))
                pc &+= 4
            }
            return
        }
        guard inputs.count == 1 else { throw ValidationError("give one ELF file (or --words with hex words)") }
        let path = inputs[0]
        guard let bytes = readWholeFile(path) else {
            fail("cannot read \(path): \(String(cString: strerror(errno)))", status: 1)
        }
        let elf: ELFFile
        do { elf = try ELFFile(path: path, bytes: bytes) } catch { fail("\(error)", status: 1) }
        for segment in elf.loadSegments where segment.flags & ELFConstants.PF_X != 0 {
            let start = Int(segment.offset), end = min(bytes.count, start + Int(segment.filesz))
            var pc = segment.vaddr
            var offset = start
            while offset + 4 <= end {
                let word = UInt32(bytes[offset]) | UInt32(bytes[offset + 1]) << 8
                    | UInt32(bytes[offset + 2]) << 16 | UInt32(bytes[offset + 3]) << 24
                print(line(pc, word))
                pc &+= 4
                offset += 4
            }
        }
    }

    func line(_ pc: UInt32, _ word: UInt32) -> String {
        "\(hex(pc)):\t\(hex(word))\t\(Disassembler.text(word: word, address: pc))"
    }

    func hex(_ v: UInt32) -> String {
        let s = String(v, radix: 16)
        return String(repeating: "0", count: 8 - s.count) + s
    }
}

/// The whole file, or nil (errno set).
func readWholeFile(_ path: String) -> [UInt8]? {
    guard let f = fopen(path, "rb") else { return nil }
    defer { fclose(f) }
    var out: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = fread(&chunk, 1, chunk.count, f)
        if n > 0 { out.append(contentsOf: chunk[0..<n]) }
        if n < chunk.count { break }
    }
    return ferror(f) != 0 ? nil : out
}
