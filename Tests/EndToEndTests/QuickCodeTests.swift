import Foundation
import XCTest

/// Quick code counts its uses, which decide what is compiled again in full.
final class QuickCodeTests: EndToEndTestCase {
    /// A use is an entry or a loop iteration, not a guest block: asm_loop runs 100000
    /// iterations of a three-block loop body (counting blocks gave twice as many). So for
    /// LLVM's quick code and for baseline code alike.
    func testQuickCodeCountsEntriesAndLoopIterations() throws {
        guard requirePrerequisites(needQemu: false) else { return }
        for firstTier in ["llvm", "baseline"] {
            let stats = try EndToEnd.freshDirectory("quick-uses").appendingPathComponent("stats.json")
            let program = EndToEnd.buildDir.appendingPathComponent("asm_loop.static.v5").path
            // Synchronous: the loop region is compiled when its first block turns hot (150 runs, the default threshold),
            // and quick code runs the remaining iterations; never upgraded.
            let r = try isomorph(["run", "--tier", "jit", "--jit-sync", "--no-cache", "--jit-upgrade-after", String(1 << 40),
                                  "--jit-first-tier", firstTier, "--stats-json", stats.path, program])
            XCTAssertEqual(r.status, 0, r.summary)
            XCTAssertEqual(r.stdoutText, "sum (expect 000249f0)=000249f0\n")
            let object = try JSONSerialization.jsonObject(with: Data(contentsOf: stats)) as? [String: Any]
            let jit = object?["jit"] as? [String: Any] ?? [:]
            XCTAssertEqual(jit[firstTier == "llvm" ? "regions_compiled_quick" : "regions_compiled_baseline"] as? Int, 1, "\(jit)")
            let uses = jit["quick_code_uses"] as? Int ?? 0
            XCTAssertGreaterThanOrEqual(uses, 99_000, "the iterations after the first 150: \(jit)")
            XCTAssertLessThanOrEqual(uses, 100_010, "one per iteration and entry: \(jit)")
            if firstTier == "baseline" {
                // Compiled on the guest's thread at once: no wait, no LLVM.
                XCTAssertGreaterThan(jit["baseline_compile_seconds"] as? Double ?? 0, 0, "\(jit)")
                XCTAssertEqual(jit["llvm_compile_seconds"] as? Double, 0, "\(jit)")
                XCTAssertEqual(jit["compile_wait_seconds"] as? Double, 0, "\(jit)")
                continue
            }
            // The guest waited for its one region while it compiled (on its own thread here): at
            // least the compile's CPU time, and that one wait is the longest.
            let wait = jit["compile_wait_seconds"] as? Double ?? 0
            XCTAssertGreaterThanOrEqual(wait, jit["llvm_compile_seconds"] as? Double ?? .infinity, "\(jit)")
            XCTAssertGreaterThan(wait, 0, "\(jit)")
            XCTAssertEqual(jit["compile_wait_max_seconds"] as? Double, wait, "\(jit)")
        }
    }
}
