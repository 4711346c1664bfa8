/**
 * A kthread as its CPU worker runs it: the implementation of the `Kthread` handle over the
 * thread's slot in shared memory (KT_FLAGS, KT_STATS) and its CPU's state word.
 *
 * This side writes only the state bits of KT_FLAGS (STARTED, PARKED, EXITED, and clears WAKE
 * after consuming it) and the KT_STATS line; the request bits belong to the controller.
 *
 * The fast path (one unit of work of a bound thread) touches shared memory twice: one
 * Atomics.load of KT_FLAGS, which answers stop and park together (flags()), and one plain
 * store of the unit count to KT_ITERATIONS (why a plain store is enough: layout.ts). The
 * check of invariant 1, "a bound thread runs only while its CPU is ONLINE or DOWN_PREPARE",
 * is not on it: it runs at checkpoints the thread passes regularly, listed at checkBound().
 */

import type { Kthread } from '../src/kthread/define.js';
import { ConfigError } from '../src/errors.js';
import { CPU_CURRENT, CPU_STATE, CPU_VIOLATIONS, KT_FLAGS, KT_ITERATIONS, KT_LAST_CPU, KT_PARKS, KT_VIOLATIONS } from '../src/protocol/layout.js';
import { CpuState, mayRunBound } from '../src/protocol/cpu-state.js';
import { clearFlags, KtFlag, PARK_REQUESTS, setFlags } from '../src/protocol/kthread-state.js';
import type { CpuScheduler, SliceThread } from './scheduler.js';

/** Longest single wait; the loops around it re-check the word, so this only bounds a lost wake. */
const WAIT_SLICE_MS = 1000;
/**
 * Notify iteration watchers, and check invariant 1, every this many units (a power of two).
 * rt.waitForIterations, torture's "did not run 256 units" and PlantedRace.parkHeldBack
 * (which waits for the held-back thread's next multiple of it) depend on the 256.
 */
export const NOTIFY_EVERY = 256;

export interface SlotWords {
  readonly words: Int32Array;
  /** ktBase() of the thread's slot. */
  readonly slot: number;
  /** cpuBase() of the bound CPU. */
  readonly cpu: number;
}

/** The worker's dormancy (dormancy.ts): told when a thread's acknowledgement of a park begins or ends. */
export interface ParkWatcher {
  threadParked(): void;
  forgetChecks(): void;
}

export class KthreadTask<Data = unknown> implements Kthread<Data>, SliceThread {
  /** Units of work done: the thread's own count, of which KT_ITERATIONS is the shared copy. */
  private done = 0;
  /** `done` at the last settle(): a park or sleep checks invariant 1 only if units ran since. */
  private settledAt = 0;
  /** `done` at the last violation recorded: at most one is counted per unit of work. */
  private violatedAt = -1;
  // The words of the fast path, resolved once rather than through `at` on every unit.
  private readonly words: Int32Array;
  private readonly flagsWord: number;
  private readonly iterationsWord: number;

  constructor(
    readonly cpu: number,
    readonly id: number,
    readonly name: string,
    public data: Data,
    private readonly at: SlotWords,
    private readonly scheduler: CpuScheduler,
    private readonly dormancy: ParkWatcher,
  ) {
    this.words = at.words;
    this.flagsWord = at.slot + KT_FLAGS;
    this.iterationsWord = at.slot + KT_ITERATIONS;
  }

  get iterations(): number {
    return this.done;
  }

  /**
   * KT_FLAGS in one Atomics.load, for a caller that tests several bits of the same reading:
   * smpboot_thread_fn tests stop, then park (KtFlag.SHOULD_STOP, PARK_REQUESTS), on one load
   * per turn. A request that lands after the load is seen on the next turn, as it would be
   * between two loads.
   */
  flags(): number {
    return Atomics.load(this.words, this.flagsWord);
  }

