/**
 * What a cluster-benchmark run measures and how much: the machine counts, each machine's CPUs
 * and jobs per CPU (so every broker row states its total concurrency), the producer's window
 * of outstanding jobs, and the jobs per row. The full run takes a minute or two on a 2-core
 * machine; --quick is a smoke run for CI whose figures are not for comparison.
 */

import { plural } from '../../src/common/format.js';

export interface ClusterBenchSettings {
  /** How many machine processes each broker row runs: cpuhp machines and plain BullMQ workers alike. */
  readonly machineCounts: readonly number[];
  /** CPUs (worker threads) of each cpuhp machine, and of the in-process runtime. */
  readonly cpusPerMachine: number;
  /** Jobs each machine takes from the broker per CPU: a machine's concurrency is cpus × this, and each plain BullMQ worker gets the same. */
  readonly jobsPerCpu: number;
  /** Jobs the producer keeps outstanding (added and not yet answered): a closed loop. */
  readonly window: number;
  readonly trivialJobs: number;
  readonly cpuJobs: number;
  /** A row gives up once no job has settled for this long; what is unsettled then is lost. */
  readonly settleTimeoutMs: number;
  /** redis-benchmark's requests per test. */
  readonly redisBenchmarkRequests: number;
  readonly quick: boolean;
}

export interface ClusterSettingsRequest {
  readonly cpusPerMachine?: number;
  readonly jobsPerCpu?: number;
  readonly window?: number;
  readonly trivialJobs?: number;
  readonly cpuJobs?: number;
  readonly quick?: boolean;
}

export const MACHINE_COUNTS = [1, 2, 4] as const;
export const DEFAULT_CPUS_PER_MACHINE = 2;
export const DEFAULT_JOBS_PER_CPU = 2;
/** Above the largest total concurrency of the defaults (4 machines × 2 CPUs × 2 jobs = 16), so no worker waits on the producer. */
export const DEFAULT_WINDOW = 64;
export const FULL = { trivialJobs: 5_000, cpuJobs: 2_000, redisBenchmarkRequests: 100_000 } as const;
export const QUICK = { trivialJobs: 200, cpuJobs: 100, redisBenchmarkRequests: 10_000 } as const;
const SETTLE_TIMEOUT_MS = 30_000;
/** Warm-up jobs before each row: a tenth of it, at most this many. */
const MAX_WARMUP_JOBS = 300;

export function clusterBenchSettings(request: ClusterSettingsRequest = {}): ClusterBenchSettings {
  const quick = request.quick ?? false;
  const base = quick ? QUICK : FULL;
  return {
    machineCounts: MACHINE_COUNTS,
    cpusPerMachine: request.cpusPerMachine ?? DEFAULT_CPUS_PER_MACHINE,
    jobsPerCpu: request.jobsPerCpu ?? DEFAULT_JOBS_PER_CPU,
    window: request.window ?? DEFAULT_WINDOW,
    trivialJobs: request.trivialJobs ?? base.trivialJobs,
    cpuJobs: request.cpuJobs ?? base.cpuJobs,
    settleTimeoutMs: SETTLE_TIMEOUT_MS,
    redisBenchmarkRequests: base.redisBenchmarkRequests,
    quick,
  };
}

/** One machine's concurrency: what a cpuhp machine takes from the broker, and what each plain BullMQ worker is given. */
export function machineConcurrency(settings: ClusterBenchSettings): number {
  return settings.cpusPerMachine * settings.jobsPerCpu;
}

export function warmupJobs(jobs: number): number {
  return Math.min(MAX_WARMUP_JOBS, Math.ceil(jobs / 10));
}

/**
 * The threads the largest row runs against the cores: every machine is a process with its
 * own main thread and its CPU workers, beside the producer (this process) and Redis.
 */
export function coresWarning(settings: ClusterBenchSettings, cores: number): string | undefined {
  const most = Math.max(...settings.machineCounts);
  const threads = most * (settings.cpusPerMachine + 1) + 2;
  if (threads <= cores) return undefined;
  return (
    `note: this machine has ${plural(cores, 'core')}; the largest row runs ${plural(most, 'machine process', 'machine processes')} of ${plural(settings.cpusPerMachine, 'CPU')} ` +
    `(${plural(threads, 'thread')} with their main threads, the producer and Redis) on them: machines, the producer and Redis share the cores, ` +
    'so adding machines here adds no cores and the rows measure what the broker and the processes cost, not how a cluster of real machines scales'
  );
}
