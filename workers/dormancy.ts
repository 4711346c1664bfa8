/**
 * The worker's half of the dormancy handshake (src/protocol/cpu-state.ts): a CPU going down
 * blocks its worker in Atomics.wait, so that a dead CPU runs no JavaScript at all.
 *
 * Two ways in. SLEEP_REQUESTED: the controller saw every bound thread parked and asks the
 * worker to block now. PARK_THEN_SLEEP: the controller asked the threads to park and the
 * worker to block as soon as they all have; the worker checks when the request arrives and
 * whenever one of its threads parks or exits, and blocks in the turn it finds them all
 * acknowledged, so a CPU down costs two cross-thread wake-ups (worker sees the request,
 * controller sees DORMANT) instead of four, whatever the number of threads.
 *
 * Words: this file writes only CPU_DORMANT (DORMANT and AWAKE, each by compareExchange from
 * the controller's request) and CPU_DORMANCIES / CPU_VIOLATIONS on the worker's own stats line.
 */

import { Dormancy } from '../src/protocol/cpu-state.js';
import { parkAcknowledged } from '../src/protocol/kthread-state.js';
import { CPU_DORMANCIES, CPU_DORMANT, CPU_VIOLATIONS } from '../src/protocol/layout.js';
import { blockWhileWord } from '../src/protocol/wait.js';

/** Longest single wait; the loops around it re-check the word, so this only bounds a lost wake. */
const WAIT_SLICE_MS = 1000;

export class CpuDormancy {
  /**
   * The flags words of this worker's threads, in order, and how many of them, from the
   * first, were found acknowledged (PARKED or EXITED). A thread stops being acknowledged only
   * by leaving parkme(), and a slot gets a new thread only by createKthread; each calls
   * forgetChecks() in the same synchronous turn, which drops this cache; so while it is kept, those `checked` threads are all still parked, and
   * each thread is checked once per park rather than once per other thread's park.
   */
  private pending: number[] | undefined;
  private checked = 0;

  /**
   * @param words   the runtime's shared memory
   * @param cpuBase cpuBase() of this worker's CPU
   * @param threadFlags the KT_FLAGS index of every thread this worker runs (not yet reaped)
   */
  constructor(
    private readonly words: Int32Array,
    private readonly cpuBase: number,
    private readonly threadFlags: () => Iterable<number>,
    /** Bounds one wait only: every request is answered by a notify, never by this running out. */
    private readonly sliceMs = WAIT_SLICE_MS,
  ) {}

  /** A thread of this CPU parked or exited: if a PARK_THEN_SLEEP waits for that, block now. */
  threadParked(): void {
    if (Atomics.load(this.words, this.cpuBase + CPU_DORMANT) === Dormancy.PARK_THEN_SLEEP) this.sleepIfAllParked();
  }

  /** A thread of this CPU left parkme(), or a thread was made: what was found acknowledged may no longer hold. */
  forgetChecks(): void {
    this.pending = undefined;
  }

  /** Follows the controller's requests until SHUTDOWN, then ends the worker. */
  async controlLoop(onShutdown: () => void): Promise<void> {
    const word = this.cpuBase + CPU_DORMANT;
    let timedOut = false;
    for (;;) {
      const value = Atomics.load(this.words, word);
      if (value === Dormancy.SHUTDOWN) break;
      if (value === Dormancy.SLEEP_REQUESTED) {
        this.countUnparked();
        this.sleep(Dormancy.SLEEP_REQUESTED);
        continue;
      }
      // Having slept, look again: the word may have gone round (DORMANT, woken, AWAKE, and a
      // new PARK_THEN_SLEEP already) back to `value`, whose notify came before any wait.
      if (value === Dormancy.PARK_THEN_SLEEP && this.sleepIfAllParked(timedOut)) continue;
      // Wait for a change from the value acted on, never from a fresh read: a request written
      // since `value` was read must end the wait at once, not after a slice. (A PARK_THEN_SLEEP
      // still waiting for its threads stays the value; their own parks call threadParked().)
      const wait = Atomics.waitAsync(this.words, word, value, this.sliceMs);
      timedOut = (wait.async ? await wait.value : wait.value) === 'timed-out';
    }
    onShutdown();
  }

  /**
   * Blocks if every thread has acknowledged; whether it blocked (and has been woken since).
   * `afterTimeout`: the control loop found the request only when its wait ran out. If the
   * threads had all parked by then, nothing told it (each request and each park notifies
   * or calls threadParked), so a wake-up was lost: a protocol bug, counted as a violation
   * so that torture and the tests see it rather than only a slower CPU down.
   */
  private sleepIfAllParked(afterTimeout = false): boolean {
    if (this.pending === undefined) {
      this.pending = [...this.threadFlags()];
      this.checked = 0;
    }
    while (this.checked < this.pending.length) {
      if (!parkAcknowledged(Atomics.load(this.words, this.pending[this.checked]!))) return false;
      this.checked++;
    }
    this.pending = undefined;
    if (afterTimeout) Atomics.add(this.words, this.cpuBase + CPU_VIOLATIONS, 1);
    return this.sleep(Dormancy.PARK_THEN_SLEEP);
  }

  /** SLEEP_REQUESTED comes only after every bound thread acknowledged: one not parked now is a violation. */
  private countUnparked(): void {
    for (const flags of this.threadFlags()) {
      if (!parkAcknowledged(Atomics.load(this.words, flags))) Atomics.add(this.words, this.cpuBase + CPU_VIOLATIONS, 1);
    }
  }

  /**
   * Blocks this OS thread until the controller asks it to wake or to shut down. DORMANT is
   * stored and Atomics.wait entered in one synchronous turn. If the controller withdrew the
   * request first, the compareExchange fails and nothing happens.
   */
  private sleep(requested: number): boolean {
    const { words } = this;
    const word = this.cpuBase + CPU_DORMANT;
    if (Atomics.compareExchange(words, word, requested, Dormancy.DORMANT) !== requested) return false;
    Atomics.add(words, this.cpuBase + CPU_DORMANCIES, 1);
    Atomics.notify(words, word);
    const next = blockWhileWord(words, word, Dormancy.DORMANT, this.sliceMs);
    if (next === Dormancy.WAKE_REQUESTED) {
      Atomics.compareExchange(words, word, Dormancy.WAKE_REQUESTED, Dormancy.AWAKE);
      Atomics.notify(words, word);
    }
    return true;
  }
}
