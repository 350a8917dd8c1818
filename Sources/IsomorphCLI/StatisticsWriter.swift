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
          "exit_status": \(s.exitStatus),
          "jit": {
            "blocks_compiled": \(s.jit.blocksCompiled),
            "regions_compiled_quick": \(s.jit.regionsCompiledQuick),
            "regions_compiled_baseline": \(s.jit.regionsCompiledBaseline),
            "baseline_compile_seconds": \(s.jit.baselineCompileSeconds),
            "baseline_code_bytes": \(s.jit.baselineCodeBytes),
            "baseline_declined": \(s.jit.baselineDeclined),
            "regions_upgraded": \(s.jit.regionsUpgraded),
            "quick_code_uses": \(s.jit.quickCodeUses),
            "blocks_not_compilable": \(s.jit.blocksNotCompilable),
            "compile_failures": \(s.jit.compileFailures),
            "stale_results": \(s.jit.staleResults),
            "llvm_compile_seconds": \(s.jit.compileSeconds),
            "compile_wait_seconds": \(s.jit.compileWaitSeconds),
            "compile_wait_max_seconds": \(s.jit.compileWaitMaxSeconds),
            "regions_from_cache": \(s.jit.regionsFromCache),
            "cached_objects_linked": \(s.jit.cachedObjectsLinked),
            "regions_saved_to_cache": \(s.jit.regionsSaved),
            "dispatches": \(s.jit.dispatches),
            "exits_to_interpreter": \(s.jit.exitsToInterpreter),
            "translation_invalidations": \(s.jit.translationInvalidations),
            "code_page_write_faults": \(s.jit.codePageWriteFaults),
            "chained_transitions": \(s.jit.chainedTransitions),
            "indirect_lookups": \(s.jit.indirectLookups),
            "indirect_hits": \(s.jit.indirectHits),
            "indirect_hit_rate": \(s.jit.indirectLookups == 0 ? "null" : String(Double(s.jit.indirectHits) / Double(s.jit.indirectLookups))),
            "first_failure": \(s.jit.firstFailure.map(quoted) ?? "null")
          }
        }

        """
    }

    /// A JSON string literal.
    static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            default:
                if scalar.value < 0x20 { out += "\\u" + String(repeating: "0", count: 4 - String(scalar.value, radix: 16).count) + String(scalar.value, radix: 16) }
                else { out.unicodeScalars.append(scalar) }
            }
        }
        return out + "\""
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
