import Lifter

/// Guest pc -> compiled code. A direct-mapped table in front of a dictionary makes the
/// dispatcher's lookup a load and a compare; a per-page index serves invalidation.
public final class TranslationCache {
    struct Entry {
        let start: UInt32
        let end: UInt32
        let function: CompiledFunction
    }

    private static let fastSize = 1 << 14
    private var fastKeys = ContiguousArray<UInt32>(repeating: 1, count: TranslationCache.fastSize)  // 1: no pc is odd
    private var fastFunctions = ContiguousArray<CompiledFunction?>(repeating: nil, count: TranslationCache.fastSize)
    private var entries: [UInt32: Entry] = [:]
    private var byPage: [UInt32: [UInt32]] = [:]
    /// Link slots of compiled exits, by the pc they jump to: set while that pc is compiled.
    private var slotsByTarget: [UInt32: [UnsafeMutablePointer<UnsafeRawPointer?>]] = [:]
    public private(set) var invalidations = 0
    public private(set) var linkedExits = 0

    public init() {}

    public var count: Int { entries.count }

    @inline(__always)
    public func lookup(_ pc: UInt32) -> CompiledFunction? {
        let slot = Int((pc >> 2) & UInt32(TranslationCache.fastSize - 1))
        if fastKeys[slot] == pc { return fastFunctions[slot] }
        guard let e = entries[pc] else { return nil }
        fastKeys[slot] = pc
        fastFunctions[slot] = e.function
        return e.function
    }

    public func insert(start: UInt32, end: UInt32, function: CompiledFunction,
                       links: [(slot: UnsafeMutablePointer<UnsafeRawPointer?>, target: UInt32)] = []) {
        entries[start] = Entry(start: start, end: end, function: function)
        for slot in slotsByTarget[start] ?? [] { slot.pointee = unsafeBitCast(function, to: UnsafeRawPointer.self) }
        for (slot, target) in links {
            slotsByTarget[target, default: []].append(slot)
            slot.pointee = entries[target].map { unsafeBitCast($0.function, to: UnsafeRawPointer.self) }
            linkedExits += 1
        }
        var page = start >> 12
        while true {
            byPage[page, default: []].append(start)
            if page == (end &- 1) >> 12 { break }
            page += 1
        }
        let slot = Int((start >> 2) & UInt32(TranslationCache.fastSize - 1))
        fastKeys[slot] = 1
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
                    if UInt64(e.start) < end && UInt64(e.end) > UInt64(address) {
                        entries[start] = nil
                        for slot in slotsByTarget[start] ?? [] { slot.pointee = nil }
                        let slot = Int((start >> 2) & UInt32(TranslationCache.fastSize - 1))
                        if fastKeys[slot] == start { fastKeys[slot] = 1 }
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
