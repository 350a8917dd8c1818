import Foundation
import XCTest
import ARM
import Memory
@testable import Linux

/// The ELF loader, the initial stack and the kernel helper page.
///
/// Good programs are built at test time with arm-linux-gnueabi-gcc (a missing compiler fails the
/// tests); bad inputs are hand-made byte arrays written to a temporary directory.
final class LoaderTests: XCTestCase {
    var dir: URL!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory
            .appendingPathComponent("isomorph-loader-\(getpid())-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        if let dir { try? FileManager.default.removeItem(at: dir) }
    }

    // MARK: Helpers

    func makeProcess(sysroot: String? = nil) throws -> LinuxProcess {
        var options = LinuxOptions()
        options.sysroot = sysroot
        return LinuxProcess(memory: try AddressSpace(), options: options)
    }

    func write(_ name: String, _ bytes: [UInt8]) throws -> String {
        let url = dir.appendingPathComponent(name)
        try Data(bytes).write(to: url)
        return url.path
    }

    static func findCrossCompiler() -> String? {
        let paths = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
        for p in paths {
            let c = "\(p)/arm-linux-gnueabi-gcc"
            if FileManager.default.isExecutableFile(atPath: c) { return c }
        }
        return nil
    }

    /// Compiles `source` (file name decides the language) with the cross compiler.
    func compile(_ name: String, source: String, flags: [String]) throws -> String {
        guard let gcc = LoaderTests.findCrossCompiler() else {
            XCTFail("arm-linux-gnueabi-gcc not found in PATH: install gcc-arm-linux-gnueabi")
            throw NSError(domain: "LoaderTests", code: 2)
        }
        let src = dir.appendingPathComponent(name)
        try source.write(to: src, atomically: true, encoding: .utf8)
        let out = dir.appendingPathComponent((name as NSString).deletingPathExtension).path
        let p = Process()
        p.executableURL = URL(fileURLWithPath: gcc)
        p.arguments = flags + ["-o", out, src.path]
        let err = Pipe()
        p.standardError = err
        try p.run()
        p.waitUntilExit()
        let msg = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        guard p.terminationStatus == 0 else {
            XCTFail("cross compile failed: \(msg)")
            throw NSError(domain: "LoaderTests", code: 1)
        }
        return out
    }

    static let staticSource = """
        .syntax unified
        .arm
        .text
        .global _start
    _start:
        ldr r1, =value
        ldr r0, [r1]
        mov r7, #1
        svc #0
        .data
    value:
        .word 0x12345678
        .bss
    buffer:
        .space 9000
        .section .note.GNU-stack,"",%progbits
    """

    /// Reads the initial stack back from guest memory.
    struct StackView {
        var argc: UInt32
        var argv: [String]
        var envp: [String]
        var auxv: [UInt32: UInt32]
        var auxvOrder: [UInt32]
    }

    func readStack(_ m: AddressSpace, sp: UInt32) throws -> StackView {
        func str(_ a: UInt32) throws -> String { String(decoding: try m.readCString(a), as: UTF8.self) }
        var a = sp
        let argc: UInt32 = try m.read(a); a += 4
        var argv: [String] = []
        for _ in 0..<argc { argv.append(try str(try m.read(a))); a += 4 }
        XCTAssertEqual(try m.read(a) as UInt32, 0, "argv is NULL-terminated"); a += 4
        var envp: [String] = []
        while true {
            let p: UInt32 = try m.read(a); a += 4
            if p == 0 { break }
            envp.append(try str(p))
            XCTAssertLessThan(envp.count, 10_000)
        }
        var auxv: [UInt32: UInt32] = [:]
        var order: [UInt32] = []
        while true {
            let t: UInt32 = try m.read(a), v: UInt32 = try m.read(a + 4); a += 8
            if t == AuxvType.AT_NULL { break }
            XCTAssertNil(auxv[t], "auxv type \(t) appears once")
            auxv[t] = v; order.append(t)
            XCTAssertLessThan(order.count, 100)
        }
        return StackView(argc: argc, argv: argv, envp: envp, auxv: auxv, auxvOrder: order)
    }

