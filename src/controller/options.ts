/** Runtime.start() options: defaults and validation, before anything is started. */

import { existsSync, statSync } from 'node:fs';
import type { ResourceLimits } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { ConfigError } from '../errors.js';
import { allKeys, describeValue, errorText, oneOf, readArray, readOptions, wholeNumber, wholeNumberOrInfinity } from './arguments.js';
import { STRATEGIES, type StrategyName } from '../hotplug/strategies/strategy.js';
import { CONTROLLER_PRIORITIES, type ControllerPriority } from './priority.js';
import { readWorkerOptions, type ResolvedWorkerOptions, type WorkerThreadOptions } from './worker-options.js';

export const MAX_CPUS = 128;
export const MAX_KTHREADS = 65_536;
export const MAX_JOB_SLOTS = 1024;
/** The soft-lockup watchdog's threshold: its default, and its bounds when it is on. */
export const DEFAULT_WATCHDOG_MS = 10_000;
export const MIN_WATCHDOG_MS = 100;
export const MAX_WATCHDOG_MS = 3_600_000;

/** What a soft lockup does (RuntimeOptions.onLockup). */
export type LockupAction = 'fail' | 'warn';
const LOCKUP_ACTIONS: readonly LockupAction[] = ['fail', 'warn'];

export interface RuntimeOptions {
  /**
   * Number of CPUs (worker threads). Default: the cores available less one, kept for the
   * controller thread, and at least 2. At or above the cores, a CpuhpWarning
   * (CPUHP_CPUS_SHARE_CORES) says so once per process.
   */
  readonly cpus?: number;
  /** How bound threads are quiesced for CPU down. Default 'park'. */
  readonly strategy?: StrategyName;
  /**
   * Kthread and job modules: paths or file: URLs of compiled JavaScript modules. A .ts, .mts
   * or .cts module is refused: Node 20's workers cannot load TypeScript (compile it with tsc
   * and pass the .js).
   */
  readonly modules?: ReadonlyArray<string | URL>;
  /**
   * Bound on every hotplug step and kthread wait, in ms: a whole number from 1 up, or
   * Infinity for no bound (then a thread that never parks holds cpuDown for ever). Default 5000.
   */
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
  /**
   * Limits of each CPU worker's JavaScript heap and stack (worker_threads resourceLimits),
   * each a finite number of MB at or above the minimum a CPU worker needs (see
   * RESOURCE_LIMITS). They do not bound ArrayBuffer or SharedArrayBuffer memory, whose
   * backing stores live outside the V8 heap. The same as workerOptions.resourceLimits: pass
   * one of the two.
   */
  readonly resourceLimits?: ResourceLimits;
  /**
   * What of Node's WorkerOptions every CPU worker is started with: `argv`, `env` (an object
   * of strings, copied at start, or SHARE_ENV), `execArgv`, `resourceLimits` and
   * `trackUnmanagedFds`, with Node's meanings and defaults (except that an inherited
   * `--input-type` flag is dropped, as a worker refuses it). The keys the runtime owns
   * (`eval`, `workerData`, `transferList`, `name`, `stdin`, `stdout`, `stderr`) and unknown
   * keys are refused with a ConfigError naming the key. Applies to every worker, the fresh
   * ones cpuUp starts included.
   */
  readonly workerOptions?: WorkerThreadOptions;
  /**
   * Test-only: plant a known race to prove that the torture checks find it. With
   * 'dead-before-parked', CPU down marks the CPU DYING and DEAD before the last running
   * bound thread has acknowledged its park (it breaks invariants 1 and 2 on purpose).
   */
  readonly plantedRace?: 'dead-before-parked';
  /**
   * The soft-lockup threshold (kernel/watchdog.c): a CPU whose worker has not run its event
   * loop for this long, while online, is stuck in synchronous code. A whole number of ms from
   * 100 to 3_600_000; 0 or Infinity disables the watchdog. Default 10000.
   */
  readonly watchdogMs?: number;
  /** What a soft lockup does: 'fail' the CPU (the default; cpuUp recovers it) or only 'warn'. */
  readonly onLockup?: LockupAction;
  /**
   * 'raised' puts the controller thread ahead of the CPU workers in the OS scheduler: its
   * nice value 5 lower where permitted (root or CAP_SYS_NICE), else the workers' 5 higher.
   * Worth it when CPUs are at least the cores and threads always have work (priority.ts).
   * Default 'normal'.
   */
  readonly controllerPriority?: ControllerPriority;
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
  /** The rest of what each worker is started with (worker-options.ts). */
  readonly worker: ResolvedWorkerOptions;
  readonly plantedRace: boolean;
  /** The soft-lockup threshold in ms; 0 when the watchdog is off (watchdogMs 0 or Infinity). */
  readonly watchdogMs: number;
  readonly onLockup: LockupAction;
  readonly controllerPriority: ControllerPriority;
}

