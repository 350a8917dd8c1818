import XCTest
final class PlaceholderLinuxTests: XCTestCase { func testBuilds() { XCTAssertTrue(true) } }
