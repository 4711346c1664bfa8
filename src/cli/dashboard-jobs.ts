/**
 * The job module `cpuhp dashboard` loads into its CPU workers beside the demo's kthreads
 * (demo-kthreads.ts): one small job, so that the page has queues, jobs per second and job
 * latencies to show. Like demo-kthreads.ts, it imports the definition helpers directly, not
 * the package index, so the CPU workers load nothing of the controller side.
 */

import { defineJob } from '../kthread/define.js';

export interface BusyArgs {
  /** Wall time to keep the CPU busy, ms. */
  readonly ms: number;
}

/**
 * Keeps its CPU busy for `ms` of wall time without yielding, as a small CPU-bound request
 * would; returns how many times it read the clock, so the loop is not optimised away.
 */
export const busy = defineJob<BusyArgs, number>(({ ms }) => {
  const end = performance.now() + ms;
  let loops = 1;
  while (performance.now() < end) loops++;
  return loops;
});
