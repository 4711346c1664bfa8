/** A job as the controller tracks it, from queueWork() until its promise settles. */

import type { TransferListItem } from 'node:worker_threads';
import { ticketOf } from '../protocol/job-claim.js';

export type Affinity = 'strict' | 'preferred';
export type WhenOffline = 'wait' | 'fail';

export interface QueueWorkOptions {
  /** Run on this CPU, as `affinity` says. Without it: any online CPU, the least loaded. */
  readonly cpu?: number;
  /**
   * 'preferred' (the default): on `cpu` while it is online, and on another online CPU if it is
   * not, or goes down before the job starts. 'strict': on `cpu` and nowhere else.
   */
  readonly affinity?: Affinity;
  /**
   * For a strict job whose CPU is not online, at submission or when it goes down before the
   * job starts: 'fail' (the default) rejects with a JobError at once; 'wait' keeps the job
   * queued for that CPU until it is up again.
   */
  readonly whenOffline?: WhenOffline;
  /** Aborting it removes a queued job (it never runs), or asks a running one to stop (ctx.signal). */
  readonly signal?: AbortSignal;
  /** Like an abort after this many ms: the promise rejects with reason 'timeout'. */
  readonly timeoutMs?: number;
  /** ArrayBuffers (or ports) inside `args` to move to the worker rather than copy. */
  readonly transfer?: readonly TransferListItem[];
}

export class Job {
  readonly ticket: number;
  readonly submitted = performance.now();
  /** The CPU the job is handed to; negative while it waits in a controller queue or moves between CPUs. */
  handedTo = -1;
  /** The CPU's claim slot deciding it while handed over (job-claim.ts). */
  slot = -1;
  /** The controller FIFO it waits in (a CPU's, or ncpus for the shared one); -1 when in none. */
  queuedIn = -1;
  settled = false;
  private cleanup: (() => void) | undefined;

  constructor(
    readonly id: number,
    readonly name: string,
    /** Replaced by the worker's copy when a job with transferables is taken back. */
    public args: unknown,
    readonly transfer: readonly TransferListItem[] | undefined,
    /** The CPU asked for, if any. */
    readonly cpu: number | undefined,
    readonly strict: boolean,
    readonly waitOffline: boolean,
    private readonly onResolve: (value: unknown) => void,
    private readonly onReject: (error: unknown) => void,
  ) {
    this.ticket = ticketOf(id);
  }

  /** Arms the job's timeout and abort listener; `cleanup` disarms them when it settles. */
  arm(cleanup: () => void): void {
    this.cleanup = cleanup;
  }

  resolve(value: unknown): void {
    if (this.settle()) this.onResolve(value);
  }

  reject(error: unknown): void {
    if (this.settle()) this.onReject(error);
  }

  private settle(): boolean {
    if (this.settled) return false;
    this.settled = true;
    this.cleanup?.();
    this.cleanup = undefined;
    return true;
  }
}
