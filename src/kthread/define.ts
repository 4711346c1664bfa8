/**
 * What a kthread module exports. Definitions are plain tagged objects so that the CPU
 * worker can find them among a module's exports; the tag is a registry symbol, so a module
 * that imports another copy of cpuhp still defines kthreads this runtime recognises.
 */

export const DEFINITION: unique symbol = Symbol.for('cpuhp.definition') as never;

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
  /** Runs when the thread is stopped. */
  cleanup?(kt: Kthread<Data>, online: boolean): void | Promise<void>;
  /** Runs on the thread before it parks. */
  park?(kt: Kthread<Data>): void | Promise<void>;
  /** Runs on the thread after it is unparked. */
  unpark?(kt: Kthread<Data>): void | Promise<void>;
}

/** A callback that runs inside the CPU worker during a hotplug step (an "AP" state). */
export type CpuCallbackFn = (cpu: number) => void | Promise<void>;

export type Definition =
  | { readonly [DEFINITION]: 'kthread'; readonly fn: KthreadFn }
  | { readonly [DEFINITION]: 'percpu'; readonly hooks: PerCpuThreadHooks }
  | { readonly [DEFINITION]: 'cpu-callback'; readonly fn: CpuCallbackFn };

export type DefinitionKind = Definition[typeof DEFINITION];

export function defineKthread<Data = unknown, Result = unknown>(fn: KthreadFn<Data, Result>): Definition {
  if (typeof fn !== 'function') throw new TypeError('defineKthread(fn): fn must be an async function (kt) => result');
  // Data is the module author's promise about kt.data; the worker stores it untyped.
  return { [DEFINITION]: 'kthread', fn: fn as unknown as KthreadFn };
}

export function definePerCpuThread<Data = unknown>(hooks: PerCpuThreadHooks<Data>): Definition {
  if (typeof hooks?.shouldRun !== 'function' || typeof hooks.run !== 'function') {
    throw new TypeError('definePerCpuThread(hooks): hooks.shouldRun and hooks.run must be functions');
  }
  return { [DEFINITION]: 'percpu', hooks: hooks as unknown as PerCpuThreadHooks };
}

/** A hotplug callback that runs on the CPU itself; name its export in rt.setupState(). */
export function defineCpuCallback(fn: CpuCallbackFn): Definition {
  if (typeof fn !== 'function') throw new TypeError('defineCpuCallback(fn): fn must be a function (cpu) => void');
  return { [DEFINITION]: 'cpu-callback', fn };
}

export function definitionKind(value: unknown): DefinitionKind | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const kind = (value as { [DEFINITION]?: unknown })[DEFINITION];
  return kind === 'kthread' || kind === 'percpu' || kind === 'cpu-callback' ? kind : undefined;
}
