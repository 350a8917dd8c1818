#if canImport(Glibc)
import Glibc
#endif
import Memory

// ELF32 for 32-bit ARM Linux (ELF gABI; "ELF for the Arm Architecture", IHI 0044).
// Everything read from the file is bounds-checked and all arithmetic on file values is done in
// 64 bits or with overflow checks: no input, however malformed, can trap the translator.

/// Why a program could not be loaded. Every description is one line naming the file.
public enum LoadError: Error, CustomStringConvertible, Equatable, Sendable {
    /// open/stat/read failed: the errno, whose strerror text is shown.
    case cannotOpen(path: String, errno: Int32)
    case isDirectory(path: String)
    case notRegularFile(path: String)
    case notELF(path: String)
    /// The file ends before `what` (the ELF header, the program headers, a segment's bytes).
    case truncated(path: String, what: String)
    /// A structural inconsistency, described by `what`.
    case corrupt(path: String, what: String)
    case elf64(path: String, machine: UInt16)
    case bigEndian(path: String)
    case wrongMachine(path: String, machine: UInt16)
    /// e_type is not ET_EXEC or ET_DYN.
    case notExecutable(path: String, type: UInt16)
    /// e_flags names an ARM ABI other than EABI version 5 (0 = the old GNU ABI).
    case unsupportedEABI(path: String, version: UInt32)
    case thumbEntry(path: String, entry: UInt32)
    /// PT_INTERP names a file that is in none of the places searched.
    case missingInterpreter(program: String, interpreter: String, searched: [String], sysroot: String?)
    /// The program's ELF interpreter could not be opened or is not a usable ARM ELF file.
    indirect case interpreterFailed(program: String, error: LoadError)
    /// The interpreter itself asks for an interpreter.
    case nestedInterpreter(path: String, interpreter: String)
    /// The image does not fit where it must go (overlaps the stack or kernel page, or no room).
    case noSpace(path: String, what: String)
    /// Mapping part of the image failed with this errno.
    case mapFailed(path: String, address: UInt32, errno: Int32)
    /// argv and environment strings are larger than the kernel allows (E2BIG).
    case argumentsTooLong(path: String, bytes: Int)

    public var description: String {
        switch self {
        case let .cannotOpen(p, e):
            return "\(LoadText.path(p)): cannot open: \(LoadText.errno(e))"
        case let .isDirectory(p):
            return "\(LoadText.path(p)): \(LoadText.errno(EISDIR)); expected an ARM ELF program"
        case let .notRegularFile(p):
            return "\(LoadText.path(p)): not a regular file; expected an ARM ELF program"
        case let .notELF(p):
            return "\(LoadText.path(p)): not an ELF file (no \\x7fELF magic); expected an ARM ELF program"
        case let .truncated(p, what):
            return "\(LoadText.path(p)): truncated ELF file: the file ends before \(what)"
        case let .corrupt(p, what):
            return "\(LoadText.path(p)): corrupt ELF file: \(what)"
        case let .elf64(p, m):
            return "\(LoadText.path(p)): is a 64-bit ELF file (\(ELFMachine.name(m))); Isomorph runs 32-bit ARM programs only"
        case let .bigEndian(p):
            return "\(LoadText.path(p)): is a big-endian ELF file; Isomorph runs little-endian ARM programs only"
        case let .wrongMachine(p, m):
            return "\(LoadText.path(p)): is an ELF file for \(ELFMachine.name(m)), not ARM; Isomorph runs 32-bit ARM programs only"
        case let .notExecutable(p, t):
            let kind: String
            switch t {
            case ELFConstants.ET_REL: kind = "a relocatable object file (.o)"
            case ELFConstants.ET_CORE: kind = "a core dump"
            case ELFConstants.ET_NONE: kind = "an ELF file of type NONE"
            default: kind = "an ELF file of unknown type \(t)"
            }
            return "\(LoadText.path(p)): is \(kind), not an executable or shared object"
        case let .unsupportedEABI(p, v):
            if v == 0 {
                return "\(LoadText.path(p)): uses the old ARM ABI (OABI, EABI version 0); only ARM EABI version 5 is supported"
            }
            return "\(LoadText.path(p)): uses ARM EABI version \(v); only ARM EABI version 5 is supported"
        case let .thumbEntry(p, e):
            return "\(LoadText.path(p)): entry point \(LoadText.hex(e)) is Thumb code; Thumb code is not supported yet"
        case let .missingInterpreter(prog, interp, searched, sysroot):
            let tried = searched.map(LoadText.path).joined(separator: ", ")
            let whereText = sysroot.map { "in sysroot \(LoadText.path($0))" } ?? "on the host or in the default sysroot /usr/arm-linux-gnueabi"
            return "\(LoadText.path(prog)): its ELF interpreter \(LoadText.path(interp)) was not found \(whereText) (tried \(tried)); "
                + "give the ARM sysroot with -L DIR or ISOMORPH_LD_PREFIX"
        case let .interpreterFailed(prog, inner):
            return "\(LoadText.path(prog)): cannot load its ELF interpreter: \(inner.description)"
        case let .nestedInterpreter(p, i):
            return "\(LoadText.path(p)): the ELF interpreter itself names an interpreter (\(LoadText.path(i)))"
        case let .noSpace(p, what):
            return "\(LoadText.path(p)): cannot place the program in the 32-bit guest address space: \(what)"
        case let .mapFailed(p, a, e):
            return "\(LoadText.path(p)): cannot map a segment at \(LoadText.hex(a)): \(LoadText.errno(e))"
        case let .argumentsTooLong(p, n):
            return "\(LoadText.path(p)): argument list and environment too long (\(n) bytes): \(LoadText.errno(E2BIG))"
        }
    }
}

