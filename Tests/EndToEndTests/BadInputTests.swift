import Foundation
import XCTest

/// Each BadInputTable case: non-zero exit, exactly one line on stderr, no Swift runtime crash
/// ("Fatal error", backtrace), not killed by a signal, and within the time limit.
final class BadInputTests: EndToEndTestCase {
    func testBadInputsAreRefusedWithOneLine() throws {
        guard requirePrerequisites(needQemu: false) else { return }
        for c in BadInputTable.all {
            let dir = try EndToEnd.freshDirectory("bad-input")
            defer { try? FileManager.default.removeItem(at: dir) }
            let arguments: [String]
            do {
                arguments = try c.arguments(dir)
            } catch {
                XCTFail("[\(c.name)] cannot make the fixture: \(error)")
                continue
            }
            let result: RunResult
            do {
                result = try runProcess(EndToEnd.isomorph!, arguments, environment: EndToEnd.baseEnvironment,
                                        directory: dir, timeout: 30)
            } catch {
                XCTFail("[\(c.name)] \(error)")
                continue
            }
            let tag = "[\(c.name)] isomorph \(arguments.joined(separator: " "))"
            if result.timedOut {
                XCTFail("\(tag): timed out")
                continue
            }
            XCTAssertNotEqual(result.status, 0, "\(tag): should fail, but exited 0; stdout: \(clip(result.stdoutText, 300))")
            XCTAssertLessThan(result.status, 128, "\(tag): killed by a signal (status \(result.status)) instead of exiting with an error: \(clip(result.stderrText, 1000))")
            let stderr = result.stderrText
            XCTAssertFalse(stderr.contains("Fatal error"), "\(tag): Swift runtime failure: \(clip(stderr, 1500))")
            XCTAssertFalse(stderr.contains("Current stack trace") || stderr.contains("Stack dump") || stderr.contains("backtrace"),
                           "\(tag): backtrace on stderr: \(clip(stderr, 1500))")
            let lines = stderr.split(separator: "\n", omittingEmptySubsequences: false)
            let oneLine = lines.count == 2 && lines[1].isEmpty && !lines[0].trimmingCharacters(in: .whitespaces).isEmpty
            XCTAssertTrue(oneLine, "\(tag): stderr should be exactly one non-empty line ending in a newline, got \(lines.count - (lines.last?.isEmpty == true ? 1 : 0)) line(s): \(clip(stderr, 1500))")
        }
    }

    /// The fixtures themselves are what they claim (so a passing test means something).
    func testFixturesAreWhatTheyClaim() throws {
        guard requirePrerequisites(needQemu: false) else { return }
        func header(_ path: String) throws -> [UInt8] {
            [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)).prefix(52))
        }
        let thumb = try header(EndToEnd.buildDir.appendingPathComponent("bad/thumb_entry").path)
        let entry = UInt32(thumb[24]) | UInt32(thumb[25]) << 8 | UInt32(thumb[26]) << 16 | UInt32(thumb[27]) << 24
        XCTAssertEqual(entry & 1, 1, "thumb_entry's entry point should have the Thumb bit set")
        let big = try header(EndToEnd.buildDir.appendingPathComponent("bad/bigendian").path)
        XCTAssertEqual(big[5], 2, "bigendian should be ELFDATA2MSB")
        XCTAssertEqual(Array(big[18...19]), [0, 40], "bigendian should be EM_ARM (big-endian field)")
        let rel = try header(EndToEnd.buildDir.appendingPathComponent("bad/relocatable.o").path)
        XCTAssertEqual(rel[16], 1, "relocatable.o should be ET_REL")
        let hello = try header(BadInputTable.hello.path)
        XCTAssertEqual(Array(hello[0..<6]), [0x7f, 0x45, 0x4c, 0x46, 1, 1], "hello.static.v5 should be ELF32 LSB")
        XCTAssertEqual(Array(hello[18...19]), [40, 0], "hello.static.v5 should be EM_ARM")
    }
}
