/**
 * The SharedArrayBuffer layout shared by the controller (main thread) and every CPU worker.
 *
 * The buffer is one Int32Array cut into 64-byte cache lines (16 words). A word that two
 * threads write on a hot path never shares a line with another such word, so a CPU's
 * fast path never bounces a line that another CPU is writing.
 *
 *   line 0              header: magic, CPU count, kthread slot count, strategy, job slots per CPU
 *                       (written once, before any worker starts; read-only afterwards)
 *   line 1              refcount strategy: global hotplug refcount (every CPU writes it:
 *                       deliberately shared, that is the point of the strategy)
 *   line 2              refcount/percpu-rwsem strategies: writer word (controller writes)
 *   CPU_BASE + n*CPU_LINES ... per-CPU block of CPU n, one line per word group below
 *   KT_BASE + s*KT_LINES   ... kthread slot s, two lines
 *   CLAIM_BASE + (n*jobSlots + j) ... job claim word j of CPU n, one line each (job-claim.ts)
 *
 * Who writes each word is stated beside its offset; `cpu-state.ts` and `kthread-state.ts`
 * hold the state machines that run over them.
 */

export const LINE_BYTES = 64;
export const LINE_WORDS = LINE_BYTES / Int32Array.BYTES_PER_ELEMENT;

export const LAYOUT_MAGIC = 0x43505548; // "CPUH"

// Header words (line 0).
export const HDR_MAGIC = 0;
export const HDR_NCPUS = 1;
export const HDR_MAX_KTHREADS = 2;
export const HDR_STRATEGY = 3; // index into STRATEGY_IDS
export const HDR_JOB_SLOTS = 4; // job claim slots per CPU: the most jobs handed to one CPU at once

/** Strategy names by their header number: the worker picks its per-CPU loop from it. */
export const STRATEGY_IDS = ['park', 'refcount', 'percpu-rwsem', 'recreate'] as const;

/** Global hotplug refcount (refcount strategy). Every CPU worker: Atomics.add/sub. */
export const GLOBAL_REFCOUNT = 1 * LINE_WORDS;
/** Writer word of the refcount and percpu-rwsem strategies (hotplug-lock.ts). Controller only. */
export const GLOBAL_WRITER = 2 * LINE_WORDS;

const CPU_BASE_LINE = 3;

/** Per-CPU block: one line per group. Offsets are relative to `cpuBase(cpu)`. */
export const CPU_LINES = 5;
/** Hotplug state of the CPU (`CpuState`). Written by the controller only. */
export const CPU_STATE = 0 * LINE_WORDS;
/** Dormancy handshake word (`Dormancy`). Controller and the CPU's worker; see cpu-state.ts. */
export const CPU_DORMANT = 1 * LINE_WORDS;
/** Worker statistics line, written by the CPU's own worker only. */
export const CPU_STATS = 2 * LINE_WORDS;
export const CPU_HEARTBEAT = CPU_STATS + 0; // advanced by the worker's own interval timer
export const CPU_VIOLATIONS = CPU_STATS + 1; // invariant breaches seen by the worker: its threads' KT_VIOLATIONS, and threads not parked at dormancy
export const CPU_DORMANCIES = CPU_STATS + 2; // times the worker blocked in Atomics.wait
export const CPU_JOBS_RUN = CPU_STATS + 3; // jobs the CPU's kworker has started
export const CPU_READ_HELD = CPU_STATS + 4; // refcount read sections this worker is inside (hotplug-lock.ts)
/**
 * Id of the per-CPU thread whose run() is executing synchronously (for the kworker, the
 * synchronous part of a job), 0 otherwise. Plain stores by the CPU's own worker, on its own line; the controller
 * reads it only when the CPU's heartbeat has stood still (the soft-lockup watchdog), when
 * the worker is stuck and the word with it, to name the thread that holds the CPU.
 */
export const CPU_CURRENT = CPU_STATS + 5;
/**
 * percpu-rwsem reader count of this CPU: written on the hot path by the CPU's worker's read
 * lock only, with Atomics.store of a count it keeps (no RMW), and by the controller only once
 * that worker has exited (dropDeadReaders). The writer reads it with Atomics.load; the
 * ordering that makes this safe is argued in hotplug-lock.ts.
 */
export const CPU_READERS = 3 * LINE_WORDS;
/**
 * Abort line of the CPU's job queue, written by the controller only (job-claim.ts): the id
 * of the running job it asks to stop, and why. Rarely written, read by the job's signal.
 */
export const CPU_JOB_ABORT = 4 * LINE_WORDS;
export const CPU_JOB_ABORT_REASON = CPU_JOB_ABORT + 1;

