import Foundation
import XCTest
import ARM
import Interpreter

// Cross-checks the instruction tables themselves against qemu-arm (the practical oracle, DESIGN.md
// "Reference behaviour"): every case that ends at an svc is run natively under
// `qemu-arm -cpu cortex-a15` in one static program, which sets up the "before" state, runs the
// case's code (each `svc #N` becomes a branch to a stub that saves the registers and flags) and
// writes the registers, flags and both memory regions to stdout. The "after" state is then checked
// against that exactly as against the interpreter. Cases that stop otherwise (faults, undefined
// instructions…) are interpreter-only.

enum QemuOracle {
    static let recordSize = 72 + Guest.regions.reduce(0) { $0 + Int($1.length) }

    static func operandText(_ o: Operand, _ k: Int) -> String {
        switch o {
        case .value(let v): return hex(v)
        case .caseRelative(let d): return d >= 0 ? "case_\(k) + \(d)" : "case_\(k) - \(-d)"
        }
    }

    /// The case's assembly with each `svc #N` (any condition) turned into a branch to stub N;
    /// also the stub numbers it needs.
    static func rewriteSupervisorCalls(_ assembly: String, _ k: Int) -> (String, Set<UInt32>) {
        let regex = try! NSRegularExpression(pattern: "\\bsvc([a-z]{2})?\\s+#?(0x[0-9a-fA-F]+|[0-9]+)")
        var text = assembly
        var numbers: Set<UInt32> = [0]
        let ns = assembly as NSString
        for m in regex.matches(in: assembly, range: NSRange(location: 0, length: ns.length)).reversed() {
            let cond = m.range(at: 1).location == NSNotFound ? "" : ns.substring(with: m.range(at: 1))
            let n = (try? parseNumber(Substring(ns.substring(with: m.range(at: 2))))) ?? 0
            numbers.insert(n)
            let r = Range(m.range, in: text)!
            text.replaceSubrange(r, with: "b\(cond) stub_\(k)_\(n)")
        }
        return (text, numbers)
    }

    static func program(_ cases: [ParsedCase]) -> String {
        var s = Tools.assemblerPrologue + ".global _start\n_start:\n"
        for region in Guest.regions {
            // mmap2(start, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0)
            s += """
                    ldr r0, =\(hex(region.start))
                    ldr r1, =\(hex(region.length))
                    mov r2, #3
                    mov r3, #0x32
                    mvn r4, #0
                    mov r5, #0
                    mov r7, #192
                    svc #0

                """
        }
        s += "    b setup_0\nzero_regions:\n    mov r0, #0\n"
        for (k, region) in Guest.regions.enumerated() {
            s += """
                    ldr r1, =\(hex(region.start))
                    ldr r2, =\(hex(region.start + region.length))
                zero_\(k):
                    str r0, [r1], #4
                    cmp r1, r2
                    bne zero_\(k)

                """
        }
        s += "    bx lr\nreport:\n    mov r8, lr\n"
        for (start, length) in [("save_area", "72")] + Guest.regions.map({ (hex($0.start), hex($0.length)) }) {
            s += "    mov r0, #1\n    ldr r1, =\(start)\n    ldr r2, =\(length)\n    mov r7, #4\n    svc #0\n"
        }
        s += "    bx r8\n    .ltorg\n"

        for (k, c) in cases.enumerated() {
            var cpsr: UInt32 = 0
            for (bit, name) in [(31, "n"), (30, "z"), (29, "c"), (28, "v"), (27, "q")] {
                cpsr |= UInt32(c.before.flags[name] ?? 0) << UInt32(bit)
            }
            cpsr |= UInt32(c.before.flags["ge"] ?? 0) << 16
            s += "setup_\(k):\n    bl zero_regions\n"
            s += "    ldr r0, =\(hex(c.before.tpidruro ?? 0))\n    ldr r7, =0xf0005\n    svc #0\n"
            for (address, value) in c.before.memory.sorted(by: { $0.key < $1.key }) {
                s += "    ldr r0, =\(hex(address))\n    ldr r1, =\(operandText(value, k))\n    str r1, [r0]\n"
            }
            s += "    ldr r0, =\(hex(cpsr))\n    msr APSR_nzcvqg, r0\n"
            s += "    ldr r0, =regs_\(k)\n    ldmia r0, {r0-r14}\n    b case_\(k)\n    .ltorg\nregs_\(k):\n"
            for r in 0..<15 {
                s += "    .word \(c.before.registers[r].map { operandText($0, k) } ?? hex(Guest.defaultRegister(r)))\n"
            }
            let (code, stubs) = rewriteSupervisorCalls(c.source.assembly, k)
            s += "case_\(k):\n    \(code)\n    b stub_\(k)_0\n    .ltorg\n"
            for n in stubs.sorted() {
                s += """
                    stub_\(k)_\(n):
                        mcr p15, 0, r0, c13, c0, 2
                        ldr r0, =save_area
                        stmia r0, {r0-r14}
                        mrc p15, 0, r1, c13, c0, 2
                        str r1, [r0]
                        mrs r1, apsr
                        str r1, [r0, #60]
                        ldr r1, =\(n)
                        str r1, [r0, #64]
                        ldr r1, =case_\(k)
                        str r1, [r0, #68]
                        bl report
                        b setup_\(k + 1)
                        .ltorg

                    """
            }
        }
        s += "setup_\(cases.count):\n    mov r0, #0\n    mov r7, #1\n    svc #0\n"
        s += ".bss\n.balign 4\nsave_area:\n    .space 72\n"
        return s
    }

