/**
 * Each job's wait and run time, as piscina's `waitTime` and `runTime` histograms report them
 * (and poolifier's waitTime and runTime statistics): wait is from queueWork() until a CPU's
 * kworker starts the job, run from its start until it settles. Recorded for the jobs that ran
 * to an outcome (completed or threw), in Node's own histograms (perf_hooks.createHistogram),
 * in microseconds, and reported in milliseconds.
 */

import { createHistogram, type RecordableHistogram } from 'node:perf_hooks';

export interface TimeSummary {
  /** Jobs recorded: those that ran to an outcome. */
  readonly count: number;
  readonly meanMs: number;
  readonly medianMs: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

export class JobTimes {
  private readonly wait = createHistogram();
  private readonly run = createHistogram();

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
    recordMs(this.wait, waitMs);
    recordMs(this.run, runMs);
  }

  summary(): { readonly waitTime: TimeSummary; readonly runTime: TimeSummary } {
    return { waitTime: summarise(this.wait), runTime: summarise(this.run) };
  }
}

/** A histogram records whole numbers from 1 up: microseconds, and sub-microsecond times as 1. */
function recordMs(histogram: RecordableHistogram, ms: number): void {
  histogram.record(Math.max(1, Math.round(ms * 1000)));
}

function summarise(h: RecordableHistogram): TimeSummary {
  if (h.count === 0) return { count: 0, meanMs: 0, medianMs: 0, p99Ms: 0, maxMs: 0 };
  // A percentile comes back as the top of its bucket, which may pass the largest value: cap it.
  const at = (percentile: number): number => Math.min(h.percentile(percentile), h.max) / 1000;
  return { count: h.count, meanMs: h.mean / 1000, medianMs: at(50), p99Ms: at(99), maxMs: h.max / 1000 };
}