/// Text helpers for one-line loader messages.
enum LoadText {
    /// A path for a one-line message: control characters (a newline in a file name) are escaped.
    static func path(_ s: String) -> String {
        var out = ""
        for u in s.unicodeScalars {
            if u.value < 0x20 || u.value == 0x7F {
                out += "\\x" + pad(String(u.value, radix: 16), 2)
            } else {
                out.unicodeScalars.append(u)
            }
        }
        return out
    }

    static func hex(_ v: UInt32) -> String { "0x" + pad(String(v, radix: 16), 8) }

    static func hex(_ v: UInt64) -> String { "0x" + String(v, radix: 16) }

    static func errno(_ e: Int32) -> String {
        guard let s = strerror(e) else { return "errno \(e)" }
        return String(cString: s)
    }

    static func pad(_ s: String, _ n: Int) -> String {
        s.count >= n ? s : String(repeating: "0", count: n - s.count) + s
    }
}

public enum ELFConstants {
    public static let ET_NONE: UInt16 = 0, ET_REL: UInt16 = 1, ET_EXEC: UInt16 = 2
    public static let ET_DYN: UInt16 = 3, ET_CORE: UInt16 = 4
    public static let EM_ARM: UInt16 = 40
    public static let PT_NULL: UInt32 = 0, PT_LOAD: UInt32 = 1, PT_DYNAMIC: UInt32 = 2
    public static let PT_INTERP: UInt32 = 3, PT_NOTE: UInt32 = 4, PT_SHLIB: UInt32 = 5
    public static let PT_PHDR: UInt32 = 6, PT_TLS: UInt32 = 7
    public static let PT_GNU_STACK: UInt32 = 0x6474_e551
    public static let PF_X: UInt32 = 1, PF_W: UInt32 = 2, PF_R: UInt32 = 4
    public static let EF_ARM_EABIMASK: UInt32 = 0xFF00_0000
    public static let headerSize = 52
    public static let programHeaderSize = 32
    /// The most program headers accepted (the kernel's limit: 64 KiB of headers).
    public static let maxProgramHeaders = 65536 / programHeaderSize
    /// PATH_MAX: the longest PT_INTERP accepted.
    public static let maxInterpreterLength = 4096
}

