#if canImport(Glibc)
import Glibc
#endif
import ARM
import Memory

/// Where one ELF file went in guest memory.
public struct LoadedImage: Sendable, Equatable {
    /// The host path it was read from.
    public var path: String
    /// Added to every link-time address of the file (0 for ET_EXEC).
    public var bias: UInt32
    /// The guest range its segments cover: [start, end), page-aligned.
    public var start: UInt32
    public var end: UInt32
    /// Its entry point in guest memory.
    public var entry: UInt32
}

/// The result of loading a program: the initial CPU state and what went where.
public struct LoadedProgram {
    public var cpu: CPUState
    public var program: LoadedImage
    public var interpreter: LoadedImage?
    /// The initial stack: [stackBottom, stackTop) and the initial sp.
    public var stackBottom: UInt32
    public var stackTop: UInt32
    public var executableStack: Bool
    /// AT_PHDR: where the main program's program headers are in guest memory.
    public var phdr: UInt32
    /// The auxiliary vector given to the program (without AT_NULL), e.g. for /proc/self/auxv.
    public var auxv: [(type: UInt32, value: UInt32)]
}

/// Where the loader puts things.
public enum LoaderLayout {
    /// Load address of a position-independent main program (ET_DYN). Low in the address space,
    /// like a classic non-PIE executable, so the program break that follows it has room to
    /// grow up to `AddressSpace.mmapBase` (0x40000000), where the interpreter and mmap go.
    public static let pieBase: UInt32 = 0x0040_0000
    /// Where the interpreter is looked for when no sysroot is given and the host lacks it
    /// (Debian's libc6-armel-cross).
    public static let defaultSysroot = "/usr/arm-linux-gnueabi"
}

extension LinuxProcess {
    /// Loads an ARM ELF program the way Linux's execve does: maps its segments (and its ELF
    /// interpreter's), the kernel helper page and the initial stack, sets the program break
    /// and `executablePath`, and returns the CPU state to start at. `argv` is given whole
    /// (argv[0] included). Expects a fresh address space; after an error it may be partly
    /// populated and the process should be discarded.
    public func load(program path: String, argv: [String], environment: [String]) throws -> CPUState {
        try loadProgram(path, argv: argv, environment: environment).cpu
    }

    /// `load`, also telling where everything went.
    public func loadProgram(_ path: String, argv: [String], environment: [String]) throws(LoadError) -> LoadedProgram {
        let main = try OpenELFFile(path: path)
        var interp: OpenELFFile?
        if let name = main.elf.interpreter {
            let found = try resolveInterpreter(name, program: path)
            let f: OpenELFFile
            do { f = try OpenELFFile(path: found) } catch { throw .interpreterFailed(program: path, error: error) }
            if let nested = f.elf.interpreter { throw .nestedInterpreter(path: found, interpreter: nested) }
            interp = f
        }

        // Where the main program goes, checked before anything is mapped.
        let stackBottom = InitialStack.bottom
        let (low, end) = main.elf.loadRange
        let mainBias: UInt32
        if main.elf.isPositionIndependent {
            let span = end - UInt64(low)
            guard UInt64(LoaderLayout.pieBase) + span <= UInt64(stackBottom) else {
                throw .noSpace(path: path, what: "its segments span \(span) bytes")
            }
            mainBias = LoaderLayout.pieBase &- low
        } else {
            guard end <= UInt64(stackBottom) else {
                throw .noSpace(path: path, what: "its segments reach \(LoadText.hex(end)), above the stack at \(LoadText.hex(stackBottom))")
            }
            mainBias = 0
        }

        // Kernel helper page and stack first, so nothing else can be placed there.
        try mapKernelHelperPage()
        let execStack = main.elf.wantsExecutableStack
        let stackProt: Protection = execStack ? .rwx : .rw
        let e = memory.map(stackBottom, length: InitialStack.size, protection: stackProt)
        guard e == 0 else { throw .mapFailed(path: path, address: stackBottom, errno: -e) }

        let program = try mapSegments(main, bias: mainBias)

        var interpImage: LoadedImage?
        if let f = interp {
            let (ilow, iend) = f.elf.loadRange
            let span = iend - UInt64(ilow)
            let bias: UInt32
            if f.elf.isPositionIndependent {
                guard span <= UInt64(UInt32.max),
                      let at = memory.findFree(length: UInt32(span), hint: memory.mmapBase) else {
                    throw .noSpace(path: f.elf.path, what: "no free range of \(span) bytes for the interpreter")
                }
                bias = at &- ilow
            } else {
                guard iend <= UInt64(stackBottom), memory.isFree(ilow, length: UInt32(span)) else {
                    throw .noSpace(path: f.elf.path, what: "the interpreter's fixed addresses \(LoadText.hex(ilow))–\(LoadText.hex(iend)) are taken")
                }
                bias = 0
            }
            interpImage = try mapSegments(f, bias: bias)
        }

        // The break starts at the page-aligned end of the main program's highest segment.
        brkStart = program.end
        brkCurrent = program.end
        executablePath = LinuxProcess.absoluteRealPath(path)

        let phdr = LinuxProcess.programHeaderAddress(main.elf, bias: mainBias)
        var info = InitialStack.ProgramInfo(phdr: phdr, phnum: UInt32(main.elf.header.phnum),
                                            base: interpImage?.bias ?? 0, entry: program.entry)
        info.uid = getuid(); info.euid = geteuid(); info.gid = getgid(); info.egid = getegid()
        guard let stack = InitialStack(top: InitialStack.top, argv: argv, environment: environment,
                                       execfn: path, random: InitialStack.randomBytes(), info: info) else {
            let n = (argv + environment).reduce(0) { $0 + $1.utf8.count + 1 }
            throw .argumentsTooLong(path: path, bytes: n)
        }
        stack.bytes.withUnsafeBytes { memory.poke(stack.sp, $0) }

        var cpu = CPUState()
        cpu[13] = stack.sp
        cpu[0] = 0              // the kernel zeroes all registers; r0 = 0 means "no rtld_fini"
        cpu.pc = interpImage?.entry ?? program.entry
        cpu.cpsrControl = PSR.userMode
        return LoadedProgram(cpu: cpu, program: program, interpreter: interpImage,
                             stackBottom: stackBottom, stackTop: InitialStack.top,
                             executableStack: execStack, phdr: phdr, auxv: stack.auxv)
    }

