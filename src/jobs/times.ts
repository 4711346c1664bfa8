/**
 * Each job's wait and run time, as piscina's `waitTime` and `runTime` histograms report them
 * (and poolifier's waitTime and runTime statistics): wait is from queueWork() until a CPU's
 * kworker starts the job, run from its start until it settles. Recorded for the jobs that ran
 * to an outcome (completed or threw), in microseconds, and reported in milliseconds. The
 * histograms are the runtime's own latency histograms (controller/latency.ts), whose max and
 * percentiles are exact to the samples rather than to the top of a bucket.
 */

import { WholeHistogram } from '../controller/latency.js';

/** The longest time kept apart from the others, in microseconds: what Node's histogram takes by default. */
const HIGHEST_US = Number.MAX_SAFE_INTEGER;

export interface TimeSummary {
  /** Jobs recorded: those that ran to an outcome. */
  readonly count: number;
  readonly meanMs: number;
  readonly medianMs: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

export class JobTimes {
  private readonly wait = new WholeHistogram(HIGHEST_US);
  private readonly run = new WholeHistogram(HIGHEST_US);

  /**
   * A job that ran to an outcome. `startedAt` is the worker's clock as a time since the epoch;
   * the worker's and the controller's can disagree by a fraction of a millisecond, so the
   * wait is kept within what the controller saw: at least 0, and at most the job's time from
   * queueWork() to its outcome arriving less its run time (the rest is the outcome's way back).
   */
  record(submitted: number, startedAt: number, runUs: number): void {
    const now = performance.now();
    const runMs = runUs / 1000;
    const waitMs = Math.min(Math.max(0, startedAt - performance.timeOrigin - submitted), Math.max(0, now - submitted - runMs));
    this.wait.record(waitMs * 1000);
    this.run.record(runUs);
  }

  summary(): { readonly waitTime: TimeSummary; readonly runTime: TimeSummary } {
    return { waitTime: summarise(this.wait), runTime: summarise(this.run) };
  }
}

/** Microseconds recorded (sub-microsecond times as 1, as WholeHistogram keeps them), in ms. */
function summarise(h: WholeHistogram): TimeSummary {
  const s = h.summary();
  if (s === undefined) return { count: 0, meanMs: 0, medianMs: 0, p99Ms: 0, maxMs: 0 };
  return { count: s.count, meanMs: s.mean / 1000, medianMs: s.median / 1000, p99Ms: s.p99 / 1000, maxMs: s.max / 1000 };
}