/**
 * One CPU per core but one, which is left to the controller thread (priority.ts), and at
 * least 2, so that one CPU can go down while another runs: 2 on a 2-core machine.
 */
export function defaultCpuCount(cores = availableParallelism()): number {
  return Math.min(MAX_CPUS, Math.max(2, cores - 1));
}

const START = 'Runtime.start(options)';
/** Every key of RuntimeOptions: any other key is refused (a typo would otherwise change nothing). */
const OPTION_KEYS = allKeys<RuntimeOptions>()([
  'cpus',
  'strategy',
  'modules',
  'hotplugTimeoutMs',
  'maxKthreads',
  'maxQueue',
  'jobSlots',
  'resourceLimits',
  'workerOptions',
  'watchdogMs',
  'onLockup',
  'controllerPriority',
  'plantedRace',
]);

function integerIn(name: string, value: unknown, min: number, max: number, why: string): number {
  return wholeNumber(START, `options.${name}`, value, min, max, ` (${why})`);
}

function integerOrInfinity(name: string, value: unknown, min: number, infinity: string): number {
  return wholeNumberOrInfinity(START, `options.${name}`, value, min, infinity);
}

function moduleUrl(entry: unknown, index: number): string {
  const name = `options.modules[${index}]`;
  const expected = 'the path or file: URL of a compiled .js module';
  let isUrl = false;
  try {
    isUrl = entry instanceof URL;
  } catch {
    // A Proxy whose getPrototypeOf trap throws: not a URL.
  }
  if (!(typeof entry === 'string' && entry.length > 0) && !isUrl) {
    throw new ConfigError(`${START}: ${name} must be ${expected}, got ${describeValue(entry)}`);
  }
  let path: string;
  try {
    const text = entry as string | URL;
    path = typeof text !== 'string' || text.startsWith('file:') ? fileURLToPath(text) : isAbsolute(text) ? text : resolve(text);
  } catch (error) {
    throw new ConfigError(`${START}: ${name} is not a file path or file: URL (${errorText(error)}); pass ${expected}`);
  }
  const typescript = /\.[mc]?ts$/i.exec(path);
  if (typescript !== null && !stripsTypes()) {
    throw new ConfigError(
      `${START}: ${name}: ${path} is TypeScript, which Node 20's worker threads cannot load; compile it with tsc and pass the ${typescript[0].toLowerCase().replace('ts', 'js')} file it emits, or on Node 22.6 and later run with --experimental-strip-types`,
    );
  }
  if (!existsSync(path)) {
    throw new ConfigError(`${START}: ${name}: module ${path} does not exist; pass the path of a compiled .js module (build TypeScript modules first)`);
  }
  if (!statSync(path).isFile()) throw new ConfigError(`${START}: ${name}: ${path} is a directory, not a file; pass the path of a compiled .js module`);
  return pathToFileURL(path).href;
}

/** Whether this Node loads TypeScript itself (22.6 and later, with type stripping on). */
function stripsTypes(): boolean {
  return Boolean((process.features as { readonly typescript?: unknown }).typescript);
}

/** options.modules: an array, each entry read once. */
function moduleUrls(value: unknown): string[] {
  if (value === undefined) return [];
  return readArray(START, 'options.modules', value, 'an array of paths or file: URLs of compiled .js modules').map(moduleUrl);
}

/** options.watchdogMs: 0 or Infinity turn the watchdog off (resolved as 0). */
function watchdogMs(value: unknown): number {
  if (value === undefined) return DEFAULT_WATCHDOG_MS;
  if (value === 0 || value === Infinity) return 0;
  return wholeNumber(START, 'options.watchdogMs', value, MIN_WATCHDOG_MS, MAX_WATCHDOG_MS, ', or 0 or Infinity to turn the soft-lockup watchdog off');
}

