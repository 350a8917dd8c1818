import Foundation
import XCTest
import ARM
import Memory
@testable import Linux

/// Syscalls interrupted by a guest-handled signal, and execve's classification of programs.
final class SyscallRestartTests: XCTestCase {
    let act = SyscallHarness.data + 0x3000

    func install(_ h: SyscallHarness, _ sig: Int32, flags: UInt32) {
        var a = Bytes(count: 20)
        a.set32(0, 0x8800); a.set32(4, flags); a.set32(8, 0x8900)
        h.put(a.b, at: act)
        XCTAssertEqual(h.call(NR.rt_sigaction, UInt32(sig), act, 0, 8), 0)
    }

    func uninstall(_ h: SyscallHarness, _ sig: Int32) {
        h.put([UInt8](repeating: 0, count: 20), at: act)
        XCTAssertEqual(h.call(NR.rt_sigaction, UInt32(sig), act, 0, 8), 0)
    }

    /// A blocking read of an empty pipe, interrupted by SIGALRM after 50 ms.
    func interruptedRead(_ h: SyscallHarness) -> (Int32, UInt32) {
        var fds: [Int32] = [0, 0]
        XCTAssertEqual(pipe(&fds), 0)
        defer { close(fds[0]); close(fds[1]) }
        var it = itimerval(it_interval: timeval(), it_value: timeval(tv_sec: 0, tv_usec: 50_000))
        setitimer(__itimer_which_t(ITIMER_REAL.rawValue), &it, nil)
        let r = h.call(NR.read, UInt32(fds[0]), SyscallHarness.data, 1)
        return (r, h.cpu.pc)
    }

    func testSARestartRestartsTheCall() throws {
        let h = try SyscallHarness()
        install(h, SIGALRM, flags: 0x0400_0000 | 0x1000_0000)   // SA_RESTORER | SA_RESTART
        let (r, pc) = interruptedRead(h)
        XCTAssertEqual(pc, SyscallHarness.code, "pc back on the svc")
        XCTAssertEqual(UInt32(bitPattern: r), h.cpu[0])
        XCTAssertGreaterThanOrEqual(r, 0, "r0 holds the original fd, not -EINTR")
        XCTAssertTrue(h.process.hasPendingSignals)
        XCTAssertEqual(h.process.deliverPendingSignals(&h.cpu), .resume)
        XCTAssertEqual(h.cpu.pc, 0x8800)
        uninstall(h, SIGALRM)
    }

    func testWithoutSARestartTheCallFailsWithEINTR() throws {
        let h = try SyscallHarness()
        install(h, SIGALRM, flags: 0x0400_0000)
        let (r, pc) = interruptedRead(h)
        XCTAssertEqual(r, -EINTR)
        XCTAssertEqual(pc, SyscallHarness.code + 4)
        XCTAssertEqual(h.process.deliverPendingSignals(&h.cpu), .resume)
        XCTAssertEqual(h.cpu.pc, 0x8800)
        uninstall(h, SIGALRM)
    }

    func testExecKindAndMissingPrefix() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("isomorph-exec-\(getpid())-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        var elf = [UInt8](repeating: 0, count: 64)
        elf.replaceSubrange(0..<5, with: [0x7f, 0x45, 0x4c, 0x46, 1])
        elf[18] = 40   // EM_ARM
        let arm = dir.appendingPathComponent("arm"), x86 = dir.appendingPathComponent("x86")
        let script = dir.appendingPathComponent("script")
        try Data(elf).write(to: arm)
        elf[18] = 62; elf[4] = 2
        try Data(elf).write(to: x86)
        try Data("#!/bin/sh -e\necho hi\n".utf8).write(to: script)
        for u in [arm, x86, script] { chmod(u.path, 0o755) }
        let h = try SyscallHarness()
        XCTAssertEqual(h.process.execKind(Array(arm.path.utf8)), .arm)
        XCTAssertEqual(h.process.execKind(Array(x86.path.utf8)), .host)
        XCTAssertEqual(h.process.execKind(Array(script.path.utf8)), .script(interpreter: Array("/bin/sh".utf8), argument: Array("-e".utf8)))
        XCTAssertEqual(h.process.execKind(Array(dir.appendingPathComponent("none").path.utf8)), .missing(-Int(ENOENT)))
        // An ARM program without an exec prefix (no CLI to re-enter) cannot be run: ENOEXEC.
        h.put(arm.path, at: SyscallHarness.data)
        try h.memory.write(SyscallHarness.data + 0x800, SyscallHarness.data)
        try h.memory.write(SyscallHarness.data + 0x804, UInt32(0))
        XCTAssertEqual(h.call(11, SyscallHarness.data, SyscallHarness.data + 0x800, SyscallHarness.data + 0x804), -ENOEXEC)
        h.put(dir.appendingPathComponent("none").path, at: SyscallHarness.data)
        XCTAssertEqual(h.call(11, SyscallHarness.data, SyscallHarness.data + 0x800, SyscallHarness.data + 0x804), -ENOENT)
    }
}
