/**
 * Turns for the operations that move CPUs or change the hotplug step table: the onoff
 * actor's cpuDown/cpuUp, the long-job actor's cpuDown, and the state actor's setupState and
 * removeState. One at a time, as the run had them before it had more than one such actor:
 * the checks after each operation can then tell which CPUs an operation is moving (a CPU
 * mid-way through a cpuDown is legitimately neither online nor offline), and the state
 * actor can compare every CPU before and after its call. Everything else (threads, jobs,
 * worker deaths) still runs concurrently with them.
 */

import type { Busy } from './busy.js';

export type Touched = readonly number[] | 'all';

export class Turns {
  private tail: Promise<void> = Promise.resolve();
  private current: Touched | undefined;

  /** `busy` accounts for the time turns are under way. */
  constructor(private readonly busy: Busy) {}

  /** Runs `body` once every earlier turn has ended. */
  run<T>(touched: Touched, body: () => Promise<T>): Promise<T> {
    const result = this.tail.then(async () => {
      this.current = touched;
      this.busy.enter();
      try {
        return await body();
      } finally {
        this.current = undefined;
        this.busy.leave();
      }
    });
    this.tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }

  /** Whether the operation under way now may be moving `cpu`. */
  touches(cpu: number): boolean {
    const current = this.current;
    return current === 'all' || (current !== undefined && current.includes(cpu));
  }
}
