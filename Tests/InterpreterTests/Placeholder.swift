import XCTest
final class PlaceholderInterpreterTests: XCTestCase { func testBuilds() { XCTAssertTrue(true) } }
