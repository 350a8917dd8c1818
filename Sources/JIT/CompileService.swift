#if canImport(Glibc)
import Glibc
#endif
import Lifter
import Synchronization

/// Compiles regions on a background thread while the guest keeps running (or on the caller's
/// thread in synchronous mode). The engine submits hot regions and drains finished ones.
///
/// Tiers: a region is first compiled quickly (see `JITCompiler.Quality`), so it leaves the
/// interpreter sooner; the quick regions busiest now (that ran at least `upgradeAfter` guest
/// uses; see `UpgradeCandidates`) are compiled again in full, and the engine replaces the
/// quick code with that. With `upgradeAfter` 0 everything is compiled in full at once.
/// Synchronous mode compiles upgrades when the engine drains results, so a test sees them
/// deterministically.
///
/// Threads: submitted regions compile on one thread, upgrades on another at the lowest
/// priority (nice 19), so upgrades use a core only while nothing else wants it and a region
/// the guest waits for does not wait behind them (a batch of four takes ~20 ms; queued behind
/// them, a cold lua5.4 run interpreted a quarter more instructions and ran ~4% longer). When a
/// loaded machine starves the second thread, the first compiles upgrades too, between
/// submitted regions (see `upgraderStarved`). Each thread has its own LLVM target machines
/// (see `JITCompiler.CompilingThread`).
public final class CompileService {
    public struct Finished {
        public let region: Region
        public let compiled: JITCompiler.Compiled?
        public let failure: String?
        public let seconds: Double
        /// The invalidation epoch when the region was submitted: stale if the code changed since.
        public let epoch: UInt64
        public let quality: JITCompiler.Quality
        /// A full compilation of a region whose quick code is installed.
        public let isUpgrade: Bool
    }

    struct Work {
        let region: Region
        let epoch: UInt64
        var priority: UInt32
        let quality: JITCompiler.Quality
        let isUpgrade: Bool
    }

    /// ISOMORPH_JIT_LOG prints each compilation (start, instructions, blocks, CPU time, kind,
    /// and when it finished on the monotonic clock) to stderr.
    static let log = getenv("ISOMORPH_JIT_LOG") != nil
    /// Makes the compiler on first use: LLVM's set-up (the JIT, the target machine, the entry
    /// trampoline) costs 5-6 ms that a short run, with nothing hot, never needs. The compile
    /// thread makes it for its first compilation, so the guest does not wait for it; the
    /// guest's thread makes it only when it needs it first (code from the code cache).
    private let makeCompiler: () throws(JITError) -> JITCompiler
    /// The compiler once made: written once, under `compiling`, and then `compilerReady` set.
    /// Compiled code exists only after it is made, so code that runs compiled code finds it.
    public private(set) var startedCompiler: JITCompiler?
    private let compilerReady = Atomic<Bool>(false)
    /// Why the compiler could not be made (under `compiling`); everything is interpreted then.
    private var unavailable: String?
    private let compilerUnavailable = Atomic<Bool>(false)
    /// `--dump-ir` is on: regions compile one at a time, so each dump shows one region.
    private let dumpsIR: Bool
    public let synchronous: Bool
    private var mutex = pthread_mutex_t()
    /// Signalled when regions are submitted (the thread compiling them waits on it), and when
    /// quick code arrives (the upgrade thread waits on `upgradesWake` between looks at counts).
    private var wake = pthread_cond_t()
    private var upgradesWake = pthread_cond_t()
    /// Read-locked by each thread for the whole of each compilation, write-locked around fork,
    /// so fork never copies LLVM mid-operation.
    private var compiling = pthread_rwlock_t()
    /// Held while the compiler is made (by whichever thread needs it first).
    private var making = pthread_mutex_t()
    /// Submitted regions, each with its epoch and priority (how hot its entry has become).
    private var queue: [Work] = []
    /// Installed quick code: candidates for a full compilation.
    private var quickRegions = UpgradeCandidates()
    /// Uses of quick code (entries and loop iterations) before it is compiled in full (0: no
    /// quick code).
    public let upgradeAfter: UInt64
    /// Regions compiled together, at most: one module's fixed cost is shared among them, but
    /// the first waits for the others. ISOMORPH_JIT_BATCH overrides it (for measuring).
    static let maxBatch = getenv("ISOMORPH_JIT_BATCH").flatMap { Int(String(cString: $0)) }.map { max(1, $0) } ?? 4
    private var finished: [Finished] = []
    /// Whether `finished` has results: read by the engine before every dispatch without the
    /// mutex, so an upgrade replaces running quick code at once, not at the next time slice.
    private let resultsWaiting = Atomic<Bool>(false)
    /// Whether compilations finished since the last `drain` (a hint; `drain` is exact).
    public var hasResults: Bool { resultsWaiting.load(ordering: .relaxed) }

