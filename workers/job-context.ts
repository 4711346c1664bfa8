/**
 * The `ctx` a job receives, and its AbortSignal over the CPU's abort line (job-claim.ts).
 *
 * The signal is made on first use only, so a job that never looks at it costs nothing. It is
 * a real AbortSignal (fetch, timers and streams accept it), made exact at every read: its
 * `aborted`, `reason` and `throwIfAborted` first check CPU_JOB_ABORT, one Atomics.load, and
 * abort the signal there and then if the controller asked. A loop that never awaits thus sees
 * the request at its next check. While the job awaits, one waitAsync on the same word fires
 * the 'abort' event without being polled for.
 */

import type { JobContext } from '../src/kthread/define.js';
import { abortLine, AbortReason, abortReason, abortRequested, abortTag, waitAbortLine, wakeAbortWaiters } from '../src/protocol/job-claim.js';

/** Longest single wait of the abort watcher; the loop re-checks, so this only bounds a lost wake. */
const WATCH_SLICE_MS = 1000;

const signalGetter = (name: 'aborted' | 'reason'): ((this: AbortSignal) => unknown) =>
  Object.getOwnPropertyDescriptor(AbortSignal.prototype, name)!.get as (this: AbortSignal) => unknown;
const abortedOf = signalGetter('aborted') as (this: AbortSignal) => boolean;
const reasonOf = signalGetter('reason');

export class RunningJob implements JobContext {
  private controller: AbortController | undefined;
  private running = true;

  constructor(
    readonly id: number,
    readonly name: string,
    readonly cpu: number,
    private readonly words: Int32Array,
    /** cpuBase() of this CPU: its abort line is read through job-claim.ts. */
    private readonly cpuBase: number,
  ) {}

  get signal(): AbortSignal {
    if (this.controller !== undefined) return this.controller.signal;
    const controller = new AbortController();
    this.controller = controller;
    const signal = controller.signal;
    Object.defineProperties(signal, {
      aborted: { get: () => (this.check(), abortedOf.call(signal)) },
      reason: { get: () => (this.check(), reasonOf.call(signal)) },
      throwIfAborted: { value: () => (this.check(), AbortSignal.prototype.throwIfAborted.call(signal)) },
    });
    this.check();
    void this.watch();
    return signal;
  }

  /** The job has ended: stop watching, and release the watcher's wait. */
  end(): void {
    this.running = false;
    if (this.controller !== undefined) wakeAbortWaiters(this.words, this.cpuBase);
  }

  private requested(): boolean {
    return abortRequested(this.words, this.cpuBase, this.id);
  }

  private check(): void {
    const controller = this.controller!;
    if (!this.running || abortedOf.call(controller.signal) || !this.requested()) return;
    controller.abort(this.reason());
  }

  private reason(): DOMException {
    const why = abortReason(this.words, this.cpuBase);
    const what = `job '${this.name}' (id ${this.id}) on CPU ${this.cpu}`;
    if (why === AbortReason.TIMED_OUT) return new DOMException(`${what} ran past its timeoutMs`, 'TimeoutError');
    return new DOMException(`${what} was aborted by its caller's AbortSignal`, 'AbortError');
  }

  private async watch(): Promise<void> {
    while (this.running && !abortedOf.call(this.controller!.signal)) {
      const value = abortLine(this.words, this.cpuBase);
      if (value === abortTag(this.id)) {
        this.check();
        return;
      }
      const waiting = waitAbortLine(this.words, this.cpuBase, value, WATCH_SLICE_MS);
      if (waiting !== undefined) await waiting;
    }
  }
}
