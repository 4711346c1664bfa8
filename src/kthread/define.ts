/**
 * What a kthread or job module imports (`cpuhp/kthread`): the define* helpers that make the
 * definitions its exports carry, the types of what the runtime hands its functions, and
 * transfer(). Only public names are exported here; the tag the helpers put on a definition and
 * how a CPU worker reads it are internal (kthread/definition.ts).
 */

import type { TransferListItem } from 'node:worker_threads';
import { ConfigError } from '../errors.js';
import { allKeys, describeValue, readOptions, transferList } from '../controller/arguments.js';
import {
  DEFINITION,
  TRANSFER,
  type CpuCallbackDefinition,
  type JobDefinition,
  type KthreadDefinition,
  type PerCpuThreadDefinition,
  type Transfer,
} from './definition.js';

export type { CpuCallbackDefinition, JobDefinition, KthreadDefinition, PerCpuThreadDefinition };

export { kthreadBoundShouldStop } from './current.js';

/** The handle a kthread function receives: its view of itself, inside its CPU worker. */
export interface Kthread<Data = unknown> {
  /** The CPU this thread is bound to; it never runs anywhere else. */
  readonly cpu: number;
  /** Runtime-wide id of the thread. */
  readonly id: number;
  readonly name: string;
  /** The thread's own state. It survives park/unpark and CPU down/up (not `recreate`). */
  data: Data;
  /** kthread_should_stop(): kthreadStop() was called; return from the thread function. */
  shouldStop(): boolean;
  /**
   * kthread_bound_should_stop(): the bound CPU is going down or a park was asked for.
   * Synchronous, allocation-free, one Atomics.load. When true, call `parkme()`.
   */
  boundShouldStop(): boolean;
  /** kthread_should_park(): the kernel's name for the same test. */
  shouldPark(): boolean;
  /** kthread_parkme(): acknowledge the park and wait; resolves on unpark, or at once on stop. */
  parkme(): Promise<void>;
  /** cond_resched(): count one unit of work and let the other threads of this CPU run. */
  schedule(): Promise<void>;
  /**
   * schedule_timeout_interruptible(): sleep up to `ms` (forever if omitted), ending early on
   * `rt.wakeUpProcess()`, a park request or a stop request. Resolves true if woken early.
   */
  sleep(ms?: number): Promise<boolean>;
  /** Units of work done so far (schedule() calls or per-CPU run() calls). */
  readonly iterations: number;
}

export type KthreadFn<Data = unknown, Result = unknown> = (kt: Kthread<Data>) => Promise<Result> | Result;

/** smpboot_thread_fn's hooks: the runtime owns the loop and calls these. */
export interface PerCpuThreadHooks<Data = unknown> {
  /** thread_should_run: is there work? When false the thread sleeps until woken. */
  shouldRun(kt: Kthread<Data>): boolean;
  /** thread_fn: one unit of work. */
  run(kt: Kthread<Data>): void | Promise<void>;
  /** Runs once when the thread first starts on its CPU. */
  setup?(kt: Kthread<Data>): void | Promise<void>;
  /**
   * Runs when the thread is stopped, if setup ran. `online` is whether its CPU is online
   * (false when the thread is stopped because its CPU is going down, under `recreate`).
   */
  cleanup?(kt: Kthread<Data>, online: boolean): void | Promise<void>;
  /** Runs on the thread before it parks. */
  park?(kt: Kthread<Data>): void | Promise<void>;
  /** Runs on the thread after it is unparked, if `park` ran before that park (as smpboot). */
  unpark?(kt: Kthread<Data>): void | Promise<void>;
}

/** A callback that runs inside the CPU worker during a hotplug step (an "AP" state). */
export type CpuCallbackFn = (cpu: number) => void | Promise<void>;

/** What a job function receives besides its arguments. */
export interface JobContext {
  /** Runtime-wide id of this job, as in the controller's errors and traces. */
  readonly id: number;
  /** The job's name: its export name. */
  readonly name: string;
  /** The CPU running it. */
  readonly cpu: number;
  /**
   * Aborted when the caller's AbortSignal fires or the job's timeoutMs passes while the job
   * runs. `signal.aborted` is exact at every read, even inside a
   * loop that never awaits; its 'abort' event fires while the job awaits something.
   */
  readonly signal: AbortSignal;
}

export type JobFn<Args = unknown, Result = unknown> = (args: Args, ctx: JobContext) => Result | Promise<Result>;

