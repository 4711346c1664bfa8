/**
 * The read side of the hotplug lock, for the strategies that take one around every unit
 * of work of a per-CPU thread, and the writer word they share. READ_LOCK_FACTORIES says,
 * per strategy, which read lock a CPU's worker takes: none under park and recreate, whose
 * per-CPU threads only poll their own flags word (kthread-state.ts).
 *
 * GLOBAL_WRITER (controller writes; readers only read it):
 *   WRITER_WAITING   refcount: a writer waits for GLOBAL_REFCOUNT to reach zero, so the
 *                    reader that drops it to zero must notify that word.
 *   READERS_BLOCKED  refcount phase 3 and percpu-rwsem: new readers must not enter; they
 *                    back off and Atomics.waitAsync on this word.
 *   Each operation raises its flags with Atomics.or and clears them with releaseReaders():
 *   all of them at its end, or at once if its writer times out; a refcount phase 3 that
 *   times out clears only the flags it raised itself, leaving those of its begin().
 *   bits 8..31       a kick counter: the controller adds KICK after it sets a park or stop
 *                    request that a backed-off reader must see. Readers wait with the whole
 *                    word as the expected value, so clearing a flag or a kick always changes
 *                    the word, and a reader about to wait returns at once instead of missing
 *                    the wake-up.
 *
 * refcount (get_online_cpus() of 2012): GLOBAL_REFCOUNT, one word on one line, written by
 * every CPU on every unit: deliberately shared, the cache line bounces between CPUs.
 *   enter: add 1, then if READERS_BLOCKED, undo and back off.
 *   exit:  sub 1; if that made it zero and a writer is waiting, notify GLOBAL_REFCOUNT.
 * Each worker also counts the sections it is inside in its own CPU_READ_HELD (a plain write
 * to its own stats line, read by the controller only after the worker has died), so that a
 * worker dying inside a section does not leave the global count up for ever.
 *
 * percpu-rwsem (percpu_down_read() / percpu_up_read()): CPU_READERS of each CPU, on its
 * own line. While a worker lives, its one read lock (workers/cpu.ts makes one) is the only
 * writer of its CPU's count, so the lock keeps the count in a local variable and publishes
 * it with Atomics.store: no read-modify-write on the read side, as this_cpu_inc() is no
 * atomic RMW in the kernel's percpu_down_read() fast path.
 *   enter: store count + 1; load the writer word; if a flag is up, undo (exit) and back off
 *          (__percpu_down_read_trylock(): this_cpu_inc, smp_mb, read sem->block, undo).
 *   exit:  store count - 1; load the writer word; if a flag is up, notify this CPU's count
 *          (the writer waits on it for zero).
 *
 * Why the writer cannot miss a reader. The writer (hotplug/strategies/percpu-rwsem.ts,
 * begin()) raises READERS_BLOCKED with Atomics.or, then reads every CPU's count with
 * Atomics.load, waiting at each until it is 0. The reader stores its count, then loads the
 * writer word. This is the store-buffering (Dekker) pattern, and it holds only because both
 * sides are sequentially consistent: the writer's RMW of the flag, the writer's loads of the
 * counts, the reader's store of its count and the reader's load of the flag. SC operations
 * have one total order that agrees with each thread's program order, so of "writer's RMW,
 * then writer's load of this count" and "reader's store, then reader's load of the flag",
 * whichever first operation comes first in that order is seen by the other side's second:
 *   - the reader's store comes first: the writer's load of that count sees it (or a later
 *     store) and the writer waits; the reader either saw the flag and leaves at once, or
 *     did not and is inside until its exit stores the count it entered with;
 *   - the writer's RMW comes first: the reader's load sees the flag, and it undoes its
 *     store before doing any work, so a writer that read its count as zero never has that
 *     reader inside past its re-check.
 * Never both missing: that outcome (each load reading the value from before the other's
 * store) is exactly what seq-cst Atomics forbid and what plain or release/acquire accesses
 * would allow. The loads and stores here are all Atomics.*, none plain, for that reason; the
 * local count is only the value to store, never a substitute for reading the flag. An
 * undo also stores, then loads the flag and notifies, so a writer that read the passing
 * count waits for it to fall, not for ever. A transient count (entered and undone) may make
 * the writer wait for that fall; it never lets it through with a reader inside.
 *
 * The dead-worker path (dropDeadReaders): the controller zeroes the count of a CPU whose
 * worker has exited, with Atomics.exchange, and notifies a writer waiting on it. The dead
 * worker writes nothing any more, and the CPU's next worker makes a new lock whose local
 * count starts at 0, the word's value then: so the word keeps one writer at a time.
 */

import { cpuBase, CPU_READERS, CPU_READ_HELD, GLOBAL_REFCOUNT, GLOBAL_WRITER, STRATEGY_IDS, type Layout } from './layout.js';

/** A strategy's name, as the header of the shared memory numbers it (layout.ts). */
export type StrategyName = (typeof STRATEGY_IDS)[number];

