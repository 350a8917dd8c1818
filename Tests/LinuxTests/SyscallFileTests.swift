import Foundation
import XCTest
import ARM
import Memory
@testable import Linux

final class SyscallFileTests: XCTestCase {
    var dir: URL!
    let buf = SyscallHarness.data + 0x1000
    let pathAddr = SyscallHarness.data

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("isomorph-sys-\(getpid())-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }
    override func tearDownWithError() throws { if let dir { try? FileManager.default.removeItem(at: dir) } }

    func testWriteToPipe() throws {
        let h = try SyscallHarness()
        var fds: [Int32] = [0, 0]
        XCTAssertEqual(pipe(&fds), 0)
        defer { close(fds[0]); close(fds[1]) }
        h.put("hello", at: buf)
        XCTAssertEqual(h.call(NR.write, UInt32(fds[1]), buf, 5), 5)
        var out = [UInt8](repeating: 0, count: 16)
        XCTAssertEqual(read(fds[0], &out, 16), 5)
        XCTAssertEqual(Array(out[0..<5]), Array("hello".utf8))
        XCTAssertEqual(h.process.syscallCount, 1)
    }

    func testPipe2AndWritev() throws {
        let h = try SyscallHarness()
        XCTAssertEqual(h.call(NR.pipe2, buf, 0x80000 /* O_CLOEXEC */), 0)
        let rfd = h.u32(buf), wfd = h.u32(buf + 4)
        defer { close(Int32(rfd)); close(Int32(wfd)) }
        XCTAssertEqual(fcntl(Int32(rfd), F_GETFD) & FD_CLOEXEC, FD_CLOEXEC)
        h.put("ab", at: buf + 0x100); h.put("cde", at: buf + 0x200)
        // struct iovec[2] (ARM: base, len)
        for (i, v) in [buf + 0x100, 2, buf + 0x200, 3].enumerated() { try h.memory.write(buf + 0x300 + UInt32(i * 4), UInt32(v)) }
        XCTAssertEqual(h.call(NR.writev, wfd, buf + 0x300, 2), 5)
        XCTAssertEqual(h.call(NR.read, rfd, buf + 0x400, 100), 5)
        XCTAssertEqual(h.bytes(buf + 0x400, 5), Array("abcde".utf8))
    }

    func testOpenReadFstatAndSeek() throws {
        let file = dir.appendingPathComponent("data.txt")
        let content = Array("0123456789abcdefXYZ".utf8)
        try Data(content).write(to: file)
        let h = try SyscallHarness()
        h.put(file.path, at: pathAddr)
        let fd = h.call(NR.openat, UInt32(bitPattern: -100), pathAddr, 0 /* O_RDONLY */, 0)
        XCTAssertGreaterThanOrEqual(fd, 0)
        XCTAssertEqual(h.call(NR.read, UInt32(fd), buf, 4), 4)
        XCTAssertEqual(h.bytes(buf, 4), Array("0123".utf8))

        // fstat64: the ARM struct stat64 layout (104 bytes).
        let st = buf + 0x800
        try h.memory.writeBytes(st, [UInt8](repeating: 0xAA, count: 112))
        XCTAssertEqual(h.call(NR.fstat64, UInt32(fd), st), 0)
        var host = stat()
        XCTAssertEqual(fstat(fd, &host), 0)
        XCTAssertEqual(h.u64(st + 48), UInt64(content.count), "st_size at offset 48")
        XCTAssertEqual(h.u32(st + 16), host.st_mode, "st_mode at 16")
        XCTAssertEqual(h.u32(st + 16) & UInt32(S_IFMT), UInt32(S_IFREG))
        XCTAssertEqual(h.u64(st + 96), UInt64(host.st_ino), "st_ino at 96")
        XCTAssertEqual(h.u32(st + 12), UInt32(truncatingIfNeeded: host.st_ino), "__st_ino at 12")
        XCTAssertEqual(h.u64(st + 0), UInt64(host.st_dev), "st_dev at 0")
        XCTAssertEqual(h.u32(st + 20), UInt32(host.st_nlink))
        XCTAssertEqual(h.u32(st + 24), host.st_uid)
        XCTAssertEqual(h.u32(st + 56), UInt32(host.st_blksize), "st_blksize at 56")
        XCTAssertEqual(h.u64(st + 64), UInt64(host.st_blocks), "st_blocks at 64")
        XCTAssertEqual(h.u32(st + 80), UInt32(truncatingIfNeeded: host.st_mtim.tv_sec), "st_mtime at 80")
        XCTAssertEqual(h.u32(st + 104), 0xAAAA_AAAA, "nothing written past 104 bytes")

        // stat64 by path agrees; lstat of a missing file is ENOENT.
        XCTAssertEqual(h.call(NR.stat64, pathAddr, st), 0)
        XCTAssertEqual(h.u64(st + 48), UInt64(content.count))
        h.put(dir.appendingPathComponent("missing").path, at: pathAddr + 0x400)
        XCTAssertEqual(h.call(196, pathAddr + 0x400, st), -ENOENT)

        // _llseek(fd, hi, lo, &result, SEEK_SET) then pread64 with the EABI register pair r4:r5.
        XCTAssertEqual(h.call(NR._llseek, UInt32(fd), 0, 10, buf + 0x100, 0), 0)
        XCTAssertEqual(h.u64(buf + 0x100), 10)
        XCTAssertEqual(h.call(NR.read, UInt32(fd), buf, 3), 3)
        XCTAssertEqual(h.bytes(buf, 3), Array("abc".utf8))
        XCTAssertEqual(h.call(NR.pread64, UInt32(fd), buf, 3, 0xdead, 16, 0), 3)
        XCTAssertEqual(h.bytes(buf, 3), Array("XYZ".utf8))
        XCTAssertEqual(h.call(NR.close, UInt32(fd)), 0)
        XCTAssertEqual(h.call(NR.close, UInt32(fd)), -EBADF)
    }

    func testFtruncate64UsesAlignedRegisterPair() throws {
        let file = dir.appendingPathComponent("t.bin")
        try Data(count: 10).write(to: file)
        let h = try SyscallHarness()
        h.put(file.path, at: pathAddr)
        let fd = h.call(NR.openat, UInt32(bitPattern: -100), pathAddr, 2 /* O_RDWR */, 0)
        XCTAssertGreaterThanOrEqual(fd, 0)
        // ftruncate64(fd, pad, lo, hi): the length is in r2:r3, r1 is padding.
        XCTAssertEqual(h.call(NR.ftruncate64, UInt32(fd), 0x1234, 5000, 0), 0)
        XCTAssertEqual(try FileManager.default.attributesOfItem(atPath: file.path)[.size] as? Int, 5000)
        close(fd)
    }

    func testOpenFlagsAreTranslated() throws {
        let h = try SyscallHarness()
        h.put(dir.path, at: pathAddr)
        // ARM O_DIRECTORY is 0x4000 (x86-64's O_DIRECT): opening a directory with it succeeds.
        let fd = h.call(NR.openat, UInt32(bitPattern: -100), pathAddr, 0x4000, 0)
        XCTAssertGreaterThanOrEqual(fd, 0)
        close(fd)
        // ... and it refuses a regular file with ENOTDIR.
        let file = dir.appendingPathComponent("f")
        try Data([1]).write(to: file)
        h.put(file.path, at: pathAddr)
        XCTAssertEqual(h.call(NR.openat, UInt32(bitPattern: -100), pathAddr, 0x4000, 0), -ENOTDIR)
        // F_GETFL reports ARM bits: O_LARGEFILE (ARM 0x20000) and O_APPEND survive the round trip.
        let fd2 = h.call(NR.openat, UInt32(bitPattern: -100), pathAddr, 0x20000 | 0x400 | 1, 0)
        XCTAssertGreaterThanOrEqual(fd2, 0)
        let fl = UInt32(bitPattern: h.call(NR.fcntl64, UInt32(fd2), 3, 0))
        XCTAssertEqual(fl & 0x20000, 0x20000, "O_LARGEFILE in ARM encoding")
        XCTAssertEqual(fl & 0x8000, 0, "no x86-64 O_LARGEFILE bit")
        XCTAssertEqual(fl & 0x403, 0x401)
        close(fd2)
    }

    func testGetdents64AndOldGetdents() throws {
        for name in ["alpha", "beta"] { try Data().write(to: dir.appendingPathComponent(name)) }
        let h = try SyscallHarness()
        h.put(dir.path, at: pathAddr)
        let fd = h.call(NR.openat, UInt32(bitPattern: -100), pathAddr, 0x4000, 0)
        XCTAssertGreaterThanOrEqual(fd, 0)
        let n = h.call(NR.getdents64, UInt32(fd), buf, 4096)
        XCTAssertGreaterThan(n, 0)
        var names: [String] = []
        var off = 0
        while off < Int(n) {
            let rec = buf + UInt32(off)
            let reclen = Int(h.u32(rec + 16) & 0xffff)
            let name = (try? h.memory.readCString(rec + 19)) ?? []
            names.append(String(decoding: name, as: UTF8.self))
            off += reclen
        }
        XCTAssertEqual(Set(names), Set([".", "..", "alpha", "beta"]))
        // Old getdents: struct linux_dirent with 32-bit d_ino/d_off, name at 10, type last.
        XCTAssertEqual(h.call(NR._llseek, UInt32(fd), 0, 0, buf + 0x100, 0), 0)
        let m = h.call(NR.getdents, UInt32(fd), buf, 4096)
        XCTAssertGreaterThan(m, 0)
        var oldNames: [String] = []
        off = 0
        while off < Int(m) {
            let rec = buf + UInt32(off)
            let reclen = Int(h.u32(rec + 8) & 0xffff)
            oldNames.append(String(decoding: (try? h.memory.readCString(rec + 10)) ?? [], as: UTF8.self))
            if oldNames.last == "alpha" { XCTAssertEqual(h.bytes(rec + UInt32(reclen) - 1, 1), [8], "DT_REG") }
            off += reclen
        }
        XCTAssertEqual(Set(oldNames), Set(names))
        close(fd)
    }

    func testGetcwd() throws {
        let h = try SyscallHarness()
        let n = h.call(NR.getcwd, buf, 4096)
        XCTAssertGreaterThan(n, 1)
        let s = String(decoding: (try? h.memory.readCString(buf)) ?? [], as: UTF8.self)
        XCTAssertEqual(s, FileManager.default.currentDirectoryPath)
        XCTAssertEqual(Int(n), s.utf8.count + 1)
        XCTAssertEqual(h.call(NR.getcwd, buf, 1), -ERANGE)
    }

    func testReadlinkProcSelfExe() throws {
        let h = try SyscallHarness()
        h.process.executablePath = "/opt/guest/hello"
        h.put("/proc/self/exe", at: pathAddr)
        XCTAssertEqual(h.call(NR.readlink, pathAddr, buf, 256), Int32("/opt/guest/hello".utf8.count))
        XCTAssertEqual(h.bytes(buf, 16), Array("/opt/guest/hello".utf8))
    }

    func testSysrootRedirection() throws {
        let root = dir.appendingPathComponent("root")
        try FileManager.default.createDirectory(at: root.appendingPathComponent("etc"), withIntermediateDirectories: true)
        try Data("guest".utf8).write(to: root.appendingPathComponent("etc/isomorph-test"))
        var options = LinuxOptions()
        options.sysroot = root.path
        let h = try SyscallHarness(options: options)
        h.put("/etc/isomorph-test", at: pathAddr)
        let fd = h.call(NR.openat, UInt32(bitPattern: -100), pathAddr, 0, 0)
        XCTAssertGreaterThanOrEqual(fd, 0)
        XCTAssertEqual(h.call(NR.read, UInt32(fd), buf, 10), 5)
        XCTAssertEqual(h.bytes(buf, 5), Array("guest".utf8))
        close(fd)
    }

    func testStatfs64() throws {
        let h = try SyscallHarness()
        h.put("/", at: pathAddr)
        XCTAssertEqual(h.call(NR.statfs64, pathAddr, 88, buf), 0)
        var host = statvfs()
        XCTAssertEqual(statvfs("/", &host), 0)
        XCTAssertNotEqual(h.u32(buf), 0, "f_type at 0")
        XCTAssertEqual(h.u32(buf + 4), UInt32(truncatingIfNeeded: host.f_bsize), "f_bsize at 4")
        XCTAssertEqual(h.u64(buf + 8) * UInt64(h.u32(buf + 4)), UInt64(host.f_blocks) * UInt64(host.f_frsize), "f_blocks at 8")
        XCTAssertEqual(h.u32(buf + 56), UInt32(truncatingIfNeeded: host.f_namemax), "f_namelen at 56")
        XCTAssertEqual(h.call(NR.statfs64, pathAddr, 100, buf), -EINVAL)
    }

    func testBadPointerIsEFAULT() throws {
        let h = try SyscallHarness()
        XCTAssertEqual(h.call(NR.write, 1, 0xdead_0000, 4), -EFAULT)
        XCTAssertEqual(h.call(NR.openat, UInt32(bitPattern: -100), 0xdead_0000, 0, 0), -EFAULT)
        // Read into a read-only page: EFAULT, nothing written.
        XCTAssertEqual(h.call(NR.read, 0, SyscallHarness.code, 4), -EFAULT)
        XCTAssertEqual(h.call(NR.fstat64, 0, 0xdead_0000), -EFAULT)
    }
}