/** Kthread slot: two lines. Offsets are relative to `ktBase(slot)`. */
export const KT_LINES = 2;
/** Request and state bits (`kthread-state.ts`). Controller sets requests, thread sets states. */
export const KT_FLAGS = 0;
/** Statistics line: written by the worker running the thread only (after creation). */
export const KT_STATS = 1 * LINE_WORDS;
/**
 * Units of work done (schedule() calls; for a per-CPU thread, one per run()). Written by the
 * thread's own worker only, once a unit, with a plain store `words[i] = n` of its own count
 * (workers/kthread-task.ts): the one write of the fast path, kept off the ~8 ns Atomics.store
 * builtin and its fence. Readers (the controller: kthreadInfo, rt.waitForIterations, torture,
 * the planted race) read it with Atomics.load. What a reader may see:
 *   - only a count the thread stored, or the slot's 0: an aligned Int32Array element is
 *     accessed whole (ECMAScript memory model: such accesses are tear-free, so a racing read
 *     reads one write, never bytes of two);
 *   - not necessarily the latest: the store is unordered, so a load racing it may return an
 *     earlier count. The memory model does not even promise that two loads of one reader
 *     see counts in increasing order; the hardware V8 runs on does (per-location coherence:
 *     successive stores to one word are seen in the order made), and every reader here only
 *     compares with `>=` and re-reads, so a stale count can only delay it;
 *   - the latest count stored before an operation of the thread that the reader has
 *     synchronised with: a Load of KT_FLAGS that returns the thread's own sequentially
 *     consistent write of PARKED or EXITED (so a thread seen parked or exited shows its
 *     final count, and "a parked thread does not advance" stays an exact check), or a wake-up
 *     by the thread's Atomics.notify on this word (the wake-up passes through the waiter
 *     list's critical section, which orders the thread's earlier writes before the waiter's
 *     later reads), which it calls after the store every NOTIFY_EVERY (256) units and when
 *     it parks, sleeps or exits (settle(), markExited()).
 * So a waiter is never left waiting past the thread's next notification: it waits through
 * waitForWord, whose waitAsync takes the count it last saw as the expected value and which
 * re-reads with its predicate after each wake-up. One whose target falls between two
 * multiples of 256 wakes at the next one, or when the thread parks, sleeps or exits first,
 * as it did when this store was an Atomics.store.
 */
export const KT_ITERATIONS = KT_STATS + 0;
export const KT_LAST_CPU = KT_STATS + 1; // CPU the thread last ran on
/**
 * Units of work after which a check found the thread running while its CPU was not online
 * (invariant 1, cpu-state.ts); at most one per unit. Checked at the thread's checkpoints,
 * not on every unit (workers/kthread-task.ts, checkBound()): every 256 units, each new slice
 * of its CPU's scheduler, and when it parks or sleeps after doing work.
 */
export const KT_VIOLATIONS = KT_STATS + 2;
export const KT_PARKS = KT_STATS + 3; // times the thread acknowledged a park
export const KT_BOUND_CPU = KT_STATS + 4; // written by the controller before the thread exists

export interface Layout {
  readonly ncpus: number;
  readonly maxKthreads: number;
  readonly jobSlots: number;
  readonly words: number;
}

export function layoutFor(ncpus: number, maxKthreads: number, jobSlots: number): Layout {
  const lines = CPU_BASE_LINE + ncpus * CPU_LINES + maxKthreads * KT_LINES + ncpus * jobSlots;
  return { ncpus, maxKthreads, jobSlots, words: lines * LINE_WORDS };
}

export function cpuBase(layout: Layout, cpu: number): number {
  return (CPU_BASE_LINE + cpu * CPU_LINES) * LINE_WORDS;
}

export function ktBase(layout: Layout, slot: number): number {
  return (CPU_BASE_LINE + layout.ncpus * CPU_LINES + slot * KT_LINES) * LINE_WORDS;
}

/**
 * Claim word of job slot `slot` of `cpu`. Each sits on its own line: the controller writes a
 * slot when it hands a job over while the CPU's worker takes the one before it.
 */
export function claimWord(layout: Layout, cpu: number, slot: number): number {
  return (CPU_BASE_LINE + layout.ncpus * CPU_LINES + layout.maxKthreads * KT_LINES + cpu * layout.jobSlots + slot) * LINE_WORDS;
}

/** Makes the shared memory for a runtime; only the controller calls this. */
export function createSharedMemory(layout: Layout, strategy: (typeof STRATEGY_IDS)[number]): Int32Array {
  const sab = new SharedArrayBuffer(layout.words * Int32Array.BYTES_PER_ELEMENT);
  const words = new Int32Array(sab);
  words[HDR_MAGIC] = LAYOUT_MAGIC;
  words[HDR_NCPUS] = layout.ncpus;
  words[HDR_MAX_KTHREADS] = layout.maxKthreads;
  words[HDR_STRATEGY] = STRATEGY_IDS.indexOf(strategy);
  words[HDR_JOB_SLOTS] = layout.jobSlots;
  return words;
}

/** Rebuilds the layout on the worker side from the header the controller wrote. */
export function attachSharedMemory(sab: SharedArrayBuffer): { words: Int32Array; layout: Layout; strategy: (typeof STRATEGY_IDS)[number] } {
  const words = new Int32Array(sab);
  if (words[HDR_MAGIC] !== LAYOUT_MAGIC) {
    throw new Error('cpuhp: shared memory has no cpuhp header; the worker was started with the wrong buffer');
  }
  const layout = layoutFor(words[HDR_NCPUS]!, words[HDR_MAX_KTHREADS]!, words[HDR_JOB_SLOTS]!);
  const strategy = STRATEGY_IDS[words[HDR_STRATEGY]!];
  if (strategy === undefined) throw new Error(`cpuhp: unknown strategy number ${words[HDR_STRATEGY]} in shared memory`);
  return { words, layout, strategy };
}