  shouldStop(): boolean {
    return (Atomics.load(this.words, this.flagsWord) & KtFlag.SHOULD_STOP) !== 0;
  }

  /** The plain bound-kthread loop's check: one load. */
  boundShouldStop(): boolean {
    return (Atomics.load(this.words, this.flagsWord) & PARK_REQUESTS) !== 0;
  }

  shouldPark(): boolean {
    return this.boundShouldStop();
  }

  /**
   * cond_resched() after one unit of work: count it, with a plain store to the shared copy
   * (layout.ts, KT_ITERATIONS, says why that serves every reader); every NOTIFY_EVERY units
   * check invariant 1 and wake the count's watchers; then yield to the CPU's scheduler.
   */
  schedule(): Promise<void> {
    const n = ++this.done;
    this.words[this.iterationsWord] = n;
    if ((n & (NOTIFY_EVERY - 1)) === 0) {
      // The check comes before the notify: a watcher that acts on this count (the planted
      // race parks the thread when it sees it) finds the violation already counted.
      this.checkBound();
      Atomics.notify(this.words, this.iterationsWord);
    }
    return this.scheduler.yield(this);
  }

  /** The scheduler resumes this thread after a setImmediate turn: a checkpoint of invariant 1. */
  sliceStart(): void {
    this.checkBound();
  }

  /**
   * Marks this thread as inside a unit of work on its CPU (CPU_CURRENT), or not: what the
   * watchdog names if the CPU is found stuck. Two plain stores per unit, on the worker's own line.
   */
  enterUnit(): void {
    this.at.words[this.at.cpu + CPU_CURRENT] = this.id;
  }

  leaveUnit(): void {
    this.at.words[this.at.cpu + CPU_CURRENT] = 0;
  }

  /** cpu_online() of the bound CPU: ONLINE, not going down or down. */
  cpuOnline(): boolean {
    return Atomics.load(this.at.words, this.at.cpu + CPU_STATE) === CpuState.ONLINE;
  }

  /**
   * Invariant 1 at this instant: counts a violation if the bound CPU is not ONLINE or
   * DOWN_PREPARE. The worker runs only its own CPU's threads, so "never on another CPU"
   * holds by construction; KT_LAST_CPU records it for the checkers anyway.
   *
   * Not called per unit of work, but at these checkpoints of the thread:
   *   - every NOTIFY_EVERY units, in schedule();
   *   - when a new slice of the CPU's scheduler resumes it (sliceStart), which happens at
   *     least once a slice (1 ms, the clock being read every 32 yields) while it runs;
   *   - when it parks or sleeps (settle()), if it did a unit of work since it last did;
   *   - when the kworker starts a job (workers/job-queue.ts).
   * A thread that keeps running on a CPU that is not online is therefore counted within
   * NOTIFY_EVERY units or one slice of it, whichever comes first, and again at each later
   * checkpoint; a thread that runs only a few units there and then parks or sleeps is
   * counted as it does. What is missed, where every unit used to be checked: a stretch of
   * fewer than 256 units, within one slice, that a thread runs while its CPU is not online,
   * the CPU being online again by the thread's next checkpoint. For a thread that obeys its
   * park requests there is no such stretch: DYING comes only after every bound thread
   * acknowledged PARKED, and a parked thread runs again only once its CPU is ONLINE. A
   * thread that never did a unit (one made parked during bring-up, which runs only as far as
   * its parkme) is not counted.
   */
  checkBound(): void {
    if (!mayRunBound(Atomics.load(this.at.words, this.at.cpu + CPU_STATE))) this.recordViolation();
  }

    /** wake_up_process() from this thread's own worker: ends its kt.sleep(). */
  wake(): void {
    setFlags(this.at.words, this.at.slot + KT_FLAGS, KtFlag.WAKE);
  }

