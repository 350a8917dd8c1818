#if canImport(Glibc)
import Glibc
#endif
import ARM
import CZstd
import JIT
import Lifter

/// Compiled code kept on disk between runs, so that a second run of a program starts hot.
///
/// One file per program (by the hash of its bytes) and translator fingerprint (see
/// `JITCompiler.fingerprint`) holds the objects code generation produced, each with the regions
/// it defines: entry symbol, the guest instruction words compiled, and the link slots of its
/// exits. Nothing in an object depends on the process that made it (issue 4's rule for compiled
/// code), so another run links it as is. A region is used only when the guest's code at its
/// addresses is, word for word, what was compiled: the cache is a hint, never trusted.
///
/// File: "ISOCODE1", the payload's size and hash (u64s, little-endian), then the payload as one
/// zstd frame. Payload: the fingerprint, then objects (see `encode`). Quick code is kept too
/// (and compiled again in full in the run where it turns hot), as the run that made it may
/// have ended before compiling it in full. A file that does not parse
/// or whose payload does not match the hash is reported in one line and ignored (a damaged
/// object must never reach the linker and run); saving replaces it.
public final class CodeCache {
    public struct CachedBlock: Sendable {
        public let start: UInt32
        public let words: [UInt32]
    }

    public struct CachedRegion: Sendable {
        public let symbol: String
        public let checksAccesses: Bool
        /// Quick code (see `JITCompiler.Quality`): used where no full code is cached, and
        /// compiled again in full when it turns out hot.
        public let quick: Bool
        public let blocks: [CachedBlock]
        /// The code at its exits the compiled code relies on (`Region.exitCode`).
        public let exitCode: [CachedBlock]
        public let links: [(symbol: String, target: UInt32)]
        public var start: UInt32 { blocks[0].start }
        /// The guest code compiled and how (two regions with equal identities do the same).
        var identity: [UInt32] {
            [checksAccesses ? 1 : 0, UInt32(blocks.count)] + (blocks + exitCode).flatMap { [$0.start, UInt32($0.words.count)] + $0.words }
        }
        public var ranges: [Range<UInt64>] {
            (blocks + exitCode).map { UInt64($0.start)..<(UInt64($0.start) + UInt64($0.words.count * 4)) }
        }
    }

    /// An object and the regions it defines; linked into the JIT when one of them is first used.
    final class CachedObject {
        let bytes: [UInt8]
        let regions: [CachedRegion]
        enum State { case unlinked, linked, failed }
        var state = State.unlinked
        init(bytes: [UInt8], regions: [CachedRegion]) { self.bytes = bytes; self.regions = regions }
    }

    static let magic = Array("ISOCODE1".utf8)
    /// Payloads beyond this are refused when reading (a corrupt size) and trimmed, oldest
    /// objects first, when writing.
    static let maxPayload = 64 << 20

    public let path: String
    let fingerprint: String
    private var objects: [CachedObject] = []
    /// Regions by entry pc: (object index, region index).
    private var byStart: [UInt32: [(object: Int, region: Int)]] = [:]
    /// Objects compiled in this run (with the regions installed from them), for `save`.
    private var recorded: [(object: CompiledObject, regions: [CachedRegion])] = []
    public private(set) var objectsLinked = 0
    public private(set) var regionsSaved = 0

    /// The cache file for `program` in `directory`, read if it exists. Nil when the program
    /// cannot be read (the run then reports that itself).
    public init?(directory: String, program: String, fingerprint: String) {
        guard let programBytes = CodeCache.readFile(program, limit: Int.max) else { return nil }
        self.fingerprint = fingerprint
        path = directory + "/" + CodeCache.hexHash(programBytes) + "-" + CodeCache.hexHash(Array(fingerprint.utf8)) + ".isoc"
        switch CodeCache.load(path, fingerprint: fingerprint) {
        case .success(let loaded): objects = loaded
        case .failure(let error): CodeCache.warn("ignoring the corrupt code cache \(path) (\(error.reason))")
        }
        for (o, object) in objects.enumerated() {
            for (r, region) in object.regions.enumerated() { byStart[region.start, default: []].append((o, r)) }
        }
    }

    /// The default directory: $ISOMORPH_CACHE_DIR, else $XDG_CACHE_HOME/isomorph, else
    /// $HOME/.cache/isomorph; nil when none is set.
    public static var defaultDirectory: String? {
        func variable(_ name: String) -> String? {
            guard let v = getenv(name) else { return nil }
            let s = String(cString: v)
            return s.isEmpty ? nil : s
        }
        if let dir = variable("ISOMORPH_CACHE_DIR") { return dir }
        if let xdg = variable("XDG_CACHE_HOME") { return xdg + "/isomorph" }
        if let home = variable("HOME") { return home + "/.cache/isomorph" }
        return nil
    }