    /// Every PT_LOAD's bytes are in memory at vaddr + bias, its bss reads as zero, and its pages
    /// carry its permissions.
    func checkSegments(_ m: AddressSpace, file: String, bias: UInt32, line: UInt = #line) throws {
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: file)))
        let elf = try ELFFile(path: file, bytes: bytes)
        for s in elf.loadSegments {
            let at = s.vaddr &+ bias
            let inMemory = try m.readBytes(at, count: Int(s.filesz))
            XCTAssertEqual(inMemory, Array(bytes[Int(s.offset)..<Int(s.offset + s.filesz)]),
                           "segment at \(String(at, radix: 16)) holds the file bytes", line: line)
            let bss = try m.readBytes(at + s.filesz, count: Int(s.memsz - s.filesz))
            XCTAssertTrue(bss.allSatisfy { $0 == 0 }, "bss of the segment at \(String(at, radix: 16)) is zero", line: line)
            // Bytes after p_memsz to the end of its last page are zero when there is a bss.
            if s.memsz > s.filesz {
                let end = at + s.memsz
                let pageEnd = (end + 4095) & ~4095
                XCTAssertTrue(try m.readBytes(end, count: Int(pageEnd - end)).allSatisfy { $0 == 0 }, line: line)
            }
            XCTAssertEqual(m.flags(ofPage: at) & 7, s.protection.rawValue,
                           "permissions of the segment at \(String(at, radix: 16))", line: line)
        }
    }

    // MARK: A static program

    func testStaticProgramLoads() throws {
        let exe = try compile("static.S", source: LoaderTests.staticSource, flags: ["-nostdlib", "-static"])
        let proc = try makeProcess()
        let env = ["HOME=/home/arm", "PATH=/usr/bin:/bin", "EMPTY="]
        let loaded = try proc.loadProgram(exe, argv: ["static", "first arg", ""], environment: env)
        let m = proc.memory
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: exe)))
        let elf = try ELFFile(path: exe, bytes: bytes)

        // Registers.
        let cpu = loaded.cpu
        XCTAssertEqual(cpu.pc, elf.header.entry)
        XCTAssertNil(loaded.interpreter)
        XCTAssertEqual(cpu[0], 0, "r0 = 0: no rtld_fini for a static program")
        for r in 1...12 { XCTAssertEqual(cpu[r], 0) }
        XCTAssertEqual(cpu.cpsrControl, 0x10, "user mode, ARM state")
        XCTAssertEqual(cpu.cpsr, 0x10)
        let sp = cpu[13]
        XCTAssertEqual(sp % 8, 0, "EABI: sp is 8-byte aligned")
        XCTAssertEqual(sp % 16, 0, "as the kernel builds it, 16-byte aligned")
        XCTAssertTrue(sp > InitialStack.bottom && sp < InitialStack.top)
        XCTAssertEqual(try m.read(InitialStack.top - 4) as UInt32, 0, "the NULL word at the top")

        // argc, argv, envp, auxv.
        let v = try readStack(m, sp: sp)
        XCTAssertEqual(v.argc, 3)
        XCTAssertEqual(v.argv, ["static", "first arg", ""])
        XCTAssertEqual(v.envp, env)
        XCTAssertEqual(v.auxv[AuxvType.AT_PAGESZ], 4096)
        XCTAssertEqual(v.auxv[AuxvType.AT_PHENT], 32)
        XCTAssertEqual(v.auxv[AuxvType.AT_PHNUM], UInt32(elf.header.phnum))
        XCTAssertEqual(v.auxv[AuxvType.AT_BASE], 0)
        XCTAssertEqual(v.auxv[AuxvType.AT_FLAGS], 0)
        XCTAssertEqual(v.auxv[AuxvType.AT_ENTRY], elf.header.entry)
        XCTAssertEqual(v.auxv[AuxvType.AT_UID], getuid())
        XCTAssertEqual(v.auxv[AuxvType.AT_EUID], geteuid())
        XCTAssertEqual(v.auxv[AuxvType.AT_GID], getgid())
        XCTAssertEqual(v.auxv[AuxvType.AT_EGID], getegid())
        XCTAssertEqual(v.auxv[AuxvType.AT_SECURE], 0)
        XCTAssertEqual(v.auxv[AuxvType.AT_CLKTCK], 100)
        XCTAssertEqual(v.auxv[AuxvType.AT_HWCAP], 1 | 2 | 16 | 128 | 32768 | 1 << 17,
                       "SWP HALF FAST_MULT EDSP TLS IDIVA; no THUMB, VFP or NEON")
        XCTAssertEqual(v.auxv[AuxvType.AT_HWCAP]! & (ARMHWCap.thumb | ARMHWCap.vfp | ARMHWCap.neon), 0)
        XCTAssertEqual(v.auxv[AuxvType.AT_HWCAP2], 0)
        XCTAssertNil(v.auxv[33], "no AT_SYSINFO_EHDR (no vDSO)")
        XCTAssertEqual(v.auxvOrder.first, AuxvType.AT_HWCAP, "kernel order: AT_HWCAP first")
        let platform = try XCTUnwrap(v.auxv[AuxvType.AT_PLATFORM])
        XCTAssertEqual(String(decoding: try m.readCString(platform), as: UTF8.self), "v7l")
        let execfn = try XCTUnwrap(v.auxv[AuxvType.AT_EXECFN])
        XCTAssertEqual(String(decoding: try m.readCString(execfn), as: UTF8.self), exe)
        // AT_RANDOM: 16 readable bytes on the stack (not all zero, with overwhelming probability).
        let random = try XCTUnwrap(v.auxv[AuxvType.AT_RANDOM])
        XCTAssertTrue(random > sp && random + 16 <= InitialStack.top)
        let r = try m.readBytes(random, count: 16)
        XCTAssertFalse(r.allSatisfy { $0 == 0 })
        // AT_PHDR points at the program headers in guest memory.
        let phdr = try XCTUnwrap(v.auxv[AuxvType.AT_PHDR])
        XCTAssertEqual(phdr, loaded.phdr)
        let table = Int(elf.header.phoff)..<Int(elf.header.phoff) + 32 * Int(elf.header.phnum)
        XCTAssertEqual(try m.readBytes(phdr, count: table.count), Array(bytes[table]))
        // The auxv the loader reports is the one on the stack.
        XCTAssertEqual(loaded.auxv.map(\.type), v.auxvOrder)

        // Segments, bss, break.
        try checkSegments(m, file: exe, bias: 0)
        let data = try XCTUnwrap(elf.loadSegments.last)
        XCTAssertGreaterThan(data.memsz, data.filesz, "the test program has a bss")
        XCTAssertEqual(proc.brkStart, (data.vaddr + data.memsz + 4095) & ~4095)
        XCTAssertEqual(proc.brkCurrent, proc.brkStart)
        XCTAssertEqual(proc.executablePath, URL(fileURLWithPath: exe).resolvingSymlinksInPath().path)
        XCTAssertTrue(proc.executablePath.hasPrefix("/"))

        // Stack: read+write, not exec (the program's PT_GNU_STACK has no X).
        XCTAssertFalse(elf.wantsExecutableStack)
        XCTAssertEqual(m.flags(ofPage: InitialStack.bottom) & 7, Protection.rw.rawValue)
        XCTAssertEqual(m.flags(ofPage: InitialStack.top - 1) & 7, Protection.rw.rawValue)
        XCTAssertFalse(loaded.executableStack)

        // The kernel helper page.
        XCTAssertEqual(try m.read(KernelHelperPage.versionAddress) as UInt32, 5)
        XCTAssertEqual(m.flags(ofPage: KernelHelperPage.address) & 7, Protection.rx.rawValue)
        XCTAssertEqual(try m.read(KernelHelperPage.getTLS) as UInt32, 0xEE1D_0F70, "mrc p15, 0, r0, c13, c0, 3")
        XCTAssertEqual(try m.read(KernelHelperPage.getTLS + 4) as UInt32, 0xE12F_FF1E, "bx lr")
        XCTAssertEqual(try m.read(KernelHelperPage.memoryBarrier + 4) as UInt32, 0xE12F_FF1E)
        XCTAssertEqual(try m.read(KernelHelperPage.address) as UInt32, KernelHelperPage.poison)
        XCTAssertTrue(KernelHelperPage.helperEntries.allSatisfy(KernelHelperPage.isHelperEntry))
        XCTAssertFalse(KernelHelperPage.isHelperEntry(KernelHelperPage.versionAddress))

        // `load` is the same thing returning only the CPU state.
        let proc2 = try makeProcess()
        let cpu2 = try proc2.load(program: exe, argv: ["static"], environment: [])
        XCTAssertEqual(cpu2.pc, elf.header.entry)
        XCTAssertEqual(cpu2[13] % 16, 0)
    }

    /// The helper page's code is the kernel's: check it against the cross assembler.
    func testKernelHelperPageMatchesAssembler() throws {
        let src = """
            .syntax unified
            .arm
            .arch armv7-a
            .text
            .global _start
        _start:
            .org 0xf60
            push {r4, r5, r6, r7}
            ldrd r4, r5, [r0]
            ldrd r6, r7, [r1]
            dmb ish
        1:  ldrexd r0, r1, [r2]
            eors r3, r0, r4
            eorseq r3, r1, r5
            strexdeq r3, r6, r7, [r2]
            teqeq r3, #1
            beq 1b
            dmb ish
            rsbs r0, r3, #0
            pop {r4, r5, r6, r7}
            bx lr
            .org 0xfa0
        barrier:
            dmb ish
            bx lr
            .org 0xfc0
            dmb ish
        2:  ldrex r3, [r2]
            subs r3, r3, r0
            strexeq r3, r1, [r2]
            teqeq r3, #1
            beq 2b
            rsbs r0, r3, #0
            b barrier
            .org 0xfe0
            mrc p15, 0, r0, c13, c0, 3
            bx lr
            mrc p15, 0, r0, c13, c0, 3
            .org 0xffc
            .word 5
        """
        let obj = try compile("kuser.S", source: src, flags: ["-c", "-nostdlib"])
        // Pull .text out of the object: find it through the section headers.
        let b = [UInt8](try Data(contentsOf: URL(fileURLWithPath: obj)))
        func u32(_ o: Int) -> Int { Int(b[o]) | Int(b[o + 1]) << 8 | Int(b[o + 2]) << 16 | Int(b[o + 3]) << 24 }
        func u16(_ o: Int) -> Int { Int(b[o]) | Int(b[o + 1]) << 8 }
        let shoff = u32(32), shnum = u16(48), shstrndx = u16(50)
        let strtab = u32(shoff + 40 * shstrndx + 16)
        var text: [UInt8]?
        for i in 0..<shnum {
            let sh = shoff + 40 * i
            let nameAt = strtab + u32(sh)
            let name = String(decoding: b[nameAt...].prefix { $0 != 0 }, as: UTF8.self)
            if name == ".text" { text = Array(b[u32(sh + 16)..<u32(sh + 16) + u32(sh + 20)]) }
        }
        let code = try XCTUnwrap(text)
        XCTAssertEqual(code.count, 4096)
        let page = KernelHelperPage.contents
        // Compare every word the assembler emitted that is not its zero padding.
        for o in stride(from: 0xF60, to: 0x1000, by: 4) {
            let a = code[o..<o + 4], k = page[o..<o + 4]
            if a.allSatisfy({ $0 == 0 }) { continue }
            XCTAssertEqual(Array(a), Array(k), "word at 0x\(String(o, radix: 16))")
        }
    }

    // MARK: A dynamic program with an interpreter

    static let dynamicSource = "int main(int argc, char **argv) { return argc; }\n"

    func checkDynamic(_ exe: String, _ proc: LinuxProcess, _ loaded: LoadedProgram, interpreter: String) throws {
        let m = proc.memory
        let elf = try ELFFile(path: exe, bytes: [UInt8](try Data(contentsOf: URL(fileURLWithPath: exe))))
        let interpBytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: interpreter)))
        let ld = try ELFFile(path: interpreter, bytes: interpBytes)
        XCTAssertEqual(elf.interpreter, "/lib/ld-linux.so.3")
        let i = try XCTUnwrap(loaded.interpreter)
        XCTAssertGreaterThanOrEqual(i.bias, m.mmapBase, "interpreter placed by findFree from mmapBase")
        XCTAssertEqual(loaded.cpu.pc, ld.header.entry + i.bias, "execution starts in the interpreter")
        XCTAssertEqual(loaded.cpu[0], 0)
        XCTAssertEqual(try m.readBytes(i.bias, count: 4), [0x7F, 0x45, 0x4C, 0x46])
        try checkSegments(m, file: interpreter, bias: i.bias)
        // The main program is PIE: at the PIE base.
        XCTAssertTrue(elf.isPositionIndependent)
        XCTAssertEqual(loaded.program.bias, LoaderLayout.pieBase)
        try checkSegments(m, file: exe, bias: loaded.program.bias)
        let v = try readStack(m, sp: loaded.cpu[13])
        XCTAssertEqual(v.argv, ["prog", "x"])
        XCTAssertEqual(v.auxv[AuxvType.AT_BASE], i.bias)
        XCTAssertEqual(v.auxv[AuxvType.AT_ENTRY], elf.header.entry + LoaderLayout.pieBase)
        let phdrHeader = try XCTUnwrap(elf.programHeaders.first { $0.type == ELFConstants.PT_PHDR })
        XCTAssertEqual(v.auxv[AuxvType.AT_PHDR], phdrHeader.vaddr + LoaderLayout.pieBase)
        let (_, end) = elf.loadRange
        XCTAssertEqual(UInt64(proc.brkStart), end + UInt64(LoaderLayout.pieBase))
        XCTAssertEqual(try m.read(KernelHelperPage.versionAddress) as UInt32, 5)
    }

    func testDynamicProgramLoadsInterpreterFromDefaultSysroot() throws {
        let exe = try compile("dyn.c", source: LoaderTests.dynamicSource, flags: ["-O1"])
        let interp = LoaderLayout.defaultSysroot + "/lib/ld-linux.so.3"
        guard FileManager.default.fileExists(atPath: interp) else {
            XCTFail("\(interp) is missing: install libc6-armel-cross"); return
        }
        let proc = try makeProcess()
        let loaded = try proc.loadProgram(exe, argv: ["prog", "x"], environment: ["A=b"])
        // A host with an ARM loader of its own (armel multiarch) is used first, as qemu-arm would.
        let hostLoader = "/lib/ld-linux.so.3"
        if FileManager.default.fileExists(atPath: hostLoader) {
            XCTAssertEqual(loaded.interpreter?.path, hostLoader)
            return
        }
        XCTAssertEqual(loaded.interpreter?.path, interp)
        try checkDynamic(exe, proc, loaded, interpreter: interp)
    }

    func testDynamicProgramWithExplicitSysroot() throws {
        let exe = try compile("dyn.c", source: LoaderTests.dynamicSource, flags: ["-O1"])
        let proc = try makeProcess(sysroot: LoaderLayout.defaultSysroot)
        let loaded = try proc.loadProgram(exe, argv: ["prog", "x"], environment: [])
        XCTAssertEqual(loaded.interpreter?.path, LoaderLayout.defaultSysroot + "/lib/ld-linux.so.3")
        try checkDynamic(exe, proc, loaded, interpreter: LoaderLayout.defaultSysroot + "/lib/ld-linux.so.3")
    }

    /// A merged-/usr sysroot as unpacked from Debian packages: no lib/, the loader in usr/lib,
    /// reached through an absolute symbolic link that must be resolved inside the sysroot.
    func testMergedUsrSysrootWithAbsoluteSymlink() throws {
        let exe = try compile("dyn.c", source: LoaderTests.dynamicSource, flags: ["-O1"])
        let root = dir.appendingPathComponent("sysroot")
        let usrlib = root.appendingPathComponent("usr/lib/arm-linux-gnueabi")
        try FileManager.default.createDirectory(at: usrlib, withIntermediateDirectories: true)
        let real = usrlib.appendingPathComponent("ld-linux.so.3")
        try FileManager.default.copyItem(atPath: LoaderLayout.defaultSysroot + "/lib/ld-linux.so.3", toPath: real.path)
        try FileManager.default.createSymbolicLink(
            atPath: root.appendingPathComponent("usr/lib/ld-linux.so.3").path,
            withDestinationPath: "/usr/lib/arm-linux-gnueabi/ld-linux.so.3")
        let proc = try makeProcess(sysroot: root.path + "/")
        let loaded = try proc.loadProgram(exe, argv: ["prog", "x"], environment: [])
        XCTAssertEqual(loaded.interpreter?.path, real.path)
        try checkDynamic(exe, proc, loaded, interpreter: real.path)
    }

    // MARK: Hand-made ELF images

    /// A minimal ARM EABI5 executable: one R+X PT_LOAD at 0x10000 holding the headers and three
    /// instructions, with a bss; optional extra program headers.
    struct TestELF {
        var ident: [UInt8] = [0x7F, 0x45, 0x4C, 0x46, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0]
        var type: UInt16 = 2
        var machine: UInt16 = 40
        var version: UInt32 = 1
        var entry: UInt32?
        var phoff: UInt32 = 52
        var flags: UInt32 = 0x0500_0200
        var phentsize: UInt16 = 32
        var phnum: UInt16?
        var phdrs: [ELF32ProgramHeader] = []
        /// Bytes after the headers (code; strings for PT_INTERP).
        var payload: [UInt8] = [0x2A, 0x00, 0xA0, 0xE3,   // mov r0, #42
                                0x01, 0x70, 0xA0, 0xE3,   // mov r7, #1
                                0x00, 0x00, 0x00, 0xEF]   // svc #0
        var extraPhdrs: [ELF32ProgramHeader] = []
        static let base: UInt32 = 0x10000

        var headersSize: Int { 52 + 32 * (1 + extraPhdrs.count) }
        var payloadOffset: UInt32 { UInt32(headersSize) }

        func bytes() -> [UInt8] {
            let size = UInt32(headersSize + payload.count)
            let load = ELF32ProgramHeader(type: 1, offset: 0, vaddr: TestELF.base, paddr: TestELF.base,
                                          filesz: size, memsz: size + 0x2000, flags: 5, align: 0x1000)
            let all = phdrs.isEmpty ? [load] + extraPhdrs : phdrs
            var b = ident
            func h(_ v: UInt16) { b += [UInt8(v & 0xFF), UInt8(v >> 8)] }
            func w(_ v: UInt32) { for i in 0..<4 { b.append(UInt8(truncatingIfNeeded: v >> (8 * UInt32(i)))) } }
            h(type); h(machine); w(version); w(entry ?? TestELF.base + payloadOffset); w(phoff); w(0)
            w(flags); h(52); h(phentsize); h(phnum ?? UInt16(all.count)); h(40); h(0); h(0)
            for p in all { w(p.type); w(p.offset); w(p.vaddr); w(p.paddr); w(p.filesz); w(p.memsz); w(p.flags); w(p.align) }
            while b.count < headersSize { b.append(0) }
            return b + payload
        }
    }

    /// Asserts loading `bytes` fails with an error whose description is one line, names the
    /// file, and contains each of `words`; returns the error.
    @discardableResult
    func assertLoadFails(_ bytes: [UInt8], name: String = "bad", sysroot: String? = nil, mentions words: [String],
                         line: UInt = #line) throws -> LoadError? {
        let path = try write(name, bytes)
        return try assertLoadFails(path: path, sysroot: sysroot, mentions: words, line: line)
    }

    @discardableResult
    func assertLoadFails(path: String, sysroot: String? = nil, mentions words: [String], line: UInt = #line) throws -> LoadError? {
        let proc = try makeProcess(sysroot: sysroot)
        do {
            _ = try proc.loadProgram(path, argv: [path], environment: [])
            XCTFail("loading \(path) succeeded", line: line)
            return nil
        } catch {
            let d = error.description
            XCTAssertFalse(d.contains("\n"), "one line: \(d)", line: line)
            XCTAssertFalse(d.isEmpty, line: line)
            XCTAssertTrue(d.contains(path), "names the file: \(d)", line: line)
            for word in words {
                XCTAssertTrue(d.contains(word), "\"\(d)\" mentions \"\(word)\"", line: line)
            }
            // `load` throws the same error.
            XCTAssertThrowsError(try makeProcess(sysroot: sysroot).load(program: path, argv: [], environment: []), line: line) {
                XCTAssertEqual(($0 as? LoadError)?.description, d, line: line)
            }
            return error
        }
    }

    func testHandMadeELFLoads() throws {
        let t = TestELF()
        let path = try write("good", t.bytes())
        let proc = try makeProcess()
        let loaded = try proc.loadProgram(path, argv: ["good"], environment: [])
        XCTAssertEqual(loaded.cpu.pc, TestELF.base + t.payloadOffset)
        XCTAssertEqual(try proc.memory.read(loaded.cpu.pc) as UInt32, 0xE3A0_002A)
        try checkSegments(proc.memory, file: path, bias: 0)
        // No PT_GNU_STACK: the stack is executable.
        XCTAssertTrue(loaded.executableStack)
        XCTAssertEqual(proc.memory.flags(ofPage: InitialStack.top - 4096) & 7, Protection.rwx.rawValue)
        // No PT_PHDR: AT_PHDR from the segment that holds the header table.
        XCTAssertEqual(loaded.phdr, TestELF.base + 52)
        XCTAssertEqual(proc.brkStart, (TestELF.base + UInt32(t.bytes().count) + 0x2000 + 4095) & ~4095)
    }

    /// Two segments sharing a page: both sets of bytes survive, the bss between is zero, and the
    /// page has both permissions.
    func testSegmentsSharingAPage() throws {
        var t = TestELF()
        t.extraPhdrs = [ELF32ProgramHeader(type: 0, offset: 0, vaddr: 0, paddr: 0, filesz: 0, memsz: 0, flags: 0, align: 0)]
        let first = UInt32(t.headersSize + t.payload.count)
        let dataOffset = (first + 15) & ~15
        t.payload += [UInt8](repeating: 0xEE, count: Int(dataOffset - first)) + [1, 2, 3, 4, 5, 6, 7, 8]
        let total = UInt32(t.headersSize + t.payload.count)
        t.phdrs = [
            ELF32ProgramHeader(type: 1, offset: 0, vaddr: TestELF.base, paddr: 0, filesz: first, memsz: first,
                               flags: 5, align: 0x1000),
            ELF32ProgramHeader(type: 1, offset: dataOffset, vaddr: TestELF.base + dataOffset, paddr: 0,
                               filesz: total - dataOffset, memsz: 0x3000, flags: 6, align: 0x1000),
        ]
        let path = try write("shared", t.bytes())
        let proc = try makeProcess()
        _ = try proc.loadProgram(path, argv: ["shared"], environment: [])
        let m = proc.memory
        XCTAssertEqual(try m.read(TestELF.base + t.payloadOffset) as UInt32, 0xE3A0_002A)
        XCTAssertEqual(try m.readBytes(TestELF.base + dataOffset, count: 8), [1, 2, 3, 4, 5, 6, 7, 8])
        XCTAssertTrue(try m.readBytes(TestELF.base + total, count: 0x3000 - Int(total - dataOffset)).allSatisfy { $0 == 0 })
        XCTAssertEqual(m.flags(ofPage: TestELF.base) & 7, Protection.rwx.rawValue, "shared page: both permissions")
        XCTAssertEqual(m.flags(ofPage: TestELF.base + 0x1000) & 7, Protection.rw.rawValue)
        XCTAssertEqual(proc.brkStart, (TestELF.base + dataOffset + 0x3000 + 4095) & ~4095)
    }

    func testNotELF() throws {
        try assertLoadFails(Array("#!/bin/sh\necho hi\n".utf8), mentions: ["not an ELF file"])
        try assertLoadFails([], name: "empty", mentions: ["not an ELF file"])
    }

    func testTruncated() throws {
        let good = TestELF().bytes()
        // Shorter than the ELF header.
        try assertLoadFails(Array(good.prefix(30)), name: "short-header", mentions: ["truncated", "ELF header"])
        try assertLoadFails(Array(good.prefix(5)), name: "short-ident", mentions: ["truncated"])
        // Shorter than the program header table.
        try assertLoadFails(Array(good.prefix(60)), name: "short-phdrs", mentions: ["truncated", "program header table"])
        // Shorter than a segment's file range.
        try assertLoadFails(Array(good.dropLast(4)), name: "short-segment", mentions: ["truncated", "PT_LOAD"])
        // Every truncation is a clean error, never a crash.
        for n in 0..<good.count {
            XCTAssertThrowsError(try ELFFile(path: "t", bytes: Array(good.prefix(n))))
        }
    }

    func test64Bit() throws {
        var t = TestELF()
        t.ident[4] = 2; t.machine = 62
        try assertLoadFails(t.bytes(), mentions: ["64-bit", "x86-64", "32-bit ARM"])
        // A real host binary.
        if FileManager.default.fileExists(atPath: "/bin/true") {
            try assertLoadFails(path: "/bin/true", mentions: ["64-bit", "x86-64"])
        }
    }

    func testBigEndian() throws {
        var t = TestELF()
        t.ident[5] = 2
        try assertLoadFails(t.bytes(), mentions: ["big-endian"])
    }

    func testWrongMachine() throws {
        var t = TestELF()
        t.machine = 3
        try assertLoadFails(t.bytes(), mentions: ["x86 (i386)", "not ARM"])
        t.machine = 183
        try assertLoadFails(t.bytes(), name: "aarch64", mentions: ["AArch64", "not ARM"])
        t.machine = 9999
        try assertLoadFails(t.bytes(), name: "unknown", mentions: ["machine 9999", "not ARM"])
    }

    func testNotAnExecutable() throws {
        var t = TestELF()
        t.type = 1
        try assertLoadFails(t.bytes(), mentions: ["relocatable object", "not an executable"])
        t.type = 4
        try assertLoadFails(t.bytes(), name: "core", mentions: ["core dump"])
    }

    func testUnsupportedEABI() throws {
        var t = TestELF()
        t.flags = 0x0400_0000
        try assertLoadFails(t.bytes(), mentions: ["EABI version 4", "version 5"])
        t.flags = 0
        try assertLoadFails(t.bytes(), name: "oabi", mentions: ["OABI"])
        // Hard-float EABI5 is accepted (VFP use is a later, named error at run time).
        t.flags = 0x0500_0400
        let path = try write("armhf", t.bytes())
        XCTAssertNoThrow(try makeProcess().loadProgram(path, argv: ["armhf"], environment: []))
    }

    func testThumbEntry() throws {
        var t = TestELF()
        t.entry = TestELF.base + t.payloadOffset + 1
        try assertLoadFails(t.bytes(), mentions: ["Thumb code is not supported yet"])
    }

    func testCorruptProgramHeaders() throws {
        let base = TestELF.base
        let size = UInt32(TestELF().bytes().count)
        func load(_ off: UInt32, _ vaddr: UInt32, _ filesz: UInt32, _ memsz: UInt32, flags: UInt32 = 5) -> ELF32ProgramHeader {
            ELF32ProgramHeader(type: 1, offset: off, vaddr: vaddr, paddr: vaddr, filesz: filesz, memsz: memsz, flags: flags, align: 0x1000)
        }
        var cases: [(String, TestELF, [String])] = []
        var t = TestELF(); t.phentsize = 40
        cases.append(("phentsize", t, ["corrupt", "e_phentsize is 40"]))
        t = TestELF(); t.phnum = 0xFFFF
        cases.append(("phnum", t, ["corrupt", "absurd number of program headers"]))
        t = TestELF(); t.phnum = 0
        cases.append(("nophdrs", t, ["corrupt", "no program headers"]))
        t = TestELF(); t.phdrs = [load(0, base, size, size - 1)]
        cases.append(("filesz", t, ["corrupt", "p_filesz", "> p_memsz"]))
        t = TestELF(); t.phdrs = [load(0, base + 4, size, size)]
        cases.append(("misaligned", t, ["corrupt", "misaligned"]))
        t = TestELF(); t.phdrs = [load(0, 0xFFFF_F000, size, 0x2000)]; t.entry = 0xFFFF_F000 + t.payloadOffset
        cases.append(("overflow", t, ["corrupt", "past the end of the 32-bit address space"]))
        t = TestELF(); t.extraPhdrs = [load(0, base + 0x1000, 0, 0x100)]
        cases.append(("overlap", t, ["corrupt", "overlaps"]))
        t = TestELF(); t.phdrs = [ELF32ProgramHeader(type: 4, offset: 0, vaddr: 0, paddr: 0, filesz: 0, memsz: 0, flags: 4, align: 4)]
        cases.append(("noload", t, ["corrupt", "no loadable"]))
        t = TestELF(); t.type = 3; t.entry = 0
        cases.append(("library", t, ["corrupt", "a shared library, not a program"]))
        t = TestELF(); t.entry = 0x9000_0000
        cases.append(("entry", t, ["corrupt", "entry point 0x90000000 is outside"]))
        t = TestELF(); t.extraPhdrs = [ELF32ProgramHeader(type: 7, offset: 0, vaddr: base, paddr: 0, filesz: 8, memsz: 4, flags: 4, align: 4)]
        cases.append(("tls", t, ["corrupt", "PT_TLS"]))
        t = TestELF(); t.extraPhdrs = [ELF32ProgramHeader(type: 3, offset: 0, vaddr: 0, paddr: 0, filesz: 1_000_000, memsz: 0, flags: 4, align: 1)]
        cases.append(("interp-size", t, ["corrupt", "PT_INTERP"]))
        t = TestELF(); t.extraPhdrs = [ELF32ProgramHeader(type: 3, offset: 1, vaddr: 0, paddr: 0, filesz: 8, memsz: 0, flags: 4, align: 1)]
        cases.append(("interp-nul", t, ["corrupt", "PT_INTERP", "NUL-terminated"]))
        t = TestELF(); t.phoff = 0xFFFF_FFF0
        cases.append(("phoff", t, ["truncated", "program header table"]))
        for (name, elf, words) in cases {
            try assertLoadFails(elf.bytes(), name: name, mentions: words)
        }
        // A stack-sized ET_EXEC in the stack's place.
        t = TestELF(); t.phdrs = [load(0, 0xFF80_0000, size, size)]; t.entry = 0xFF80_0000 + t.payloadOffset
        try assertLoadFails(t.bytes(), name: "stack", mentions: ["above the stack"])
    }

    func testMissingInterpreter() throws {
        var t = TestELF()
        let interp = Array("/lib/ld-isomorph-missing.so.9\0".utf8)
        t.extraPhdrs = [ELF32ProgramHeader(type: 3, offset: 0, vaddr: 0, paddr: 0, filesz: UInt32(interp.count),
                                           memsz: UInt32(interp.count), flags: 4, align: 1)]
        t.payload += interp
        t.extraPhdrs[0].offset = t.payloadOffset + 12
        t.extraPhdrs[0].vaddr = TestELF.base + t.payloadOffset + 12
        let root = dir.appendingPathComponent("emptyroot").path
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        try assertLoadFails(t.bytes(), sysroot: root,
                            mentions: ["/lib/ld-isomorph-missing.so.9", "sysroot \(root)",
                                       "\(root)/usr/lib/ld-isomorph-missing.so.9", "-L"])
        // Without a sysroot: the host and the default sysroot are named.
        try assertLoadFails(t.bytes(), name: "nosysroot",
                            mentions: ["/lib/ld-isomorph-missing.so.9", "/usr/arm-linux-gnueabi", "-L"])
    }

    /// An interpreter that is not an ARM program: the message names the program and the interpreter.
    func testInterpreterOfTheWrongMachine() throws {
        var t = TestELF()
        let root = dir.appendingPathComponent("x86root")
        try FileManager.default.createDirectory(at: root.appendingPathComponent("lib"), withIntermediateDirectories: true)
        var x86 = TestELF()
        x86.machine = 62
        try Data(x86.bytes()).write(to: root.appendingPathComponent("lib/ld-linux.so.3"))
        let interp = Array("/lib/ld-linux.so.3\0".utf8)
        t.extraPhdrs = [ELF32ProgramHeader(type: 3, offset: 0, vaddr: 0, paddr: 0, filesz: UInt32(interp.count),
                                           memsz: UInt32(interp.count), flags: 4, align: 1)]
        t.extraPhdrs[0].offset = t.payloadOffset + 12
        t.payload += interp
        let error = try assertLoadFails(t.bytes(), sysroot: root.path,
                                        mentions: ["ELF interpreter", root.path + "/lib/ld-linux.so.3", "x86-64"])
        if case .interpreterFailed(_, .wrongMachine(_, 62))? = error {} else { XCTFail("\(String(describing: error))") }
    }

    func testNonexistentPath() throws {
        try assertLoadFails(path: dir.appendingPathComponent("no-such-program").path,
                            mentions: ["cannot open", "No such file or directory"])
    }

    func testDirectory() throws {
        try assertLoadFails(path: dir.path, mentions: ["Is a directory"])
    }

    /// An open that fails names the errno (root reads any file, so a path through a regular
    /// file stands in for an unreadable one: both are open(2) failures).
    func testOpenFailureNamesTheError() throws {
        let file = try write("plain", TestELF().bytes())
        try assertLoadFails(path: file + "/child", mentions: ["Not a directory"])
    }

    func testNotARegularFile() throws {
        try assertLoadFails(path: "/dev/null", mentions: ["not a regular file"])
    }

    /// A newline in a file name cannot break the one-line message.
    func testControlCharactersInPathAreEscaped() throws {
        let path = try write("bad\nname", [1, 2, 3])
        let proc = try makeProcess()
        XCTAssertThrowsError(try proc.loadProgram(path, argv: [], environment: [])) {
            let d = ($0 as! LoadError).description
            XCTAssertFalse(d.contains("\n"))
            XCTAssertTrue(d.contains("bad\\x0aname"), d)
        }
    }

    /// Random corruption of a valid image never crashes the parser.
    func testRandomMutationsNeverCrash() throws {
        var t = TestELF()
        t.extraPhdrs = [ELF32ProgramHeader(type: 7, offset: 0, vaddr: TestELF.base, paddr: 0, filesz: 4, memsz: 8, flags: 4, align: 4)]
        let good = t.bytes()
        XCTAssertNoThrow(try ELFFile(path: "good", bytes: good))
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<20_000 {
            var b = good
            for _ in 0..<Int.random(in: 1...6, using: &rng) {
                let i = Int.random(in: 0..<b.count, using: &rng)
                b[i] = Bool.random(using: &rng) ? UInt8.random(in: 0...255, using: &rng) : [0, 0xFF, 0x80, 0x7F][Int.random(in: 0..<4, using: &rng)]
            }
            if Bool.random(using: &rng) { b = Array(b.prefix(Int.random(in: 0...b.count, using: &rng))) }
            do {
                let e = try ELFFile(path: "m", bytes: b)
                XCTAssertFalse(e.loadSegments.isEmpty)
            } catch {
                XCTAssertFalse(error.description.contains("\n"))
            }
        }
    }

    /// The stack builder alone: layout, alignment and limits.
    func testInitialStackLayout() throws {
        let info = InitialStack.ProgramInfo(phdr: 0x10034, phnum: 7, base: 0, entry: 0x10100)
        let random = [UInt8](1...16)
        for argCount in 0..<5 {
            let argv = (0..<argCount).map { String(repeating: "a", count: $0) }
            let s = try XCTUnwrap(InitialStack(argv: argv, environment: ["X=1"], execfn: "/p", random: random, info: info))
            XCTAssertEqual(s.sp % 16, 0)
            XCTAssertEqual(UInt32(s.bytes.count), InitialStack.top - s.sp)
            let r = Array(s.bytes[Int(s.randomAddress - s.sp)..<Int(s.randomAddress - s.sp) + 16])
            XCTAssertEqual(r, random)
            XCTAssertEqual(s.bytes[0], UInt8(argCount))
            XCTAssertEqual(s.argvAddresses.count, argCount)
        }
        // Strings are cut at an embedded NUL.
        let s = try XCTUnwrap(InitialStack(argv: ["ab\0cd"], environment: [], execfn: "/p", random: random, info: info))
        let a = Int(s.argvAddresses[0] - s.sp)
        XCTAssertEqual(Array(s.bytes[a..<a + 3]), [0x61, 0x62, 0])
        // Too much: E2BIG.
        let huge = String(repeating: "x", count: InitialStack.maxStringLength + 1)
        XCTAssertNil(InitialStack(argv: [huge], environment: [], execfn: "/p", random: random, info: info))
        let many = [String](repeating: String(repeating: "y", count: 100_000), count: 30)
        XCTAssertNil(InitialStack(argv: many, environment: [], execfn: "/p", random: random, info: info))
    }
}
