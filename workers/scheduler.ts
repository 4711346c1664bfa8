/**
 * The per-CPU scheduler of cooperative kthreads. Every kthread of a CPU is an async
 * function on the worker's one JavaScript thread; `kt.schedule()` is their cond_resched().
 *
 * Yielding on a microtask is cheap but never lets the event loop reach messages, timers or
 * waitAsync wake-ups, so once a time slice is used up the scheduler sets need_resched and
 * every thread that yields from then on waits for one setImmediate turn: the microtask
 * queue drains, the event loop runs once, and all of them resume in the order they yielded.
 * The clock is read only every 32nd yield, to keep schedule() off the clock on the fast path.
 */

const SLICE_MS = 1;
const CLOCK_EVERY = 32;
const RESOLVED: Promise<void> = Promise.resolve();

export class CpuScheduler {
  private yields = 0;
  private sliceEnd = 0;
  private needResched = false;
  private waiting: Array<() => void> = [];

  yield(): Promise<void> {
    if (!this.needResched) {
      if (++this.yields % CLOCK_EVERY !== 0) return RESOLVED;
      if (performance.now() < this.sliceEnd) return RESOLVED;
      this.needResched = true;
      setImmediate(this.newSlice);
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private readonly newSlice = (): void => {
    this.needResched = false;
    this.sliceEnd = performance.now() + SLICE_MS;
    const resume = this.waiting;
    this.waiting = [];
    for (const run of resume) run();
  };
}