/// Names of the e_machine values a user is likely to meet.
public enum ELFMachine {
    public static func name(_ m: UInt16) -> String {
        switch m {
        case 2: return "SPARC"
        case 3: return "x86 (i386)"
        case 8: return "MIPS"
        case 20: return "PowerPC"
        case 21: return "PowerPC64"
        case 22: return "IBM S/390"
        case 40: return "ARM"
        case 43: return "SPARC V9"
        case 50: return "IA-64"
        case 62: return "x86-64"
        case 183: return "AArch64"
        case 243: return "RISC-V"
        case 258: return "LoongArch"
        default: return "machine \(m)"
        }
    }
}

/// The ELF32 file header fields the loader uses.
public struct ELF32Header: Equatable, Sendable {
    public var type: UInt16
    public var machine: UInt16
    public var version: UInt32
    public var entry: UInt32
    public var phoff: UInt32
    public var shoff: UInt32
    public var flags: UInt32
    public var ehsize: UInt16
    public var phentsize: UInt16
    public var phnum: UInt16
}

/// One ELF32 program header.
public struct ELF32ProgramHeader: Equatable, Sendable {
    public var type: UInt32
    public var offset: UInt32
    public var vaddr: UInt32
    public var paddr: UInt32
    public var filesz: UInt32
    public var memsz: UInt32
    public var flags: UInt32
    public var align: UInt32

    /// Guest permissions from p_flags.
    public var protection: Protection {
        var p: Protection = []
        if flags & ELFConstants.PF_R != 0 { p.insert(.read) }
        if flags & ELFConstants.PF_W != 0 { p.insert(.write) }
        if flags & ELFConstants.PF_X != 0 { p.insert(.exec) }
        return p
    }
}

/// A validated ELF32 ARM executable or shared object: its header and program headers, and the
/// facts the loader needs. Construction checks everything the loader relies on.
public struct ELFFile: Sendable {
    public let path: String
    public let fileSize: UInt64
    public let header: ELF32Header
    public let programHeaders: [ELF32ProgramHeader]
    /// The PT_INTERP path, if any.
    public let interpreter: String?
    /// PT_LOAD headers with a non-zero p_memsz, in file order (ascending p_vaddr).
    public var loadSegments: [ELF32ProgramHeader] {
        programHeaders.filter { $0.type == ELFConstants.PT_LOAD && $0.memsz > 0 }
    }
    /// Whether PT_GNU_STACK asks for an executable stack (true when PT_GNU_STACK is absent).
    public var wantsExecutableStack: Bool {
        guard let s = programHeaders.first(where: { $0.type == ELFConstants.PT_GNU_STACK }) else { return true }
        return s.flags & ELFConstants.PF_X != 0
    }
    public var isPositionIndependent: Bool { header.type == ELFConstants.ET_DYN }
    /// The lowest page and the page-aligned end of the PT_LOAD segments (link-time addresses).
    public var loadRange: (low: UInt32, end: UInt64) {
        var low = UInt64.max, end: UInt64 = 0
        for s in loadSegments {
            low = min(low, UInt64(s.vaddr) & ~UInt64(AddressSpace.pageSize - 1))
            end = max(end, ELFFile.pageUp(UInt64(s.vaddr) + UInt64(s.memsz)))
        }
        return (UInt32(truncatingIfNeeded: low == .max ? 0 : low), end)
    }

    static func pageUp(_ v: UInt64) -> UInt64 {
        (v + UInt64(AddressSpace.pageSize) - 1) & ~UInt64(AddressSpace.pageSize - 1)
    }

