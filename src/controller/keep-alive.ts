/**
 * Whether a runtime holds the process open: Node's ref()/unref() for a whole runtime.
 *
 * What keeps a Node process running is its ref'd handles. A runtime's would be its CPU
 * workers and their ports, which are there for as long as the runtime is, so a program that
 * forgot shutdown() would never end. Instead the CPU workers and job ports are unref'd as soon
 * as they are made (cpu-worker.ts), and this one handle stands for the whole runtime, ref'd
 * only while the runtime has work in flight:
 *
 *   - a call of the runtime that has not settled: Runtime.start, cpuDown, cpuUp, setupState,
 *     removeState, kthreadCreateOnCpu, kthreadPark, kthreadStop, registerPerCpuThread,
 *     waitForIterations, waitForHeartbeat, drain, shutdown;
 *   - a job whose promise has not settled: queued, handed to a CPU, or running;
 *   - a job that failed (aborted, timed out) but still runs on its kworker (Runtime.holdWhileJobsRun);
 *   - work the runtime does of its own under the hotplug lock (replacing a per-CPU thread
 *     that exited, reaping a CPU whose worker died).
 *
 * Not in flight: kthreads that run (they run until stopped, as the kernel's do; a caller who
 * waits for one holds its call instead), the watchdog (unref'd), trace listeners, and a
 * recorder. A hold is needed for every wait, not only for the workers' sake: a wait that
 * resolves through Atomics.waitAsync holds no handle of its own, so without one the process
 * could exit with the caller's promise pending (exit code 13, "unsettled top-level await").
 *
 * ref() holds the process open whether or not work is in flight, unref() never does (a
 * pending call may then never settle, as with an unref'd timer); both last until shutdown.
 */

import { MAX_TIMER_MS } from './timer.js';

/** 'auto': held only while work is in flight (the default); 'ref' always; 'unref' never. */
export type KeepAliveMode = 'auto' | 'ref' | 'unref';

export class KeepAlive {
  private inFlight = 0;
  private mode: KeepAliveMode = 'auto';
  private closed = false;
  /**
   * The handle: a timer that never needs to fire, used only for its ref count (the timer
   * idiom of Node's own keep-alives). Its callback would run once in 24.8 days and does nothing.
   */
  private readonly handle: NodeJS.Timeout = setInterval(() => undefined, MAX_TIMER_MS);

  constructor() {
    this.handle.unref();
  }

  /** The process is held open while `promise` is pending; returns what the caller awaits. */
  hold<T>(promise: Promise<T>): Promise<T> {
    if (this.closed) return promise;
    this.inFlight++;
    this.update();
    // The caller gets the promise that settles after the release: its rejection is the
    // caller's to handle, and the original promise is handled here.
    return promise.finally(() => {
      this.inFlight--;
      this.update();
    });
  }

  /** hold() over an async body, held from the call on (before its first await). */
  during<T>(body: () => Promise<T>): Promise<T> {
    return this.hold(body());
  }

  setMode(mode: KeepAliveMode): void {
    this.mode = mode;
    this.update();
  }

  /** Whether the runtime holds the process open now. */
  get holding(): boolean {
    return !this.closed && this.handle.hasRef();
  }

  /** After shutdown nothing is held, whatever the mode. */
  close(): void {
    this.closed = true;
    clearInterval(this.handle);
  }

  private update(): void {
    if (this.closed) return;
    const hold = this.mode === 'ref' || (this.mode === 'auto' && this.inFlight > 0);
    if (hold) this.handle.ref();
    else this.handle.unref();
  }
}
