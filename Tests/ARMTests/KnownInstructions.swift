@testable import ARM

/// Hand-decoded instructions, one per family (fields from the ARM ARM encoding diagrams; text
/// as `arm-linux-gnueabi-objdump -d -m armv7` prints it at address 0x8000, comments dropped).
/// Fields are named as `Instruction`'s properties; Bools are 0/1, `cond` is the raw condition.
struct KnownInstruction {
    let word: UInt32
    let op: Op
    let fields: [String: Int]
    let text: String
}

let knownAddress: UInt32 = 0x8000

let knownInstructions: [KnownInstruction] = [
    // Data processing
    .init(word: 0xE3A0_0001, op: .movImm, fields: ["d": 0, "imm": 1, "setFlags": 0], text: "mov r0, #1"),
    .init(word: 0xE091_0002, op: .addReg, fields: ["d": 0, "n": 1, "m": 2, "setFlags": 1, "shiftAmount": 0], text: "adds r0, r1, r2"),
    .init(word: 0xE081_0312, op: .addRSR, fields: ["d": 0, "n": 1, "m": 2, "s": 3, "shiftType": 0], text: "add r0, r1, r2, lsl r3"),
    .init(word: 0xE1A0_1122, op: .movReg, fields: ["d": 1, "m": 2, "shiftAmount": 2, "shiftType": 1], text: "lsr r1, r2, #2"),
    .init(word: 0xE1B0_0FA1, op: .movReg, fields: ["d": 0, "m": 1, "shiftAmount": 31, "shiftType": 1, "setFlags": 1], text: "lsrs r0, r1, #31"),
    .init(word: 0xE1A0_0000, op: .movReg, fields: ["d": 0, "m": 0, "shiftAmount": 0], text: "nop"),
    .init(word: 0xE355_0000, op: .cmpImm, fields: ["n": 5, "imm": 0], text: "cmp r5, #0"),
    .init(word: 0xE24D_D008, op: .subImm, fields: ["d": 13, "n": 13, "imm": 8], text: "sub sp, sp, #8"),
    .init(word: 0xE3E0_0000, op: .mvnImm, fields: ["d": 0, "imm": 0], text: "mvn r0, #0"),
    .init(word: 0xE304_1234, op: .movw, fields: ["d": 1, "imm": 0x4234], text: "movw r1, #16948"),
    // Multiplies
    .init(word: 0xE001_0392, op: .mul, fields: ["d": 1, "n": 2, "m": 3], text: "mul r1, r2, r3"),
    .init(word: 0xE060_3291, op: .mls, fields: ["d": 0, "a": 3, "m": 2, "n": 1], text: "mls r0, r1, r2, r3"),
    .init(word: 0xE0A3_2194, op: .umlal, fields: ["d": 3, "a": 2, "m": 1, "n": 4, "setFlags": 0], text: "umlal r2, r3, r4, r1"),
    .init(word: 0xE0E5_4392, op: .smlal, fields: ["d": 5, "a": 4, "m": 3, "n": 2], text: "smlal r4, r5, r2, r3"),
    .init(word: 0xE101_43C2, op: .smlaxy, fields: ["d": 1, "a": 4, "m": 3, "n": 2, "flagN": 0, "flagM": 1], text: "smlabt r1, r2, r3, r4"),
    .init(word: 0xE710_F211, op: .sdiv, fields: ["d": 0, "m": 2, "n": 1], text: "sdiv r0, r1, r2"),
    // Saturating, parallel, packing, bit fields
    .init(word: 0xE102_1053, op: .qadd, fields: ["d": 1, "m": 3, "n": 2], text: "qadd r1, r3, r2"),
    .init(word: 0xE6E8_0211, op: .usat, fields: ["d": 0, "width": 8, "n": 1, "shiftAmount": 4, "shiftType": 0], text: "usat r0, #8, r1, lsl #4"),
    .init(word: 0xE6A0_0051, op: .ssat, fields: ["d": 0, "width": 0, "n": 1, "shiftAmount": 0, "shiftType": 1], text: "ssat r0, #1, r1, asr #0"),
    .init(word: 0xE612_0F13, op: .sadd16, fields: ["d": 0, "n": 2, "m": 3], text: "sadd16 r0, r2, r3"),
    .init(word: 0xE680_0011, op: .pkhbt, fields: ["d": 0, "n": 0, "m": 1, "shiftAmount": 0], text: "pkhbt r0, r0, r1"),
    .init(word: 0xE6EF_1072, op: .uxtb, fields: ["d": 1, "m": 2, "rotation": 0], text: "uxtb r1, r2"),
    .init(word: 0xE6EF_1472, op: .uxtb, fields: ["d": 1, "m": 2, "rotation": 1], text: "uxtb r1, r2, ror #8"),
    .init(word: 0xE6BF_0F32, op: .rev, fields: ["d": 0, "m": 2], text: "rev r0, r2"),
    .init(word: 0xE16F_1F12, op: .clz, fields: ["d": 1, "m": 2], text: "clz r1, r2"),
    .init(word: 0xE7E7_0251, op: .ubfx, fields: ["d": 0, "n": 1, "lsb": 4, "width": 7], text: "ubfx r0, r1, #4, #8"),
    // Loads and stores
    .init(word: 0xE591_2004, op: .ldrImm, fields: ["t": 2, "n": 1, "imm": 4, "index": 1, "add": 1, "writeBack": 0], text: "ldr r2, [r1, #4]"),
    .init(word: 0xE59F_0010, op: .ldrImm, fields: ["t": 0, "n": 15, "imm": 16], text: "ldr r0, [pc, #16]"),
    .init(word: 0xE52D_E004, op: .strImm, fields: ["t": 14, "n": 13, "imm": 4, "index": 1, "add": 0, "writeBack": 1], text: "push {lr}"),
    .init(word: 0xE49D_F004, op: .ldrImm, fields: ["t": 15, "n": 13, "imm": 4, "index": 0, "add": 1, "writeBack": 0], text: "pop {pc}"),
    .init(word: 0xE4B2_1004, op: .ldrtImm, fields: ["t": 1, "n": 2, "imm": 4, "add": 1], text: "ldrt r1, [r2], #4"),
    .init(word: 0xE1C3_20B4, op: .strhImm, fields: ["t": 2, "n": 3, "imm": 4, "index": 1, "add": 1], text: "strh r2, [r3, #4]"),
    .init(word: 0xE0D1_20D8, op: .ldrsbImm, fields: ["t": 2, "n": 1, "imm": 8, "index": 0, "add": 1], text: "ldrsb r2, [r1], #8"),
    .init(word: 0xE1C1_20D0, op: .ldrdImm, fields: ["t": 2, "n": 1, "imm": 0, "index": 1], text: "ldrd r2, [r1]"),
    .init(word: 0xE0F2_10B4, op: .ldrhtImm, fields: ["t": 1, "n": 2, "imm": 4, "add": 1], text: "ldrht r1, [r2], #4"),
    // Block transfers
    .init(word: 0xE92D_4030, op: .stmdb, fields: ["n": 13, "writeBack": 1, "registerList": 0x4030], text: "push {r4, r5, lr}"),
    .init(word: 0xE8BD_8030, op: .ldm, fields: ["n": 13, "writeBack": 1, "registerList": 0x8030], text: "pop {r4, r5, pc}"),
    .init(word: 0xE8C0_0003, op: .stmUser, fields: ["n": 0, "index": 0, "add": 1, "registerList": 3], text: "stmia r0, {r0, r1}^"),
    // ldmException's pattern fixes bit 15, so `registerList` holds bits 14:0 only.
    .init(word: 0xE8D0_8001, op: .ldmException, fields: ["n": 0, "writeBack": 0, "registerList": 1], text: "ldm r0, {r0, pc}^"),
    // Synchronisation
    .init(word: 0xE102_0093, op: .swp, fields: ["t": 0, "n": 2, "m": 3], text: "swp r0, r3, [r2]"),
    .init(word: 0xE192_1F9F, op: .ldrex, fields: ["t": 1, "n": 2], text: "ldrex r1, [r2]"),
    .init(word: 0xE182_3F91, op: .strex, fields: ["d": 3, "t": 1, "n": 2], text: "strex r3, r1, [r2]"),
    // Branches
    .init(word: 0xEB00_0010, op: .bl, fields: ["imm": 0x10], text: "bl 8048"),
    .init(word: 0x1A00_0000, op: .b, fields: ["imm": 0, "cond": 1], text: "bne 8008"),
    .init(word: 0xFA00_0001, op: .blxImm, fields: ["imm": 1, "flagH": 0, "cond": 14], text: "blx 800c"),
    .init(word: 0xE12F_FF1E, op: .bx, fields: ["m": 14], text: "bx lr"),
    // Status registers, hints, exceptions, barriers
    .init(word: 0xE10F_0000, op: .mrs, fields: ["d": 0, "flagX": 0], text: "mrs r0, CPSR"),
    .init(word: 0xE129_F000, op: .msrReg, fields: ["n": 0, "mask": 9, "flagX": 0], text: "msr CPSR_fc, r0"),
    .init(word: 0xE320_F003, op: .hint, fields: ["imm": 3], text: "wfi"),
    .init(word: 0xEF00_0000, op: .svc, fields: ["imm": 0], text: "svc 0x00000000"),
    .init(word: 0xE121_2374, op: .bkpt, fields: ["imm": 0x1234], text: "bkpt 0x1234"),
    .init(word: 0xE7F0_00F0, op: .udf, fields: ["imm": 0], text: "udf #0"),
    .init(word: 0xF57F_F05F, op: .dmb, fields: ["imm": 15], text: "dmb sy"),
    .init(word: 0xF57F_F01F, op: .clrex, fields: [:], text: "clrex"),
    .init(word: 0xF5D1_F000, op: .pldImm, fields: ["n": 1, "imm": 0, "add": 1, "flagX": 1], text: "pld [r1]"),
    .init(word: 0xF101_0200, op: .setend, fields: ["flagE": 1], text: "setend be"),
    .init(word: 0xF10C_0080, op: .cps, fields: ["imm": 3, "flagM": 0, "registerList": 2, "width": 0], text: "cpsid i"),
    .init(word: 0xF8BD_0A00, op: .rfe, fields: ["n": 13, "index": 0, "add": 1, "writeBack": 1], text: "rfeia sp!"),
    // Coprocessors (the TLS register read)
    .init(word: 0xEE1D_0F70, op: .mrc, fields: ["coprocessor": 15, "opc1": 0, "t": 0, "n": 13, "m": 0, "opc2": 3], text: "mrc 15, 0, r0, cr13, cr0, {3}"),
    // Families decoded only to be named
    .init(word: 0xEC41_0B10, op: .vfpTransfer64, fields: [:], text: "<vfp> 0xec410b10"),
    .init(word: 0xED93_0A00, op: .vfpLoadStore, fields: [:], text: "<vfp> 0xed930a00"),
    .init(word: 0xF200_0000, op: .neonDataProcessing, fields: [:], text: "<neon> 0xf2000000"),
]

/// Every field of an instruction as an Int, by the name the table uses.
func fieldValues(_ inst: Instruction) -> [String: Int] {
    let numbers: [String: UInt32] = [
        "imm": inst.imm, "shiftAmount": inst.shiftAmount, "shiftType": inst.shiftType,
        "rotation": inst.rotation, "registerList": inst.registerList, "width": inst.width,
        "lsb": inst.lsb, "mask": inst.mask, "opc1": inst.opc1, "opc2": inst.opc2,
        "coprocessor": inst.coprocessor,
    ]
    let flags: [String: Bool] = [
        "setFlags": inst.setFlags, "index": inst.index, "add": inst.add, "writeBack": inst.writeBack,
        "flagX": inst.flagX, "flagN": inst.flagN, "flagM": inst.flagM, "flagH": inst.flagH,
        "flagE": inst.flagE, "flagD": inst.flagD,
    ]
    var values: [String: Int] = ["n": inst.n, "d": inst.d, "m": inst.m, "s": inst.s, "a": inst.a, "t": inst.t,
                                 "cond": Int(inst.cond.rawValue)]
    for (name, v) in numbers { values[name] = Int(v) }
    for (name, v) in flags { values[name] = v ? 1 : 0 }
    return values
}
