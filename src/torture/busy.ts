/**
 * Progress time during which something was under way: the torture's own hotplug turns, or
 * any operation that takes the runtime's hotplug lock. Work the runtime does later under
 * that lock (reaping a failed CPU, replacing a lost per-CPU thread) may have to wait that
 * long, so the run does not hold it against the runtime.
 */

import type { ProgressClock } from './progress-clock.js';

export class Busy {
  private depth = 0;
  private since = 0;
  private accumulated = 0;

  constructor(private readonly clock: ProgressClock) {}

  enter(): void {
    if (this.depth++ === 0) this.since = this.clock.now();
  }

  leave(): void {
    if (--this.depth === 0) this.accumulated += this.clock.now() - this.since;
  }

  /** Progress ms spent busy so far, the current stretch included. */
  total(): number {
    return this.accumulated + (this.depth > 0 ? this.clock.now() - this.since : 0);
  }
}
