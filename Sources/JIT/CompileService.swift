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
    public let compiler: JITCompiler
    public let synchronous: Bool
    private var mutex = pthread_mutex_t()
    private var wake = pthread_cond_t()
    /// Held for the whole of each compilation, so fork never copies LLVM mid-operation.
    private var compiling = pthread_mutex_t()
    private var queue: [(Region, UInt64)] = []
    private var finished: [Finished] = []
    private var thread: pthread_t?

    public init(compiler: JITCompiler, synchronous: Bool) {
        self.compiler = compiler
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

    public func submit(_ region: Region, epoch: UInt64) {
        if synchronous {
            finished.append(compile(region, epoch: epoch))
            return
        }
        pthread_mutex_lock(&mutex)
        queue.append((region, epoch))
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

    private func compile(_ region: Region, epoch: UInt64) -> Finished {
        var start = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &start)
        let result = compiler.compile(region)
        var end = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &end)
        let seconds = Double(end.tv_sec - start.tv_sec) + Double(end.tv_nsec - start.tv_nsec) / 1e9
        if CompileService.log { fputs("compile 0x\(String(region.start, radix: 16)) \(region.instructionCount) \(region.blocks.count) \(Int(seconds * 1e6))us\n", stderr) }
        switch result {
        case .success(let c): return Finished(region: region, compiled: c, failure: nil, seconds: seconds, epoch: epoch)
        case .failure(let e): return Finished(region: region, compiled: nil, failure: e.description, seconds: seconds, epoch: epoch)
        }
    }

    private func work() {
        while true {
            pthread_mutex_lock(&mutex)
            while queue.isEmpty { pthread_cond_wait(&wake, &mutex) }
            let (region, epoch) = queue.removeFirst()
            pthread_mutex_lock(&compiling)
            pthread_mutex_unlock(&mutex)
            let done = compile(region, epoch: epoch)
            pthread_mutex_unlock(&compiling)
            pthread_mutex_lock(&mutex)
            finished.append(done)
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
