#if canImport(Glibc)
import Glibc
#endif
import Lifter

/// Compiles regions on a background thread while the guest keeps running (or on the caller's
/// thread in synchronous mode). The engine submits hot regions and drains finished ones.
public final class CompileService {
    public struct Finished {
        public let region: Region
        public let compiled: JITCompiler.Compiled?
        public let failure: String?
        public let seconds: Double
        /// The invalidation epoch when the region was submitted: stale if the code changed since.
        public let epoch: UInt64
    }

    /// ISOMORPH_JIT_LOG prints each compilation (start, instructions, blocks, time) to stderr.
    static let log = getenv("ISOMORPH_JIT_LOG") != nil
    /// Makes the compiler on first use: LLVM's set-up (the JIT, the target machine, the entry
    /// trampoline) costs a few milliseconds that a short run, with nothing hot, never needs.
    private let makeCompiler: () throws(JITError) -> JITCompiler
    /// The compiler once made (set on the guest's thread before anything is submitted, so
    /// the compile thread, which takes work under `mutex`, always finds it).
    public private(set) var startedCompiler: JITCompiler?
    /// Why the compiler could not be made; everything is interpreted then.
    public private(set) var unavailable: String?
    public let synchronous: Bool
    private var mutex = pthread_mutex_t()
    private var wake = pthread_cond_t()
    /// Held for the whole of each compilation, so fork never copies LLVM mid-operation.
    private var compiling = pthread_mutex_t()
    /// Submitted regions, each with its epoch and priority (how hot its entry has become).
    private var queue: [(region: Region, epoch: UInt64, priority: UInt32)] = []
    /// Regions compiled together, at most: one module's fixed cost is shared among them, but
    /// the first waits for the others. ISOMORPH_JIT_BATCH overrides it (for measuring).
    static let maxBatch = getenv("ISOMORPH_JIT_BATCH").flatMap { Int(String(cString: $0)) }.map { max(1, $0) } ?? 4
    private var finished: [Finished] = []
    private var thread: pthread_t?

    public init(synchronous: Bool, makeCompiler: @escaping () throws(JITError) -> JITCompiler) {
        self.makeCompiler = makeCompiler
        self.synchronous = synchronous
        pthread_mutex_init(&mutex, nil)
        pthread_mutex_init(&compiling, nil)
        pthread_cond_init(&wake, nil)
        if !synchronous { startThread() }
    }

    private func startThread() {
        var t = pthread_t()
        let me = Unmanaged.passUnretained(self).toOpaque()
        pthread_create(&t, nil, { arg in
            Unmanaged<CompileService>.fromOpaque(arg!).takeUnretainedValue().work()
            return nil
        }, me)
        pthread_detach(t)
        thread = t
    }

    /// The compiler, made now if it was not yet (call from the guest's thread); nil, after
    /// one warning line, when LLVM cannot be set up.
    public var compiler: JITCompiler? {
        if let startedCompiler { return startedCompiler }
        if unavailable != nil { return nil }
        do {
            startedCompiler = try makeCompiler()
        } catch {
            unavailable = error.description
            fputs("isomorph: warning: the JIT is unavailable (\(error.description)); the program runs interpreted\n", stderr)
        }
        return startedCompiler
    }

    /// Queues `region`; the hottest queued regions (highest `priority`) compile first.
    public func submit(_ region: Region, epoch: UInt64, priority: UInt32) {
        guard compiler != nil else { return }
        if synchronous {
            finished += compile([(region, epoch)])
            return
        }
        pthread_mutex_lock(&mutex)
        queue.append((region, epoch, priority))
        pthread_cond_signal(&wake)
        pthread_mutex_unlock(&mutex)
    }

    /// The compilations finished since the last call.
    public func drain() -> [Finished] {
        if synchronous {
            defer { finished.removeAll(keepingCapacity: true) }
            return finished
        }
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        if finished.isEmpty { return [] }
        let done = finished
        finished.removeAll(keepingCapacity: true)
        return done
    }

    /// Raises the priority of the queued region entered at `start` (its entry kept running
    /// in the interpreter while it waited).
    public func prioritize(_ start: UInt32, _ priority: UInt32) {
        pthread_mutex_lock(&mutex)
        if let index = queue.firstIndex(where: { $0.region.start == start }) {
            queue[index].priority = max(queue[index].priority, priority)
        }
        pthread_mutex_unlock(&mutex)
    }

    private func compile(_ batch: [(region: Region, epoch: UInt64)]) -> [Finished] {
        var start = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &start)
        let results = startedCompiler!.compile(batch.map(\.region))  // made before the first submit
        var end = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &end)
        // The batch's time, shared evenly among its regions.
        let seconds = (Double(end.tv_sec - start.tv_sec) + Double(end.tv_nsec - start.tv_nsec) / 1e9) / Double(batch.count)
        return zip(batch, results).map { item, result in
            let region = item.region
            if CompileService.log {
                fputs("compile 0x\(String(region.start, radix: 16)) \(region.instructionCount) \(region.blocks.count) \(Int(seconds * 1e6))us (batch of \(batch.count))\n", stderr)
            }
            switch result {
            case .success(let c): return Finished(region: region, compiled: c, failure: nil, seconds: seconds, epoch: item.epoch)
            case .failure(let e): return Finished(region: region, compiled: nil, failure: e.description, seconds: seconds, epoch: item.epoch)
            }
        }
    }

    /// The next batch: the hottest queued regions (the earliest among equals); one at a time
    /// while dumping IR, so each dump shows one region.
    private func takeBatch() -> [(region: Region, epoch: UInt64)] {
        let size = startedCompiler!.dumpStages.isEmpty ? CompileService.maxBatch : 1
        let order = queue.indices.sorted { queue[$0].priority > queue[$1].priority || (queue[$0].priority == queue[$1].priority && $0 < $1) }
        let chosen = Array(order.prefix(size))
        let batch = chosen.map { (queue[$0].region, queue[$0].epoch) }
        for index in chosen.sorted(by: >) { queue.remove(at: index) }
        return batch
    }

    private func work() {
        while true {
            pthread_mutex_lock(&mutex)
            while queue.isEmpty { pthread_cond_wait(&wake, &mutex) }
            let batch = takeBatch()
            pthread_mutex_lock(&compiling)
            pthread_mutex_unlock(&mutex)
            let done = compile(batch)
            pthread_mutex_unlock(&compiling)
            pthread_mutex_lock(&mutex)
            finished += done
            pthread_mutex_unlock(&mutex)
        }
    }

    // MARK: fork

    /// Before the guest forks: wait for the current compilation and keep others from starting.
    public func prepareForFork() {
        pthread_mutex_lock(&mutex)
        pthread_mutex_lock(&compiling)
    }

    public func parentAfterFork() {
        pthread_mutex_unlock(&compiling)
        pthread_mutex_unlock(&mutex)
    }

    /// The child has no compile thread: start one with an empty queue (queued regions were
    /// the parent's; the child's own heat will submit them again).
    public func childAfterFork() {
        queue.removeAll()
        finished.removeAll()
        pthread_cond_init(&wake, nil)  // a waiter on it existed only in the parent
        pthread_mutex_unlock(&compiling)
        pthread_mutex_unlock(&mutex)
        if !synchronous { startThread() }
    }
}
