import Lifter

/// Guest pc -> compiled code. A direct-mapped table in front of a dictionary makes the
/// dispatcher's lookup a load and a compare; a per-page index serves invalidation.
public final class TranslationCache {
    struct Entry {
        /// The guest code compiled into `function`, as [start, end) ranges.
        let ranges: [Range<UInt64>]
        let function: CompiledCode
    }

    /// The direct-mapped table, shared with compiled code (see `DispatchTable`).
    public let table = DispatchTable()
    private var entries: [UInt32: Entry] = [:]
    private var byPage: [UInt32: [UInt32]] = [:]
    /// Link slots of compiled exits, by the pc they jump to: that pc's code while it has some,
    /// else `unchained`.
    private var slotsByTarget: [UInt32: [UnsafeMutablePointer<UnsafeRawPointer?>]] = [:]
    /// The unchained exit (see `CompiledCodeABI.unchainedSymbol`), known once code is inserted.
    private var unchained: CompiledCode?
    public private(set) var invalidations = 0
    public private(set) var linkedExits = 0

    public init() {}

    public var count: Int { entries.count }

    /// The compiled code for pc. Interpreted code asks this before every block, so a pc whose
    /// table slot has never held compiled code is answered without touching the dictionary.
    @inline(__always)
    public func lookup(_ pc: UInt32) -> CompiledCode? {
        if let f = table[pc] { return f }
        if table.neverUsed(pc) { return nil }
        guard let e = entries[pc] else { return nil }
        table[pc] = e.function
        return e.function
    }

    /// Enters `function`, the code for the region entered at `start` and compiled from the
    /// guest code in `ranges`; links its exits and the exits of others that lead to `start`.
    /// An exit whose target has no code is linked to `unchained` (the JIT's, see
    /// `CompiledCodeABI.unchainedSymbol`), before the code can run: full code tail-calls its
    /// slot unchecked.
    public func insert(start: UInt32, ranges: [Range<UInt64>], function: CompiledCode,
                       links: [(slot: UnsafeMutablePointer<UnsafeRawPointer?>, target: UInt32)] = [],
                       unchained: CompiledCode) {
        self.unchained = unchained
        entries[start] = Entry(ranges: ranges, function: function)
        for slot in slotsByTarget[start] ?? [] { slot.pointee = function }
        for (slot, target) in links {
            slotsByTarget[target, default: []].append(slot)
            slot.pointee = entries[target]?.function ?? unchained
            linkedExits += 1
        }
        var pages: Set<UInt32> = []
        for range in ranges where !range.isEmpty {
            for page in UInt32(range.lowerBound >> 12)...UInt32((range.upperBound - 1) >> 12) { pages.insert(page) }
        }
        for page in pages { byPage[page, default: []].append(start) }
        table[start] = function
    }

    /// Forgets all compiled code.
    public func invalidateAll() {
        for start in entries.keys {
            for slot in slotsByTarget[start] ?? [] { slot.pointee = unchained }
            table.remove(start)
            invalidations += 1
        }
        entries.removeAll()
        byPage.removeAll()
    }

    /// Forgets compiled code overlapping [address, address + length). The host code itself
    /// stays mapped: a region may be running while it is invalidated (it exits at its next
    /// store to a code page).
    public func invalidate(_ address: UInt32, _ length: UInt32) {
        guard length > 0 else { return }
        let end = UInt64(address) + UInt64(length)
        var page = address >> 12
        let last = UInt32((end - 1) >> 12)
        while true {
            if let starts = byPage[page] {
                var kept: [UInt32] = []
                for start in starts {
                    guard let e = entries[start] else { continue }
                    if e.ranges.contains(where: { $0.overlaps(UInt64(address)..<end) }) {
                        entries[start] = nil
                        for slot in slotsByTarget[start] ?? [] { slot.pointee = unchained }
                        table.remove(start)
                        invalidations += 1
                    } else {
                        kept.append(start)
                    }
                }
                byPage[page] = kept.isEmpty ? nil : kept
            }
            if page == last { break }
            page += 1
        }
    }
}

/// pc -> compiled code, direct-mapped, in memory compiled code reads: entry i (16 bytes) holds
/// a guest pc (or an odd key: see `neverUsedKey`) and the function's address. Compiled code looks up
/// the targets of indirect branches (returns, computed jumps) here and tail-calls on a hit.
public final class DispatchTable {
    public static let entries = DispatchTableLayout.entries
    public static let entrySize = DispatchTableLayout.entrySize
    public let base: UnsafeMutableRawPointer

    init() {
        base = .allocate(byteCount: DispatchTable.entries * DispatchTable.entrySize, alignment: 16)
        for i in 0..<DispatchTable.entries {
            base.storeBytes(of: DispatchTable.neverUsedKey, toByteOffset: i * DispatchTable.entrySize, as: UInt32.self)
            base.storeBytes(of: nil as UnsafeRawPointer?, toByteOffset: i * DispatchTable.entrySize + 8, as: UnsafeRawPointer?.self)
        }
    }

    deinit { base.deallocate() }

    @inline(__always)
    static func offset(_ pc: UInt32) -> Int { Int((pc >> 2) & UInt32(entries - 1)) * entrySize }

    /// Keys that are not guest pcs (those are even): an entry that never held code, and one
    /// whose code was removed (its pc's code may then still be in the cache's dictionary).
    static let neverUsedKey: UInt32 = 1
    static let removedKey: UInt32 = 3

    /// Whether no compiled code was ever entered in pc's slot (so pc has none).
    @inline(__always)
    func neverUsed(_ pc: UInt32) -> Bool {
        base.load(fromByteOffset: DispatchTable.offset(pc), as: UInt32.self) == DispatchTable.neverUsedKey
    }

    subscript(pc: UInt32) -> CompiledCode? {
        get {
            let o = DispatchTable.offset(pc)
            guard base.load(fromByteOffset: o, as: UInt32.self) == pc,
                  let f = base.load(fromByteOffset: o + 8, as: UnsafeRawPointer?.self) else { return nil }
            return f
        }
        set {
            let o = DispatchTable.offset(pc)
            base.storeBytes(of: newValue == nil ? DispatchTable.removedKey : pc, toByteOffset: o, as: UInt32.self)
            base.storeBytes(of: newValue, toByteOffset: o + 8,
                            as: UnsafeRawPointer?.self)
        }
    }

    func remove(_ pc: UInt32) {
        if self[pc] != nil { self[pc] = nil }
    }
}
