/// The coprocessor registers a user-mode Linux process can reach: CP15's thread ID registers
/// (ARM ARM B4.1.150-152). Interpreted and compiled code both call these; system mode will
/// replace them with the full CP15.
public enum UserCoprocessors {
    /// MRC: the register's value, or nil when the access is undefined in user mode.
    public static func read(_ i: Instruction, _ cpu: inout CPUState) -> UInt32? {
        guard i.coprocessor == 15, i.opc1 == 0, i.n == 13, i.m == 0 else { return nil }
        switch i.opc2 {
        case 2: return cpu.tpidrurw
        case 3: return cpu.tpidruro
        default: return nil
        }
    }

    /// MCR: false when the access is undefined in user mode (TPIDRURO is read-only there).
    public static func write(_ i: Instruction, _ value: UInt32, _ cpu: inout CPUState) -> Bool {
        guard i.coprocessor == 15, i.opc1 == 0, i.n == 13, i.m == 0, i.opc2 == 2 else { return false }
        cpu.tpidrurw = value
        return true
    }

    /// Why an access failed, for the SIGILL message.
    public static func describe(_ i: Instruction) -> String {
        "p\(i.coprocessor), \(i.opc1), c\(i.n), c\(i.m), \(i.opc2) is not accessible in user mode"
    }
}
