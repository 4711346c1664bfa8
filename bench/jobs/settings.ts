/**
 * What a job-benchmark run measures and how much: the full run (a minute or two on a
 * 2-core machine, for figures worth comparing) and --quick (about 30 s with the peers, a smoke run for CI).
 */

import { plural } from '../../src/common/format.js';
import { defaultCpuCount } from '../../src/controller/options.js';
import type { Workload } from './workloads.js';

export interface JobBenchSettings {
  /** cpuhp CPUs and piscina threads alike. */
  readonly threads: number;
  /** Jobs kept in flight by the closed loop. */
  readonly concurrency: number;
  /** Jobs per measurement of each workload. */
  readonly trivialJobs: number;
  readonly cpuJobs: number;
  /** Jobs per dispatch path. */
  readonly dispatchJobs: number;
  /** The churn clock: one cpuDown or cpuUp (one pool replacement for piscina) per interval. */
  readonly churnIntervalMs: number;
  /** A loop gives up once no job has settled for this long; what is unsettled then is lost. */
  readonly settleTimeoutMs: number;
  readonly quick: boolean;
}

export interface JobSettingsRequest {
  readonly threads?: number;
  readonly concurrency?: number;
  readonly trivialJobs?: number;
  readonly cpuJobs?: number;
  readonly churnIntervalMs?: number;
  readonly quick?: boolean;
}

export const DEFAULT_CONCURRENCY = 64;
export const DEFAULT_CHURN_INTERVAL_MS = 100;
// Sized on a 2-core machine, where piscina under churn is the slow row: a full run takes 1-2
// minutes, a quick one 15-20 s (about 30 s with poolifier and tinypool).
export const FULL = { trivialJobs: 100_000, cpuJobs: 10_000, dispatchJobs: 100_000 } as const;
export const QUICK = { trivialJobs: 10_000, cpuJobs: 1_500, dispatchJobs: 20_000 } as const;
const SETTLE_TIMEOUT_MS = 10_000;
/** Warm-up jobs before each measurement: a tenth of it, at most this many. */
const MAX_WARMUP_JOBS = 2_000;

export function jobBenchSettings(request: JobSettingsRequest = {}): JobBenchSettings {
  const quick = request.quick ?? false;
  const base = quick ? QUICK : FULL;
  return {
    // The runtime's own default: the cores less one, at least 2 (one goes down during churn).
    threads: request.threads ?? defaultCpuCount(),
    concurrency: request.concurrency ?? DEFAULT_CONCURRENCY,
    trivialJobs: request.trivialJobs ?? base.trivialJobs,
    cpuJobs: request.cpuJobs ?? base.cpuJobs,
    dispatchJobs: base.dispatchJobs,
    churnIntervalMs: request.churnIntervalMs ?? DEFAULT_CHURN_INTERVAL_MS,
    settleTimeoutMs: SETTLE_TIMEOUT_MS,
    quick,
  };
}

export function jobsFor(settings: JobBenchSettings, workload: Workload): number {
  return workload.name === 'trivial' ? settings.trivialJobs : settings.cpuJobs;
}

/** Jobs run before a measurement so that the JIT and the threads are warm; never measured. */
export function warmupJobs(jobs: number): number {
  return Math.min(MAX_WARMUP_JOBS, Math.ceil(jobs / 10));
}

/** The main thread drives the loop: with the workers it needs threads + 1 cores. */
export function oversubscriptionWarning(threads: number, cores: number): string | undefined {
  if (threads + 1 <= cores) return undefined;
  return (
    `warning: ${plural(threads, 'worker thread')} + the main thread on ${plural(cores, 'core')}: they share cores, ` +
    'so every figure (of every runtime alike) includes OS time-slicing between the threads and the main thread that drives the loop'
  );
}
