/**
 * A job as the controller tracks it, from queueWork() until its promise settles, and where
 * it is meanwhile. The controller's job queues survive CPUs going down and workers dying,
 * after the kernel's workqueues and the rule for CPU_DEAD in Peter Zijlstra's "Re: CPU Hotplug rework" (LKML, 2012): "take it away and give it
 * to someone else".
 *
 * Where a job is, from queueWork() until its promise settles:
 *
 *   queued   in a controller FIFO (queues.ts): `shared` (any online CPU may run it) or
 *            `local[cpu]` (preferred while that CPU is online, or strict to it). Nothing on a
 *            CPU knows it. Job.queuedIn names the FIFO; handedTo is NOT_HANDED.
 *   handed   posted to one CPU in one of its claim slots (slots.ts, job-claim.ts), at most
 *            `window` per CPU (placement.ts), so each CPU holds about TARGET_HANDED_US of
 *            work and no more. Job.handedTo and Job.slot name the slot; queuedIn is -1.
 *   taken    the CPU's kworker took the claim: the job runs there, exactly once, and its
 *            outcome comes back on the CPU's job port before the kworker takes another.
 *            Only the claim word tells taken from handed.
 *   moving   revoked from a CPU that went down, while its transferred arguments come back
 *            from that worker (migration.ts): handedTo is MOVING, in no FIFO and no slot.
 *
 * A handed job that has not been taken can always be revoked (one compareExchange that
 * the kworker's take races against), which is what aborts it, moves it off a CPU that goes
 * down (at DYING, once the CPU's kworker has parked, so no job of it is running), and
 * recovers it from a worker that died. Revoked jobs go back to a FIFO, at its front.
 *
 * A settled job may still be in a FIFO (dropped when reached) or in a slot (a taken job that
 * was aborted or timed out: the slot is freed when its outcome comes back or its worker goes).
 */

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
  /** Node's name for `transfer` (as in worker.postMessage and piscina): pass one or the other. */
  readonly transferList?: readonly TransferListItem[];
}

/** Job.handedTo while the job is in no CPU's claim slot: queued, or settled. */
export const NOT_HANDED = -1;
/** Job.handedTo of a job revoked from a CPU going down, while its transferables come back. */
export const MOVING = -2;

export class Job {
  readonly ticket: number;
  readonly submitted = performance.now();
  /** The CPU the job is handed to; NOT_HANDED or MOVING (negative) otherwise. */
  handedTo = NOT_HANDED;
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
