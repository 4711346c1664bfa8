/**
 * The per-CPU scheduler of cooperative kthreads. Every kthread of a CPU is an async
 * function on the worker's one JavaScript thread; `kt.schedule()` is their cond_resched().
 *
 * Yielding on a microtask is cheap but never lets the event loop reach messages, timers or
 * waitAsync wake-ups, so once a time slice is used up the scheduler sets need_resched and
 * every thread that yields from then on waits for one setImmediate turn: the microtask
 * queue drains, the event loop runs once, and all of them resume in the order they yielded.
 * The clock is read only every 32nd yield, to keep schedule() off the clock on the fast path.
 *
 * A thread resumed by a new slice is told so first (SliceThread.sliceStart): it has left the
 * microtask chain, and anything may have happened to its CPU meanwhile, so that is one of the
 * points where it checks that its CPU may still run it (kthread-task.ts).
 */

const SLICE_MS = 1;
/** The clock is read on every this many yields of the CPU: a slice ends at most that often. */
export const CLOCK_EVERY = 32;
const RESOLVED: Promise<void> = Promise.resolve();

/** A thread as the scheduler resumes it after a setImmediate turn. */
export interface SliceThread {
  /** Called by the new slice just before the thread resumes. */
  sliceStart(): void;
}

export class CpuScheduler {
  /**
   * Yields left before the clock is read again: a countdown, so that it stays a small
   * integer for ever (a yield counter would leave the Smi range after 2^31 yields, minutes
   * at this rate, and then be a heap number on the fast path).
   */
  private untilClock = CLOCK_EVERY;
  private sliceEnd = 0;
  private needResched = false;
  private waiting: Array<() => void> = [];
  private resuming: SliceThread[] = [];

  /**
   * The fast path is one field test and one decrement: no clock read, no allocation, the
   * same resolved promise every time.
   */
  yield(thread: SliceThread): Promise<void> {
    if (!this.needResched) {
      if (--this.untilClock !== 0) return RESOLVED;
      this.untilClock = CLOCK_EVERY;
      if (performance.now() < this.sliceEnd) return RESOLVED;
      this.needResched = true;
      setImmediate(this.newSlice);
    }
    this.resuming.push(thread);
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private readonly newSlice = (): void => {
    this.needResched = false;
    this.sliceEnd = performance.now() + SLICE_MS;
    const resume = this.waiting;
    const threads = this.resuming;
    this.waiting = [];
    this.resuming = [];
    for (let i = 0; i < resume.length; i++) {
      threads[i]!.sliceStart();
      resume[i]!();
    }
  };
}