  /**
   * Iteration watchers are notified every NOTIFY_EVERY units; a thread about to park or
   * sleep notifies too, so a watcher of a count in between learns it will not come soon.
   * It is also a checkpoint of invariant 1 (checkBound), for a thread that did units of work
   * since it last parked or slept: one that did none, as a thread made parked during
   * bring-up, runs here before its CPU is online, legitimately, only to park.
   */
  private settle(): void {
    if (this.done !== this.settledAt) {
      this.settledAt = this.done;
      this.checkBound();
    }
    Atomics.notify(this.words, this.iterationsWord);
  }

  /**
   * At most one violation per unit of work, however many checkpoints find the same unit
   * (its NOTIFY_EVERY check, then the slice that resumes it, then its park): KT_VIOLATIONS
   * counts units of work after which the CPU was found not online.
   */
  private recordViolation(): void {
    if (this.violatedAt === this.done) return;
    this.violatedAt = this.done;
    Atomics.add(this.at.words, this.at.slot + KT_VIOLATIONS, 1);
    Atomics.add(this.at.words, this.at.cpu + CPU_VIOLATIONS, 1);
  }

  /**
   * kthread_parkme(): set PARKED (the acknowledgement), then wait on the flags word until
   * both park requests are clear or a stop is asked; clear PARKED on the way out.
   */
  async parkme(): Promise<void> {
    const { words } = this.at;
    const flags = this.at.slot + KT_FLAGS;
    this.settle();
    for (;;) {
      const value = Atomics.load(words, flags);
      if (value & KtFlag.SHOULD_STOP || !(value & PARK_REQUESTS)) break;
      if (!(value & KtFlag.PARKED)) {
        Atomics.add(words, this.at.slot + KT_PARKS, 1);
        setFlags(words, flags, KtFlag.PARKED);
        // The last thread of a CPU going down (PARK_THEN_SLEEP) to park blocks the worker here.
        this.dormancy.threadParked();
        continue;
      }
      const wait = Atomics.waitAsync(words, flags, value, WAIT_SLICE_MS);
      if (wait.async) await wait.value;
    }
    if (Atomics.load(words, flags) & KtFlag.PARKED) {
      clearFlags(words, flags, KtFlag.PARKED);
      this.dormancy.forgetChecks();
    }
    Atomics.store(words, this.at.slot + KT_LAST_CPU, this.cpu);
  }

  async sleep(ms = Infinity): Promise<boolean> {
    if (typeof ms !== 'number' || Number.isNaN(ms) || ms < 0) {
      throw new ConfigError(`kt.sleep(ms): ms must be a number of milliseconds from 0 up, or left out (or Infinity) to sleep until woken, got ${typeof ms === 'number' ? String(ms) : typeof ms}`);
    }
    const { words } = this.at;
    const flags = this.at.slot + KT_FLAGS;
    this.settle();
    const deadline = performance.now() + ms;
    for (;;) {
      const value = Atomics.load(words, flags);
      if (value & KtFlag.WAKE) {
        clearFlags(words, flags, KtFlag.WAKE);
        return true;
      }
      if (value & (PARK_REQUESTS | KtFlag.SHOULD_STOP)) return true;
      const left = deadline - performance.now();
      if (left <= 0) return false;
      const wait = Atomics.waitAsync(words, flags, value, Math.min(left, WAIT_SLICE_MS));
      if (wait.async) await wait.value;
    }
  }

  markStarted(): void {
    Atomics.store(this.at.words, this.at.slot + KT_LAST_CPU, this.cpu);
    setFlags(this.at.words, this.at.slot + KT_FLAGS, KtFlag.STARTED);
  }

  markExited(): void {
    const { words, slot } = this.at;
    Atomics.and(words, slot + KT_FLAGS, ~KtFlag.PARKED);
    setFlags(words, slot + KT_FLAGS, KtFlag.EXITED);
    Atomics.notify(words, slot + KT_ITERATIONS);
    this.dormancy.threadParked();
  }
}
