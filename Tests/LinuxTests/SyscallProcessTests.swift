import Foundation
import XCTest
import ARM
import Memory
@testable import Linux

final class SyscallProcessTests: XCTestCase {
    let buf = SyscallHarness.data + 0x2000

    func testUnameReportsArmv7l() throws {
        let h = try SyscallHarness()
        XCTAssertEqual(h.call(NR.uname, buf), 0)
        func field(_ i: UInt32) -> String {
            String(decoding: (try? h.memory.readCString(buf + 65 * i)) ?? [], as: UTF8.self)
        }
        XCTAssertEqual(field(0), "Linux")
        XCTAssertEqual(field(4), "armv7l")
        var u = utsname()
        uname(&u)
        let release = withUnsafeBytes(of: u.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        XCTAssertEqual(field(2), release)
    }

    func testClockGettime64And32() throws {
        let h = try SyscallHarness()
        let now = Int64(time(nil))
        XCTAssertEqual(h.call(NR.clock_gettime64, 0 /* CLOCK_REALTIME */, buf), 0)
        let sec = Int64(bitPattern: h.u64(buf)), nsec = Int64(bitPattern: h.u64(buf + 8))
        XCTAssertLessThanOrEqual(abs(sec - now), 2)
        XCTAssertTrue((0..<1_000_000_000).contains(nsec))
        XCTAssertEqual(h.call(NR.clock_gettime, 1 /* MONOTONIC */, buf), 0)
        XCTAssertTrue((0..<1_000_000_000).contains(h.u32(buf + 4)))
        XCTAssertEqual(h.call(NR.gettimeofday, buf, 0), 0)
        XCTAssertLessThanOrEqual(abs(Int64(h.u32(buf)) - now), 2)
        XCTAssertEqual(h.call(NR.clock_gettime64, 999, buf), -EINVAL)
    }

    func testUnknownAndOABISyscallsAreENOSYS() throws {
        let h = try SyscallHarness()
        XCTAssertEqual(h.call(9999), -38)
        XCTAssertEqual(h.call(0xf0099), -38)
        XCTAssertEqual(h.call(NR.getpid, oabi: true), -38, "svc with a nonzero immediate is OABI")
        XCTAssertEqual(h.call(NR.getpid), getpid())
        XCTAssertEqual(h.call(NR.gettid), Int32(truncatingIfNeeded: hostSyscall(HostSys.gettid)))
    }

    func testExitGroupReturnsOutcome() throws {
        let h = try SyscallHarness()
        h.call(248, 300)
        XCTAssertEqual(h.lastOutcome, .exit(300 & 0xff))
    }

    func testSetTlsThenKernelHelperGetTls() throws {
        let h = try SyscallHarness()
        XCTAssertEqual(h.call(NR.set_tls, 0x1234_5000), 0)
        XCTAssertEqual(h.cpu.tpidruro, 0x1234_5000)
        XCTAssertEqual(UInt32(bitPattern: h.call(NR.get_tls)), 0x1234_5000)
        h.cpu.pc = 0xffff_0fe0
        h.cpu[14] = 0x8124
        h.cpu[0] = 0
        XCTAssertEqual(h.process.runKernelHelper(&h.cpu), .resume)
        XCTAssertEqual(h.cpu[0], 0x1234_5000)
        XCTAssertEqual(h.cpu.pc, 0x8124)
        // Not a helper address: nil, nothing changes.
        h.cpu.pc = 0xffff_0f00
        XCTAssertNil(h.process.runKernelHelper(&h.cpu))
        XCTAssertEqual(h.cpu.pc, 0xffff_0f00)
    }

    func testKernelCmpxchgSuccessAndFailure() throws {
        let h = try SyscallHarness()
        let ptr = buf
        try h.memory.write(ptr, UInt32(5))
        // Success: *ptr == oldval.
        h.cpu.pc = 0xffff_0fc0; h.cpu[14] = 0x8010
        h.cpu[0] = 5; h.cpu[1] = 9; h.cpu[2] = ptr; h.cpu.c = 0
        XCTAssertEqual(h.process.runKernelHelper(&h.cpu), .resume)
        XCTAssertEqual(h.cpu[0], 0)
        XCTAssertEqual(h.cpu.c, 1)
        XCTAssertEqual(h.cpu.z, 1)
        XCTAssertEqual(h.u32(ptr), 9)
        XCTAssertEqual(h.cpu.pc, 0x8010)
        // Failure: *ptr (9) != oldval (5): r0 != 0, C clear, memory unchanged.
        h.cpu.pc = 0xffff_0fc0
        h.cpu[0] = 5; h.cpu[1] = 11; h.cpu[2] = ptr
        XCTAssertEqual(h.process.runKernelHelper(&h.cpu), .resume)
        XCTAssertNotEqual(h.cpu[0], 0)
        XCTAssertEqual(h.cpu.c, 0)
        XCTAssertEqual(h.u32(ptr), 9)
        // cmpxchg64.
        try h.memory.write(buf + 0x10, UInt64(0x1_0000_0002))   // old
        try h.memory.write(buf + 0x18, UInt64(0x3_0000_0004))   // new
        try h.memory.write(buf + 0x20, UInt64(0x1_0000_0002))   // target
        h.cpu.pc = 0xffff_0f60; h.cpu[0] = buf + 0x10; h.cpu[1] = buf + 0x18; h.cpu[2] = buf + 0x20
        XCTAssertEqual(h.process.runKernelHelper(&h.cpu), .resume)
        XCTAssertEqual(h.cpu[0], 0); XCTAssertEqual(h.cpu.c, 1)
        XCTAssertEqual(h.u64(buf + 0x20), 0x3_0000_0004)
        h.cpu.pc = 0xffff_0f60; h.cpu[0] = buf + 0x10; h.cpu[1] = buf + 0x18; h.cpu[2] = buf + 0x20
        XCTAssertEqual(h.process.runKernelHelper(&h.cpu), .resume)
        XCTAssertNotEqual(h.cpu[0], 0); XCTAssertEqual(h.cpu.c, 0)
        // A bad pointer: the guest dies of SIGSEGV (no handler).
        h.cpu.pc = 0xffff_0fc0; h.cpu[2] = 0xdead_0000
        XCTAssertEqual(h.process.runKernelHelper(&h.cpu), .killed(SIGSEGV))
        XCTAssertTrue(h.process.deathMessage?.contains("SIGSEGV") ?? false)
    }

    func testRlimitsAndRandom() throws {
        let h = try SyscallHarness()
        XCTAssertEqual(h.call(NR.ugetrlimit, 7 /* RLIMIT_NOFILE */, buf), 0)
        var lim = rlimit()
        getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &lim)
        XCTAssertEqual(UInt64(h.u32(buf)), min(UInt64(lim.rlim_cur), 0xffff_ffff))
        XCTAssertEqual(h.call(384, buf, 16, 0), 16)
    }

    func testStraceLineFormat() throws {
        let h = try SyscallHarness()
        h.put("/etc/passwd", at: buf)
        let entry = try XCTUnwrap(SyscallTable.shared[322])
        let line = h.process.straceCall(entry, SyscallArgs([UInt32(bitPattern: -100), buf, 0x80000, 0]))
        XCTAssertEqual(line, "\(getpid()) openat(AT_FDCWD, \"/etc/passwd\", O_RDONLY|O_CLOEXEC, 00)")
        XCTAssertEqual(h.process.straceResult(-2, hex: false), "-1 errno=2 (No such file or directory)")
        let pw = try XCTUnwrap(SyscallTable.shared[180])
        XCTAssertEqual(h.process.straceCall(pw, SyscallArgs([3, buf, 10, 0, 0x10, 1])), "\(getpid()) pread64(3, 0x12000, 10, 4294967312)")
        XCTAssertEqual(SyscallTable.shared.name(of: 403), "clock_gettime64")
        XCTAssertEqual(SyscallTable.shared.name(of: 0xf0005), "set_tls")
    }
}
