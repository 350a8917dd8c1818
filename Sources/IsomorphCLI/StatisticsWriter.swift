#if canImport(Glibc)
import Glibc
#endif
import Engine

/// Writes `RunStatistics` as a JSON object.
enum StatisticsWriter {
    static func json(_ s: RunStatistics) -> String {
        """
        {
          "tier": "\(s.tier.rawValue)",
          "guest_instructions": \(s.guestInstructions),
          "blocks_decoded": \(s.blocksDecoded),
          "block_invalidations": \(s.blockInvalidations),
          "syscalls": \(s.syscalls),
          "exit_status": \(s.exitStatus)
        }

        """
    }

    static func write(_ s: RunStatistics, to path: String) {
        let text = json(s)
        guard let f = fopen(path, "w") else {
            FileHandleOutput.stderr("isomorph: cannot write statistics to \(path): \(String(cString: strerror(errno)))\n")
            return
        }
        fputs(text, f)
        fclose(f)
    }
}
