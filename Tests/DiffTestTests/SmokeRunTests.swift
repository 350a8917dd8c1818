import Foundation
import XCTest
import Engine
@testable import DiffTest

private final class BundleToken {}

/// The fixed-seed smoke run of the differential test: 2000 sequences of seed 1, covering every
/// testable encoding, run on qemu-arm and on every Isomorph tier (`Tier.allCases`) through the
/// `isomorph` executable built next to this test bundle (or ISOMORPH_BIN). Needs qemu-arm, as
/// the end-to-end tests do. ISOMORPH_DIFFTEST_COUNT / ISOMORPH_DIFFTEST_SEED change the run.
final class SmokeRunTests: XCTestCase {
    static var isomorph: String? {
        // As Tests/EndToEndTests finds it.
        let fm = FileManager.default
        if let explicit = ProcessInfo.processInfo.environment["ISOMORPH_BIN"] {
            return fm.isExecutableFile(atPath: explicit) ? explicit : nil
        }
        let bundle = Bundle(for: BundleToken.self).bundleURL
        var dirs = [bundle, bundle.deletingLastPathComponent()]
        if let argv0 = CommandLine.arguments.first { dirs.append(URL(fileURLWithPath: argv0).deletingLastPathComponent()) }
        for dir in dirs {
            let candidate = dir.appendingPathComponent("isomorph").path
            var isDir: ObjCBool = false
            if fm.fileExists(atPath: candidate, isDirectory: &isDir), !isDir.boolValue, fm.isExecutableFile(atPath: candidate) {
                return candidate
            }
        }
        return nil
    }

    func testSmokeRunAgainstQemu() throws {
        let env = ProcessInfo.processInfo.environment
        var options = DiffTestOptions()
        options.count = env["ISOMORPH_DIFFTEST_COUNT"].flatMap { Int($0) } ?? 2000
        options.seed = env["ISOMORPH_DIFFTEST_SEED"].flatMap { UInt64($0) } ?? 1
        options.tiers = Tier.allCases.map(\.rawValue)
        guard FileManager.default.isExecutableFile(atPath: options.qemuPath) else {
            return XCTFail("qemu-arm not found at \(options.qemuPath): install qemu-user (.ci/setup)")
        }
        guard let isomorph = Self.isomorph else {
            return XCTFail("no isomorph executable next to the test bundle (build it, or set ISOMORPH_BIN)")
        }
        options.isomorphPath = isomorph
        var output: [String] = []
        let result = try DiffTester(options: options, log: { print($0); output.append($0) }).run()
        XCTAssertEqual(output.last, "\(options.count) sequences, \(result.mismatches) mismatches")
        XCTAssertEqual(result.mismatches, 0, "differential test failed; reproduce with isomorph-difftest --seed \(options.seed) --count \(options.count)")
        if options.count == 2000 && options.seed == 1 {
            XCTAssertTrue(output.contains { $0.hasPrefix("coverage: \(ExclusionRules.testableEncodings.count) of \(ExclusionRules.testableEncodings.count) ") },
                          "the smoke run must cover every testable encoding")
        }
    }
}
