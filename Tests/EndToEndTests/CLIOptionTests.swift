import Foundation
import XCTest

/// The `isomorph run` options that have no qemu-arm twin in the guest table: --strace,
/// --stats-json, and the basic --help/--version behaviour.
final class CLIOptionTests: EndToEndTestCase {
    private var hello: String { EndToEnd.buildDir.appendingPathComponent("hello.static.v5").path }

    func testStraceGoesToStderrAndLeavesStdoutAlone() throws {
        guard requirePrerequisites(needQemu: false) else { return }
        let r = try isomorph(["run", "--strace", hello])
        XCTAssertEqual(r.status, 0, r.summary)
        XCTAssertEqual(r.stdoutText, "Hello, world!\n")
        XCTAssertTrue(r.stderrText.contains("write"), "--strace should log the write syscall: \(clip(r.stderrText, 1000))")
        XCTAssertTrue(r.stderrText.contains("exit"), "--strace should log exit_group: \(clip(r.stderrText, 1000))")
    }

    func testStatsJSONIsWrittenAndRecordsTheExitStatus() throws {
        guard requirePrerequisites(needQemu: false) else { return }
        let dir = try EndToEnd.freshDirectory("stats")
        let statsFile = dir.appendingPathComponent("stats.json")
        let exit42 = EndToEnd.buildDir.appendingPathComponent("exit42.static.v5").path
        let r = try isomorph(["run", "--stats-json", statsFile.path, exit42])
        XCTAssertEqual(r.status, 42, r.summary)
        XCTAssertEqual(r.stdoutText, "exiting with 42\n")
        let data = try Data(contentsOf: statsFile)
        let object = try JSONSerialization.jsonObject(with: data)
        guard let stats = object as? [String: Any] else {
            XCTFail("--stats-json should write a JSON object, got: \(String(decoding: data, as: UTF8.self))")
            return
        }
        if let status = stats["exit_status"] as? Int {
            XCTAssertEqual(status, 42, "exit_status in the statistics")
        }
    }

    func testHelpAndVersionSucceed() throws {
        guard requirePrerequisites(needQemu: false) else { return }
        let help = try isomorph(["run", "--help"])
        XCTAssertEqual(help.status, 0, help.summary)
        XCTAssertTrue(help.stdoutText.contains("-L"), "run --help should document -L")
        let version = try isomorph(["--version"])
        XCTAssertEqual(version.status, 0, version.summary)
        XCTAssertTrue(version.stdoutText.contains("isomorph"), "--version: \(version.stdoutText)")
    }
}
