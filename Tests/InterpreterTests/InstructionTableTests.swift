import Foundation
import XCTest

/// Runs the instruction tables on the interpreter (see TableHarness.swift for the format).
/// A missing arm-linux-gnueabi-as fails these tests rather than skipping them.
final class InstructionTableTests: XCTestCase {
    func testDataProcessing() throws { try runTable(dataProcessingTable) }
    func testConditions() throws { try runTable(conditionTable) }
    func testMultiplyAndDivide() throws { try runTable(multiplyTable) }
    func testSaturation() throws { try runTable(saturationTable) }
    func testParallelAddSubtract() throws { try runTable(parallelTable) }
    func testPackingExtensionBitFields() throws { try runTable(packingTable) }
    func testLoadsAndStores() throws { try runTable(loadStoreTable) }
    func testBranchesAndSystem() throws { try runTable(branchSystemTable) }
    func testStops() throws { try runTable(stopTable) }

    static let allTables = dataProcessingTable + conditionTable + multiplyTable + saturationTable + parallelTable
        + packingTable + loadStoreTable + branchSystemTable + stopTable

    /// Checks the tables' expectations themselves against qemu-arm: slow-ish and needs qemu-user
    /// and the cross linker, so it runs when ISOMORPH_QEMU_ORACLE=1 (do so after editing a table).
    func testTablesAgreeWithQemu() throws {
        guard ProcessInfo.processInfo.environment["ISOMORPH_QEMU_ORACLE"] == "1" else {
            throw XCTSkip("set ISOMORPH_QEMU_ORACLE=1 to check the tables against qemu-arm")
        }
        try QemuOracle.check(Self.allTables)
    }
}