    public var regionCount: Int { objects.reduce(0) { $0 + $1.regions.count } }

    /// Whether some cached region is entered at `pc`.
    public func hasRegions(at pc: UInt32) -> Bool { byStart[pc] != nil }

    /// The cached regions entered at `pc`, with what is needed to link them; fully optimised
    /// code first.
    func candidates(at pc: UInt32) -> [(object: CachedObject, region: CachedRegion)] {
        let all = (byStart[pc] ?? []).map { (object: objects[$0.object], region: objects[$0.object].regions[$0.region]) }
        return all.filter { !$0.region.quick } + all.filter { $0.region.quick }
    }

    /// Finds a cached region entered at `pc` that `accepts` (the caller checks the guest code
    /// and the access checking), links its object if needed and returns its compiled code.
    public func lookUp(_ pc: UInt32, compiler: JITCompiler,
                       accepts: (CachedRegion) -> Bool) -> (region: CachedRegion, compiled: JITCompiler.Compiled)? {
        for (object, region) in candidates(at: pc) where object.state != .failed && accepts(region) {
            if object.state == .unlinked {
                if let error = compiler.link(cached: object.bytes) {
                    object.state = .failed
                    CodeCache.warn("a cached object in \(path) does not link (\(error)); its code is compiled again")
                    continue
                }
                object.state = .linked
                objectsLinked += 1
            }
            if case .success(let compiled) = compiler.lookUp(region.symbol, region.links, start: pc, countsUses: region.quick) {
                return (region, compiled)
            }
        }
        return nil
    }

    /// Notes a region compiled and installed in this run, for `save`.
    public func record(_ compiled: JITCompiler.Compiled, _ region: Region) {
        guard let object = compiled.object else { return }
        let cached = CachedRegion(symbol: compiled.symbol, checksAccesses: region.checksAccesses, quick: compiled.useCount != nil,
                                  blocks: region.blocks.map { CachedBlock(start: $0.start, words: $0.instructions.map(\.word)) },
                                  exitCode: region.exitCode.map { CachedBlock(start: $0.start, words: $0.instructions.map(\.word)) },
                                  links: compiled.linkSymbols)
        if let index = recorded.lastIndex(where: { $0.object === object }) {
            recorded[index].regions.append(cached)
        } else {
            recorded.append((object, [cached]))
        }
    }

    /// A forked child saves only what it compiles itself.
    public func forgetRecorded() { recorded.removeAll() }

    /// Adds the objects compiled in this run to the file, merged with what other runs stored
    /// meanwhile (under a lock, written to a temporary file and renamed, so readers never see
    /// half a file). Failures become a warning; the run goes on.
    public func save() {
        guard !recorded.isEmpty else { return }
        defer { recorded.removeAll() }
        let lockPath = path + ".lock"
        let lock = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard lock >= 0 else { return CodeCache.warn("cannot write the code cache \(lockPath): \(String(cString: strerror(errno)))") }
        defer { close(lock) }
        flock(lock, LOCK_EX)
        var merged: [(bytes: [UInt8], regions: [CachedRegion])] = []
        if case .success(let existing) = CodeCache.load(path, fingerprint: fingerprint) {
            merged = existing.map { ($0.bytes, $0.regions) }
        }
        let known = Set(merged.flatMap { $0.regions.map(\.symbol) })
        for (object, regions) in recorded where !regions.contains(where: { known.contains($0.symbol) }) {
            merged.append((object.bytes, regions))
        }
        // Quick code whose full compilation is here too is never used again: dropped (and an
        // object left without regions with it).
        let full = Set(merged.flatMap { $0.regions.filter { !$0.quick }.map(\.identity) })
        merged = merged.map { ($0.bytes, $0.regions.filter { !$0.quick || !full.contains($0.identity) }) }
            .filter { !$0.regions.isEmpty }
        var payload = CodeCache.encode(fingerprint: fingerprint, objects: merged)
        while payload.count > CodeCache.maxPayload && merged.count > 1 {
            merged.removeFirst(max(1, merged.count / 4))
            payload = CodeCache.encode(fingerprint: fingerprint, objects: merged)
        }
        var file = CodeCache.magic
        withUnsafeBytes(of: UInt64(payload.count).littleEndian) { file += $0 }
        withUnsafeBytes(of: CodeCache.hash(payload).littleEndian) { file += $0 }
        var compressed = [UInt8](repeating: 0, count: ZSTD_compressBound(payload.count))
        let size = ZSTD_compress(&compressed, compressed.count, payload, payload.count, 3)
        if ZSTD_isError(size) != 0 { return CodeCache.warn("cannot compress the code cache: \(String(cString: ZSTD_getErrorName(size)))") }
        file += compressed.prefix(size)
        let temporary = path + ".\(getpid()).tmp"
        guard CodeCache.writeFile(temporary, file) else {
            unlink(temporary)
            return CodeCache.warn("cannot write the code cache \(temporary): \(String(cString: strerror(errno)))")
        }
        if rename(temporary, path) != 0 {
            unlink(temporary)
            return CodeCache.warn("cannot write the code cache \(path): \(String(cString: strerror(errno)))")
        }
        regionsSaved += recorded.reduce(0) { $0 + $1.regions.count }
    }

