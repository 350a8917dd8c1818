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
    /// and the cross linker (both installed by .ci/run; missing ones fail the test).
    func testTablesAgreeWithQemu() throws {
        try QemuOracle.check(Self.allTables)
    }
}
