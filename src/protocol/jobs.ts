/**
 * The job port: one MessageChannel per CPU worker, apart from the comlink control plane,
 * that carries jobs to the CPU and their results back by structured clone. Whether a job
 * handed over actually runs is decided in shared memory by its claim word (job-claim.ts).
 *
 * controller -> worker: a batch of hand-overs, posted once per turn of the controller's
 *   event loop; a job with transferables travels alone, with its transfer list.
 * worker -> controller: one message per job, posted the moment the job ends and before the
 *   kworker takes the next one. Node delivers every message a worker posted before it dies
 *   (process.exit, an uncaught error, out of memory) ahead of its 'exit' event, so at a
 *   worker's death the controller knows the result of every job that ended: a job TAKEN
 *   without a result is the one that was running.
 */

import type { TransferListItem } from 'node:worker_threads';

/** One job handed to a CPU. */
export interface JobRequest {
  readonly id: number;
  /** ticketOf(id): the value its claim word carries. */
  readonly ticket: number;
  /** Which of the CPU's claim words decides this job. */
  readonly slot: number;
  /** The defineJob export that runs it. */
  readonly name: string;
  readonly args: unknown;
  /** The transferables inside args, moved rather than copied (and moved back if the job moves). */
  readonly transfer?: readonly TransferListItem[];
}

export interface JobBatch {
  readonly type: 'cpuhp:jobs';
  readonly jobs: readonly JobRequest[];
}

/**
 * `us` is how long the job ran, on the worker's clock; `startedAt` when it started, as a time
 * since the epoch in ms (performance.timeOrigin + performance.now() on the worker), which the
 * controller can compare with its own (stats().jobs.waitTime).
 */
export type JobOutcome =
  | { readonly id: number; readonly ok: true; readonly value: unknown; readonly us: number; readonly startedAt: number }
  | { readonly id: number; readonly ok: false; readonly error: unknown; readonly us: number; readonly startedAt: number };

/** The control-plane answer when the controller takes unstarted jobs back from a live worker. */
export interface ReturnedJob {
  readonly id: number;
  readonly args: unknown;
}
