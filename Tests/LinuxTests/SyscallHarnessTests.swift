import Foundation
import XCTest
import ARM
import Memory
@testable import Linux

/// A guest process with a code page holding `svc #0` and a data area, to call syscalls as the
/// engine does: arguments in r0–r6, number in r7, pc after the svc.
final class SyscallHarness {
    let memory: AddressSpace
    let process: LinuxProcess
    var cpu = CPUState()
    static let code: UInt32 = 0x8000
    static let data: UInt32 = 0x10000
    static let dataSize: UInt32 = 0x10000
    static let stackTop: UInt32 = 0x30000
    var lastOutcome: LinuxOutcome = .resume

    init(options: LinuxOptions = LinuxOptions()) throws {
        memory = try AddressSpace()
        process = LinuxProcess(memory: memory, options: options)
        XCTAssertEqual(memory.map(SyscallHarness.code, length: 0x1000, protection: .rx), 0)
        var svc: [UInt32] = [0xef00_0000, 0xef90_0004]   // svc #0; an OABI svc #0x900004
        svc.withUnsafeBytes { memory.poke(SyscallHarness.code, $0) }
        XCTAssertEqual(memory.map(SyscallHarness.data, length: SyscallHarness.dataSize, protection: .rw), 0)
        XCTAssertEqual(memory.map(0x20000, length: 0x10000, protection: .rw), 0)   // stack
        cpu[13] = SyscallHarness.stackTop
        _ = svc
    }

    /// Runs syscall `nr` and returns r0 as a signed value.
    @discardableResult
    func call(_ nr: UInt32, _ args: UInt32..., oabi: Bool = false) -> Int32 {
        for (i, a) in args.enumerated() { cpu[i] = a }
        cpu[7] = nr
        cpu.pc = SyscallHarness.code + (oabi ? 8 : 4)
        lastOutcome = process.handleSyscall(&cpu)
        return Int32(bitPattern: cpu[0])
    }

    /// Puts a NUL-terminated string at `address`.
    func put(_ s: String, at address: UInt32) {
        XCTAssertNoThrow(try memory.writeBytes(address, Array(s.utf8) + [0]))
    }
    func put(_ bytes: [UInt8], at address: UInt32) {
        XCTAssertNoThrow(try memory.writeBytes(address, bytes))
    }
    func bytes(_ address: UInt32, _ n: Int) -> [UInt8] {
        (try? memory.readBytes(address, count: n)) ?? []
    }
    func u32(_ address: UInt32) -> UInt32 { (try? memory.read(address)) ?? 0xdead_beef }
    func u64(_ address: UInt32) -> UInt64 { (try? memory.read(address)) ?? 0xdead_beef }
}

enum NR {
    static let read: UInt32 = 3, write: UInt32 = 4, close: UInt32 = 6, brk: UInt32 = 45
    static let munmap: UInt32 = 91, uname: UInt32 = 122, mprotect: UInt32 = 125, mremap: UInt32 = 163
    static let getcwd: UInt32 = 183, mmap2: UInt32 = 192, ftruncate64: UInt32 = 194
    static let fstat64: UInt32 = 197, fcntl64: UInt32 = 221, openat: UInt32 = 322, pread64: UInt32 = 180
    static let stat64: UInt32 = 195, fstatat64: UInt32 = 327, statfs64: UInt32 = 266
    static let clock_gettime: UInt32 = 263, clock_gettime64: UInt32 = 403, gettimeofday: UInt32 = 78
    static let rt_sigaction: UInt32 = 174, rt_sigprocmask: UInt32 = 175, tgkill: UInt32 = 268
    static let kill: UInt32 = 37, rt_sigreturn: UInt32 = 173, sigreturn: UInt32 = 119
    static let getpid: UInt32 = 20, gettid: UInt32 = 224, pipe2: UInt32 = 359, _llseek: UInt32 = 140
    static let getdents64: UInt32 = 217, getdents: UInt32 = 141, readlink: UInt32 = 85
    static let sigaltstack: UInt32 = 186, writev: UInt32 = 146, ugetrlimit: UInt32 = 191
    static let set_tls: UInt32 = 0xf0005, get_tls: UInt32 = 0xf0006, cacheflush: UInt32 = 0xf0002
}