    /// Parses and validates from a reader: `read(offset, count)` returns up to `count` bytes at
    /// `offset` (fewer at end of file) or throws. `fileSize` is the file's length.
    public init(path: String, fileSize: UInt64,
                read: (UInt64, Int) throws(LoadError) -> [UInt8]) throws(LoadError) {
        self.path = path
        self.fileSize = fileSize
        let head = try read(0, ELFConstants.headerSize)
        guard head.count >= 4, head[0] == 0x7F, head[1] == 0x45, head[2] == 0x4C, head[3] == 0x46 else {
            throw .notELF(path: path)
        }
        // Class and byte order come before anything else can be read meaningfully. The
        // e_machine field (offset 18) is at the same place in both classes.
        let machineGuess: UInt16? = head.count >= 20
            ? (head[5] == 2 ? UInt16(head[18]) << 8 | UInt16(head[19]) : UInt16(head[18]) | UInt16(head[19]) << 8)
            : nil
        guard head.count > 5 else { throw .truncated(path: path, what: "the end of the ELF identification") }
        switch head[4] {
        case 1: break
        case 2: throw .elf64(path: path, machine: machineGuess ?? 0)
        default: throw .corrupt(path: path, what: "invalid ELF class \(head[4]) (neither 32- nor 64-bit)")
        }
        switch head[5] {
        case 1: break
        case 2: throw .bigEndian(path: path)
        default: throw .corrupt(path: path, what: "invalid ELF data encoding \(head[5]) (neither little- nor big-endian)")
        }
        guard head.count >= ELFConstants.headerSize else {
            throw .truncated(path: path, what: "the end of the 52-byte ELF header (it has \(head.count) bytes)")
        }
        guard head[6] == 1 else {
            throw .corrupt(path: path, what: "unknown ELF identification version \(head[6])")
        }
        let r = ByteReader(head)
        let h = ELF32Header(type: r.u16(16), machine: r.u16(18), version: r.u32(20), entry: r.u32(24),
                            phoff: r.u32(28), shoff: r.u32(32), flags: r.u32(36), ehsize: r.u16(40),
                            phentsize: r.u16(42), phnum: r.u16(44))
        guard h.type == ELFConstants.ET_EXEC || h.type == ELFConstants.ET_DYN else {
            throw .notExecutable(path: path, type: h.type)
        }
        guard h.machine == ELFConstants.EM_ARM else { throw .wrongMachine(path: path, machine: h.machine) }
        guard h.version == 1 else { throw .corrupt(path: path, what: "unknown ELF version \(h.version)") }
        let eabi = (h.flags & ELFConstants.EF_ARM_EABIMASK) >> 24
        guard eabi == 5 else { throw .unsupportedEABI(path: path, version: eabi) }
        guard h.phnum > 0 else { throw .corrupt(path: path, what: "no program headers (e_phnum is 0)") }
        guard h.phentsize == UInt16(ELFConstants.programHeaderSize) else {
            throw .corrupt(path: path, what: "program header size e_phentsize is \(h.phentsize), expected 32")
        }
        guard Int(h.phnum) <= ELFConstants.maxProgramHeaders else {
            throw .corrupt(path: path, what: "absurd number of program headers (e_phnum \(h.phnum), at most \(ELFConstants.maxProgramHeaders))")
        }
        let tableSize = Int(h.phnum) * ELFConstants.programHeaderSize
        let tableEnd = UInt64(h.phoff) + UInt64(tableSize)
        guard tableEnd <= fileSize else {
            throw .truncated(path: path, what: "the end of the program header table (offset \(h.phoff) + \(h.phnum) × 32 bytes = \(tableEnd), file size \(fileSize))")
        }
        let table = try read(UInt64(h.phoff), tableSize)
        guard table.count == tableSize else {
            throw .truncated(path: path, what: "the end of the program header table (read \(table.count) of \(tableSize) bytes)")
        }
        let t = ByteReader(table)
        var phdrs: [ELF32ProgramHeader] = []
        phdrs.reserveCapacity(Int(h.phnum))
        for i in 0..<Int(h.phnum) {
            let o = i * ELFConstants.programHeaderSize
            phdrs.append(ELF32ProgramHeader(type: t.u32(o), offset: t.u32(o + 4), vaddr: t.u32(o + 8),
                                            paddr: t.u32(o + 12), filesz: t.u32(o + 16), memsz: t.u32(o + 20),
                                            flags: t.u32(o + 24), align: t.u32(o + 28)))
        }
        header = h
        programHeaders = phdrs
        interpreter = try ELFFile.validate(path: path, header: h, phdrs: phdrs, fileSize: fileSize, read: read)
    }

    /// Parses an in-memory image (the whole file).
    public init(path: String, bytes: [UInt8]) throws(LoadError) {
        try self.init(path: path, fileSize: UInt64(bytes.count)) { (offset: UInt64, count: Int) throws(LoadError) -> [UInt8] in
            guard offset < UInt64(bytes.count), count > 0 else { return [] }
            let start = Int(offset)
            let end = start + min(count, bytes.count - start)
            return Array(bytes[start..<end])
        }
    }

