#if canImport(Glibc)
import Glibc
#endif
import ARM
import Memory

// --strace: one line per syscall on stderr, roughly as qemu-arm prints them:
//     12345 openat(AT_FDCWD, "/etc/passwd", O_RDONLY|O_CLOEXEC) = 3
//     12345 read(3, 0x0001f000, 4096) = -1 errno=9 (Bad file descriptor)
// The argument kinds come from the syscall table.

extension LinuxProcess {
    func straceWrite(_ s: String) {
        let bytes = Array(s.utf8)
        bytes.withUnsafeBytes { _ = Glibc.write(2, $0.baseAddress, $0.count) }
    }

    func straceUnknown(_ nr: UInt32, _ r0: UInt32) {
        straceWrite("\(getpid()) unknown syscall \(nr) = " + straceResult(Int(Int32(bitPattern: r0)), hex: false) + "\n")
    }

    func straceResult(_ v: Int, hex: Bool) -> String {
        if Errno.isError(v) { return "-1 errno=\(-v) (\(Errno.message(-v)))" }
        return hex ? "0x" + String(UInt32(truncatingIfNeeded: v), radix: 16) : String(v)
    }

    func straceSignal(_ sig: Int32, _ info: [UInt8]) {
        guard options.strace else { return }
        let g = Bytes(info)
        var s = "--- \(Signal.name(sig)) {si_signo=\(Signal.name(sig)), si_code=\(g.i32(ARMSiginfo.code))"
        switch sig {
        case SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP:
            s += ", si_addr=" + hex(g.u32(ARMSiginfo.addr))
        default:
            s += ", si_pid=\(g.i32(ARMSiginfo.pid)), si_uid=\(g.u32(ARMSiginfo.uid))"
        }
        straceWrite(s + "} ---\n")
    }

    /// "PID name(args)" for a call about to run.
    func straceCall(_ e: SyscallEntry, _ a: SyscallArgs) -> String {
        var parts: [String] = []
        var reg = 0
        for (i, kind) in e.args.enumerated() {
            guard reg < 7 else { break }
            let v = a[reg]
            switch kind {
            case .pad:
                reg += 1
                continue
            case .int64:
                if reg + 1 < 7 { parts.append(String(a.int64(reg))) }
                reg += 2
                continue
            case .inBuf:
                let len = i + 1 < e.args.count && reg + 1 < 7 ? Int(a[reg + 1]) : 0
                parts.append(quotedBuffer(v, len))
            default:
                parts.append(format(kind, v))
            }
            reg += 1
        }
        return "\(getpid()) \(e.name)(" + parts.joined(separator: ", ") + ")"
    }

    private func hex(_ v: UInt32) -> String { "0x" + String(v, radix: 16) }

    private func quoted(_ bytes: [UInt8], truncated: Bool) -> String {
        var s = "\""
        for b in bytes {
            switch b {
            case 0x0a: s += "\\n"
            case 0x09: s += "\\t"
            case 0x0d: s += "\\r"
            case 0x22: s += "\\\""
            case 0x5c: s += "\\\\"
            case 0x20..<0x7f: s.unicodeScalars.append(Unicode.Scalar(b))
            default: s += "\\" + String(b, radix: 8)
            }
        }
        return s + "\"" + (truncated ? "..." : "")
    }

    private func quotedBuffer(_ address: UInt32, _ length: Int) -> String {
        if address == 0 { return "NULL" }
        let n = min(length, 32)
        guard let bytes = try? memory.readBytes(address, count: n) else { return hex(address) }
        return quoted(bytes, truncated: length > n)
    }

