import Foundation
import XCTest
import ARM
import Engine
@testable import DiffTest

/// Replays every regression case under Corpus/ (mismatches found by isomorph-difftest, with
/// the final state qemu-arm produced, corrected by `ExclusionRules.qemuDeviations`) on
/// Isomorph, without qemu-arm: on the interpreter in-process, and on every tier through the
/// `isomorph` executable next to the test bundle (which also runs the Linux layer's signal
/// delivery). Re-record a case after a harness layout change with
/// `isomorph-difftest --rerecord FILE`.
final class CorpusReplayTests: XCTestCase {
    static let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Corpus")

    func cases() throws -> [(name: String, regression: RegressionCase)] {
        try FileManager.default.contentsOfDirectory(at: Self.corpus, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "case" }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
            .map { ($0.lastPathComponent, try RegressionCase(parsing: String(contentsOf: $0, encoding: .utf8))) }
    }

    func check(_ name: String, _ c: RegressionCase, _ result: RunResult, _ runner: String) {
        guard let state = result.state(0) else {
            return XCTFail("\(name) on \(runner): no final state; the run ended with \(result.termination)")
        }
        let diff = c.expected.differences(from: state)
        XCTAssertEqual(diff, [], "\(name) on \(runner): differs in \(diff.joined(separator: ", "))\n"
                       + "expected \(registersText(c.expected.registers)) apsr=\(hex(c.expected.apsr)) checksum=\(hex(c.expected.checksum)) signal=\(c.expected.signal)\n"
                       + "got      \(registersText(state.registers)) apsr=\(hex(state.apsr)) checksum=\(hex(state.checksum)) signal=\(state.signal)")
    }

    func testCorpusParses() throws {
        XCTAssertFalse(try cases().isEmpty, "no .case files in \(Self.corpus.path)")
    }

    func testEveryCaseOnTheInterpreterInProcess() throws {
        for (name, c) in try cases() {
            check(name, c, try InProcessInterpreterRunner().run(c.build().image, elfPath: ""), "the in-process interpreter")
        }
    }

    func testEveryCaseOnEveryTier() throws {
        guard let isomorph = SmokeRunTests.isomorph else {
            return XCTFail("no isomorph executable next to the test bundle (build it, or set ISOMORPH_BIN)")
        }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("isomorph-corpus-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        for (name, c) in try cases() {
            let image = c.build().image
            let path = dir.appendingPathComponent(name + ".elf").path
            try Data(image.elf()).write(to: URL(fileURLWithPath: path))
            for tier in Tier.allCases.map(\.rawValue) {
                let runner = ProcessRunner.isomorph(path: isomorph, tier: tier, extra: DiffTestOptions().tierArguments[tier] ?? [])
                check(name, c, try runner.run(image, elfPath: path), runner.name)
            }
        }
    }
}
