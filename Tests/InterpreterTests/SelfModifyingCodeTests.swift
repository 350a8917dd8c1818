import Foundation
import XCTest
import ARM
import Interpreter
import Memory

/// Self-modifying code: a guest store over decoded code must make the new instruction run
/// (the interpreter forgets decoded blocks when code pages are written). Code is loaded at
/// 0x10000 in read-write-execute pages.
final class SelfModifyingCodeTests: XCTestCase {
    func machine(_ source: String) throws -> GuestMachine {
        let code = try Tools.assemble(Tools.assemblerPrologue + source)
        let m = try GuestMachine(code: code, protection: .rwx)
        try m.prepare(StateSpec(), start: Guest.codeBase)
        return m
    }

    /// A store over a later instruction of the block being executed.
    func testStoreOverLaterInstructionOfSameBlock() throws {
        let m = try machine("""
            ldr r1, newinsn
            adr r2, target
            str r1, [r2]
        target:
            mov r0, #1
            svc #0
        newinsn:
            mov r0, #2
        """)
        XCTAssertEqual(m.run(), .supervisorCall(0))
        XCTAssertEqual(m.cpu.pointee[0], 2)
    }

    /// A store over a block that already ran (and is cached), then a call to it.
    func testStoreOverPreviouslyExecutedBlock() throws {
        let m = try machine("""
            bl func
            mov r4, r0
            ldr r1, newinsn
            adr r2, func
            str r1, [r2]
            bl func
            svc #0
        func:
            mov r0, #1
            bx lr
        newinsn:
            mov r0, #2
        """)
        XCTAssertEqual(m.run(), .supervisorCall(0))
        XCTAssertEqual(m.cpu.pointee[4], 1, "first call runs the original code")
        XCTAssertEqual(m.cpu.pointee[0], 2, "second call runs the stored instruction")
        XCTAssertGreaterThan(m.interpreter.invalidations, 0)
    }

    /// A plain data store to a page that holds decoded code, made by code on another page, must
    /// not stop later stores to that page from invalidating its blocks.
    func testDataStoreToCodePageThenCodeStore() throws {
        let m = try machine("""
        start:
            adr r5, start
            bl func
            mov r4, r0
            ldr r2, dataOffset
            str r4, [r2, r5]
            ldr r1, newinsn
            ldr r2, funcOffset
            str r1, [r2, r5]
            bl func
            svc #0
        newinsn:
            mov r0, #2
        dataOffset:
            .word data - start
        funcOffset:
            .word func - start
            .org 0x1000
        func:
            mov r0, #1
            bx lr
            .org 0x1100
        data:
            .word 0
        """)
        XCTAssertEqual(m.run(), .supervisorCall(0))
        XCTAssertEqual(m.cpu.pointee[4], 1, "first call runs the original code")
        XCTAssertEqual(m.cpu.pointee[0], 2, "second call runs the stored instruction")
    }

    /// A loop that patches its own body each iteration: `add r0, r0, #1` becomes `add r0, r0, #2`.
    func testLoopPatchingItsOwnBody() throws {
        let m = try machine("""
            mov r3, #3
            ldr r1, newinsn
            adr r2, body
        loop:
        body:
            add r0, r0, #1
            str r1, [r2]
            subs r3, r3, #1
            bne loop
            svc #0
        newinsn:
            add r0, r0, #2
        """)
        m.cpu.pointee[0] = 0
        XCTAssertEqual(m.run(), .supervisorCall(0))
        XCTAssertEqual(m.cpu.pointee[0], 1 + 2 + 2)
    }
}
