import Foundation
import XCTest

/// Every guest in GuestTable, every built variant, under qemu-arm and `isomorph run`:
/// stdout and exit status must match (see GuestTable for the details per case).
/// One test per group so a failure names its area and `swift test --parallel` can spread them.
///
/// Environment knobs: ISOMORPH_E2E_FILTER=substring of "name.variant" to run a subset,
/// ISOMORPH_E2E_TIMEOUT=seconds per run (default 60), ISOMORPH_E2E_VERBOSE=1 for timings,
/// ISOMORPH_BIN=path to test another isomorph binary.
final class GuestProgramTests: EndToEndTestCase {
    private func check(_ group: GuestCase.Group, file: StaticString = #filePath, line: UInt = #line) {
        guard requirePrerequisites(file: file, line: line) else { return }
        GuestChecker(file: file, line: line).checkAll(GuestTable.cases(in: group))
    }

    func testBasics() { check(.basics) }
    func testLibc() { check(.libc) }
    func testFiles() { check(.files) }
    func testSystem() { check(.system) }
    func testMemory() { check(.memory) }
    func testSignals() { check(.signals) }
    func testProcesses() { check(.processes) }
    func testAssembly() { check(.assembly) }

    /// The interpreter tier named explicitly, on one variant of each case (ARMv5TE static,
    /// or the only variant of an assembly guest).
    func testInterpreterTier() {
        guard requirePrerequisites() else { return }
        GuestChecker(isomorphOptions: ["--tier", "interp"], file: #filePath, line: #line)
            .checkAll(GuestTable.all) { c in
                let all = GuestVariant.variants(of: c.name)
                return all.first { $0.variant == "static.v5" }.map { [$0] } ?? Array(all.prefix(1))
            }
    }

    /// The JIT tier with every block compiled before it first runs again (threshold 1,
    /// synchronous compilation), on one variant of each case: compiled code really runs.
    /// Without the code cache, so this run compiles it all; LLVM's quick code first, replaced by
    /// full code as soon as it has run (upgrade after 1 block), so both run on every case.
    func testJITTierCompilingEverything() {
        guard requirePrerequisites() else { return }
        GuestChecker(isomorphOptions: ["--tier", "jit", "--jit-threshold", "1", "--jit-sync", "--no-cache", "--jit-upgrade-after", "1",
                                       "--jit-first-tier", "llvm"],
                     file: #filePath, line: #line)
            .checkAll(GuestTable.all) { c in
                let all = GuestVariant.variants(of: c.name)
                return all.first { $0.variant == "static.v7" }.map { [$0] } ?? Array(all.prefix(1))
            }
    }

    /// The same with the baseline compiler's code only (never upgraded), on another variant.
    func testBaselineTierCompilingEverything() {
        guard requirePrerequisites() else { return }
        GuestChecker(isomorphOptions: ["--tier", "jit", "--jit-threshold", "1", "--jit-sync", "--no-cache",
                                       "--jit-upgrade-after", String(1 << 40), "--jit-first-tier", "baseline"],
                     file: #filePath, line: #line)
            .checkAll(GuestTable.all) { c in
                let all = GuestVariant.variants(of: c.name)
                return all.first { $0.variant == "static.v5" }.map { [$0] } ?? Array(all.prefix(1))
            }
    }

    /// Compiled code from the on-disk cache: every case run twice with one cache directory
    /// and everything compiled (in full at once), on one variant of each case; the second pass
    /// runs code compiled by the first (and by earlier cases of the same program), which must
    /// behave the same, self-modifying and generated code included.
    func testJITTierFromTheCodeCache() throws {
        guard requirePrerequisites() else { return }
        let cache = try EndToEnd.freshDirectory("code-cache")
        let checker = GuestChecker(isomorphOptions: ["--tier", "jit", "--jit-threshold", "1", "--jit-sync", "--jit-upgrade-after", "0",
                                                     "--cache-dir", cache.path],
                                   file: #filePath, line: #line)
        for _ in 0..<2 {
            checker.checkAll(GuestTable.all) { c in
                let all = GuestVariant.variants(of: c.name)
                return all.first { $0.variant == "static.v5" }.map { [$0] } ?? Array(all.prefix(1))
            }
        }
    }

    /// The JIT tier as users get it: background compilation at the default threshold.
    func testJITTierDefaults() {
        guard requirePrerequisites() else { return }
        GuestChecker(isomorphOptions: ["--tier", "jit"], file: #filePath, line: #line)
            .checkAll(GuestTable.all) { c in
                let all = GuestVariant.variants(of: c.name)
                return all.first { $0.variant == "dynamic.v5" }.map { [$0] } ?? Array(all.prefix(1))
            }
    }

    /// Every program in guests/c and guests/asm has a line in the table, and every line names
    /// a program that exists, so no guest is silently left out.
    func testTableCoversEveryGuest() throws {
        let fm = FileManager.default
        var sources: Set<String> = []
        for (dir, ext) in [("c", ".c"), ("asm", ".S")] {
            let path = EndToEnd.guestsDir.appendingPathComponent(dir).path
            for file in try fm.contentsOfDirectory(atPath: path) where file.hasSuffix(ext) {
                sources.insert(String(file.dropLast(ext.count)))
            }
        }
        let tabled = Set(GuestTable.all.map(\.name))
        for missing in sources.subtracting(tabled).sorted() {
            XCTFail("guest \(missing) has no entry in GuestTable")
        }
        for unknown in tabled.subtracting(sources).sorted() {
            XCTFail("GuestTable names \(unknown), which is not in guests/c or guests/asm")
        }
        let groups = Set(GuestTable.all.map(\.group))
        XCTAssertEqual(groups, Set(GuestCase.Group.allCases), "every group should have cases")
    }
}