    /// Checks the program headers; returns the interpreter path, if any.
    private static func validate(path: String, header h: ELF32Header, phdrs: [ELF32ProgramHeader],
                                 fileSize: UInt64,
                                 read: (UInt64, Int) throws(LoadError) -> [UInt8]) throws(LoadError) -> String? {
        let page = UInt64(AddressSpace.pageSize)
        let limit = UInt64(1) << 32
        var interpreter: String?
        var previousLoadEnd: UInt64?
        var sawLoad = false
        var entryInside = false
        for (i, p) in phdrs.enumerated() {
            let name = "program header \(i)"
            switch p.type {
            case ELFConstants.PT_LOAD:
                guard p.memsz > 0 else { continue }
                sawLoad = true
                guard p.filesz <= p.memsz else {
                    throw .corrupt(path: path, what: "\(name) (PT_LOAD at \(LoadText.hex(p.vaddr))) has p_filesz \(p.filesz) > p_memsz \(p.memsz)")
                }
                let end = UInt64(p.vaddr) + UInt64(p.memsz)
                guard end <= limit else {
                    throw .corrupt(path: path, what: "\(name) (PT_LOAD at \(LoadText.hex(p.vaddr)), \(p.memsz) bytes) runs past the end of the 32-bit address space")
                }
                guard UInt64(p.offset) % page == UInt64(p.vaddr) % page else {
                    throw .corrupt(path: path, what: "\(name) (PT_LOAD) is misaligned: p_offset \(LoadText.hex(p.offset)) and p_vaddr \(LoadText.hex(p.vaddr)) differ modulo the 4 KiB page size")
                }
                let fileEnd = UInt64(p.offset) + UInt64(p.filesz)
                guard fileEnd <= fileSize else {
                    throw .truncated(path: path, what: "the end of \(name) (PT_LOAD at \(LoadText.hex(p.vaddr)) needs file bytes up to \(fileEnd), file size \(fileSize))")
                }
                if let prev = previousLoadEnd, UInt64(p.vaddr) < prev {
                    throw .corrupt(path: path, what: "\(name) (PT_LOAD at \(LoadText.hex(p.vaddr))) overlaps or precedes the previous PT_LOAD segment (which ends at \(LoadText.hex(prev)))")
                }
                previousLoadEnd = end
                if h.entry >= p.vaddr && UInt64(h.entry) < end { entryInside = true }
            case ELFConstants.PT_INTERP:
                guard interpreter == nil else {
                    throw .corrupt(path: path, what: "more than one PT_INTERP program header")
                }
                guard p.filesz >= 2, Int(p.filesz) <= ELFConstants.maxInterpreterLength else {
                    throw .corrupt(path: path, what: "PT_INTERP has an absurd size of \(p.filesz) bytes")
                }
                guard UInt64(p.offset) + UInt64(p.filesz) <= fileSize else {
                    throw .truncated(path: path, what: "the end of the PT_INTERP string (offset \(p.offset), \(p.filesz) bytes, file size \(fileSize))")
                }
                let bytes = try read(UInt64(p.offset), Int(p.filesz))
                guard bytes.count == Int(p.filesz) else {
                    throw .truncated(path: path, what: "the end of the PT_INTERP string")
                }
                guard bytes.last == 0, let nul = bytes.firstIndex(of: 0), nul == bytes.count - 1 else {
                    throw .corrupt(path: path, what: "PT_INTERP is not a single NUL-terminated path")
                }
                let s = String(decoding: bytes[..<nul], as: UTF8.self)
                guard !s.isEmpty else { throw .corrupt(path: path, what: "PT_INTERP is empty") }
                interpreter = s
            case ELFConstants.PT_TLS:
                guard p.filesz <= p.memsz else {
                    throw .corrupt(path: path, what: "PT_TLS has p_filesz \(p.filesz) > p_memsz \(p.memsz)")
                }
                guard UInt64(p.vaddr) + UInt64(p.memsz) <= limit else {
                    throw .corrupt(path: path, what: "PT_TLS at \(LoadText.hex(p.vaddr)) runs past the end of the 32-bit address space")
                }
                guard p.align == 0 || p.align & (p.align - 1) == 0 else {
                    throw .corrupt(path: path, what: "PT_TLS alignment \(p.align) is not a power of two")
                }
            case ELFConstants.PT_PHDR:
                guard UInt64(p.vaddr) + UInt64(p.memsz) <= limit else {
                    throw .corrupt(path: path, what: "PT_PHDR at \(LoadText.hex(p.vaddr)) runs past the end of the 32-bit address space")
                }
            default:
                break
            }
        }
        guard sawLoad else { throw .corrupt(path: path, what: "no loadable (PT_LOAD) segments") }
        guard h.entry & 1 == 0 else { throw .thumbEntry(path: path, entry: h.entry) }
        // A PIE's entry is never 0 (that is its ELF header): e_entry 0 marks a shared library.
        guard !(h.entry == 0 && h.type == ELFConstants.ET_DYN) else {
            throw .corrupt(path: path, what: "no entry point (e_entry is 0): a shared library, not a program")
        }
        guard entryInside else {
            throw .corrupt(path: path, what: "entry point \(LoadText.hex(h.entry)) is outside every loadable segment")
        }
        guard h.entry & 2 == 0 else {
            throw .corrupt(path: path, what: "entry point \(LoadText.hex(h.entry)) is not 4-byte aligned")
        }
        return interpreter
    }
}

