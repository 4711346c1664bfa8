/**
 * A bug planted on purpose, for torture to prove it can find one (RuntimeOptions
 * plantedRace, test-only): a CPU going down leaves one running thread out of its park
 * and parks it only after the CPU is dead, the mistake the 2012 rework was about.
 * Torture must see that thread run while its CPU is not online.
 */

import { KtFlag, parkAcknowledged, setFlags } from '../protocol/kthread-state.js';
import { KT_FLAGS, KT_ITERATIONS } from '../protocol/layout.js';
import { waitForWord } from '../protocol/wait.js';
import type { KthreadRecord } from './registry.js';

export class PlantedRace {
  private readonly heldBack = new Map<number, KthreadRecord>();

  constructor(
    private readonly words: Int32Array,
    readonly enabled: boolean,
  ) {}

  /**
   * The threads of `cpu` that smpboot parks: all of them, or, with the race planted, all
   * but the newest running one, which is held back. Per-CPU threads, made first, may be
   * held off by a strategy's hotplug lock and so would not show the race on their own.
   */
  threadsToPark(cpu: number, threads: KthreadRecord[]): KthreadRecord[] {
    if (!this.enabled) return threads;
    const running = threads.findLast((r) => !(Atomics.load(this.words, r.base + KT_FLAGS) & (KtFlag.PARKED | KtFlag.EXITED | KtFlag.SHOULD_PARK)));
    if (running === undefined) return threads;
    this.heldBack.set(cpu, running);
    return threads.filter((r) => r !== running);
  }

  /**
   * At CPU DEAD: parks the thread held back from the CPU's park, if there is one. It runs
   * inside the guard-timed DYING step, so both of its waits together stay within half of
   * `timeoutMs`: a park request set after that step timed out and rolled back would be
   * left on a thread of an online CPU, which nothing would clear (seen under load, where a
   * sleeping held-back thread ran no work for the whole bound).
   */
  async parkHeldBack(cpu: number, timeoutMs: number): Promise<void> {
    const record = this.heldBack.get(cpu);
    if (record === undefined) return;
    this.heldBack.delete(cpu);
    if (record.gone !== undefined) return;
    // Let it run on the dead CPU until its next iteration notification (every 256), so the
    // race shows every time it runs rather than only when the window happens to be hit.
    const iterations = record.base + KT_ITERATIONS;
    const next = (Math.floor(Atomics.load(this.words, iterations) / 256) + 1) * 256;
    await waitForWord(this.words, iterations, (v) => v >= next, timeoutMs / 4);
    setFlags(this.words, record.base + KT_FLAGS, KtFlag.CPU_PARK);
    await waitForWord(this.words, record.base + KT_FLAGS, parkAcknowledged, timeoutMs / 4);
  }

  /** The CPU's threads are gone: nothing is held back there any more. */
  forgetCpu(cpu: number): void {
    this.heldBack.delete(cpu);
  }
}
