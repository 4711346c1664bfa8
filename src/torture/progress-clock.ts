/**
 * A clock for the torture's own time limits that advances only while the controller's event
 * loop gets to run. A fixed wall-clock bound calls an operation hung when a loaded machine
 * merely ran it slowly: on two cores at a load average of 20, a 9 s bound failed runs that
 * were fine. This clock ticks every TICK_MS and credits at most TICK_MS per tick, so a second
 * in which the loop ran only a few ticks counts as a fraction of a second. A real deadlock
 * still shows: an idle loop ticks on time, so the clock keeps pace with the wall clock while
 * an operation waits for something that never comes. A wall-clock cap far above every bound
 * still reports an operation whose loop barely runs at all.
 */

/** Tick interval, and the most progress one tick credits. */
const TICK_MS = 50;

interface Alarm {
  readonly at: number;
  readonly fire: () => void;
}

export class ProgressClock {
  private progress = 0;
  private last = performance.now();
  private readonly alarms = new Set<Alarm>();
  private readonly timer: NodeJS.Timeout;

  constructor() {
    this.timer = setInterval(() => this.tick(), TICK_MS);
    // Only pending alarms keep the process alive (see at()).
    this.timer.unref();
  }

  /** Progress in ms since the clock started: the loop's running time, never more than the wall clock. */
  now(): number {
    return this.progress;
  }

  private tick(): void {
    const wall = performance.now();
    this.progress += Math.min(wall - this.last, TICK_MS);
    this.last = wall;
    for (const alarm of this.alarms) {
      if (alarm.at > this.progress) continue;
      this.alarms.delete(alarm);
      alarm.fire();
    }
    if (this.alarms.size === 0) this.timer.unref();
  }

  /** Calls `fire` once the clock has advanced `ms`; returns a cancel function. */
  at(ms: number, fire: () => void): () => void {
    const alarm: Alarm = { at: this.progress + ms, fire };
    this.alarms.add(alarm);
    this.timer.ref();
    return () => {
      this.alarms.delete(alarm);
      if (this.alarms.size === 0) this.timer.unref();
    };
  }

  /** Resolves once the clock has advanced `ms`. */
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.at(ms, resolve));
  }

  /**
   * Settles as `work` does, or rejects with `onTimeout(wallMs)` once the clock has advanced
   * `progressMs` or, whichever comes first, the wall clock `capMs`.
   */
  async deadline<T>(work: Promise<T>, progressMs: number, capMs: number, onTimeout: (wallMs: number) => Error): Promise<T> {
    const started = performance.now();
    let cancel = (): void => undefined;
    let cap: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_, reject) => {
      const fire = (): void => reject(onTimeout(performance.now() - started));
      cancel = this.at(progressMs, fire);
      cap = setTimeout(fire, capMs);
    });
    try {
      return await Promise.race([work, expired]);
    } finally {
      cancel();
      clearTimeout(cap);
    }
  }

  close(): void {
    clearInterval(this.timer);
    this.alarms.clear();
  }
}
