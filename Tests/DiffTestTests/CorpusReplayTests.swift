import Foundation
import XCTest
import ARM
@testable import DiffTest

/// Replays every regression case under Corpus/ (mismatches found by isomorph-difftest, with
/// the final state qemu-arm produced) on Isomorph, without qemu-arm.
final class CorpusReplayTests: XCTestCase {
    static let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Corpus")

    func caseFiles() throws -> [URL] {
        try FileManager.default.contentsOfDirectory(at: Self.corpus, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "case" }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
    }

    /// The interpreter tier, run in-process. (JIT tiers are added here as they land.)
    func testEveryCaseOnTheInterpreter() throws {
        for file in try caseFiles() {
            let c = try RegressionCase(parsing: String(contentsOf: file, encoding: .utf8))
            let result = try InProcessInterpreterRunner().run(c.build().image, elfPath: "")
            guard let state = result.state(0) else {
                XCTFail("\(file.lastPathComponent): no final state; the run ended with \(result.termination)")
                continue
            }
            let diff = c.expected.differences(from: state)
            XCTAssertEqual(diff, [], "\(file.lastPathComponent): differs in \(diff.joined(separator: ", "))\n"
                           + "expected \(registersText(c.expected.registers)) apsr=\(hex(c.expected.apsr)) checksum=\(hex(c.expected.checksum))\n"
                           + "got      \(registersText(state.registers)) apsr=\(hex(state.apsr)) checksum=\(hex(state.checksum))")
        }
    }
}
