import Foundation
import XCTest
import ARM
import Interpreter
import Memory

// Table-driven instruction tests (DESIGN.md convention 8): one line per case, written as
//
//     T("adds r0, r1, r2", "r1=0x7fffffff r2=1", "r0=0x80000000 nzcv=1001")
//
// assembly text, the state before, the state after. All cases of a table are assembled into one
// binary with GNU as, each case in its own 64-byte-aligned chunk followed by `svc #0`; the binary
// is loaded at 0x10000 (read + execute) and each case runs on the interpreter from its first
// instruction until it stops.
//
// State descriptions are space-separated `key=value` items:
//   r0…r15 sp lr ip fp sl pc   registers; unnamed registers start as 0xA5A5_rrrr (rr = number, so
//                             r4 = 0xA5A50404) and sp as 0x31000; after the case every register
//                             the "after" state does not name must be unchanged
//   n z c v q                 one flag, 0 or 1        nzcv=1001   all four condition flags
//   ge=1010                   GE[3:0] as four binary digits
//   [0x20000]=value           a memory word (the scratch region 0x20000-0x21fff or the stack region
//                             0x30000-0x31fff); both regions start zeroed and every word the
//                             "after" state does not name must hold its "before" value
//   tpidruro=value            (before) the CP15 thread ID register set_tls writes
// and in the "after" state, how the case must stop (by default at the `svc #0` after it):
//   svc=N                     at an `svc #N`
//   fault=addr  wfault=addr   a data fault reading / writing addr (pc stays at the instruction)
//   ifault=addr               an instruction fetch fault at addr
//   undef  undef=text         an undefined instruction, whose reason contains text
//   thumb   bkpt=N   kuser    a branch to Thumb state, a BKPT, a jump into the kernel helper page
// Values are decimal, negative decimal (two's complement) or 0x hex (underscores allowed); `@`,
// `@+N` and `@-N` are addresses relative to the case's first instruction.

/// One line of an instruction table.
struct InstructionCase {
    let assembly: String
    let before: String
    let after: String
    let file: StaticString
    let line: UInt
}

/// Builds a table line; the file and line locate failures at the case.
func T(_ assembly: String, _ before: String, _ after: String,
       file: StaticString = #filePath, line: UInt = #line) -> InstructionCase {
    InstructionCase(assembly: assembly, before: before, after: after, file: file, line: line)
}

// MARK: - State descriptions

/// A number, or an address relative to the case's first instruction.
enum Operand: Equatable {
    case value(UInt32)
    case caseRelative(Int64)

    func resolve(_ caseStart: UInt32) -> UInt32 {
        switch self {
        case .value(let v): return v
        case .caseRelative(let d): return UInt32(truncatingIfNeeded: Int64(caseStart) + d)
        }
    }
}

/// How a case is expected to stop.
enum ExpectedStop: Equatable {
    case supervisorCall(UInt32)
    case dataFault(Operand, write: Bool)
    case fetchFault(Operand)
    case undefined(containing: String?)
    case thumb
    case breakpoint(UInt32)
    case kernelHelper
}

/// A parsed "before" or "after" description.
struct StateSpec {
    var registers: [Int: Operand] = [:]
    /// n z c v q, and "ge" for GE[3:0].
    var flags: [String: UInt8] = [:]
    var memory: [UInt32: Operand] = [:]
    var tpidruro: UInt32?
    var stop: ExpectedStop?
}

enum SpecError: Error, CustomStringConvertible {
    case bad(String)
    var description: String { if case .bad(let s) = self { return s }; return "" }
}

enum Guest {
    static let codeBase: UInt32 = 0x10000
    static let regions: [(start: UInt32, length: UInt32)] = [(0x20000, 0x2000), (0x30000, 0x2000)]
    static let defaultStack: UInt32 = 0x31000
    static let chunkAlignment = 64

    static func defaultRegister(_ r: Int) -> UInt32 {
        r == 13 ? defaultStack : 0xA5A5_0000 | UInt32(r) << 8 | UInt32(r)
    }

    static func inRegions(_ a: UInt32) -> Bool {
        regions.contains { a >= $0.start && a < $0.start + $0.length }
    }

    static let registerNumbers: [String: Int] = {
        var d: [String: Int] = [:]
        for r in 0..<16 { d["r\(r)"] = r }
        d["sl"] = 10; d["fp"] = 11; d["ip"] = 12; d["sp"] = 13; d["lr"] = 14; d["pc"] = 15
        return d
    }()
}