    private func format(_ kind: ArgKind, _ v: UInt32) -> String {
        let s = Int32(bitPattern: v)
        switch kind {
        case .int, .fd, .size: return String(s)
        case .uint: return String(v)
        case .hex: return hex(v)
        case .ptr: return v == 0 ? "NULL" : hex(v)
        case .octal: return "0" + String(v, radix: 8)
        case .dirfd: return s == -100 ? "AT_FDCWD" : String(s)
        case .path, .string:
            if v == 0 { return "NULL" }
            guard let b = try? memory.readCString(v, limit: 256) else { return hex(v) }
            return quoted(b, truncated: b.count == 256)
        case .argv:
            guard v != 0 else { return "NULL" }
            var items: [String] = []
            var a = v
            while items.count < 16, let p = try? readU32(a), p != 0 {
                items.append((try? memory.readCString(p, limit: 64)).map { quoted($0, truncated: $0.count == 64) } ?? hex(p))
                a &+= 4
            }
            return "[" + items.joined(separator: ", ") + "]"
        case .signal: return s > 0 && s <= 64 ? Signal.name(s) : String(s)
        case .openFlags: return openFlags(v)
        case .prot: return flags(v, [(1, "PROT_READ"), (2, "PROT_WRITE"), (4, "PROT_EXEC")], zero: "PROT_NONE")
        case .mapFlags:
            return flags(v, [(1, "MAP_SHARED"), (2, "MAP_PRIVATE"), (0x10, "MAP_FIXED"), (0x20, "MAP_ANONYMOUS"),
                             (0x100, "MAP_GROWSDOWN"), (0x800, "MAP_DENYWRITE"), (0x4000, "MAP_NORESERVE"),
                             (0x8000, "MAP_POPULATE"), (0x20000, "MAP_STACK"), (0x100000, "MAP_FIXED_NOREPLACE")], zero: "0")
        case .atFlags:
            return flags(v, [(0x100, "AT_SYMLINK_NOFOLLOW"), (0x200, "AT_REMOVEDIR"), (0x400, "AT_SYMLINK_FOLLOW"),
                             (0x800, "AT_NO_AUTOMOUNT"), (0x1000, "AT_EMPTY_PATH")], zero: "0")
        case .whence: return ["SEEK_SET", "SEEK_CUR", "SEEK_END", "SEEK_DATA", "SEEK_HOLE"][safe: Int(v)] ?? String(s)
        case .sigHow: return ["SIG_BLOCK", "SIG_UNBLOCK", "SIG_SETMASK"][safe: Int(v)] ?? String(s)
        case .fcntlCmd:
            let names: [UInt32: String] = [0: "F_DUPFD", 1: "F_GETFD", 2: "F_SETFD", 3: "F_GETFL", 4: "F_SETFL",
                                           5: "F_GETLK", 6: "F_SETLK", 7: "F_SETLKW", 12: "F_GETLK64",
                                           13: "F_SETLK64", 14: "F_SETLKW64", 1030: "F_DUPFD_CLOEXEC"]
            return names[v] ?? String(s)
        case .ioctlReq:
            let names: [UInt32: String] = [0x5401: "TCGETS", 0x5402: "TCSETS", 0x5403: "TCSETSW", 0x5404: "TCSETSF",
                                           0x5413: "TIOCGWINSZ", 0x5414: "TIOCSWINSZ", 0x541B: "FIONREAD",
                                           0x540F: "TIOCGPGRP", 0x5410: "TIOCSPGRP", 0x5421: "FIONBIO"]
            return names[v] ?? hex(v)
        case .clock:
            return ["CLOCK_REALTIME", "CLOCK_MONOTONIC", "CLOCK_PROCESS_CPUTIME_ID", "CLOCK_THREAD_CPUTIME_ID",
                    "CLOCK_MONOTONIC_RAW", "CLOCK_REALTIME_COARSE", "CLOCK_MONOTONIC_COARSE", "CLOCK_BOOTTIME"][safe: Int(v)] ?? String(s)
        case .futexOp:
            let names = ["FUTEX_WAIT", "FUTEX_WAKE", "FUTEX_FD", "FUTEX_REQUEUE", "FUTEX_CMP_REQUEUE", "FUTEX_WAKE_OP",
                         "FUTEX_LOCK_PI", "FUTEX_UNLOCK_PI", "FUTEX_TRYLOCK_PI", "FUTEX_WAIT_BITSET", "FUTEX_WAKE_BITSET"]
            var r = names[safe: Int(v & 0x7f)] ?? String(v & 0x7f)
            if v & 0x80 != 0 { r += "|FUTEX_PRIVATE_FLAG" }
            if v & 0x100 != 0 { r += "|FUTEX_CLOCK_REALTIME" }
            return r
        case .cloneFlags:
            var r = flags(v & ~0xff, [(0x100, "CLONE_VM"), (0x200, "CLONE_FS"), (0x400, "CLONE_FILES"),
                                      (0x800, "CLONE_SIGHAND"), (0x4000, "CLONE_VFORK"), (0x10000, "CLONE_THREAD"),
                                      (0x80000, "CLONE_SETTLS"), (0x100000, "CLONE_PARENT_SETTID"),
                                      (0x200000, "CLONE_CHILD_CLEARTID"), (0x1000000, "CLONE_CHILD_SETTID")], zero: "")
            if v & 0xff != 0 { r += (r.isEmpty ? "" : "|") + Signal.name(Int32(v & 0xff)) }
            return r.isEmpty ? "0" : r
        case .inBuf, .pad, .int64: return hex(v)
        }
    }

    private func flags(_ v: UInt32, _ table: [(UInt32, String)], zero: String) -> String {
        if v == 0 { return zero }
        var rest = v
        var out: [String] = []
        for (bit, name) in table where v & bit == bit {
            out.append(name)
            rest &= ~bit
        }
        if rest != 0 { out.append(hex(rest)) }
        return out.joined(separator: "|")
    }

    private func openFlags(_ v: UInt32) -> String {
        let access = ["O_RDONLY", "O_WRONLY", "O_RDWR", "O_ACCMODE"][Int(v & 3)]
        let rest = flags(v & ~3, [(0x40, "O_CREAT"), (0x80, "O_EXCL"), (0x100, "O_NOCTTY"), (0x200, "O_TRUNC"),
                                  (0x400, "O_APPEND"), (0x800, "O_NONBLOCK"), (0x101000, "O_SYNC"), (0x1000, "O_DSYNC"),
                                  (0x4000, "O_DIRECTORY"), (0x8000, "O_NOFOLLOW"), (0x10000, "O_DIRECT"),
                                  (0x20000, "O_LARGEFILE"), (0x40000, "O_NOATIME"), (0x80000, "O_CLOEXEC"),
                                  (0x200000, "O_PATH"), (0x400000, "O_TMPFILE")], zero: "")
        return rest.isEmpty ? access : access + "|" + rest
    }
}

extension Array {
    subscript(safe i: Int) -> Element? { i >= 0 && i < count ? self[i] : nil }
}
