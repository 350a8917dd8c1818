import Foundation
import XCTest

/// The on-disk code cache: a second run uses the code the first compiled, a damaged cache
/// costs a warning and never the run, and the options that steer it.
final class CodeCacheTests: EndToEndTestCase {
    private func guest(_ name: String) -> String { EndToEnd.buildDir.appendingPathComponent(name).path }

    /// Runs `program` compiling everything (in full, unless `upgradeAfter` asks for quick code
    /// first, by `firstTier`), with the cache in `cache`; returns the result and its JIT statistics.
    private func run(_ program: String, cache: URL, upgradeAfter: UInt64 = 0, firstTier: String = "llvm", _ arguments: [String] = [],
                     file: StaticString = #filePath, line: UInt = #line) throws -> (RunResult, [String: Any]) {
        let stats = try EndToEnd.freshDirectory("cache-stats").appendingPathComponent("stats.json")
        let r = try isomorph(["run", "--tier", "jit", "--jit-threshold", "1", "--jit-sync", "--cache-dir", cache.path,
                              "--jit-upgrade-after", String(upgradeAfter), "--jit-first-tier", firstTier,
                              "--stats-json", stats.path] + [program] + arguments,
                             file: file, line: line)
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: stats)) as? [String: Any]
        return (r, object?["jit"] as? [String: Any] ?? [:])
    }

    private func cacheFiles(_ cache: URL) throws -> [URL] {
        try FileManager.default.contentsOfDirectory(at: cache, includingPropertiesForKeys: nil).filter { $0.pathExtension == "isoc" }
    }

    func testSecondRunUsesTheCodeTheFirstCompiled() throws {
        guard requirePrerequisites(needQemu: false) else { return }
        let cache = try EndToEnd.freshDirectory("cache")
        let (first, firstStats) = try run(guest("hello.static.v7"), cache: cache)
        XCTAssertEqual(first.status, 0, first.summary)
        XCTAssertEqual(first.stdoutText, "Hello, world!\n")
        XCTAssertGreaterThan(firstStats["blocks_compiled"] as? Int ?? 0, 0, "\(firstStats)")
        XCTAssertEqual(firstStats["regions_from_cache"] as? Int, 0, "\(firstStats)")
        XCTAssertEqual(firstStats["regions_saved_to_cache"] as? Int, firstStats["blocks_compiled"] as? Int, "\(firstStats)")
        XCTAssertEqual(try cacheFiles(cache).count, 1, "one cache file for the program")

        let (second, secondStats) = try run(guest("hello.static.v7"), cache: cache)
        XCTAssertEqual(second.status, 0, second.summary)
        XCTAssertEqual(second.stdoutText, "Hello, world!\n")
        XCTAssertEqual(second.stderrText, "", "no warnings from a sound cache")
        XCTAssertEqual(secondStats["blocks_compiled"] as? Int, 0, "everything came from the cache: \(secondStats)")
        XCTAssertEqual(secondStats["regions_from_cache"] as? Int, firstStats["blocks_compiled"] as? Int, "\(secondStats)")
        XCTAssertGreaterThan(secondStats["cached_objects_linked"] as? Int ?? 0, 0, "\(secondStats)")
        XCTAssertEqual(secondStats["regions_saved_to_cache"] as? Int, 0, "nothing new to save: \(secondStats)")
    }

    /// Quick code is kept too; a later run compiles the part that turns hot in full and keeps
    /// that, and the run after prefers it.
    func testQuickCodeIsKeptAndCompiledInFullWhenHot() throws {
        guard requirePrerequisites(needQemu: false) else { return }
        let cache = try EndToEnd.freshDirectory("cache-quick")
        let program = guest("cpu_heavy.static.v7")
        let (first, firstStats) = try run(program, cache: cache, upgradeAfter: 1 << 40, ["1"])
        XCTAssertEqual(first.status, 0, first.summary)
        let compiled = firstStats["blocks_compiled"] as? Int ?? 0
        XCTAssertGreaterThan(compiled, 0, "\(firstStats)")
        XCTAssertEqual(firstStats["regions_compiled_quick"] as? Int, compiled, "all quick: \(firstStats)")
        XCTAssertEqual(firstStats["regions_upgraded"] as? Int, 0, "none used 2^40 times: \(firstStats)")
        XCTAssertEqual(firstStats["regions_saved_to_cache"] as? Int, compiled, "quick code is kept: \(firstStats)")
        let quickUses = firstStats["quick_code_uses"] as? Int ?? 0
        XCTAssertGreaterThan(quickUses, 0, "\(firstStats)")

        let (second, secondStats) = try run(program, cache: cache, upgradeAfter: 1000, ["1"])
        XCTAssertEqual(second.status, 0, second.summary)
        XCTAssertEqual(second.stdoutText, first.stdoutText)
        XCTAssertEqual(secondStats["regions_from_cache"] as? Int, compiled, "\(secondStats)")
        // The guest's path through its code can differ a little between runs of different
        // builds (seen: libc's strchr word loop entered as a region of its own in the second
        // run only): a few regions may be new.
        let new = secondStats["blocks_compiled"] as? Int ?? .max
        XCTAssertLessThanOrEqual(new, compiled / 20, "\(secondStats)")
        let upgraded = secondStats["regions_upgraded"] as? Int ?? 0
        XCTAssertGreaterThan(upgraded, 0, "the hot loops are compiled in full: \(secondStats)")
        XCTAssertLessThan(upgraded, compiled, "only what was used 1000 times: \(secondStats)")
        XCTAssertEqual(secondStats["regions_saved_to_cache"] as? Int, upgraded + new, "\(secondStats)")

        let (third, thirdStats) = try run(program, cache: cache, upgradeAfter: 1000, ["1"])
        XCTAssertEqual(third.status, 0, third.summary)
        XCTAssertEqual(third.stdoutText, first.stdoutText)
        XCTAssertEqual(thirdStats["blocks_compiled"] as? Int, 0, "\(thirdStats)")
        XCTAssertEqual(thirdStats["regions_upgraded"] as? Int, 0, "the full code came from the cache: \(thirdStats)")
        XCTAssertLessThan(thirdStats["quick_code_uses"] as? Int ?? .max, quickUses / 10,
                          "the hot loops ran in full code: \(thirdStats)")
        XCTAssertEqual(thirdStats["regions_saved_to_cache"] as? Int, 0, "\(thirdStats)")
    }

    /// Baseline code is not kept (compiling it again costs less than reading it), but its
    /// upgrades are, and a later run uses them and compiles the rest with the baseline compiler.
    func testBaselineCodeIsNotKeptButItsUpgradesAre() throws {
        guard requirePrerequisites(needQemu: false) else { return }
        let cache = try EndToEnd.freshDirectory("cache-baseline")
        let program = guest("cpu_heavy.static.v7")
        let (first, firstStats) = try run(program, cache: cache, upgradeAfter: 1000, firstTier: "baseline", ["1"])
        XCTAssertEqual(first.status, 0, first.summary)
        let compiled = firstStats["blocks_compiled"] as? Int ?? 0
        XCTAssertGreaterThan(compiled, 0, "\(firstStats)")
        XCTAssertEqual(firstStats["regions_compiled_baseline"] as? Int, compiled, "all baseline: \(firstStats)")
        XCTAssertEqual(firstStats["regions_compiled_quick"] as? Int, 0, "\(firstStats)")
        let upgraded = firstStats["regions_upgraded"] as? Int ?? 0
        XCTAssertGreaterThan(upgraded, 0, "the hot loops are compiled in full: \(firstStats)")
        XCTAssertLessThan(upgraded, compiled, "only what was used 1000 times: \(firstStats)")
        XCTAssertEqual(firstStats["regions_saved_to_cache"] as? Int, upgraded, "only the upgrades are kept: \(firstStats)")

        let (second, secondStats) = try run(program, cache: cache, upgradeAfter: 1000, firstTier: "baseline", ["1"])
        XCTAssertEqual(second.status, 0, second.summary)
        XCTAssertEqual(second.stdoutText, first.stdoutText)
        XCTAssertEqual(secondStats["regions_from_cache"] as? Int, upgraded, "\(secondStats)")
        XCTAssertGreaterThan(secondStats["regions_compiled_baseline"] as? Int ?? 0, 0, "the rest: \(secondStats)")
        XCTAssertLessThan(secondStats["quick_code_uses"] as? Int ?? .max, (firstStats["quick_code_uses"] as? Int ?? 0) / 2,
                          "the hot loops ran in full code: \(secondStats)")
    }

    /// Without --jit-sync the compile thread makes LLVM's compiler while the guest starts
    /// interpreting (a short process never waits for it); the cached code is installed once it
    /// is ready, well within a run of this length.
    func testBackgroundRunInstallsCachedCodeOnceTheCompilerIsReady() throws {
        guard requirePrerequisites(needQemu: false) else { return }
        let cache = try EndToEnd.freshDirectory("cache-background")
        let program = guest("cpu_heavy.static.v7")
        let (first, firstStats) = try run(program, cache: cache, ["10"])
        XCTAssertEqual(first.status, 0, first.summary)
        XCTAssertGreaterThan(firstStats["regions_saved_to_cache"] as? Int ?? 0, 0, "\(firstStats)")

        let stats = try EndToEnd.freshDirectory("cache-background-stats").appendingPathComponent("stats.json")
        let second = try isomorph(["run", "--tier", "jit", "--cache-dir", cache.path, "--stats-json", stats.path, program, "10"])
        XCTAssertEqual(second.status, 0, second.summary)
        XCTAssertEqual(second.stdoutText, first.stdoutText)
        XCTAssertEqual(second.stderrText, "", "no warnings from a sound cache")
        let secondStats = try JSONSerialization.jsonObject(with: Data(contentsOf: stats)) as? [String: Any]
        let jit = secondStats?["jit"] as? [String: Any] ?? [:]
        XCTAssertGreaterThan(jit["regions_from_cache"] as? Int ?? 0, 0, "\(jit)")
    }

    /// The program whose code changes is not given the old code: asm_smc rewrites its own
    /// instructions, so the cached regions of the rewritten code must not be used where the
    /// words differ, and the output stays the same.
    func testSelfModifyingCodeFromTheCacheBehavesTheSame() throws {
        guard requirePrerequisites(needQemu: false) else { return }
        let cache = try EndToEnd.freshDirectory("cache-smc")
        for name in ["asm_smc", "asm_jit"] {
            let program = try XCTUnwrap(GuestVariant.variants(of: name).first).path
            let (first, _) = try run(program, cache: cache)
            let (second, stats) = try run(program, cache: cache)
            XCTAssertEqual(second.status, first.status, "\(name): \(second.summary)")
            XCTAssertEqual(second.stdoutText, first.stdoutText, name)
            XCTAssertGreaterThan(stats["regions_from_cache"] as? Int ?? 0, 0, "\(name): \(stats)")
        }
    }

    /// Damage of every kind: the run warns in one line, runs correctly, and the next save
    /// replaces the file with a sound one.
    func testCorruptCacheFileIsReportedAndReplaced() throws {
        guard requirePrerequisites(needQemu: false) else { return }
        let cache = try EndToEnd.freshDirectory("cache-corrupt")
        let program = guest("hello.static.v7")
        _ = try run(program, cache: cache)
        let file = try XCTUnwrap(try cacheFiles(cache).first)
        let sound = try Data(contentsOf: file)
        var flipped = sound
        flipped[sound.count / 2] ^= 0xFF
        let damaged: [(String, Data)] = [
            ("empty", Data()),
            ("not a cache", Data("hello".utf8)),
            ("truncated", sound.prefix(sound.count / 2)),
            ("a flipped byte", flipped),
            ("a huge payload size", Data("ISOCODE1".utf8) + Data([0, 0, 0, 0, 0, 0, 0, 0x7F]) + sound.dropFirst(16)),
        ]
        for (what, bytes) in damaged {
            try bytes.write(to: file)
            let (r, stats) = try run(program, cache: cache)
            XCTAssertEqual(r.status, 0, "\(what): \(r.summary)")
            XCTAssertEqual(r.stdoutText, "Hello, world!\n", what)
            XCTAssertEqual(r.stderrLines.count, 1, "\(what): one warning line: \(r.stderrText)")
            XCTAssertTrue(r.stderrText.hasPrefix("isomorph: warning: ignoring the corrupt code cache"), "\(what): \(r.stderrText)")
            XCTAssertGreaterThan(stats["regions_saved_to_cache"] as? Int ?? 0, 0, "\(what): the file is written anew: \(stats)")
            let (again, againStats) = try run(program, cache: cache)
            XCTAssertEqual(again.stderrText, "", "\(what): the replaced file is sound")
            XCTAssertEqual(againStats["blocks_compiled"] as? Int, 0, "\(what): \(againStats)")
        }
    }

    func testUnusableCacheDirectoryIsAWarningNotAFailure() throws {
        guard requirePrerequisites(needQemu: false) else { return }
        let dir = try EndToEnd.freshDirectory("cache-file")
        let notADirectory = dir.appendingPathComponent("plain-file")
        try Data("x".utf8).write(to: notADirectory)
        let r = try isomorph(["run", "--cache-dir", notADirectory.path, guest("hello.static.v7")])
        XCTAssertEqual(r.status, 0, r.summary)
        XCTAssertEqual(r.stdoutText, "Hello, world!\n")
        XCTAssertEqual(r.stderrLines.count, 1, r.stderrText)
        XCTAssertTrue(r.stderrText.hasPrefix("isomorph: warning: "), r.stderrText)
    }

    func testNoCacheWritesNothingAndContradictsCacheDir() throws {
        guard requirePrerequisites(needQemu: false) else { return }
        let cache = try EndToEnd.freshDirectory("cache-none")
        let environment = EndToEnd.baseEnvironment.merging(["ISOMORPH_CACHE_DIR": cache.path]) { _, new in new }
        let dir = try EndToEnd.freshDirectory("cache-none-run")
        let r = try runProcess(EndToEnd.isomorph!, ["run", "--no-cache", "--jit-threshold", "1", guest("hello.static.v7")],
                               environment: environment, directory: dir, timeout: EndToEnd.defaultTimeout)
        XCTAssertEqual(r.status, 0, r.summary)
        XCTAssertEqual(try cacheFiles(cache).count, 0, "--no-cache writes no cache file")
        let withEnvironment = try runProcess(EndToEnd.isomorph!, ["run", "--jit-threshold", "1", "--jit-sync", "--jit-upgrade-after", "0",
                                                                  guest("hello.static.v7")],
                                             environment: environment, directory: dir, timeout: EndToEnd.defaultTimeout)
        XCTAssertEqual(withEnvironment.status, 0, withEnvironment.summary)
        XCTAssertEqual(try cacheFiles(cache).count, 1, "ISOMORPH_CACHE_DIR names the cache directory")
        let both = try isomorph(["run", "--no-cache", "--cache-dir", cache.path, guest("hello.static.v7")])
        XCTAssertEqual(both.status, 64, both.summary)
        XCTAssertEqual(both.stderrLines.count, 1, both.stderrText)
    }
}