    /// Runs the cases that end at an svc under qemu-arm and checks their "after" states.
    static func check(_ all: [InstructionCase]) throws {
        let cases = parseCases(all).filter { c in
            if case .supervisorCall = c.after.stop ?? .supervisorCall(0) { return true }
            return false
        }
        let dir = try Tools.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let s = dir.appendingPathComponent("oracle.s"), o = dir.appendingPathComponent("oracle.o")
        let exe = dir.appendingPathComponent("oracle"), out = dir.appendingPathComponent("oracle.out")
        try program(cases).write(to: s, atomically: true, encoding: .utf8)
        try Tools.run("arm-linux-gnueabi-as", ["-march=armv7-a", "-mfpu=neon", "-o", o.path, s.path])
        try Tools.run("arm-linux-gnueabi-ld", ["-static", "-Ttext=0x100000", "-o", exe.path, o.path])
        var crash: Error? = nil
        do {
            try Tools.run("qemu-arm", ["-cpu", "cortex-a15", exe.path], stdout: out)
        } catch {
            crash = error
        }
        let data = Array(try Data(contentsOf: out))
        func word(_ offset: Int) -> UInt32 {
            UInt32(data[offset]) | UInt32(data[offset + 1]) << 8 | UInt32(data[offset + 2]) << 16 | UInt32(data[offset + 3]) << 24
        }
        let complete = data.count / recordSize
        for (k, c) in cases.enumerated() {
            guard k < complete else {
                XCTFail("qemu-arm did not finish this case: \(crash.map { "\($0)" } ?? "no output")",
                        file: c.source.file, line: c.source.line)
                return
            }
            let base = k * recordSize
            let cpsr = word(base + 60)
            var memory: [UInt32: UInt32] = [:]
            var offset = base + 72
            for region in Guest.regions {
                for a in stride(from: region.start, to: region.start + region.length, by: 4) {
                    let w = word(offset)
                    if w != 0 { memory[a] = w }
                    offset += 4
                }
            }
            let observed = ObservedState(
                registers: (0..<15).map { word(base + 4 * $0) } + [0],
                n: UInt8(cpsr >> 31 & 1), z: UInt8(cpsr >> 30 & 1), c: UInt8(cpsr >> 29 & 1),
                v: UInt8(cpsr >> 28 & 1), q: UInt8(cpsr >> 27 & 1), ge: UInt8(cpsr >> 16 & 0xF),
                memory: memory, stop: .supervisorCall(word(base + 64)), pcKnown: false)
            let problems = mismatches(before: c.before, after: c.after, observed: observed, caseStart: word(base + 68))
            if !problems.isEmpty {
                XCTFail("qemu-arm disagrees with the table: \(c.source.assembly)  [\(c.source.before)] -> [\(c.source.after)]: "
                        + problems.joined(separator: "; "), file: c.source.file, line: c.source.line)
            }
        }
    }
}
