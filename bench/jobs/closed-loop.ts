/**
 * The closed-loop driver every measurement of the job benchmark uses, whatever runs the
 * jobs (cpuhp, piscina, a raw worker): `concurrency` jobs in flight, and each job that
 * settles is replaced by the next one at once, until `jobs` have been submitted. Each job's
 * latency is from just before its submit call to its promise settling.
 *
 * Nothing is retried: a job that rejects, resolves with a wrong value or never settles is
 * counted as such. The loop gives up waiting once no job has settled for `settleTimeoutMs`
 * (a stuck runtime must not hang the benchmark); whatever is unsettled then is lost.
 */

import { Samples, type Summary } from '../histogram.js';
import { Tally } from './tally.js';
import type { Workload } from './workloads.js';

/** Latencies are in ms, kept to the microsecond. */
const MS_RESOLUTION = 0.001;
/** How often the stall watchdog looks; it ends the loop only after settleTimeoutMs of silence. */
const WATCHDOG_MS = 100;

/** Runs one job: a runtime's submit call (queueWork, run, a transport's post). */
export type Submit = (args: unknown) => Promise<unknown>;

export interface LoopPlan {
  readonly concurrency: number;
  readonly jobs: number;
  readonly settleTimeoutMs: number;
}

export interface LoopResult {
  readonly submitted: number;
  /** Resolved with the right value. */
  readonly resolved: number;
  readonly rejected: number;
  /** Resolved with a value the workload's check refused. */
  readonly wrong: number;
  /** Still unsettled when the loop gave up waiting. */
  readonly unsettled: number;
  /** submitted − resolved: every job that did not come back right. */
  readonly lost: number;
  /** From the first submit to the last settle. */
  readonly elapsedMs: number;
  /** Resolved jobs per second of elapsedMs. */
  readonly jobsPerSecond: number;
  /** Latency of the resolved jobs, in ms; null when none resolved. */
  readonly latencyMs: Summary | null;
  /** The kinds of rejection (by code: tally.ts) and how many jobs each rejected. */
  readonly errors: Readonly<Record<string, number>>;
}

export function runClosedLoop(workload: Workload, submit: Submit, plan: LoopPlan): Promise<LoopResult> {
  if (plan.jobs < 1 || plan.concurrency < 1) throw new Error('a closed loop needs at least one job and one in flight');
  const samples = new Samples(MS_RESOLUTION);
  const errors = new Tally();
  let submitted = 0;
  let resolved = 0;
  let rejected = 0;
  let wrong = 0;
  let settled = 0;
  let finished = false;
  const started = performance.now();
  let lastSettle = started;

  return new Promise((resolve) => {
    const finish = (): void => {
      if (finished) return;
      finished = true;
      clearInterval(watchdog);
      const elapsedMs = lastSettle - started;
      resolve({
        submitted,
        resolved,
        rejected,
        wrong,
        unsettled: submitted - settled,
        lost: submitted - resolved,
        elapsedMs,
        jobsPerSecond: elapsedMs > 0 ? resolved / (elapsedMs / 1000) : 0,
        latencyMs: samples.summary() ?? null,
        errors: errors.toJSON(),
      });
    };

    const settle = (at: number): void => {
      // A job settling after the loop gave up is not counted: the result was taken without it.
      if (finished) return;
      settled++;
      lastSettle = at;
      if (settled === plan.jobs) finish();
      else launch();
    };

    const launch = (): void => {
      if (submitted >= plan.jobs) return;
      const i = submitted++;
      const args = workload.args(i);
      const from = performance.now();
      let job: Promise<unknown>;
      try {
        job = submit(args);
      } catch (error) {
        job = Promise.reject(error);
      }
      job.then(
        (value) => {
          const at = performance.now();
          if (workload.check(i, value)) {
            resolved++;
            samples.record(at - from);
          } else {
            wrong++;
          }
          settle(at);
        },
        (error: unknown) => {
          rejected++;
          errors.add(error);
          settle(performance.now());
        },
      );
    };

    const watchdog = setInterval(() => {
      if (performance.now() - lastSettle > plan.settleTimeoutMs) finish();
    }, WATCHDOG_MS);
    for (let k = 0; k < plan.concurrency; k++) launch();
  });
}
