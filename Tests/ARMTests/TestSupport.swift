import Foundation
@testable import ARM

/// SplitMix64: a tiny seeded generator, so every random test is reproducible from its seed.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

extension Op {
    /// Has a condition field (and therefore never matches cond 1111).
    var isConditional: Bool { rawValue.hasPrefix("cccc") }

    /// Number of bits the pattern fixes: the decoder's priority.
    var fixedBitCount: Int { Decoder.compile(rawValue).mask.nonzeroBitCount }

    /// Whether the word's should-be-one/zero bits (`y`, `z`) have their canonical values.
    func hasCanonicalShouldBeBits(_ word: UInt32) -> Bool {
        for (index, letter) in rawValue.enumerated() where letter == "y" || letter == "z" {
            if (word >> UInt32(31 - index)) & 1 != (letter == "y" ? 1 : 0) { return false }
        }
        return true
    }

    /// A random word of this encoding: fixed bits as given, should-be-one/zero bits canonical,
    /// a random condition other than 1111 for conditional encodings, and every field random
    /// but biased towards the values where printers have special cases (zero, all ones, one
    /// bit set, small numbers, sp).
    static let registerLetters: Set<Character> = ["n", "d", "m", "s", "a", "t"]

    func randomWord<G: RandomNumberGenerator>(using rng: inout G) -> UInt32 {
        let pattern = Decoder.compile(rawValue)
        var word = pattern.value
        for (index, letter) in rawValue.enumerated() where letter == "y" { word |= 1 << UInt32(31 - index) }
        // Each field letter's bit positions, most significant first, letters in order of appearance.
        var bitsOf: [Character: [Int]] = [:], letters: [Character] = []
        for (index, letter) in rawValue.enumerated() where Field(letter: letter) != nil {
            if bitsOf[letter] == nil { letters.append(letter) }
            bitsOf[letter, default: []].append(31 - index)
        }
        for letter in letters {
            let bits = bitsOf[letter]!
            let width = UInt32(bits.count), ones: UInt32 = width == 32 ? .max : (1 << width) - 1
            let value: UInt32
            switch UInt32.random(in: 0..<8, using: &rng) {
            case 0: value = 0
            case 1: value = ones
            case 2: value = 1 << UInt32.random(in: 0..<width, using: &rng)
            case 3: value = UInt32.random(in: 0...min(ones, 7), using: &rng)
            case 4 where width == 4 && Self.registerLetters.contains(letter): value = 13
            default: value = UInt32.random(in: 0...ones, using: &rng)
            }
            for (k, bit) in bits.enumerated() {
                word |= ((value >> (width - 1 - UInt32(k))) & 1) << UInt32(bit)
            }
        }
        if isConditional { word = word & 0x0FFF_FFFF | UInt32.random(in: 0...14, using: &rng) << 28 }
        // bkpt is UNPREDICTABLE unless cond is AL, and objdump then reads the word as an msr.
        if self == .bkpt { word = word & 0x0FFF_FFFF | 0xE000_0000 }
        return word
    }
}

/// GNU objdump as the oracle for the disassembler's syntax.
enum Objdump {
    static let path = "/usr/bin/arm-linux-gnueabi-objdump"

    /// Disassembles little-endian words placed at `base`; returns objdump's raw text per word.
    static func disassemble(_ words: [UInt32], base: UInt32) throws -> [UInt32: String] {
        let file = FileManager.default.temporaryDirectory
            .appendingPathComponent("isomorph-objdump-\(ProcessInfo.processInfo.processIdentifier)-\(UInt32.random(in: 0...UInt32.max)).bin")
        var bytes = [UInt8]()
        bytes.reserveCapacity(words.count * 4)
        for w in words { bytes += [UInt8(w & 0xFF), UInt8(w >> 8 & 0xFF), UInt8(w >> 16 & 0xFF), UInt8(w >> 24)] }
        try Data(bytes).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }

        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = ["-D", "-z", "-EL", "-b", "binary", "-m", "armv7", "--no-show-raw-insn",
                             "--adjust-vma=0x\(String(base, radix: 16))", file.path]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()

