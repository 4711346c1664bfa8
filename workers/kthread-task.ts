/**
 * A kthread as its CPU worker runs it: the implementation of the `Kthread` handle over the
 * thread's slot in shared memory (KT_FLAGS, KT_STATS) and its CPU's state word.
 *
 * This side writes only the state bits of KT_FLAGS (STARTED, PARKED, EXITED, and clears WAKE
 * after consuming it) and the KT_STATS line; the request bits belong to the controller.
 */

import type { Kthread } from '../src/kthread/define.js';
import { ConfigError } from '../src/errors.js';
import { CPU_CURRENT, CPU_STATE, CPU_VIOLATIONS, KT_FLAGS, KT_ITERATIONS, KT_LAST_CPU, KT_PARKS, KT_VIOLATIONS } from '../src/protocol/layout.js';
import { CpuState, mayRunBound } from '../src/protocol/cpu-state.js';
import { clearFlags, KtFlag, PARK_REQUESTS, setFlags } from '../src/protocol/kthread-state.js';
import type { CpuScheduler } from './scheduler.js';

/** Longest single wait; the loops around it re-check the word, so this only bounds a lost wake. */
const WAIT_SLICE_MS = 1000;
/** Notify iteration watchers every this many iterations (a power of two). */
const NOTIFY_EVERY = 256;

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

export class KthreadTask<Data = unknown> implements Kthread<Data> {
  private done = 0;

  constructor(
    readonly cpu: number,
    readonly id: number,
    readonly name: string,
    public data: Data,
    private readonly at: SlotWords,
    private readonly scheduler: CpuScheduler,
    private readonly dormancy: ParkWatcher,
  ) {}

  get iterations(): number {
    return this.done;
  }

  shouldStop(): boolean {
    return (Atomics.load(this.at.words, this.at.slot + KT_FLAGS) & KtFlag.SHOULD_STOP) !== 0;
  }

  boundShouldStop(): boolean {
    return (Atomics.load(this.at.words, this.at.slot + KT_FLAGS) & PARK_REQUESTS) !== 0;
  }

  shouldPark(): boolean {
    return this.boundShouldStop();
  }

  schedule(): Promise<void> {
    this.countIteration();
    return this.scheduler.yield();
  }

  /**
   * Counts one unit of work and checks invariant 1 on it: the bound CPU must be online.
   * The worker runs only its own CPU's threads, so "never on another CPU" holds by
   * construction; KT_LAST_CPU records it for the checkers anyway.
   */
  countIteration(): void {
    const { words, slot } = this.at;
    const n = ++this.done;
    Atomics.store(words, slot + KT_ITERATIONS, n);
    if ((n & (NOTIFY_EVERY - 1)) === 0) Atomics.notify(words, slot + KT_ITERATIONS);
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

  /** Invariant 1 at this instant: counts a violation if the bound CPU is not online. */
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
   */
  private settle(): void {
    Atomics.notify(this.at.words, this.at.slot + KT_ITERATIONS);
  }

  private recordViolation(): void {
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