export const Writer = {
  WRITER_WAITING: 1 << 0,
  READERS_BLOCKED: 1 << 1,
  FLAGS: (1 << 8) - 1,
  KICK: 1 << 8,
} as const;

/** Wakes readers backed off on the writer word, so they re-check their own requests. */
export function kickReaders(words: Int32Array): void {
  Atomics.add(words, GLOBAL_WRITER, Writer.KICK);
  Atomics.notify(words, GLOBAL_WRITER);
}

/**
 * Clears the writer's flags, all of them or only `flags` (keeping the kick count moving),
 * and wakes every backed-off reader.
 */
export function releaseReaders(words: Int32Array, flags: number = Writer.FLAGS): void {
  Atomics.add(words, GLOBAL_WRITER, Writer.KICK);
  Atomics.and(words, GLOBAL_WRITER, ~(flags & Writer.FLAGS));
  Atomics.notify(words, GLOBAL_WRITER);
}

export interface ReadLock {
  /** Synchronous fast path; false means "back off and wait, then retry". */
  tryEnter(): boolean;
  exit(): void;
}

/**
 * A reader's back-off: resolves when the writer word changes (flags cleared, or a kick) or
 * after `sliceMs`; the caller re-checks its own requests, then retries tryEnter().
 *
 * `requested` (the thread's own park/stop test) is checked after the writer word is read:
 * the controller sets a request before it kicks, so either this read already sees the kick
 * and the request check sees the request, or the kick changes the word under the wait.
 */
export async function backOff(words: Int32Array, requested: () => boolean, sliceMs: number): Promise<void> {
  const word = Atomics.load(words, GLOBAL_WRITER);
  if (!(word & Writer.READERS_BLOCKED) || requested()) return;
  const wait = Atomics.waitAsync(words, GLOBAL_WRITER, word, sliceMs);
  if (wait.async) await wait.value;
}

export function refcountReadLock(words: Int32Array, held: number): ReadLock {
  const drop = (): void => {
    if (Atomics.sub(words, GLOBAL_REFCOUNT, 1) === 1 && Atomics.load(words, GLOBAL_WRITER) & Writer.WRITER_WAITING) {
      Atomics.notify(words, GLOBAL_REFCOUNT);
    }
  };
  return {
    tryEnter() {
      Atomics.add(words, GLOBAL_REFCOUNT, 1);
      if (!(Atomics.load(words, GLOBAL_WRITER) & Writer.READERS_BLOCKED)) {
        words[held]!++;
        return true;
      }
      drop();
      return false;
    },
    exit() {
      words[held]!--;
      drop();
    },
  };
}

/**
 * A CPU's worker died, perhaps inside read sections: drop what it held, so that writers are
 * not blocked for ever. Controller only, once the worker has exited (nothing else writes
 * these words of that CPU then).
 */
export function dropDeadReaders(words: Int32Array, held: number, readers: number): void {
  const sections = words[held]!;
  words[held] = 0;
  if (sections > 0 && Atomics.sub(words, GLOBAL_REFCOUNT, sections) === sections) Atomics.notify(words, GLOBAL_REFCOUNT);
  if (Atomics.exchange(words, readers, 0) !== 0) Atomics.notify(words, readers);
}

/**
 * percpu_down_read() / percpu_up_read() of one CPU, for that CPU's worker alone (the
 * ordering argument is at the top of this file). Two SC stores and two SC loads a section,
 * no read-modify-write.
 */
export function percpuReadLock(words: Int32Array, readers: number): ReadLock {
  // Sections this CPU is inside: the value of its CPU_READERS word, which only this lock writes.
  let count = 0;
  const exit = (): void => {
    Atomics.store(words, readers, --count);
    if (Atomics.load(words, GLOBAL_WRITER) & Writer.FLAGS) Atomics.notify(words, readers);
  };
  return {
    tryEnter() {
      Atomics.store(words, readers, ++count);
      if (!(Atomics.load(words, GLOBAL_WRITER) & Writer.FLAGS)) return true;
      exit();
      return false;
    },
    exit,
  };
}

/** The read lock the worker of `cpu` takes around each unit of work, or undefined for none. */
export type ReadLockFactory = (words: Int32Array, layout: Layout, cpu: number) => ReadLock | undefined;

/**
 * The worker side of each strategy, by name: the one place a strategy name becomes a read
 * lock (the controller side's writers are chosen in hotplug/strategies/index.ts).
 */
export const READ_LOCK_FACTORIES: Readonly<Record<StrategyName, ReadLockFactory>> = {
  park: () => undefined,
  refcount: (words, layout, cpu) => refcountReadLock(words, cpuBase(layout, cpu) + CPU_READ_HELD),
  'percpu-rwsem': (words, layout, cpu) => percpuReadLock(words, cpuBase(layout, cpu) + CPU_READERS),
  recreate: () => undefined,
};
