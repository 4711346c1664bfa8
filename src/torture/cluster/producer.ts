/**
 * The torture's producer: keeps a bounded number of ledgered jobs outstanding on the queue
 * for as long as the run lasts, each with a unique job id (its idempotency key, and its key in
 * the ledger), and records how each one ended as the producer saw it: the result, the failure,
 * or nothing within RESULT_TIMEOUT_MS (lost).
 *
 * The job parameters are drawn from the seeded generator in job-number order, so job n has
 * the same kind and length on every run with the same seed, whatever the timing.
 */

import { errorCode } from '../../common/errors.js';
import { errorText } from '../../controller/arguments.js';
import { ClusterError, ERROR_CODES, type ClusterJobFailure } from '../../errors.js';
import type { Random } from '../../common/random.js';
import type { ClusterQueue } from '../../cluster/queue.js';
import type * as LedgerJobs from './ledger-jobs.js';
import type { LedgeredArgs } from './ledger-jobs.js';
import { JOB_MS, RESULT_TIMEOUT_MS, THROW_SHARE } from './settings.js';

export type JobOutcome =
  | { readonly kind: 'completed'; readonly value: unknown }
  | { readonly kind: 'failed'; readonly code: string | undefined; readonly reason: ClusterJobFailure | undefined; readonly message: string }
  /** The result did not come within RESULT_TIMEOUT_MS, or add() itself failed. */
  | { readonly kind: 'lost'; readonly message: string };

export interface ProducedJob {
  readonly id: string;
  readonly args: LedgeredArgs;
  outcome: JobOutcome | undefined;
}

export class Producer {
  readonly jobs = new Map<string, ProducedJob>();
  private next = 0;
  private stopped = false;
  private lanes: Promise<void>[] = [];

  constructor(
    private readonly queue: ClusterQueue<typeof LedgerJobs>,
    private readonly random: Random,
    private readonly options: { readonly outstanding: number; readonly idPrefix: string },
  ) {}

  /** Starts `outstanding` lanes, each adding a job and awaiting it, again and again. */
  start(): void {
    this.lanes = Array.from({ length: this.options.outstanding }, () => this.lane());
  }

  /** No new jobs; resolves once every job added has an outcome. */
  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.lanes);
  }

  /** Jobs added and not yet ended, as the producer sees them. */
  outstanding(): number {
    let n = 0;
    for (const job of this.jobs.values()) if (job.outcome === undefined) n++;
    return n;
  }

  private draw(): ProducedJob {
    const n = this.next++;
    const id = `${this.options.idPrefix}-${n}`;
    const kind = this.random.next() < THROW_SHARE ? 'throw' : 'ok';
    const ms = JOB_MS.min + this.random.below(JOB_MS.max - JOB_MS.min + 1);
    const job: ProducedJob = { id, args: { key: id, ms, kind }, outcome: undefined };
    this.jobs.set(id, job);
    return job;
  }

  private async lane(): Promise<void> {
    while (!this.stopped) {
      const job = this.draw();
      job.outcome = await this.queue
        .add('ledgered', job.args, { jobId: job.id })
        .then((handle) => handle.result({ timeoutMs: RESULT_TIMEOUT_MS }))
        .then(
          (value): JobOutcome => ({ kind: 'completed', value }),
          (error: unknown): JobOutcome => {
            const code = errorCode(error);
            if (code === ERROR_CODES.CLUSTER_JOB_FAILED) return { kind: 'failed', code, reason: (error as ClusterError).reason, message: errorText(error) };
            return { kind: 'lost', message: errorText(error) };
          },
        );
    }
  }
}