func parseNumber(_ text: Substring) throws -> UInt32 {
    var t = text.replacingOccurrences(of: "_", with: "")
    var negative = false
    if t.hasPrefix("-") { negative = true; t.removeFirst() }
    let v: UInt64?
    if t.hasPrefix("0x") || t.hasPrefix("0X") { v = UInt64(t.dropFirst(2), radix: 16) } else { v = UInt64(t) }
    guard let v, v <= UInt64(UInt32.max) else { throw SpecError.bad("bad number '\(text)'") }
    return negative ? UInt32(truncatingIfNeeded: -Int64(v)) : UInt32(v)
}

func parseOperand(_ text: Substring) throws -> Operand {
    if text.hasPrefix("@") {
        let rest = text.dropFirst()
        if rest.isEmpty { return .caseRelative(0) }
        guard let sign = rest.first, sign == "+" || sign == "-" else { throw SpecError.bad("bad address '\(text)'") }
        let magnitude = Int64(try parseNumber(rest.dropFirst()))
        return .caseRelative(sign == "+" ? magnitude : -magnitude)
    }
    return .value(try parseNumber(text))
}

func parseBits(_ text: Substring, count: Int) throws -> [UInt8] {
    guard text.count == count, text.allSatisfy({ $0 == "0" || $0 == "1" }) else {
        throw SpecError.bad("expected \(count) binary digits, got '\(text)'")
    }
    return text.map { $0 == "1" ? 1 : 0 }
}

func parseState(_ text: String, isAfter: Bool) throws -> StateSpec {
    var spec = StateSpec()
    for item in text.split(whereSeparator: { $0 == " " || $0 == "\t" }) {
        let parts = item.split(separator: "=", maxSplits: 1)
        let key = parts[0].lowercased()
        let value: Substring? = parts.count == 2 ? parts[1] : nil
        func need() throws -> Substring {
            guard let value else { throw SpecError.bad("'\(key)' needs a value") }
            return value
        }
        func afterOnly() throws { if !isAfter { throw SpecError.bad("'\(key)' belongs in the after state") } }
        func setStop(_ s: ExpectedStop) throws {
            try afterOnly()
            if spec.stop != nil { throw SpecError.bad("more than one way to stop") }
            spec.stop = s
        }
        if let r = Guest.registerNumbers[key] {
            if r == 15 && !isAfter { throw SpecError.bad("pc is set by the harness") }
            spec.registers[r] = try parseOperand(try need())
        } else if ["n", "z", "c", "v", "q"].contains(key) {
            spec.flags[key] = try parseBits(try need(), count: 1)[0]
        } else if key == "nzcv" {
            let bits = try parseBits(try need(), count: 4)
            for (k, b) in zip(["n", "z", "c", "v"], bits) { spec.flags[k] = b }
        } else if key == "ge" {
            let bits = try parseBits(try need(), count: 4)
            spec.flags["ge"] = bits.reduce(0) { $0 << 1 | $1 }
        } else if key.hasPrefix("[") && key.hasSuffix("]") {
            let address = try parseNumber(Substring(key.dropFirst().dropLast()))
            guard address & 3 == 0, Guest.inRegions(address) else {
                throw SpecError.bad("memory word \(key) is not an aligned word of the scratch or stack region")
            }
            spec.memory[address] = try parseOperand(try need())
        } else if key == "tpidruro" {
            if isAfter { throw SpecError.bad("tpidruro belongs in the before state") }
            spec.tpidruro = try parseNumber(try need())
        } else if key == "svc" {
            try setStop(.supervisorCall(try parseNumber(try need())))
        } else if key == "fault" || key == "wfault" {
            try setStop(.dataFault(try parseOperand(try need()), write: key == "wfault"))
        } else if key == "ifault" {
            try setStop(.fetchFault(try parseOperand(try need())))
        } else if key == "undef" {
            try setStop(.undefined(containing: value.map(String.init)))
        } else if key == "thumb" {
            try setStop(.thumb)
        } else if key == "kuser" {
            try setStop(.kernelHelper)
        } else if key == "bkpt" {
            try setStop(.breakpoint(try parseNumber(try need())))
        } else {
            throw SpecError.bad("unknown item '\(item)'")
        }
    }
    return spec
}

// MARK: - What a run produced

/// The guest-visible state after a case, from the interpreter or from qemu-arm.
struct ObservedState {
    var registers: [UInt32]
    var n: UInt8, z: UInt8, c: UInt8, v: UInt8, q: UInt8, ge: UInt8
    /// Every word of the scratch and stack regions.
    var memory: [UInt32: UInt32]
    var stop: Interpreter.Stop
    /// qemu-arm's runs do not record where the svc was.
    var pcKnown: Bool

