import XCTest
final class PlaceholderARMTests: XCTestCase { func testBuilds() { XCTAssertTrue(true) } }
