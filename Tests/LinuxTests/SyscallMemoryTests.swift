import Foundation
import XCTest
import ARM
import Memory
@testable import Linux

final class SyscallMemoryTests: XCTestCase {
    func testBrkGrowsAndShrinks() throws {
        let h = try SyscallHarness()
        h.process.brkStart = 0x0005_0000
        h.process.brkCurrent = 0x0005_0000
        XCTAssertEqual(UInt32(bitPattern: h.call(NR.brk, 0)), 0x0005_0000)
        XCTAssertEqual(UInt32(bitPattern: h.call(NR.brk, 0x0005_2345)), 0x0005_2345)
        XCTAssertTrue(h.memory.check(0x0005_0000, length: 0x3000, .rw))
        XCTAssertNoThrow(try h.memory.write(0x0005_2340, UInt32(7)))
        XCTAssertFalse(h.memory.check(0x0005_3000, length: 4, .read))
        // Shrinking unmaps whole pages above the new break.
        XCTAssertEqual(UInt32(bitPattern: h.call(NR.brk, 0x0005_0100)), 0x0005_0100)
        XCTAssertTrue(h.memory.check(0x0005_0000, length: 0x1000, .rw))
        XCTAssertFalse(h.memory.check(0x0005_1000, length: 4, .read))
        // Below the start, or into a mapped area: fails by returning the current break.
        XCTAssertEqual(UInt32(bitPattern: h.call(NR.brk, 0x0004_0000)), 0x0005_0100)
        XCTAssertEqual(h.memory.map(0x0006_0000, length: 0x1000, protection: .rw), 0)
        XCTAssertEqual(UInt32(bitPattern: h.call(NR.brk, 0x0006_8000)), 0x0005_0100)
        XCTAssertEqual(h.process.brkCurrent, 0x0005_0100)
    }

    func testMmap2MprotectMunmapMremap() throws {
        let h = try SyscallHarness()
        // mmap2(NULL, 8192, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0)
        let a = UInt32(bitPattern: h.call(NR.mmap2, 0, 8192, 3, 0x22, UInt32(bitPattern: -1), 0))
        XCTAssertEqual(a & 0xfff, 0)
        XCTAssertLessThan(a, 0xffff_0000)
        XCTAssertTrue(h.memory.check(a, length: 8192, .rw))
        XCTAssertEqual(h.u32(a + 100), 0, "anonymous memory is zero")
        try h.memory.write(a + 100, UInt32(0x1234_5678))
        // mprotect to read-only.
        XCTAssertEqual(h.call(NR.mprotect, a, 4096, 1), 0)
        XCTAssertTrue(h.memory.check(a, length: 4096, .read))
        XCTAssertFalse(h.memory.check(a, length: 4096, .write))
        XCTAssertEqual(h.call(NR.mprotect, a + 1, 4096, 1), -EINVAL)
        // mremap grows (in place or moved) and keeps the contents.
        let b = UInt32(bitPattern: h.call(NR.mremap, a, 8192, 65536, 1 /* MREMAP_MAYMOVE */, 0))
        XCTAssertFalse(Errno.isError(Int(Int32(bitPattern: b))))
        XCTAssertEqual(h.u32(b + 100), 0x1234_5678)
        XCTAssertTrue(h.memory.check(b + 8192, length: 65536 - 8192, .read))
        // munmap.
        XCTAssertEqual(h.call(NR.munmap, b, 65536), 0)
        XCTAssertFalse(h.memory.check(b, length: 4, .read))
        XCTAssertEqual(h.call(NR.munmap, b + 1, 4096), -EINVAL)
        // MAP_FIXED at a chosen address; a file mapping of a missing fd is EBADF.
        let fixed = UInt32(bitPattern: h.call(NR.mmap2, 0x7000_0000, 4096, 3, 0x32, UInt32(bitPattern: -1), 0))
        XCTAssertEqual(fixed, 0x7000_0000)
        // Below vm.mmap_min_addr (64 KiB) Linux refuses a fixed mapping to an unprivileged
        // process and ignores a hint (qemu-arm maps it). Compiled code relies on it: an access
        // whose address wraps around 32 bits by a small offset must fault.
        XCTAssertEqual(h.call(NR.mmap2, 0x1000, 4096, 3, 0x32, UInt32(bitPattern: -1), 0), -EPERM)
        let hinted = UInt32(bitPattern: h.call(NR.mmap2, 0x1000, 4096, 3, 0x22, UInt32(bitPattern: -1), 0))
        XCTAssertGreaterThanOrEqual(hinted, 0x1_0000)
        XCTAssertEqual(h.call(NR.mmap2, 0, 4096, 1, 2, 999, 0), -EBADF)
        XCTAssertEqual(h.call(NR.mmap2, 0, 0, 3, 0x22, UInt32(bitPattern: -1), 0), -EINVAL)
    }

    func testMmap2OfAFileUsesPageOffsets() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("isomorph-mmap-\(getpid())")
        var data = Data(count: 8192)
        data[4096] = 0x5a
        try data.write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        let fd = open(url.path, O_RDONLY)
        defer { close(fd) }
        let h = try SyscallHarness()
        let a = UInt32(bitPattern: h.call(NR.mmap2, 0, 4096, 1, 2, UInt32(fd), 1 /* pages */))
        XCTAssertFalse(Errno.isError(Int(Int32(bitPattern: a))))
        XCTAssertEqual(h.bytes(a, 1), [0x5a])
    }

    func testCacheflushInvalidatesCode() throws {
        let h = try SyscallHarness()
        var seen: [(UInt32, UInt32)] = []
        h.memory.codeInvalidated = { seen.append(($0, $1)) }
        h.memory.markCode(SyscallHarness.data)
        XCTAssertEqual(h.call(NR.cacheflush, SyscallHarness.data, SyscallHarness.data + 64, 0), 0)
        XCTAssertEqual(seen.count, 1)
        XCTAssertEqual(seen.first?.0, SyscallHarness.data)
        XCTAssertEqual(seen.first?.1, 64)
    }
}
