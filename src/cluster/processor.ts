/**
 * What a cluster node does with each BullMQ job it takes: run it through the machine's
 * runtime (queueWork, so within the machine it runs once, on a CPU that is online), and
 * turn how that ended into what BullMQ should do with the job.
 *
 *   result            completed, with the result as the job's return value
 *   it threw / bad    failed at once, never retried (UnrecoverableError): a job that threw
 *                     would throw again; the reason is the error's text
 *   cancelled         failed, with a reason that starts "cancelled: " (the producer reads
 *                     it as an AbortError)
 *   handed back       the machine is going down (and the job had not started, or down()'s
 *                     bound passed while it ran), or its runtime shut
 *                     down under the job: the job goes back to wait (moveToWait) and another
 *                     machine runs it, without waiting for its lock to expire
 */

import type { Job } from 'bullmq';
import { JobError } from '../errors.js';
import { errorText } from '../controller/arguments.js';
import type { Runtime } from '../runtime.js';
import type { BullMQ } from './broker.js';
import type { CancelledJobs } from './cancelled.js';
import { CANCELLED_REASON, MACHINE_REASON, readWireData, THREW_REASON } from './wire.js';

/** One job this node is running: what down() aborts and hands back at its bound. */
export interface RunningJob {
  readonly job: Job;
  /** Set by down() at its bound: hand the job back rather than fail it. */
  handBack: boolean;
}

export interface ProcessorHooks {
  readonly runtime: Runtime;
  readonly bullmq: BullMQ;
  /** Which jobs cancel() stopped before they started here. */
  readonly cancelled: CancelledJobs;
  readonly running: Set<RunningJob>;
  /**
   * Whether the machine takes jobs now. A fetch that was in flight when down() paused the
   * worker can still bring a job; it is handed back without running.
   */
  readonly accepting: () => boolean;
  /** Called when a job leaves `running`. */
  readonly settled: () => void;
  readonly counted: (outcome: 'completed' | 'failed' | 'handed-back' | 'returned-unstarted') => void;
}

export function makeProcessor(hooks: ProcessorHooks) {
  const { UnrecoverableError, WaitingError } = hooks.bullmq;
  return async (job: Job, token: string | undefined, signal?: AbortSignal): Promise<unknown> => {
    // BullMQ's signal (it makes one per job for a processor that takes three parameters)
    // fires on worker.cancelJob(id): the cancel channel calls it, and so does down() at its
    // bound, after setting handBack. It goes to queueWork as it is: one signal per job.
    const running: RunningJob = { job, handBack: false };
    hooks.running.add(running);
    if (!hooks.accepting()) running.handBack = true;
    /** Whether the job was handed to the runtime's queueWork. */
    let started = false;
    try {
      if (running.handBack) throw new WaitingError();
      if (job.id !== undefined && (await hooks.cancelled.before(job.id, job.attemptsStarted))) throw new UnrecoverableError(`${CANCELLED_REASON}cancelled before it started`);
      const data = readWireData(job.data);
      if (data === undefined) throw new UnrecoverableError(`${MACHINE_REASON}job ${job.id ?? '?'} was not added by a cpuhp ClusterQueue: its data must be { args }`);
      started = true;
      const result = await hooks.runtime.queueWork(job.name, data.args, signal === undefined ? undefined : { signal });
      hooks.counted('completed');
      return result;
    } catch (error) {
      if (running.handBack || (error instanceof JobError && error.reason === 'shutdown')) {
        // If the lock is gone already, the broker's stalled check hands the job on instead.
        await job.moveToWait(token).catch(() => undefined);
        // The runtime says whether its job had begun; before queueWork, it had not.
        hooks.counted((error instanceof JobError ? error.started : started) ? 'handed-back' : 'returned-unstarted');
        throw new WaitingError();
      }
      hooks.counted('failed');
      if (error instanceof UnrecoverableError) throw error;
      if (error instanceof JobError && error.reason === 'aborted') throw new UnrecoverableError(`${CANCELLED_REASON}${errorText(error)}`);
      if (error instanceof JobError && error.reason === 'threw') throw new UnrecoverableError(`${THREW_REASON}${failureText(error)}`);
      throw new UnrecoverableError(`${MACHINE_REASON}${failureText(error)}`);
    } finally {
      hooks.running.delete(running);
      hooks.settled();
    }
  };
}

/** A failure as the broker keeps it (a string): the error, and what the job threw when it did. */
function failureText(error: unknown): string {
  const text = errorText(error);
  if (!(error instanceof JobError) || error.cause === undefined) return text;
  return `${text} (it threw ${errorText(error.cause)})`;
}
