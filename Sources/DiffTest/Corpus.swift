import Foundation
import ARM

/// A regression case: a sequence's code and initial state, and the final state qemu-arm
/// produced for it, replayed by Tests/DiffTestTests without qemu-arm. The text format is one
/// fact per line (`#` starts a comment):
///
///     harness 1
///     tls 0x…
///     initial r0=0x… … r14=0x… apsr=0x… scratch-seed=0x… tpidrurw=0x…
///     body e0810002    ; add r0, r1, r2        (one line per word, in order)
///     sub e12fff1e     ; bx lr                 (subroutine words, after the epilogue)
///     expect r0=0x… … r14=0x… apsr=0x… checksum=0x…  [signal=… si-code=… si-addr=… fault-pc=…]
///
/// The words are position-independent given the harness layout (`Harness.layoutVersion`),
/// and the case is built as a one-sequence harness, the way it was recorded.
public struct RegressionCase: Equatable, Sendable {
    public var sequence: AssembledSequence
    public var tls: UInt32
    public var expected: FinalState
    /// Free text kept as comments: where it was found, what the bug was.
    public var notes: [String]

    public init(sequence: AssembledSequence, tls: UInt32, expected: FinalState, notes: [String]) {
        self.sequence = sequence; self.tls = tls; self.expected = expected; self.notes = notes
    }

    public enum ParseError: Error, CustomStringConvertible {
        case bad(line: Int, String)
        public var description: String {
            switch self { case let .bad(line, what): return "line \(line): \(what)" }
        }
    }

    public var text: String {
        var lines = notes.map { "# " + $0 }
        lines.append("harness \(Harness.layoutVersion)")
        lines.append("tls \(hex(tls))")
        let i = sequence.initial
        lines.append("initial " + registersText(i.registers)
                     + " apsr=\(hex(i.apsr)) scratch-seed=\(hex(i.scratchSeed)) tpidrurw=\(hex(i.tpidrurw))")
        let built = Harness.build([sequence], tls: tls)
        var address = built.bodyAddresses[0]
        for w in sequence.body {
            lines.append("body \(hex(w, prefix: false)) ; \(Disassembler.text(word: w, address: address))")
            address &+= 4
        }
        address &+= UInt32(Harness.epilogueWords * 4)
        for w in sequence.subroutines {
            lines.append("sub \(hex(w, prefix: false)) ; \(Disassembler.text(word: w, address: address))")
            address &+= 4
        }
        var fault = ""
        if expected.signal != 0 {
            fault = " signal=\(hex(expected.signal)) si-code=\(hex(expected.code)) si-addr=\(hex(expected.faultAddress)) fault-pc=\(hex(expected.faultPC))"
        }
        lines.append("expect " + registersText(expected.registers)
                     + " apsr=\(hex(expected.apsr)) checksum=\(hex(expected.checksum))" + fault)
        return lines.joined(separator: "\n") + "\n"
    }

    /// Parses a case; `anyLayout` accepts one recorded with another harness layout (to re-record it).
    public init(parsing text: String, anyLayout: Bool = false) throws {
        var body: [UInt32] = [], subs: [UInt32] = []
        var initial: InitialState?
        var tls: UInt32 = 0
        var notes: [String] = []
        var expected: FinalState? = nil
        for (n, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("#") { notes.append(String(line.dropFirst()).trimmingCharacters(in: .whitespaces)); continue }
            let content = line.split(separator: ";", maxSplits: 1).first.map(String.init)?.trimmingCharacters(in: .whitespaces) ?? ""
            if content.isEmpty { continue }
            let parts = content.split(separator: " ").map(String.init)
            func value(_ s: String) throws -> UInt32 {
                let t = s.hasPrefix("0x") ? String(s.dropFirst(2)) : s
                guard let v = UInt32(t, radix: 16) else { throw ParseError.bad(line: n + 1, "not a hex number: \(s)") }
                return v
            }
            func fields() throws -> [String: UInt32] {
                var f: [String: UInt32] = [:]
                for p in parts.dropFirst() {
                    let kv = p.split(separator: "=", maxSplits: 1).map(String.init)
                    guard kv.count == 2 else { throw ParseError.bad(line: n + 1, "expected name=value, got \(p)") }
                    f[kv[0]] = try value(kv[1])
                }
                return f
            }
            func registers(_ f: [String: UInt32]) throws -> [UInt32] {
                try (0..<15).map { r in
                    guard let v = f["r\(r)"] else { throw ParseError.bad(line: n + 1, "missing r\(r)") }
                    return v
                }
            }
            func need(_ f: [String: UInt32], _ key: String) throws -> UInt32 {
                guard let v = f[key] else { throw ParseError.bad(line: n + 1, "missing \(key)") }
                return v
            }
            switch parts[0] {
            case "harness":
                guard parts.count == 2, anyLayout || Int(parts[1]) == Harness.layoutVersion else {
                    throw ParseError.bad(line: n + 1, "recorded with harness layout \(parts.dropFirst().joined()), this is layout \(Harness.layoutVersion): re-record the case with qemu-arm")
                }
            case "tls":
                guard parts.count == 2 else { throw ParseError.bad(line: n + 1, "tls takes one value") }
                tls = try value(parts[1])
            case "initial":
                let f = try fields()
                initial = InitialState(registers: try registers(f), apsr: try need(f, "apsr"),
                                       scratchSeed: try need(f, "scratch-seed"), tpidrurw: try need(f, "tpidrurw"))
            case "body", "sub":
                guard parts.count == 2 else { throw ParseError.bad(line: n + 1, "\(parts[0]) takes one word") }
                if parts[0] == "body" { body.append(try value(parts[1])) } else { subs.append(try value(parts[1])) }
            case "expect":
                let f = try fields()
                expected = FinalState(registers: try registers(f), apsr: try need(f, "apsr"), checksum: try need(f, "checksum"),
                                      signal: f["signal"] ?? 0, code: f["si-code"] ?? 0,
                                      faultAddress: f["si-addr"] ?? 0, faultPC: f["fault-pc"] ?? 0)
            default:
                throw ParseError.bad(line: n + 1, "unknown line kind \(parts[0])")
            }
        }
        guard let initial else { throw ParseError.bad(line: 0, "no initial line") }
        if expected == nil && anyLayout { expected = FinalState(registers: Array(repeating: 0, count: 15), apsr: 0, checksum: 0) }
        guard let expected else { throw ParseError.bad(line: 0, "no expect line") }
        self.init(sequence: AssembledSequence(body: body, subroutines: subs, initial: initial),
                  tls: tls, expected: expected, notes: notes)
    }

    /// Builds the one-sequence harness of this case.
    public func build() -> Harness.Built { Harness.build([sequence], tls: tls) }
}

func registersText(_ regs: [UInt32]) -> String {
    regs.enumerated().map { "r\($0.offset)=\(hex($0.element))" }.joined(separator: " ")
}

func hex(_ v: UInt32, prefix: Bool = true) -> String {
    let s = String(v, radix: 16)
    return (prefix ? "0x" : "") + String(repeating: "0", count: max(0, 8 - s.count)) + s
}