/// Little-endian reads from a byte array; callers guarantee the offsets are in range.
struct ByteReader {
    let bytes: [UInt8]
    init(_ bytes: [UInt8]) { self.bytes = bytes }
    func u16(_ o: Int) -> UInt16 { UInt16(bytes[o]) | UInt16(bytes[o + 1]) << 8 }
    func u32(_ o: Int) -> UInt32 {
        UInt32(bytes[o]) | UInt32(bytes[o + 1]) << 8 | UInt32(bytes[o + 2]) << 16 | UInt32(bytes[o + 3]) << 24
    }
}

/// An open ELF file on the host: the descriptor segments are mapped from, and the parsed file.
final class OpenELFFile {
    let fd: Int32
    let elf: ELFFile

    /// Opens and validates `path`. Directories, devices and FIFOs are refused without blocking.
    init(path: String) throws(LoadError) {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { throw .cannotOpen(path: path, errno: errno) }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            let e = errno
            close(fd)
            throw .cannotOpen(path: path, errno: e)
        }
        let kind = st.st_mode & S_IFMT
        if kind == S_IFDIR { close(fd); throw .isDirectory(path: path) }
        if kind != S_IFREG { close(fd); throw .notRegularFile(path: path) }
        // Back to blocking reads for the regular file.
        _ = fcntl(fd, F_SETFL, 0)
        let size = UInt64(max(0, st.st_size))
        do {
            elf = try ELFFile(path: path, fileSize: size) { (offset: UInt64, count: Int) throws(LoadError) -> [UInt8] in
                try OpenELFFile.pread(fd: fd, path: path, offset: offset, count: count)
            }
        } catch {
            close(fd)
            throw error
        }
        self.fd = fd
    }

    deinit { close(fd) }

    /// Up to `count` bytes at `offset` (fewer at end of file).
    static func pread(fd: Int32, path: String, offset: UInt64, count: Int) throws(LoadError) -> [UInt8] {
        guard count > 0, offset < UInt64(Int64.max) else { return [] }
        var out = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            let n = out.withUnsafeMutableBytes { buf in
                Glibc.pread(fd, buf.baseAddress! + done, count - done, off_t(offset) + off_t(done))
            }
            if n < 0 {
                if errno == EINTR { continue }
                throw .cannotOpen(path: path, errno: errno)
            }
            if n == 0 { break }
            done += n
        }
        out.removeSubrange(done...)
        return out
    }

    func read(_ offset: UInt64, _ count: Int) throws(LoadError) -> [UInt8] {
        try OpenELFFile.pread(fd: fd, path: elf.path, offset: offset, count: count)
    }
}