    /// A problem with the cache costs speed, never the run: one line on stderr.
    public static func warn(_ text: String) { fputs("isomorph: warning: \(text)\n", stderr) }

    /// Creates `directory` (and its parents) readable by the user only; nil on success, else why not.
    public static func makeDirectory(_ directory: String) -> String? {
        var prefix = directory.hasPrefix("/") ? "" : "."
        for part in directory.split(separator: "/") {
            prefix += "/" + part
            if mkdir(prefix, 0o700) != 0 && errno != EEXIST {
                return "cannot create the code cache directory \(prefix): \(String(cString: strerror(errno)))"
            }
        }
        var info = stat()
        guard stat(directory, &info) == 0, info.st_mode & S_IFMT == S_IFDIR else {
            return "the code cache directory \(directory) is not a directory"
        }
        return nil
    }

    // MARK: Format

    struct FormatError: Error { let reason: String }

    /// The objects in the file at `path`: none when there is no file or it was made under
    /// another fingerprint (a hash collision), a reason when it is corrupt.
    static func load(_ path: String, fingerprint: String) -> Result<[CachedObject], FormatError> {
        guard let file = readFile(path, limit: maxPayload + 24) else {
            return errno == ENOENT ? .success([]) : .failure(FormatError(reason: String(cString: strerror(errno))))
        }
        guard file.count >= 24, Array(file.prefix(8)) == magic else { return .failure(FormatError(reason: "not a code cache file")) }
        func u64(at offset: Int) -> UInt64 { file[offset..<offset + 8].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) } }
        let size = u64(at: 8)
        guard size <= UInt64(maxPayload) else { return .failure(FormatError(reason: "payload of \(size) bytes")) }
        var payload = [UInt8](repeating: 0, count: Int(size))
        let produced = file.withUnsafeBufferPointer { all in
            ZSTD_decompress(&payload, payload.count, all.baseAddress! + 24, all.count - 24)
        }
        if ZSTD_isError(produced) != 0 {
            return .failure(FormatError(reason: "zstd: \(String(cString: ZSTD_getErrorName(produced)))"))
        }
        guard produced == payload.count else { return .failure(FormatError(reason: "payload is \(produced) bytes, not \(size)")) }
        guard hash(payload) == u64(at: 16) else { return .failure(FormatError(reason: "the payload does not match its hash")) }
        do {
            return .success(try decode(payload, fingerprint: fingerprint))
        } catch {
            return .failure(error)
        }
    }

    static func encode(fingerprint: String, objects: [(bytes: [UInt8], regions: [CachedRegion])]) -> [UInt8] {
        var out: [UInt8] = []
        func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { out += $0 } }
        func bytes(_ b: [UInt8]) { u32(UInt32(b.count)); out += b }
        func string(_ s: String) { bytes(Array(s.utf8)) }
        string(fingerprint)
        u32(UInt32(objects.count))
        for (object, regions) in objects {
            bytes(object)
            u32(UInt32(regions.count))
            for region in regions {
                string(region.symbol)
                out.append((region.checksAccesses ? 1 : 0) | (region.quick ? 2 : 0))
                for blocks in [region.blocks, region.exitCode] {
                    u32(UInt32(blocks.count))
                    for block in blocks {
                        u32(block.start)
                        u32(UInt32(block.words.count))
                        for word in block.words { u32(word) }
                    }
                }
                u32(UInt32(region.links.count))
                for (symbol, target) in region.links {
                    string(symbol)
                    u32(target)
                }
            }
        }
        return out
    }

    static func decode(_ payload: [UInt8], fingerprint: String) throws(FormatError) -> [CachedObject] {
        var reader = Reader(data: payload)
        guard try reader.string() == fingerprint else { return [] }
        var objects: [CachedObject] = []
        for _ in 0..<(try reader.count()) {
            let bytes = try reader.bytes()
            var regions: [CachedRegion] = []
            for _ in 0..<(try reader.count()) {
                let symbol = try reader.string()
                let flags = try reader.byte()
                let checksAccesses = flags & 1 != 0, quick = flags & 2 != 0
                func readBlocks() throws(FormatError) -> [CachedBlock] {
                    var blocks: [CachedBlock] = []
                    for _ in 0..<(try reader.count()) {
                        let start = try reader.u32()
                        var words: [UInt32] = []
                        for _ in 0..<(try reader.count()) { words.append(try reader.u32()) }
                        guard !words.isEmpty, start & 3 == 0 else { throw FormatError(reason: "a malformed block at 0x\(String(start, radix: 16))") }
                        blocks.append(CachedBlock(start: start, words: words))
                    }
                    return blocks
                }
                let blocks = try readBlocks()
                guard !blocks.isEmpty else { throw FormatError(reason: "a region without blocks") }
                let exitCode = try readBlocks()
                var links: [(symbol: String, target: UInt32)] = []
                for _ in 0..<(try reader.count()) { links.append((try reader.string(), try reader.u32())) }
                regions.append(CachedRegion(symbol: symbol, checksAccesses: checksAccesses, quick: quick, blocks: blocks,
                                            exitCode: exitCode, links: links))
            }
            objects.append(CachedObject(bytes: bytes, regions: regions))
        }
        guard reader.offset == payload.count else { throw FormatError(reason: "trailing bytes") }
        return objects
    }

    /// Reads the payload, every length checked against what is left.
    struct Reader {
        let data: [UInt8]
        var offset = 0

        mutating func byte() throws(FormatError) -> UInt8 {
            guard offset < data.count else { throw FormatError(reason: "truncated") }
            defer { offset += 1 }
            return data[offset]
        }

        mutating func u32() throws(FormatError) -> UInt32 {
            guard data.count - offset >= 4 else { throw FormatError(reason: "truncated") }
            defer { offset += 4 }
            return UInt32(data[offset]) | UInt32(data[offset + 1]) << 8 | UInt32(data[offset + 2]) << 16 | UInt32(data[offset + 3]) << 24
        }

        /// A count of things that take at least a byte each: more than the bytes left is corrupt.
        mutating func count() throws(FormatError) -> Int {
            let n = Int(try u32())
            guard n <= data.count - offset else { throw FormatError(reason: "a count of \(n) past the end") }
            return n
        }

        mutating func bytes() throws(FormatError) -> [UInt8] {
            let n = try count()
            defer { offset += n }
            return Array(data[offset..<offset + n])
        }

        mutating func string() throws(FormatError) -> String {
            String(decoding: try bytes(), as: UTF8.self)
        }
    }

    // MARK: Files

    /// The file's bytes, or nil (errno set) when it cannot be read or is larger than `limit`.
    static func readFile(_ path: String, limit: Int) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { return nil }
        guard info.st_size <= limit else { errno = EFBIG; return nil }
        var bytes = [UInt8](repeating: 0, count: Int(info.st_size))
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress! + done, $0.count - done) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { return n == 0 ? Array(bytes.prefix(done)) : nil }
            done += n
        }
        return bytes
    }

    static func writeFile(_ path: String, _ bytes: [UInt8]) -> Bool {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { return false }
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + done, $0.count - done) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { close(fd); return false }
            done += n
        }
        return close(fd) == 0
    }

    /// FNV-1a-like, 64 bits: names files and catches damage, not tampering (the cache directory
    /// is the user's alone, see `makeDirectory`).
    /// Eight bytes a step (a program's file is hashed at every start), then the rest bytewise.
    static func hash(_ bytes: [UInt8]) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        bytes.withUnsafeBytes { raw in
            let words = raw.count / 8
            for i in 0..<words {
                hash = (hash ^ raw.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self)) &* 0x0000_0100_0000_01b3
            }
            for byte in raw[(words * 8)...] { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
        }
        return hash
    }

    /// `hash` as 16 hex digits.
    static func hexHash(_ bytes: [UInt8]) -> String {
        let digits = String(hash(bytes), radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}
