/** A closed loop's result with made-up figures, for the job benchmark's report and chart tests. */

import type { LoopResult } from '../../bench/jobs/closed-loop.js';

/** 100 jobs, all resolved, at `jobsPerSecond`, with the given median and p99 latency (ms). */
export function madeUpLoop(jobsPerSecond: number, median: number, p99 = median * 2): LoopResult {
  return {
    submitted: 100,
    resolved: 100,
    rejected: 0,
    wrong: 0,
    unsettled: 0,
    lost: 0,
    elapsedMs: 100_000 / jobsPerSecond,
    jobsPerSecond,
    latencyMs: { count: 100, median, p99, max: p99 * 1.5, mean: median },
    errors: {},
  };
}