    /// Maps the kernel user helper page (read + exec) with its contents.
    public func mapKernelHelperPage() throws(LoadError) {
        let e = memory.map(KernelHelperPage.address, length: KernelHelperPage.size, protection: .rx)
        guard e == 0 else { throw .mapFailed(path: "[kernel helper page]", address: KernelHelperPage.address, errno: -e) }
        KernelHelperPage.contents.withUnsafeBytes { memory.poke(KernelHelperPage.address, $0) }
    }

    /// AT_PHDR: PT_PHDR's address if present, else where the loaded segment holding the
    /// header table puts it, else (headers outside every segment) the kernel's fallback of
    /// the first segment's start plus e_phoff.
    static func programHeaderAddress(_ elf: ELFFile, bias: UInt32) -> UInt32 {
        if let p = elf.programHeaders.first(where: { $0.type == ELFConstants.PT_PHDR }) {
            return p.vaddr &+ bias
        }
        let phoff = elf.header.phoff
        for s in elf.loadSegments where phoff >= s.offset && UInt64(phoff) < UInt64(s.offset) + UInt64(s.filesz) {
            return s.vaddr &+ (phoff - s.offset) &+ bias
        }
        let first = elf.loadSegments.first
        return (first.map { $0.vaddr &- $0.offset } ?? 0) &+ phoff &+ bias
    }

    /// Maps each PT_LOAD of `file` at its address plus `bias`: whole file pages from the file
    /// descriptor, the bss tail of the last file page zeroed, anonymous pages beyond. A page
    /// shared with the previous segment is filled by copying instead and gets both segments'
    /// permissions.
    func mapSegments(_ file: OpenELFFile, bias: UInt32) throws(LoadError) -> LoadedImage {
        let pageSize = UInt64(AddressSpace.pageSize)
        let mask = pageSize - 1
        let path = file.elf.path
        var lowest = UInt64.max, highest: UInt64 = 0
        var previous: (endPage: UInt64, protection: Protection)?
        for s in file.elf.loadSegments {
            let start = UInt64(s.vaddr &+ bias)     // bias may wrap: it moves low addresses down too
            let fileEnd = start + UInt64(s.filesz)
            let memEnd = start + UInt64(s.memsz)
            guard memEnd <= UInt64(1) << 32 else {
                throw .noSpace(path: path, what: "segment at \(LoadText.hex(s.vaddr)) moved by \(LoadText.hex(bias)) runs past 4 GiB")
            }
            let prot = s.protection
            var page = start & ~mask
            lowest = min(lowest, page)
            func fail(_ at: UInt64, _ e: Int32) -> LoadError { .mapFailed(path: path, address: UInt32(at), errno: -e) }

            // A first page shared with the previous segment: copy this segment's bytes into it.
            if let prev = previous, page < prev.endPage {
                let pageEnd = page + pageSize
                let copyEnd = min(fileEnd, pageEnd)
                if copyEnd > start {
                    let bytes = try file.read(UInt64(s.offset), Int(copyEnd - start))
                    guard bytes.count == Int(copyEnd - start) else {
                        throw .truncated(path: path, what: "the end of the segment at \(LoadText.hex(s.vaddr)) (the file shrank while loading)")
                    }
                    bytes.withUnsafeBytes { memory.poke(UInt32(start), $0) }
                }
                let zeroStart = max(start, fileEnd), zeroEnd = min(memEnd, pageEnd)
                if zeroEnd > zeroStart { zero(zeroStart, zeroEnd - zeroStart) }
                let e = memory.protect(UInt32(page), length: UInt32(pageSize), protection: prot.union(prev.protection))
                guard e == 0 else { throw fail(page, e) }
                page = pageEnd
            }
            // Whole pages from the file.
            let filePagesEnd = (fileEnd + mask) & ~mask
            if fileEnd > page {
                let offset = Int64(s.offset) + Int64(page) - Int64(start)
                let e = memory.map(UInt32(page), length: UInt32(filePagesEnd - page), protection: prot,
                                   fd: file.fd, offset: offset)
                guard e == 0 else { throw fail(page, e) }
                // Zero the rest of the last file page when the segment has a bss.
                if memEnd > fileEnd && fileEnd & mask != 0 {
                    zero(fileEnd, filePagesEnd - fileEnd)
                }
                page = filePagesEnd
            }
            // Anonymous zero pages for the rest of the bss.
            let memPagesEnd = (memEnd + mask) & ~mask
            if memPagesEnd > page {
                let e = memory.map(UInt32(page), length: UInt32(memPagesEnd - page), protection: prot)
                guard e == 0 else { throw fail(page, e) }
            }
            highest = max(highest, memPagesEnd)
            // A segment ending inside the page it shares keeps that page's combined permissions.
            if let prev = previous, start & ~mask < prev.endPage, memPagesEnd <= prev.endPage {
                previous = (memPagesEnd, prot.union(prev.protection))
            } else {
                previous = (memPagesEnd, prot)
            }
        }
        let endAddress = UInt32(truncatingIfNeeded: highest)   // < 2^32: below the stack
        return LoadedImage(path: path, bias: bias, start: UInt32(truncatingIfNeeded: lowest),
                           end: endAddress, entry: file.elf.header.entry &+ bias)
    }

