/** Runtime.start() options: defaults and validation, before anything is started. */

import { existsSync } from 'node:fs';
import type { ResourceLimits } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ConfigError } from '../errors.js';
import { STRATEGIES, type StrategyName } from './strategies/strategy.js';

export const MAX_CPUS = 128;
export const MAX_KTHREADS = 65_536;
export const MAX_JOB_SLOTS = 1024;

export interface RuntimeOptions {
  /** Number of CPUs (worker threads). Default: available parallelism, at least 2. */
  readonly cpus?: number;
  /** How bound threads are quiesced for CPU down. Default 'park'. */
  readonly strategy?: StrategyName;
  /** Kthread modules: paths or file: URLs of compiled JavaScript modules. */
  readonly modules?: ReadonlyArray<string | URL>;
  /** Bound on every hotplug step and kthread wait, in ms. Default 5000. */
  readonly hotplugTimeoutMs?: number;
  /** Kthread slots in shared memory. Default 256. */
  readonly maxKthreads?: number;
  /**
   * Jobs that may wait in the runtime's queues, besides those handed to CPUs (at most
   * `jobSlots` per CPU); queueWork() past it is refused with a JobError. Default: no limit.
   */
  readonly maxQueue?: number;
  /** The most jobs handed to one CPU at once (its claim slots in shared memory). Default 64. */
  readonly jobSlots?: number;
  /** Limits of each CPU worker's JavaScript heap and stack (worker_threads resourceLimits). */
  readonly resourceLimits?: ResourceLimits;
  /**
   * Test-only: plant a known race to prove that the torture checks find it. With
   * 'dead-before-parked', CPU down marks the CPU DYING and DEAD before the last running
   * bound thread has acknowledged its park (it breaks invariants 1 and 2 on purpose).
   */
  readonly plantedRace?: 'dead-before-parked';
  /**
   * The soft-lockup threshold (kernel/watchdog.c): a CPU whose worker has not run its event
   * loop for this long, while online, is stuck in synchronous code. 0 or Infinity disables the
   * watchdog. Default 10000.
   */
  readonly watchdogMs?: number;
  /** What a soft lockup does: 'fail' the CPU (the default; cpuUp recovers it) or only 'warn'. */
  readonly onLockup?: 'fail' | 'warn';
}

export interface ResolvedOptions {
  readonly cpus: number;
  readonly strategy: StrategyName;
  readonly modules: readonly string[];
  readonly hotplugTimeoutMs: number;
  readonly maxKthreads: number;
  readonly maxQueue: number;
  readonly jobSlots: number;
  readonly resourceLimits: ResourceLimits | undefined;
  readonly plantedRace: boolean;
  /** 0 when the watchdog is off. */
  readonly watchdogMs: number;
  readonly onLockup: 'fail' | 'warn';
}

export function defaultCpuCount(): number {
  return Math.min(MAX_CPUS, Math.max(2, availableParallelism()));
}

function integerIn(name: string, value: unknown, min: number, max: number, hint: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be a whole number from ${min} to ${max}, got ${String(value)}; ${hint}`);
  }
  return value;
}

function moduleUrl(entry: string | URL): string {
  let path: string;
  try {
    path = entry instanceof URL || entry.startsWith('file:') ? fileURLToPath(entry) : isAbsolute(entry) ? entry : resolve(entry);
  } catch {
    throw new ConfigError(`module ${String(entry)} is not a file path or file: URL; pass the path of a compiled .js module`);
  }
  if (!existsSync(path)) {
    throw new ConfigError(`module ${path} does not exist; pass the path of a compiled .js module (build TypeScript modules first)`);
  }
  return pathToFileURL(path).href;
}

export function resolveOptions(options: RuntimeOptions): ResolvedOptions {
  const cpus = integerIn('cpus', options.cpus ?? defaultCpuCount(), 1, MAX_CPUS, 'each CPU is one worker thread');
  const strategy = options.strategy ?? 'park';
  if (!STRATEGIES.includes(strategy)) {
    throw new ConfigError(`unknown strategy '${String(strategy)}'; choose one of: ${STRATEGIES.join(', ')}`);
  }
  const hotplugTimeoutMs = integerIn('hotplugTimeoutMs', options.hotplugTimeoutMs ?? 5000, 1, 3_600_000, 'it bounds every hotplug step');
  const maxKthreads = integerIn('maxKthreads', options.maxKthreads ?? 256, 1, MAX_KTHREADS, 'one slot per kthread');
  if (options.modules !== undefined && !Array.isArray(options.modules)) {
    throw new ConfigError('modules must be an array of paths or file: URLs');
  }
  const modules = (options.modules ?? []).map(moduleUrl);
  if (options.plantedRace !== undefined && options.plantedRace !== 'dead-before-parked') {
    throw new ConfigError(`plantedRace must be 'dead-before-parked' or left out, got ${String(options.plantedRace)}`);
  }
  const maxQueue = options.maxQueue === undefined || options.maxQueue === Infinity ? Infinity : integerIn('maxQueue', options.maxQueue, 0, Number.MAX_SAFE_INTEGER, 'or Infinity for no limit');
  const jobSlots = integerIn('jobSlots', options.jobSlots ?? 64, 1, MAX_JOB_SLOTS, 'the most jobs handed to one CPU at once');
  const watchdogMs =
    options.watchdogMs === undefined ? 10_000 : options.watchdogMs === Infinity || options.watchdogMs === 0 ? 0 : integerIn('watchdogMs', options.watchdogMs, 100, 3_600_000, 'or 0 (or Infinity) to turn the watchdog off');
  const onLockup = options.onLockup ?? 'fail';
  if (onLockup !== 'fail' && onLockup !== 'warn') throw new ConfigError(`onLockup must be 'fail' or 'warn', got ${String(onLockup)}`);
  return {
    cpus,
    strategy,
    modules,
    hotplugTimeoutMs,
    maxKthreads,
    maxQueue,
    jobSlots,
    resourceLimits: checkResourceLimits(options.resourceLimits),
    plantedRace: options.plantedRace !== undefined,
    watchdogMs,
    onLockup,
  };
}

const LIMITS = ['maxOldGenerationSizeMb', 'maxYoungGenerationSizeMb', 'codeRangeSizeMb', 'stackSizeMb'] as const;

function checkResourceLimits(limits: ResourceLimits | undefined): ResourceLimits | undefined {
  if (limits === undefined) return undefined;
  if (typeof limits !== 'object' || limits === null) throw new ConfigError(`resourceLimits must be an object with any of: ${LIMITS.join(', ')}`);
  for (const [key, value] of Object.entries(limits)) {
    if (!(LIMITS as readonly string[]).includes(key)) throw new ConfigError(`resourceLimits.${key} is not a worker limit; use any of: ${LIMITS.join(', ')}`);
    if (typeof value !== 'number' || !(value > 0)) throw new ConfigError(`resourceLimits.${key} must be a positive number of MB, got ${String(value)}`);
  }
  return { ...limits };
}
