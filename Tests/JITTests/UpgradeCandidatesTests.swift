import XCTest
import Lifter
import JIT

final class UpgradeCandidatesTests: XCTestCase {
    private var counters: [UnsafeMutablePointer<UInt64>] = []
    override func tearDown() {
        counters.forEach { $0.deallocate() }
        counters = []
    }

    /// Candidates whose counters start at `uses`, for regions starting at 0x1000, 0x2000, ...
    private func candidates(_ uses: [UInt64]) -> UpgradeCandidates {
        var c = UpgradeCandidates()
        for (index, count) in uses.enumerated() {
            let counter = UnsafeMutablePointer<UInt64>.allocate(capacity: 1)
            counter.initialize(to: count)
            counters.append(counter)
            let start = UInt32(index + 1) << 12
            c.add(Region(blocks: [Region.Block(start: start, instructions: [])]), epoch: 0, uses: counter)
        }
        return c
    }

    private func starts(_ taken: [UpgradeCandidates.Candidate]) -> [UInt32] { taken.map(\.region.start) }

    func testTheBusiestNowComeFirstNotTheMostUsedInAll() {
        var c = candidates([50_000, 3_000, 100])
        XCTAssertEqual(starts(c.takeBusiest(0, usedAtLeast: 2_000).taken), [])
        // The program moves on: 0x2000 and 0x3000 run 2,000 blocks between looks, 0x1000 (the
        // most used in all) no more. Its busyness halves at each look (50,000, 25,000, ...).
        for _ in 0..<3 {
            counters[1].pointee += 2_000
            counters[2].pointee += 2_000
            XCTAssertEqual(starts(c.takeBusiest(0, usedAtLeast: 2_000).taken), [])
        }
        counters[1].pointee += 2_000
        counters[2].pointee += 2_000
        let look = c.takeBusiest(2, usedAtLeast: 2_000)
        XCTAssertEqual(starts(look.taken), [0x2000, 0x3000], "busiest now first (3,937 and 3,756 against 3,125)")
        XCTAssertEqual(look.totalUses, 50_000 + 11_000 + 8_100)
        XCTAssertEqual(starts(c.takeBusiest(2, usedAtLeast: 2_000).taken), [0x1000])
    }

    func testOnlyCodeUsedEnoughIsTaken() {
        var c = candidates([1_999, 2_000])
        XCTAssertEqual(starts(c.takeBusiest(2, usedAtLeast: 2_000).taken), [0x2000])
        counters[0].pointee += 1
        XCTAssertEqual(starts(c.takeBusiest(2, usedAtLeast: 2_000).taken), [0x1000])
    }

    func testCodeThatStoppedRunningDropsOut() {
        var c = candidates([10_000])
        _ = c.takeBusiest(0, usedAtLeast: 1)
        // Busyness halves at each look without use, to nothing.
        for _ in 0..<20 { _ = c.takeBusiest(0, usedAtLeast: 1) }
        XCTAssertTrue(c.takeBusiest(1, usedAtLeast: 1).taken.isEmpty)
        XCTAssertFalse(c.isEmpty, "still a candidate")
        counters[0].pointee += 1
        XCTAssertEqual(starts(c.takeBusiest(1, usedAtLeast: 1).taken), [0x1000], "running again")
        XCTAssertTrue(c.isEmpty)
    }
}