    public init(synchronous: Bool, upgradeAfter: UInt64, dumpsIR: Bool,
                makeCompiler: @escaping () throws(JITError) -> JITCompiler) {
        self.makeCompiler = makeCompiler
        self.dumpsIR = dumpsIR
        self.synchronous = synchronous
        self.upgradeAfter = upgradeAfter
        pthread_mutex_init(&mutex, nil)
        pthread_rwlock_init(&compiling, nil)
        pthread_mutex_init(&making, nil)
        pthread_cond_init(&wake, nil)
        pthread_cond_init(&upgradesWake, nil)
        if !synchronous { startThreads() }
    }

    private func startThreads() {
        let me = Unmanaged.passUnretained(self).toOpaque()
        var t = pthread_t()
        pthread_create(&t, nil, { arg in
            Unmanaged<CompileService>.fromOpaque(arg!).takeUnretainedValue().compileSubmitted()
            return nil
        }, me)
        pthread_detach(t)
        guard upgradeAfter > 0 else { return }
        pthread_create(&t, nil, { arg in
            // The lowest priority an unprivileged thread can return from (SCHED_IDLE measured
            // the same); on Linux, for this thread only.
            setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, 19)
            Unmanaged<CompileService>.fromOpaque(arg!).takeUnretainedValue().compileUpgrades()
            return nil
        }, me)
        pthread_detach(t)
    }

    /// The compiler, made now if it was not yet (call from the guest's thread: it waits while
    /// a compile thread makes it); nil, after one warning line, when LLVM cannot be set up.
    public var compiler: JITCompiler? {
        if compilerReady.load(ordering: .acquiring) { return startedCompiler }
        if compilerUnavailable.load(ordering: .relaxed) { return nil }
        makeCompilerIfNeeded()
        return startedCompiler
    }

    /// The compiler if it has been made (never waits).
    public var readyCompiler: JITCompiler? {
        compilerReady.load(ordering: .acquiring) ? startedCompiler : nil
    }

    /// Has the compile thread make the compiler now, before anything is submitted (the code
    /// cache will need it); synchronous mode makes it here.
    public func makeCompilerSoon() {
        if synchronous { _ = compiler; return }
        pthread_mutex_lock(&mutex)
        compilerWanted = true
        pthread_cond_signal(&wake)
        pthread_mutex_unlock(&mutex)
    }
    /// Asked for by `makeCompilerSoon` (under `mutex`).
    private var compilerWanted = false

    /// Makes the compiler unless it exists or cannot be made.
    private func makeCompilerIfNeeded() {
        pthread_mutex_lock(&making)
        defer { pthread_mutex_unlock(&making) }
        guard startedCompiler == nil, unavailable == nil else { return }
        do {
            startedCompiler = try makeCompiler()
            compilerReady.store(true, ordering: .releasing)
        } catch {
            unavailable = error.description
            compilerUnavailable.store(true, ordering: .relaxed)
            fputs("isomorph: warning: the JIT is unavailable (\(error.description)); the program runs interpreted\n", stderr)
        }
    }

    /// Queues `region`; the hottest queued regions (highest `priority`) compile first.
    public func submit(_ region: Region, epoch: UInt64, priority: UInt32) {
        let work = Work(region: region, epoch: epoch, priority: priority, quality: upgradeAfter > 0 ? .quick : .full, isUpgrade: false)
        if synchronous {
            guard compiler != nil else { return }
            finish(compile([work]))
            return
        }
        if compilerUnavailable.load(ordering: .relaxed) { return }
        pthread_mutex_lock(&mutex)
        queue.append(work)
        pthread_cond_signal(&wake)
        pthread_mutex_unlock(&mutex)
    }

    /// Adds quick code installed from elsewhere (the code cache) to the candidates for a full
    /// compilation.
    public func watch(quick region: Region, epoch: UInt64, uses: UnsafePointer<UInt64>) {
        guard upgradeAfter > 0 else { return }
        pthread_mutex_lock(&mutex)
        quickRegions.add(region, epoch: epoch, uses: uses)
        pthread_cond_signal(&upgradesWake)
        pthread_mutex_unlock(&mutex)
    }

    /// The compilations finished since the last call.
    public func drain() -> [Finished] {
        if synchronous {
            // Baseline code can ask for upgrades before anything made the compiler.
            while case let upgrades = takeUpgrades(), !upgrades.isEmpty, compiler != nil { finish(compile(upgrades)) }
            resultsWaiting.store(false, ordering: .relaxed)
            defer { finished.removeAll(keepingCapacity: true) }
            return finished
        }
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        resultsWaiting.store(false, ordering: .relaxed)
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

    /// Compiles `batch` (all of one quality) on `thread`'s target machines.
    private func compile(_ batch: [Work], on thread: JITCompiler.CompilingThread = .first) -> [Finished] {
        let start = threadCPUNanoseconds()
        let quality = batch[0].quality
        let results = startedCompiler!.compile(batch.map(\.region), quality: quality, on: thread)  // made before the first compile
        // The batch's time, shared evenly among its regions.
        let seconds = Double(threadCPUNanoseconds() &- start) / 1e9 / Double(batch.count)
        return zip(batch, results).map { item, result in
            let region = item.region
            if CompileService.log {
                let kind = item.isUpgrade ? "upgrade" : quality == .quick ? "quick" : "full"
                let at = monotonicNanoseconds() / 1_000_000 % 1_000_000
                fputs("compile 0x\(String(region.start, radix: 16)) \(region.instructionCount) \(region.blocks.count) \(Int(seconds * 1e6))us (\(kind), batch of \(batch.count)) done at \(at) ms\n", stderr)
            }
            switch result {
            case .success(let c):
                return Finished(region: region, compiled: c, failure: nil, seconds: seconds, epoch: item.epoch,
                                quality: quality, isUpgrade: item.isUpgrade)
            case .failure(let e):
                return Finished(region: region, compiled: nil, failure: e.description, seconds: seconds, epoch: item.epoch,
                                quality: quality, isUpgrade: item.isUpgrade)
            }
        }
    }

    /// Hands `done` to the engine, quick code also to the candidates for a full compilation
    /// (under `mutex` when there is a compile thread).
    private func finish(_ done: [Finished]) {
        for result in done where result.quality == .quick {
            if let uses = result.compiled?.useCount { quickRegions.add(result.region, epoch: result.epoch, uses: uses) }
        }
        if done.contains(where: { $0.quality == .quick }) { pthread_cond_signal(&upgradesWake) }
        finished += done
        if !done.isEmpty { resultsWaiting.store(true, ordering: .relaxed) }
    }

    /// Regions compiled together, at most: one at a time while dumping IR, so each dump
    /// shows one region.
    private var batchSize: Int { dumpsIR ? 1 : CompileService.maxBatch }

    /// The next batch: the hottest queued region (the earliest among equals) and the next
    /// hottest of the same quality.
    private func takeBatch() -> [Work] {
        let order = queue.indices.sorted { queue[$0].priority > queue[$1].priority || (queue[$0].priority == queue[$1].priority && $0 < $1) }
        let quality = queue[order[0]].quality
        let chosen = Array(order.lazy.filter { self.queue[$0].quality == quality }.prefix(batchSize))
        let batch = chosen.map { queue[$0] }
        for index in chosen.sorted(by: >) { queue.remove(at: index) }
        return batch
    }

    /// The quick regions busiest now (see `UpgradeCandidates`), among those used at least
    /// `upgradeAfter` times, to compile in full.
    private func takeUpgrades() -> [Work] {
        if quickRegions.isEmpty || upgradeAfter == 0 { return [] }
        let (chosen, total) = quickRegions.takeBusiest(batchSize, usedAtLeast: upgradeAfter)
        usesSeen = total
        return chosen.map { Work(region: $0.region, epoch: $0.epoch, priority: 0, quality: .full, isUpgrade: true) }
    }

    /// The sum of the quick regions' counts at the last look: unchanged, quick code is idle.
    private var usesSeen: UInt64 = 0

    /// The first compile thread: submitted regions, hottest first; upgrades too when the
    /// second thread is starved of CPU (`upgraderStarved`).
    private func compileSubmitted() {
        while true {
            pthread_mutex_lock(&mutex)
            var batch: [Work] = []
            while true {
                if !queue.isEmpty || compilerWanted {
                    compilerWanted = false
                    if !queue.isEmpty { batch = takeBatch() }  // else only the compiler is wanted
                    break
                }
                if upgraderStarved {
                    batch = takeUpgrades()
                    if !batch.isEmpty { break }
                }
                if quickRegions.isEmpty {
                    pthread_cond_wait(&wake, &mutex)
                } else {
                    wait(&wake, milliseconds: Int(CompileService.upgraderStarvedAfter / 1_000_000))
                }
            }
            compileAndFinish(batch, on: .first)
        }
    }

    /// The second compile thread, at the lowest priority (nice 19): upgrades, the busiest
    /// quick regions first. While quick code runs, its counts are looked at every 5 ms (a hot
    /// loop in quick code runs 2-4 times slower than in full code: waiting costs); while it is
    /// idle (the counts stand still: the guest runs elsewhere or sleeps), ever less often, up
    /// to every 160 ms.
    private func compileUpgrades() {
        var poll = 5
        while true {
            pthread_mutex_lock(&mutex)
            upgraderSeen = monotonicNanoseconds()
            let before = usesSeen
            let batch = takeUpgrades()
            if !batch.isEmpty {
                compileAndFinish(batch, on: .second)
                continue
            }
            poll = usesSeen != before ? 5 : min(poll * 2, 160)
            wait(&upgradesWake, milliseconds: poll)
            pthread_mutex_unlock(&mutex)
        }
    }

    /// When the second thread last looked for upgrades or finished compiling them (monotonic
    /// ns), and whether it is compiling them (under `mutex`).
    private var upgraderSeen: UInt64 = 0
    private var upgraderCompiling = false
    /// How long the second thread may go without looking for upgrades, or take over compiling
    /// a batch (one takes 4-20 ms when it has the CPU), before the first thread compiles
    /// upgrades too: on a loaded machine a nice-19 thread gets almost no CPU (four parallel
    /// runs of the calls benchmark on two cores then upgraded nothing and ran 1.55 times as
    /// long).
    static let upgraderStarvedAfter: UInt64 = 50_000_000
    static let upgraderStuckAfter: UInt64 = 250_000_000

    /// Whether the second thread is starved of CPU (under `mutex`).
    private var upgraderStarved: Bool {
        let waited = monotonicNanoseconds() &- upgraderSeen
        return upgradeAfter > 0 && waited > (upgraderCompiling ? CompileService.upgraderStuckAfter : CompileService.upgraderStarvedAfter)
    }

    /// With `mutex` held: waits for `condition` at most `milliseconds`.
    private func wait(_ condition: UnsafeMutablePointer<pthread_cond_t>, milliseconds: Int) {
        var deadline = timespec()
        clock_gettime(CLOCK_REALTIME, &deadline)
        let nanoseconds = Int(deadline.tv_nsec) + milliseconds * 1_000_000
        deadline.tv_sec += nanoseconds / 1_000_000_000
        deadline.tv_nsec = nanoseconds % 1_000_000_000
        pthread_cond_timedwait(condition, &mutex, &deadline)
    }

    /// With `mutex` held (and released here): compiles `batch` and hands over the results.
    private func compileAndFinish(_ batch: [Work], on thread: JITCompiler.CompilingThread) {
        if thread == .second { upgraderCompiling = true }
        pthread_rwlock_rdlock(&compiling)
        pthread_mutex_unlock(&mutex)
        makeCompilerIfNeeded()
        // Without a compiler (one warning said why) the work is dropped: it stays interpreted.
        let done = startedCompiler == nil || batch.isEmpty ? [] : compile(batch, on: thread)
        pthread_rwlock_unlock(&compiling)
        pthread_mutex_lock(&mutex)
        finish(done)
        if thread == .second {
            upgraderCompiling = false
            upgraderSeen = monotonicNanoseconds()
        }
        pthread_mutex_unlock(&mutex)
    }

    // MARK: fork

    /// Before the guest forks: wait for the current compilations and keep others from starting.
    public func prepareForFork() {
        pthread_mutex_lock(&mutex)
        pthread_rwlock_wrlock(&compiling)
        pthread_mutex_lock(&making)
    }

    public func parentAfterFork() {
        pthread_mutex_unlock(&making)
        pthread_rwlock_unlock(&compiling)
        pthread_mutex_unlock(&mutex)
    }

    /// The child has no compile threads: start them with an empty queue (queued regions were
    /// the parent's; the child's own heat will submit them again).
    public func childAfterFork() {
        // Quick regions stay candidates: the child has the parent's compiled code and counts.
        queue.removeAll()
        finished.removeAll()
        upgraderCompiling = false
        // Waiters on them existed only in the parent.
        pthread_cond_init(&wake, nil)
        pthread_cond_init(&upgradesWake, nil)
        pthread_mutex_unlock(&making)
        // Made anew, not unlocked: glibc knows a write lock by its holder's thread ID, which
        // the child's thread does not share with the parent's.
        pthread_rwlock_init(&compiling, nil)
        pthread_mutex_unlock(&mutex)
        if !synchronous { startThreads() }
    }
}

