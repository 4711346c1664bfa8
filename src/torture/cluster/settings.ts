/**
 * The settings of one cluster torture run (`cpuhp torture-cluster`), with the defaults the
 * command line starts from. Everything random in a run derives from `seed`.
 */

import type { StrategyName } from '../../hotplug/strategies/strategy.js';

export interface ClusterTortureSettings {
  readonly seed: number;
  /** Machine processes (each a `cpuhp cluster-node`). */
  readonly machines: number;
  /** CPUs of each machine. */
  readonly cpusPerMachine: number;
  /** Passed to every machine. */
  readonly strategy: StrategyName;
  /** How long the actor and the producer run; the drain and the checks come after. */
  readonly durationMs: number;
  /** Pause between two on/off actions (rcutorture's onoff_interval). */
  readonly onoffIntervalMs: number;
  /** Whether the actor may SIGKILL machines (and restart them). */
  readonly kills: boolean;
  /** A Redis to use, or undefined to start a throw-away local redis-server. */
  readonly redisUrl: string | undefined;
  /** BullMQ's job lock: a killed machine's jobs are recovered once it expires. */
  readonly lockDurationMs: number;
  /** BullMQ's maxStalledCount: a job runs at most 1 + this many times. */
  readonly maxStalledCount: number;
}

/** Jobs each machine takes per online CPU (the node's default). */
export const JOBS_PER_CPU = 2;

/** Ledgered jobs run for a random time in this range, so that kills catch some in flight. */
export const JOB_MS = { min: 1, max: 30 } as const;

/** The share of jobs of the throwing kind ("a job that throws is reported once with its error"). */
export const THROW_SHARE = 0.05;

/**
 * down()'s bound on waiting for running jobs. Far above a job's length, so that a graceful
 * down never reaches it: were it reached, the jobs it hands back would run a second time,
 * which the checker reports as a violation ("graceful down caused a second run").
 */
export const DOWN_TIMEOUT_MS = 60_000;

/** How long the producer waits for one job's result before calling it lost. */
export const RESULT_TIMEOUT_MS = 120_000;

/** How often each machine looks for jobs whose lock expired: half the lock, at most 1 s. */
export function stalledIntervalFor(lockDurationMs: number): number {
  return Math.max(100, Math.min(1_000, Math.floor(lockDurationMs / 2)));
}

/** Jobs kept outstanding: twice what all the machines can run at once. */
export function outstandingFor(settings: ClusterTortureSettings): number {
  return 2 * settings.machines * settings.cpusPerMachine * JOBS_PER_CPU;
}

/** The environment variables through which a machine's ledger jobs learn where they run. */
export const ENV = { machine: 'CPUHP_TORTURE_MACHINE', ledger: 'CPUHP_TORTURE_LEDGER' } as const;