    private func zero(_ address: UInt64, _ count: UInt64) {
        guard count > 0 else { return }
        [UInt8](repeating: 0, count: Int(count)).withUnsafeBytes { memory.poke(UInt32(address), $0) }
    }

    /// Finds the ELF interpreter `name` (PT_INTERP of `program`) on the host.
    ///
    /// With a sysroot: `sysroot + name`, resolving symbolic links inside the sysroot (an
    /// absolute link target is taken relative to the sysroot), then — for merged-/usr
    /// sysroots unpacked from Debian packages — `sysroot/usr + name`. Without one: `name` on
    /// the host as-is, then the same two inside /usr/arm-linux-gnueabi. A relative `name` is
    /// relative to the current directory, as for the kernel.
    func resolveInterpreter(_ name: String, program: String) throws(LoadError) -> String {
        var searched: [String] = []
        func inRoot(_ root: String) -> String? {
            let trimmed = root.hasSuffix("/") && root.count > 1 ? String(root.dropLast()) : root
            var candidates = [name]
            if !name.hasPrefix("/usr/") { candidates.append("/usr" + name) }
            for c in candidates {
                searched.append(trimmed + c)
                if let found = LinuxProcess.resolveInside(root: trimmed, path: c) { return found }
            }
            return nil
        }
        if !name.hasPrefix("/") {
            searched.append(name)
            if LinuxProcess.isRegularFile(name) { return name }
            throw .missingInterpreter(program: program, interpreter: name, searched: searched, sysroot: options.sysroot)
        }
        if let root = options.sysroot, !root.isEmpty {
            if let found = inRoot(root) { return found }
        } else {
            searched.append(name)
            if LinuxProcess.isRegularFile(name) { return name }
            if let found = inRoot(LoaderLayout.defaultSysroot) { return found }
        }
        let sysroot = options.sysroot.flatMap { $0.isEmpty ? nil : $0 }
        throw .missingInterpreter(program: program, interpreter: name, searched: searched, sysroot: sysroot)
    }

    static func isRegularFile(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && st.st_mode & S_IFMT == S_IFREG
    }

    /// The host path of `path` inside `root` with every symbolic link resolved as if `root`
    /// were `/`, or nil when it does not name a regular file there.
    static func resolveInside(root: String, path: String) -> String? {
        var pending = path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        var resolved: [String] = []
        var links = 0
        while !pending.isEmpty {
            let c = pending.removeFirst()
            if c == "." { continue }
            if c == ".." { if !resolved.isEmpty { resolved.removeLast() }; continue }
            let host = root + "/" + (resolved + [c]).joined(separator: "/")
            var st = stat()
            guard lstat(host, &st) == 0 else { return nil }
            if st.st_mode & S_IFMT == S_IFLNK {
                links += 1
                guard links <= 40 else { return nil }      // ELOOP
                var buf = [CChar](repeating: 0, count: 4097)
                let n = readlink(host, &buf, 4096)
                guard n > 0 else { return nil }
                let target = String(decoding: buf[..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
                let parts = target.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
                if target.hasPrefix("/") { resolved = [] }
                pending = parts + pending
            } else {
                resolved.append(c)
            }
        }
        let host = root + "/" + resolved.joined(separator: "/")
        return isRegularFile(host) ? host : nil
    }

    /// The canonical absolute path (what /proc/self/exe shows).
    static func absoluteRealPath(_ path: String) -> String {
        if let r = realpath(path, nil) {
            defer { free(r) }
            return String(cString: r)
        }
        if path.hasPrefix("/") { return path }
        var buf = [CChar](repeating: 0, count: 4097)
        guard getcwd(&buf, 4096) != nil else { return path }
        return String(cString: buf) + "/" + path
    }
}
