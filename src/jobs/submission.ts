/**
 * queueWork(): a request is checked (options.ts), refused, or accepted into a FIFO (where,
 * placement.ts says), and its abort signal and timeout are armed. A bad name or option
 * throws a ConfigError; every other refusal is a rejected promise; either way nothing is
 * queued and nothing else changes.
 */

import { JobError } from '../errors.js';
import { describeValue } from '../controller/arguments.js';
import { setLongTimeout } from '../controller/timer.js';
import { AbortReason, isAbortTagFree, type AbortReasonValue } from '../protocol/job-claim.js';
import type { JobCpus } from './cpus.js';
import type { Ledger } from './drain.js';
import { Job } from './job.js';
import { checkQueueWork, type CheckedRequest } from './options.js';
import { queueFor } from './placement.js';
import type { JobQueues } from './queues.js';
import type { JobCounts } from './stats.js';

export interface SubmissionHost {
  /** The defineJob exports of the runtime's modules. */
  readonly jobNames: ReadonlySet<string>;
  /** Jobs that may wait in the controller's queues (not yet handed to a CPU). */
  readonly maxQueue: number;
  readonly cpus: JobCpus;
  readonly queues: JobQueues;
  readonly ledger: Ledger;
  readonly counts: JobCounts;
  /** Jobs the CPUs could still be handed now, beyond maxQueue (Handover.room). */
  room(): number;
  /** A job was queued: run the hand-over. */
  wake(): void;
  /** Abort or timeout of an accepted job (Outcomes.cancel). */
  cancel(job: Job, reason: AbortReasonValue, cause: unknown): void;
}

export class Submission {
  private nextId = 1;
  private closed = false;

  constructor(private readonly host: SubmissionHost) {}

  /** A new job id: they count up, skipping the few the abort line could not tell from "no job". */
  private issueId(): number {
    while (!isAbortTagFree(this.nextId)) this.nextId++;
    return this.nextId++;
  }

  /** shutdown(): no job is accepted from now on. */
  close(): void {
    this.closed = true;
  }

  /** Throws a ConfigError for a bad name or options; every other refusal is a rejected promise. */
  submit(rawName: unknown, args: unknown, options: unknown): Promise<unknown> {
    if (this.closed) {
      const shown = typeof rawName === 'string' ? rawName : describeValue(rawName);
      return Promise.reject(new JobError(`job '${shown}' refused: the runtime is shutting down and takes no new jobs`, { job: shown, reason: 'shutdown', started: false }));
    }
    const { cpus, queues, counts, maxQueue } = this.host;
    const checked = checkQueueWork(rawName, options, this.host.jobNames, cpus.count);
    const { name, cpu, strict, waitOffline, signal } = checked;
    if (signal?.aborted) {
      return Promise.reject(new JobError(`job '${name}' was not queued: its AbortSignal had fired already`, { job: name, reason: 'aborted', started: false, cpu, cause: signal.reason }));
    }
    const queue = queueFor(checked, cpu !== undefined && cpus.isUp(cpu));
    if (queue === 'refuse') {
      counts.refused++;
      return Promise.reject(
        new JobError(
          `job '${name}' needs CPU ${cpu} (affinity 'strict'), which is ${cpus.describe(cpu!)}; bring it up (rt.cpuUp(${cpu})), or pass whenOffline: 'wait' to queue the job until it is, or affinity: 'preferred' to run it elsewhere`,
          { job: name, reason: 'cpu-offline', started: false, cpu },
        ),
      );
    }
    // maxQueue does not count the jobs the CPUs are about to be handed (at most their windows).
    if (queues.waiting >= maxQueue && queues.waiting >= maxQueue + this.host.room()) {
      counts.refused++;
      return Promise.reject(
        new JobError(
          `job '${name}' refused: ${queues.waiting} jobs wait already (maxQueue ${maxQueue}); wait for some to finish (await rt.drain()), or start the runtime with a larger maxQueue`,
          { job: name, reason: 'queue-full', started: false },
        ),
      );
    }
    return new Promise((resolve, reject) => {
      const job = new Job(this.issueId(), name, args, checked.transfer, cpu, strict, waitOffline, resolve, reject);
      this.host.ledger.admit();
      counts.submitted++;
      queues.enqueue(job, queue === 'own' ? cpu! : queues.shared, false);
      this.arm(job, checked);
      this.host.wake();
    });
  }

  /** Arms the job's timeout and abort listener, disarmed when it settles. */
  private arm(job: Job, { signal, timeoutMs }: CheckedRequest): void {
    const timed = timeoutMs !== undefined && timeoutMs !== Infinity;
    if (signal === undefined && !timed) return;
    const onAbort = (): void => this.host.cancel(job, AbortReason.ABORTED, signal?.reason);
    // The cause of a timeout is what AbortSignal.timeout() would abort with: a TimeoutError.
    const timedOut = (): void => this.host.cancel(job, AbortReason.TIMED_OUT, new DOMException(`job '${job.name}' (id ${job.id}) ran past its timeoutMs (${timeoutMs} ms)`, 'TimeoutError'));
    const timer = timed ? setLongTimeout(timedOut, timeoutMs) : undefined;
    signal?.addEventListener('abort', onAbort, { once: true });
    job.arm(() => {
      timer?.clear();
      signal?.removeEventListener('abort', onAbort);
    });
  }
}