        var result: [UInt32: String] = [:]
        for line in String(decoding: output, as: UTF8.self).split(separator: "\n") {
            // "   1c:\tpush\t{lr}\t\t@ (str lr, [sp, #-4]!)"
            guard let colon = line.firstIndex(of: ":"),
                  line[line.index(after: colon)...].hasPrefix("\t"),
                  let address = UInt32(line[..<colon].trimmingCharacters(in: .whitespaces), radix: 16)
            else { continue }
            result[address] = String(line[line.index(colon, offsetBy: 2)...])
        }
        return result
    }

    /// Whitespace collapsed to single spaces, lowercase (objdump prints `ROR` in one uxtab16
    /// form), `@ comments` dropped.
    static func normalise(_ text: String) -> String {
        let code = text.split(separator: "@", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        return code.split(whereSeparator: { $0 == " " || $0 == "\t" }).joined(separator: " ").lowercased()
    }
}

/// The differential comparison of `Disassembler` against objdump over random words of every
/// supported encoding.
struct DifferentialRun {
    struct Mismatch: CustomStringConvertible {
        let op: Op, word: UInt32, ours: String, objdump: String
        var description: String {
            "\(op) 0x\(String(word, radix: 16)): ours `\(ours)` objdump `\(objdump)`"
        }
    }
    var compared = 0
    /// Words objdump marks <UNPREDICTABLE>: still compared (objdump prints them in full), and
    /// counted here to show how much of the sample they are.
    var unpredictable = 0
    /// Words objdump calls <UNDEFINED> (coprocessors 8 and 9, reserved by ARMv8; cdp2 on
    /// coprocessor 10/11…): not compared.
    var undefined = 0
    /// Coprocessor words objdump prints as a specific legacy coprocessor's instruction (FPA
    /// `ldf`/`sfm`, Maverick `cfldr64`, ARMv8 `vdot`…) rather than the generic mcr/ldc/cdp form,
    /// and ldc2/stc2 on coprocessor 9, whose offset objdump scales by 2 as for ARMv8.2's
    /// half-precision vldr/vstr.
    var namedCoprocessor = 0
    /// Words generated for one encoding that decode as a more specific one whose should-be
    /// bits they do not honour (an msr immediate with mask 0 is a hint, but objdump reads a
    /// hint with nonzero should-be-zero bits as the msr).
    var nonCanonical = 0
    /// Random coprocessor words whose coprocessor number selects the VFP family.
    var vfpOrNeon = 0
    var mismatches: [Mismatch] = []

    static let base: UInt32 = 0x0001_0000

    init(seed: UInt64, wordsPerEncoding: Int) throws {
        var rng = SplitMix64(seed: seed)
        var words: [(Op, UInt32)] = []
        for op in Op.allCases where op.unsupportedReason == nil {
            for _ in 0..<wordsPerEncoding { words.append((op, op.randomWord(using: &rng))) }
        }
        let oracle = try Objdump.disassemble(words.map { $0.1 }, base: Self.base)
        for (index, (op, word)) in words.enumerated() {
            let address = Self.base &+ UInt32(index * 4)
            let raw = oracle[address] ?? "<missing>"
            if raw.contains("<UNPREDICTABLE>") { unpredictable += 1 }
            if raw.contains("<UNDEFINED>") || raw.contains("<und>") { undefined += 1; continue }
            guard let inst = Decoder.decode(word) else {
                mismatches.append(Mismatch(op: op, word: word, ours: "<nil>", objdump: raw)); continue
            }
            if inst.op.unsupportedReason != nil { vfpOrNeon += 1; continue }
            if !inst.op.hasCanonicalShouldBeBits(word) { nonCanonical += 1; continue }
            var theirs = Objdump.normalise(raw)
            let ours = Objdump.normalise(Disassembler.text(inst, address: address))
            if Self.coprocessorOps.contains(inst.op),
               !["mcr", "mrc", "cdp", "ldc", "stc"].contains(where: { theirs.hasPrefix($0) })
                || (inst.op == .ldc2 || inst.op == .stc2) && inst.coprocessor == 9 {
                namedCoprocessor += 1; continue
            }
            if [.b, .bl, .blxImm].contains(inst.op) {  // objdump -b binary prints targets as 0x…
                theirs = theirs.replacingOccurrences(of: " 0x", with: " ")
            }
            compared += 1
            if ours != theirs { mismatches.append(Mismatch(op: inst.op, word: word, ours: ours, objdump: theirs)) }
        }
    }

    static let coprocessorOps: Set<Op> = [.mcr, .mrc, .mcrr, .mrrc, .cdp, .stc, .ldc,
                                          .mcr2, .mrc2, .mcrr2, .mrrc2, .cdp2, .stc2, .ldc2]
}
