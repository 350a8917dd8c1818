/// SplitMix64: a small seeded generator, so every sequence is reproducible from (seed, index).
public struct SplitMix64: RandomNumberGenerator, Sendable {
    public var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// The generator of sequence `index` of a run with `seed`: independent of every other index.
    public init(seed: UInt64, index: Int) {
        var mixer = SplitMix64(seed: seed ^ (UInt64(bitPattern: Int64(index)) &* 0xD1B5_4A32_D192_ED03))
        state = mixer.next()
    }

    public mutating func below(_ n: Int) -> Int { Int.random(in: 0..<n, using: &self) }
    public mutating func chance(_ p: Double) -> Bool { Double.random(in: 0..<1, using: &self) < p }
    public mutating func word() -> UInt32 { UInt32(truncatingIfNeeded: next()) }
    public mutating func pick<T>(_ xs: [T]) -> T { xs[below(xs.count)] }

    /// A value of `width` bits biased towards the cases where implementations have edges:
    /// zero, all ones, one bit set, the top bit, small numbers.
    public mutating func field(width: Int) -> UInt32 {
        let ones: UInt32 = width >= 32 ? .max : (1 << UInt32(width)) - 1
        switch below(10) {
        case 0: return 0
        case 1: return ones
        case 2: return 1 << UInt32(below(width))
        case 3: return UInt32.random(in: 0...min(ones, 7), using: &self)
        case 4: return ones ^ (1 << UInt32(below(width)))
        default: return UInt32.random(in: 0...ones, using: &self)
        }
    }

    /// A 32-bit register value with the same bias, plus sign-boundary values.
    public mutating func registerValue() -> UInt32 {
        switch below(12) {
        case 0: return 0
        case 1: return 0xFFFF_FFFF
        case 2: return 0x8000_0000
        case 3: return 0x7FFF_FFFF
        case 4: return UInt32.random(in: 0...16, using: &self)
        case 5: return 0 &- UInt32.random(in: 1...16, using: &self)
        case 6: return 1 << UInt32(below(32))
        case 7: return UInt32(below(0x10000)) * (chance(0.5) ? 0x10001 : 1)
        case 8: return pick([0x8000_0000, 0x8000_0001, 0xFFFF_FFFE, 31, 32, 33, 63, 64, 255, 256, 257, 0x7FFF, 0x8000, 0xFFFF, 0x1_0000])
        default: return word()
        }
    }
}
