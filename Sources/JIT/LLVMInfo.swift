import CLLVM

/// Facts about the linked LLVM. The JIT tier (issue 4) builds on this module.
public enum LLVMInfo {
    /// "major.minor.patch" of the libLLVM this process runs with.
    public static var version: String {
        var major: UInt32 = 0, minor: UInt32 = 0, patch: UInt32 = 0
        LLVMGetVersion(&major, &minor, &patch)
        return "\(major).\(minor).\(patch)"
    }
}