    func flag(_ name: String) -> UInt8 {
        switch name {
        case "n": return n
        case "z": return z
        case "c": return c
        case "v": return v
        case "q": return q
        default: return ge
        }
    }
}

func hex(_ v: UInt32) -> String {
    let s = String(v, radix: 16)
    return "0x" + String(repeating: "0", count: max(0, 8 - s.count)) + s
}

func describe(_ stop: Interpreter.Stop) -> String {
    switch stop {
    case .supervisorCall(let n): return "svc #\(n)"
    case .undefined(let word, let reason): return "undefined \(hex(word)) (\(reason))"
    case .dataFault(let f): return "data fault \(f.isWrite ? "writing" : "reading") \(hex(f.address))"
    case .fetchFault(let f): return "fetch fault at \(hex(f.address))"
    case .breakpoint(let n): return "bkpt #\(n)"
    case .thumb: return "branch to Thumb"
    case .kernelHelper: return "kernel helper page"
    case .budgetExhausted: return "did not stop (block budget exhausted)"
    }
}

/// Differences between the expected "after" state and what a run produced; empty when they agree.
func mismatches(before: StateSpec, after: StateSpec, observed: ObservedState, caseStart: UInt32) -> [String] {
    var out: [String] = []
    let expectedStop = after.stop ?? .supervisorCall(0)
    let stopMatches: Bool
    switch (expectedStop, observed.stop) {
    case (.supervisorCall(let e), .supervisorCall(let o)): stopMatches = e == o
    case (.dataFault(let a, let w), .dataFault(let f)): stopMatches = f.address == a.resolve(caseStart) && f.isWrite == w
    case (.fetchFault(let a), .fetchFault(let f)): stopMatches = f.address == a.resolve(caseStart)
    case (.undefined(let text), .undefined(_, let reason)): stopMatches = text.map { reason.contains($0) } ?? true
    case (.thumb, .thumb), (.kernelHelper, .kernelHelper): stopMatches = true
    case (.breakpoint(let e), .breakpoint(let o)): stopMatches = e == o
    default: stopMatches = false
    }
    if !stopMatches { out.append("stopped with \(describe(observed.stop)), expected \(expectedStop)") }

    for r in 0..<15 {
        let expected = (after.registers[r] ?? before.registers[r])?.resolve(caseStart) ?? Guest.defaultRegister(r)
        if observed.registers[r] != expected {
            out.append("\(registerNames[r]) = \(hex(observed.registers[r])), expected \(hex(expected))")
        }
    }
    if let pc = after.registers[15], observed.pcKnown, observed.registers[15] != pc.resolve(caseStart) {
        out.append("pc = \(hex(observed.registers[15])), expected \(hex(pc.resolve(caseStart)))")
    }
    for name in ["n", "z", "c", "v", "q", "ge"] {
        let expected = after.flags[name] ?? before.flags[name] ?? 0
        if observed.flag(name) != expected {
            let width = name == "ge" ? 4 : 1
            func bits(_ v: UInt8) -> String {
                let s = String(v, radix: 2)
                return String(repeating: "0", count: max(0, width - s.count)) + s
            }
            out.append("\(name) = \(bits(observed.flag(name))), expected \(bits(expected))")
        }
    }
    var memoryErrors = 0
    for region in Guest.regions {
        for address in stride(from: region.start, to: region.start + region.length, by: 4) {
            let expected = (after.memory[address] ?? before.memory[address])?.resolve(caseStart) ?? 0
            let actual = observed.memory[address] ?? 0
            if actual != expected {
                memoryErrors += 1
                if memoryErrors <= 4 { out.append("[\(hex(address))] = \(hex(actual)), expected \(hex(expected))") }
            }
        }
    }
    if memoryErrors > 4 { out.append("… and \(memoryErrors - 4) more memory words differ") }
    return out
}

// MARK: - Tools

enum ToolError: Error, CustomStringConvertible {
    case missing(String)
    case failed(String, String)
    var description: String {
        switch self {
        case .missing(let tool):
            return "\(tool) not found: install binutils-arm-linux-gnueabi (and qemu-user for the qemu cross-check)"
        case .failed(let command, let output): return "\(command) failed:\n\(output)"
        }
    }
}

enum Tools {
    static func find(_ name: String) -> String? {
        let paths = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") + ["/usr/bin"]
        for p in paths where FileManager.default.isExecutableFile(atPath: "\(p)/\(name)") { return "\(p)/\(name)" }
        return nil
    }