/** How a kthread definition runs; every key is optional. */
export interface DefineKthreadOptions {
  /**
   * Run the thread as the current kthread of its CPU, so that kthreadBoundShouldStop() answers
   * for it after any await (default false). It costs every await on that CPU about 0.1 µs
   * (Node runs a promise hook for an AsyncLocalStorage), so only threads that call the free
   * function ask for it; kt.boundShouldStop() needs no such option.
   */
  readonly trackCurrent?: boolean;
}
const DEFINE_OPTION_KEYS = allKeys<DefineKthreadOptions>()(['trackCurrent']);

function trackCurrentOf(call: string, options: DefineKthreadOptions | undefined): boolean {
  if (options === undefined) return false;
  const read = readOptions(call, 'options', options, DEFINE_OPTION_KEYS);
  const track = read.trackCurrent;
  if (track === undefined) return false;
  if (typeof track !== 'boolean') throw new ConfigError(`${call}: options.trackCurrent must be true or false, got ${describeValue(track)}`);
  return track;
}

export function defineKthread<Data = unknown, Result = unknown>(fn: KthreadFn<Data, Result>, options?: DefineKthreadOptions): KthreadDefinition {
  mustBeFunction('defineKthread(fn)', 'fn', fn, 'an async function (kt) => result');
  const trackCurrent = trackCurrentOf('defineKthread(fn, options)', options);
  // Data is the module author's promise about kt.data; the worker stores it untyped.
  return { [DEFINITION]: 'kthread', fn: fn as unknown as KthreadFn, trackCurrent };
}

const HOOKS_CALL = 'definePerCpuThread(hooks)';
/** Every hook of PerCpuThreadHooks: another key is refused ('cleanUp' would never run). */
const HOOK_KEYS = allKeys<PerCpuThreadHooks>()(['shouldRun', 'run', 'setup', 'cleanup', 'park', 'unpark']);

export function definePerCpuThread<Data = unknown>(hooks: PerCpuThreadHooks<Data>, options?: DefineKthreadOptions): PerCpuThreadDefinition {
  const trackCurrent = trackCurrentOf('definePerCpuThread(hooks, options)', options);
  if (hooks === undefined) throw new ConfigError(`${HOOKS_CALL}: hooks must be an object with shouldRun and run functions, got undefined`);
  // Each hook is read once, into a copy: the runtime calls what was checked.
  const read = readOptions(HOOKS_CALL, 'hooks', hooks, HOOK_KEYS);
  const copy: Record<string, unknown> = {};
  for (const key of HOOK_KEYS) {
    const hook = read[key];
    if (hook === undefined && key !== 'shouldRun' && key !== 'run') continue;
    mustBeFunction(HOOKS_CALL, `hooks.${key}`, hook, key === 'shouldRun' ? 'a function (kt) => boolean' : 'a function (kt) => void');
    copy[key] = hook;
  }
  return { [DEFINITION]: 'percpu', hooks: copy as unknown as PerCpuThreadHooks, trackCurrent };
}

/** A hotplug callback that runs on the CPU itself; name its export in rt.setupState(). */
export function defineCpuCallback(fn: CpuCallbackFn): CpuCallbackDefinition {
  mustBeFunction('defineCpuCallback(fn)', 'fn', fn, 'a function (cpu) => void');
  return { [DEFINITION]: 'cpu-callback', fn };
}

/**
 * A job the runtime's kworkers run: `rt.queueWork(exportName, args)` runs it on one CPU and
 * resolves with what it returns. Arguments and result travel by structured clone; return
 * `transfer(value, [buffers])` to move buffers back instead of copying them.
 */
export function defineJob<Args = unknown, Result = unknown>(fn: JobFn<Args, Result>): JobDefinition<Args, Awaited<Result>> {
  mustBeFunction('defineJob(fn)', 'fn', fn, 'a function (args, ctx) => result');
  return { [DEFINITION]: 'job', fn: fn as unknown as JobFn };
}

function mustBeFunction(call: string, name: string, value: unknown, expected: string): void {
  if (typeof value !== 'function') throw new ConfigError(`${call}: ${name} must be ${expected}, got ${describeValue(value)}`);
}

/** Return this from a job to move `transferables` (inside `value`) rather than copy them. */
export function transfer<T>(value: T, transferables: readonly TransferListItem[]): T {
  return { [TRANSFER]: true, value, transfer: transferList('transfer(value, transferables)', 'transferables', transferables, 'value') } satisfies Transfer<T> as unknown as T;
}
