import Foundation
import XCTest
import ARM
import Interpreter
import Memory

/// The interpreter's decoded blocks: where they end, how they are found again, the block budget.
final class BlockCacheTests: XCTestCase {
    func machine(_ source: String, protection: Protection = .rx) throws -> GuestMachine {
        let code = try Tools.assemble(Tools.assemblerPrologue + source)
        let m = try GuestMachine(code: code, protection: protection)
        try m.prepare(StateSpec(), start: Guest.codeBase)
        return m
    }

    /// Straight-line code running off the end of the executable mapping: the instructions before
    /// the end run, then fetching the next page faults with pc there.
    func testRunningOffTheEndOfCode() throws {
        let m = try machine("""
            .org 0xff8
            mov r0, #1
            mov r1, #2
        """)
        m.cpu.pointee.pc = Guest.codeBase + 0xff8
        XCTAssertEqual(m.run(), .fetchFault(MemoryFault(address: Guest.codeBase + 0x1000, isWrite: false, isPermission: false)))
        XCTAssertEqual(m.cpu.pointee[0], 1)
        XCTAssertEqual(m.cpu.pointee[1], 2)
        XCTAssertEqual(m.cpu.pointee.pc, Guest.codeBase + 0x1000)
    }

    /// Jumping into a mapped page without execute permission is a permission fetch fault.
    func testFetchFromNonExecutablePage() throws {
        let m = try machine("    bx r1\n")
        m.cpu.pointee[1] = 0x20000
        XCTAssertEqual(m.run(), .fetchFault(MemoryFault(address: 0x20000, isWrite: false, isPermission: true)))
        XCTAssertEqual(m.cpu.pointee.pc, 0x20000)
    }

    /// Two blocks 32 KiB apart share a slot of the lookup table; calling them alternately must
    /// always run the right one.
    func testBlocksSharingALookupSlot() throws {
        let m = try machine("""
            mov r0, #0
            mov r2, #3
        loop:
            bl near
            bl far
            subs r2, r2, #1
            bne loop
            svc #0
            .org 0x100
        near:
            add r0, r0, #1
            bx lr
            .org 0x8100
        far:
            add r0, r0, #16
            bx lr
        """)
        XCTAssertEqual(m.run(), .supervisorCall(0))
        XCTAssertEqual(m.cpu.pointee[0], 3 * 17)
        // Running it again reuses the cached blocks and gives the same answer.
        m.cpu.pointee.pc = Guest.codeBase
        let decoded = m.interpreter.blocksDecoded
        XCTAssertEqual(m.run(), .supervisorCall(0))
        XCTAssertEqual(m.cpu.pointee[0], 3 * 17)
        XCTAssertEqual(m.interpreter.blocksDecoded, decoded, "no block is decoded twice")
    }

    /// The block budget: an endless loop returns .budgetExhausted with pc at the loop.
    func testBudgetExhausted() throws {
        let m = try machine("1:  b 1b\n")
        XCTAssertEqual(m.interpreter.run(m.cpu, maxBlocks: 5), .budgetExhausted)
        XCTAssertEqual(m.cpu.pointee.pc, Guest.codeBase)
        XCTAssertEqual(m.interpreter.instructionCount, 5)
    }
}