    /// Runs a tool; returns its standard output, throws with its standard error on failure.
    @discardableResult
    static func run(_ name: String, _ arguments: [String], stdout: URL? = nil) throws -> Data {
        guard let path = find(name) else { throw ToolError.missing(name) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        let errorPipe = Pipe()
        process.standardError = errorPipe
        let outputPipe = Pipe()
        if let stdout {
            FileManager.default.createFile(atPath: stdout.path, contents: nil)
            process.standardOutput = try FileHandle(forWritingTo: stdout)
        } else {
            process.standardOutput = outputPipe
        }
        try process.run()
        // Read both pipes before waiting, so a chatty tool cannot fill a pipe and block.
        var output = Data()
        if stdout == nil { output = outputPipe.fileHandleForReading.readDataToEndOfFile() }
        let errors = errorPipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw ToolError.failed(([name] + arguments).joined(separator: " "),
                                   String(decoding: errors, as: UTF8.self) + String(decoding: output, as: UTF8.self))
        }
        return output
    }

    static func temporaryDirectory() throws -> URL {
        let dir = FileManager.default.temporaryDirectory
            .appendingPathComponent("isomorph-interp-\(getpid())-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    static let assemblerPrologue = """
        .syntax unified
        .arch armv7-a
        .arch_extension idiv
        .fpu neon
        .text

        """

    /// Assembles ARM source with arm-linux-gnueabi-as -march=armv7-a and returns the raw .text bytes.
    static func assemble(_ source: String) throws -> [UInt8] {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let s = dir.appendingPathComponent("code.s"), o = dir.appendingPathComponent("code.o")
        let bin = dir.appendingPathComponent("code.bin")
        try source.write(to: s, atomically: true, encoding: .utf8)
        try run("arm-linux-gnueabi-as", ["-march=armv7-a", "-mfpu=neon", "-o", o.path, s.path])
        try run("arm-linux-gnueabi-objcopy", ["-O", "binary", "-j", ".text", o.path, bin.path])
        return Array(try Data(contentsOf: bin))
    }
}

// MARK: - A guest machine on the interpreter

/// An address space with code loaded, the scratch and stack regions, and the interpreter.
final class GuestMachine {
    let memory: AddressSpace
    let interpreter: Interpreter
    let cpu: UnsafeMutablePointer<CPUState>

    init(code: [UInt8], at base: UInt32 = Guest.codeBase, protection: Protection = .rx) throws {
        let memory = try AddressSpace()
        let interpreter = Interpreter(memory: memory)
        self.memory = memory
        self.interpreter = interpreter
        // As the engine does: writes to pages holding decoded code invalidate the decoded blocks.
        memory.codeInvalidated = { [unowned interpreter] address, length in
            interpreter.invalidate(address, length)
        }
        XCTAssertEqual(memory.map(base, length: UInt32(max(code.count, 1)), protection: protection), 0)
        code.withUnsafeBytes { memory.poke(base, $0) }
        for region in Guest.regions {
            XCTAssertEqual(memory.map(region.start, length: region.length, protection: .rw), 0)
        }
        cpu = .allocate(capacity: 1)
        cpu.initialize(to: CPUState())
    }

    deinit {
        cpu.deinitialize(count: 1)
        cpu.deallocate()
    }

    /// Runs until something other than an exhausted block budget stops the interpreter.
    func run(maxSlices: Int = 100) -> Interpreter.Stop {
        for _ in 0..<maxSlices {
            let stop = interpreter.run(cpu, maxBlocks: 1000)
            if stop != .budgetExhausted { return stop }
        }
        return .budgetExhausted
    }

    /// Sets up a case's "before" state with pc at `start`.
    func prepare(_ before: StateSpec, start: UInt32) throws {
        for region in Guest.regions {
            try memory.writeBytes(region.start, [UInt8](repeating: 0, count: Int(region.length)))
        }
        for (address, value) in before.memory { try memory.write(address, value.resolve(start)) }
        var state = CPUState()
        for r in 0..<15 { state[r] = before.registers[r]?.resolve(start) ?? Guest.defaultRegister(r) }
        state.pc = start
        state.n = before.flags["n"] ?? 0
        state.z = before.flags["z"] ?? 0
        state.c = before.flags["c"] ?? 0
        state.v = before.flags["v"] ?? 0
        state.q = before.flags["q"] ?? 0
        state.ge = before.flags["ge"] ?? 0
        state.tpidruro = before.tpidruro ?? 0
        cpu.pointee = state
    }

    func observe(_ stop: Interpreter.Stop) throws -> ObservedState {
        let s = cpu.pointee
        var memoryWords: [UInt32: UInt32] = [:]
        for region in Guest.regions {
            let bytes = try memory.readBytes(region.start, count: Int(region.length))
            for k in stride(from: 0, to: bytes.count, by: 4) {
                let word = UInt32(bytes[k]) | UInt32(bytes[k + 1]) << 8 | UInt32(bytes[k + 2]) << 16 | UInt32(bytes[k + 3]) << 24
                if word != 0 { memoryWords[region.start + UInt32(k)] = word }
            }
        }
        return ObservedState(registers: (0..<16).map { s[$0] }, n: s.n, z: s.z, c: s.c, v: s.v, q: s.q, ge: s.ge,
                             memory: memoryWords, stop: stop, pcKnown: true)
    }
}

// MARK: - Running a table

struct ParsedCase {
    let source: InstructionCase
    let before: StateSpec
    let after: StateSpec
}

/// Parses every case; a case that does not parse fails at its own line.
func parseCases(_ cases: [InstructionCase]) -> [ParsedCase] {
    cases.compactMap { c in
        do {
            return ParsedCase(source: c, before: try parseState(c.before, isAfter: false),
                              after: try parseState(c.after, isAfter: true))
        } catch {
            XCTFail("\(c.assembly): \(error)", file: c.file, line: c.line)
            return nil
        }
    }
}

/// Assembles the cases into one binary: a table of each case's offset, then the cases, each
/// aligned and followed by `svc #0` and its literal pool. Assembler errors fail at the case's line.
func assembleTable(_ cases: [ParsedCase]) throws -> (code: [UInt8], offsets: [UInt32]) {
    var source = Tools.assemblerPrologue + "case_table:\n"
    for k in cases.indices { source += "    .word case_\(k) - case_table\n" }
    // (first source line of the case, case index), for blaming assembler errors.
    var lineToCase: [(Int, Int)] = []
    var line = source.filter { $0 == "\n" }.count + 1
    for (k, c) in cases.enumerated() {
        source += "    .balign \(Guest.chunkAlignment)\ncase_\(k):\n"
        line += 2
        lineToCase.append((line, k))
        source += "    \(c.source.assembly)\n    svc #0\n    .ltorg\n"
        line += 3
    }
    let code: [UInt8]
    do {
        code = try Tools.assemble(source)
    } catch ToolError.failed(let command, let output) {
        // Blame the case each error line falls in.
        var blamed = false
        for message in output.split(separator: "\n") {
            let parts = message.split(separator: ":")
            guard parts.count > 2, let line = Int(parts[1]) else { continue }
            if let k = lineToCase.last(where: { $0.0 <= line })?.1 {
                XCTFail("does not assemble: \(message)", file: cases[k].source.file, line: cases[k].source.line)
                blamed = true
            }
        }
        if !blamed { throw ToolError.failed(command, output) }
        throw ToolError.failed("assembling the table", "see the failures at the cases")
    }
    let offsets = cases.indices.map { k in
        UInt32(code[4 * k]) | UInt32(code[4 * k + 1]) << 8 | UInt32(code[4 * k + 2]) << 16 | UInt32(code[4 * k + 3]) << 24
    }
    return (code, offsets)
}

/// Runs every case of a table on the interpreter and checks its "after" state.
func runTable(_ cases: [InstructionCase]) throws {
    let parsed = parseCases(cases)
    let (code, offsets) = try assembleTable(parsed)
    let machine = try GuestMachine(code: code)
    for (k, c) in parsed.enumerated() {
        let start = Guest.codeBase + offsets[k]
        let end = k + 1 < offsets.count ? Guest.codeBase + offsets[k + 1] : Guest.codeBase + UInt32(code.count)
        try machine.prepare(c.before, start: start)
        let stop = machine.run()
        let observed = try machine.observe(stop)
        var problems = mismatches(before: c.before, after: c.after, observed: observed, caseStart: start)
        if case .supervisorCall = stop, c.after.registers[15] == nil,
           !(observed.registers[15] > start && observed.registers[15] <= end) {
            problems.append("svc at \(hex(observed.registers[15] &- 4)) is outside the case (\(hex(start))-\(hex(end)))")
        }
        if !problems.isEmpty {
            XCTFail("\(c.source.assembly)  [\(c.source.before)] -> [\(c.source.after)]: " + problems.joined(separator: "; "),
                    file: c.source.file, line: c.source.line)
        }
    }
}