export function resolveOptions(options: unknown): ResolvedOptions {
  const o = readOptions(START, 'options', options, OPTION_KEYS);
  const cpus = integerIn('cpus', o.cpus === undefined ? defaultCpuCount() : o.cpus, 1, MAX_CPUS, 'each CPU is one worker thread');
  const strategy = o.strategy === undefined ? 'park' : oneOf(START, 'options.strategy', o.strategy, STRATEGIES);
  const hotplugTimeoutMs = o.hotplugTimeoutMs === undefined ? 5000 : integerOrInfinity('hotplugTimeoutMs', o.hotplugTimeoutMs, 1, 'no bound (a thread that never parks then holds cpuDown for ever)');
  const maxKthreads = o.maxKthreads === undefined ? 256 : integerIn('maxKthreads', o.maxKthreads, 1, MAX_KTHREADS, 'one slot per kthread');
  const modules = moduleUrls(o.modules);
  if (o.plantedRace !== undefined && o.plantedRace !== 'dead-before-parked') {
    throw new ConfigError(`${START}: options.plantedRace must be 'dead-before-parked' or left out (it is for testing torture), got ${describeValue(o.plantedRace)}`);
  }
  const maxQueue = o.maxQueue === undefined ? Infinity : integerOrInfinity('maxQueue', o.maxQueue, 0, 'no limit');
  const jobSlots = o.jobSlots === undefined ? 64 : integerIn('jobSlots', o.jobSlots, 1, MAX_JOB_SLOTS, 'the most jobs handed to one CPU at once');
  const onLockup = o.onLockup === undefined ? 'fail' : oneOf(START, 'options.onLockup', o.onLockup, LOCKUP_ACTIONS);
  const { worker, resourceLimits } = readWorkerOptions(o.workerOptions);
  if (o.resourceLimits !== undefined && resourceLimits !== undefined) {
    throw new ConfigError(`${START}: options.resourceLimits and options.workerOptions.resourceLimits are the same limits; pass one of them`);
  }
  return {
    cpus,
    strategy,
    modules,
    hotplugTimeoutMs,
    maxKthreads,
    maxQueue,
    jobSlots,
    resourceLimits: resourceLimits === undefined ? checkResourceLimits('options.resourceLimits', o.resourceLimits) : checkResourceLimits('options.workerOptions.resourceLimits', resourceLimits),
    worker,
    plantedRace: o.plantedRace !== undefined,
    watchdogMs: watchdogMs(o.watchdogMs),
    onLockup,
    controllerPriority: o.controllerPriority === undefined ? 'normal' : oneOf(START, 'options.controllerPriority', o.controllerPriority, CONTROLLER_PRIORITIES),
  };
}

/**
 * The bounds of each worker limit, in MB, found on Node 20 (x64 Linux) by starting a CPU
 * worker and running a trivial job with one limit set at a time (test/arguments.test.ts
 * checks that the minimums together still start one, under tap's loaders):
 *
 *   stackSizeMb              0.26 works; 0.25 fails to load the modules; 0.2 and below
 *                            overflow the worker's stack while it starts and abort the
 *                            whole process (exit code 6). From about the machine's memory
 *                            size up the thread cannot be made (EAGAIN), and 1e14 aborts
 *                            the process again. Minimum 1 (4x headroom), maximum 1024.
 *   maxOldGenerationSizeMb   plain node: 6 works, 5 sometimes, 4 and below run out of
 *                            memory while loading. With loaders in the worker (tap's
 *                            TypeScript and coverage hooks) 32 works and 24 does not.
 *                            Minimum 64 (2x the loaded case). Huge values are harmless
 *                            (V8 never reaches them): no maximum.
 *   maxYoungGenerationSizeMb any positive value works (V8 rounds it up to its own floor).
 *                            Minimum 1, as a floor against bytes-for-MB mistakes. No maximum.
 *   codeRangeSizeMb          any positive value works (V8 rounds it up). From 1e8 up the
 *                            process dies (SIGTRAP). Minimum 1, maximum 1024 (V8's own
 *                            code range is far smaller).
 */
export const RESOURCE_LIMITS = {
  stackSizeMb: { min: 1, max: 1024 },
  maxOldGenerationSizeMb: { min: 64, max: Number.MAX_VALUE },
  maxYoungGenerationSizeMb: { min: 1, max: Number.MAX_VALUE },
  codeRangeSizeMb: { min: 1, max: 1024 },
} as const satisfies Record<keyof ResourceLimits, { min: number; max: number }>;

const LIMIT_KEYS = allKeys<ResourceLimits>()(['maxOldGenerationSizeMb', 'maxYoungGenerationSizeMb', 'codeRangeSizeMb', 'stackSizeMb']);

function checkResourceLimits(arg: string, limits: unknown): ResourceLimits | undefined {
  if (limits === undefined) return undefined;
  const o = readOptions(START, arg, limits, LIMIT_KEYS);
  const out: { -readonly [K in keyof ResourceLimits]: number } = {};
  for (const key of LIMIT_KEYS) {
    const value = o[key];
    if (value === undefined) continue;
    const { min, max } = RESOURCE_LIMITS[key];
    if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
      const range = max === Number.MAX_VALUE ? `a finite number of MB from ${min} up` : `a number of MB from ${min} to ${max}`;
      throw new ConfigError(
        `${START}: ${arg}.${key} must be ${range} (a CPU worker needs at least ${min} MB to start and run its jobs), got ${describeValue(value)}`,
      );
    }
    out[key] = value;
  }
  return out;
}
