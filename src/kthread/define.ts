/**
 * What a kthread module exports. Definitions are plain tagged objects so that the CPU
 * worker can find them among a module's exports; the tag is a registry symbol, so a module
 * that imports another copy of cpuhp still defines kthreads this runtime recognises.
 */

import type { TransferListItem } from 'node:worker_threads';
import { ConfigError } from '../errors.js';
import type { DefinitionKind } from '../protocol/control-plane.js';
import { allKeys, describeValue, readOptions, transferList } from '../controller/arguments.js';

export const DEFINITION: unique symbol = Symbol.for('cpuhp.definition') as never;

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

export type Definition =
  | { readonly [DEFINITION]: 'kthread'; readonly fn: KthreadFn }
  | { readonly [DEFINITION]: 'percpu'; readonly hooks: PerCpuThreadHooks }
  | { readonly [DEFINITION]: 'cpu-callback'; readonly fn: CpuCallbackFn }
  | { readonly [DEFINITION]: 'job'; readonly fn: JobFn };

/** A defineJob export; its type parameters let rt.queueWork<typeof job>() check args and result. */
export type JobDefinition<Args = unknown, Result = unknown> = Extract<Definition, { [DEFINITION]: 'job' }> & {
  readonly __args?: Args;
  readonly __result?: Result;
};

export type { DefinitionKind };
// Every tag a definition can carry is a kind the protocol names: a new kind must be added there first.
const TAGS_ARE_PROTOCOL_KINDS: Definition[typeof DEFINITION] extends DefinitionKind ? true : never = true;
void TAGS_ARE_PROTOCOL_KINDS;

export function defineKthread<Data = unknown, Result = unknown>(fn: KthreadFn<Data, Result>): Definition {
  mustBeFunction('defineKthread(fn)', 'fn', fn, 'an async function (kt) => result');
  // Data is the module author's promise about kt.data; the worker stores it untyped.
  return { [DEFINITION]: 'kthread', fn: fn as unknown as KthreadFn };
}

const HOOKS_CALL = 'definePerCpuThread(hooks)';
/** Every hook of PerCpuThreadHooks: another key is refused ('cleanUp' would never run). */
const HOOK_KEYS = allKeys<PerCpuThreadHooks>()(['shouldRun', 'run', 'setup', 'cleanup', 'park', 'unpark']);

export function definePerCpuThread<Data = unknown>(hooks: PerCpuThreadHooks<Data>): Definition {
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
  return { [DEFINITION]: 'percpu', hooks: copy as unknown as PerCpuThreadHooks };
}

/** A hotplug callback that runs on the CPU itself; name its export in rt.setupState(). */
export function defineCpuCallback(fn: CpuCallbackFn): Definition {
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

const TRANSFER: unique symbol = Symbol.for('cpuhp.transfer') as never;

/** A job result whose buffers move to the controller instead of being copied. */
export interface Transfer<T> {
  readonly [TRANSFER]: true;
  readonly value: T;
  readonly transfer: readonly TransferListItem[];
}

/** Return this from a job to move `transferables` (inside `value`) rather than copy them. */
export function transfer<T>(value: T, transferables: readonly TransferListItem[]): T {
  return { [TRANSFER]: true, value, transfer: transferList('transfer(value, transferables)', 'transferables', transferables, 'value') } satisfies Transfer<T> as unknown as T;
}

export function asTransfer(value: unknown): Transfer<unknown> | undefined {
  return typeof value === 'object' && value !== null && (value as { [TRANSFER]?: unknown })[TRANSFER] === true ? (value as Transfer<unknown>) : undefined;
}

export function definitionKind(value: unknown): DefinitionKind | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const kind = (value as { [DEFINITION]?: unknown })[DEFINITION];
  return kind === 'kthread' || kind === 'percpu' || kind === 'cpu-callback' || kind === 'job' ? kind : undefined;
}