/// The monotonic clock, in nanoseconds (compile timing and statistics).
public func monotonicNanoseconds() -> UInt64 { nanoseconds(CLOCK_MONOTONIC) }

/// The calling thread's CPU time, in nanoseconds (compile time in the statistics).
public func threadCPUNanoseconds() -> UInt64 { nanoseconds(CLOCK_THREAD_CPUTIME_ID) }

private func nanoseconds(_ clock: clockid_t) -> UInt64 {
    var now = timespec()
    clock_gettime(clock, &now)
    return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
}

/// Installed quick code, each with its use count, waiting to be compiled in full: the busiest
/// now first, not the most used in all. Upgrades lag behind (one takes ~4 ms, and a program
/// entering a new phase makes dozens of regions hot at once); by total use a phase's regions
/// queued behind those of the phase before, which no longer ran. Busyness is the uses (entries
/// and loop iterations) since the last look (every 5-20 ms while quick code runs) plus half
/// the busyness at that look; code that stopped running drops out until it runs again.
public struct UpgradeCandidates {
    public struct Candidate {
        public let region: Region, epoch: UInt64
        /// The code's uses (entries and loop iterations), counted by the code itself. (Read
        /// while compiled code may increment it: an aligned 64-bit load on x86-64 sees the old
        /// or the new value, either of which serves here.)
        public let uses: UnsafePointer<UInt64>
        var usesAtLastLook: UInt64 = 0
        var busyness: UInt64 = 0
    }
    private var candidates: [Candidate] = []
    public var isEmpty: Bool { candidates.isEmpty }
    public init() {}

    public mutating func add(_ region: Region, epoch: UInt64, uses: UnsafePointer<UInt64>) {
        candidates.append(Candidate(region: region, epoch: epoch, uses: uses))
    }

    /// Looks at the counts, and removes and returns the `count` busiest candidates that ran
    /// at least `usedAtLeast` blocks, with the sum of all candidates' counts (which stands
    /// still while quick code is idle).
    public mutating func takeBusiest(_ count: Int, usedAtLeast: UInt64) -> (taken: [Candidate], totalUses: UInt64) {
        var total: UInt64 = 0
        for index in candidates.indices {
            let uses = candidates[index].uses.pointee
            total &+= uses
            candidates[index].busyness = candidates[index].busyness / 2 &+ (uses &- candidates[index].usesAtLastLook)
            candidates[index].usesAtLastLook = uses
        }
        let eligible = candidates.indices.filter {
            candidates[$0].busyness > 0 && candidates[$0].usesAtLastLook >= usedAtLeast
        }
        let chosen = eligible.sorted { candidates[$0].busyness > candidates[$1].busyness }.prefix(count)
        let taken = chosen.map { candidates[$0] }
        for index in chosen.sorted(by: >) { candidates.remove(at: index) }
        return (taken, total)
    }
}
