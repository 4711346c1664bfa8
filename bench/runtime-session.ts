/**
 * One benchmark runtime: started for one measurement, shut down after it whatever happened,
 * and asked before shutdown whether its CPU workers counted invariant violations, which a
 * benchmark reports (a fast number from a broken strategy is no result). Every runtime a
 * measurement starts is known here until it is shut down, so that an interrupted run can shut
 * down the runtimes of the measurement it stopped waiting for (task.ts).
 */

import { settledWithin } from '../src/common/abort.js';
import { Runtime, type PerCpuThreadGroup, type RuntimeOptions, type StrategyName } from '../src/index.js';

/** The runtimes started by measurements and not yet shut down. */
const open = new Set<Runtime>();

/** Runtime.start, for a measurement: the runtime is known here until shutDownRuntime. */
export async function startRuntime(options: RuntimeOptions): Promise<Runtime> {
  const rt = await Runtime.start(options);
  open.add(rt);
  return rt;
}

/** Shuts a measurement's runtime down, unless an interrupted run already has. */
export async function shutDownRuntime(rt: Runtime): Promise<void> {
  if (open.delete(rt)) await rt.shutdown();
}

/** An interrupted run: shuts down every runtime a measurement left open, each within `boundMs`. */
export async function shutDownOpenRuntimes(boundMs: number): Promise<void> {
  const runtimes = [...open];
  open.clear();
  await Promise.all(runtimes.map((rt) => settledWithin(rt.shutdown(), boundMs)));
}

/** The kthread module of the benchmark, compiled beside this file. */
export const BENCH_MODULE = new URL('./bench-kthreads.js', import.meta.url);

/** The runtime's default maxKthreads, and room kept beside the benchmark's own threads (the runtime's own, such as kworkers). */
const DEFAULT_KTHREAD_ROOM = 256;
const KTHREAD_SLACK = 64;

/** Per-CPU thread exports of bench-kthreads.ts. */
export type PerCpuExport = 'unit' | 'busy' | 'idle';

export interface Session<T> {
  readonly value: T;
  readonly violations: number;
}

/**
 * `threads`: how many kthreads the measurement creates, when more than the runtime's default
 * room (256) may be needed; `options`: any other runtime option the measurement varies.
 */
export async function withRuntime<T>(
  cpus: number,
  strategy: StrategyName,
  body: (rt: Runtime) => Promise<T>,
  threads?: number,
  options: Pick<RuntimeOptions, 'controllerPriority'> = {},
): Promise<Session<T>> {
  const room = threads === undefined ? {} : { maxKthreads: Math.max(DEFAULT_KTHREAD_ROOM, threads + KTHREAD_SLACK) };
  const rt = await startRuntime({ cpus, strategy, modules: [BENCH_MODULE], ...room, ...options });
  try {
    const value = await body(rt);
    return { value, violations: rt.stats().violations };
  } finally {
    await shutDownRuntime(rt);
  }
}

/** The same user code under every strategy: one smpboot thread per CPU, named `<fn>/<cpu>`. */
export function registerOnEveryCpu(rt: Runtime, fn: PerCpuExport): Promise<PerCpuThreadGroup> {
  return rt.registerPerCpuThread(fn, { name: `${fn}/%u` });
}

/**
 * `groups` sets of per-CPU threads running `fn`, so that every CPU has that many threads of
 * it: named `<fn>/<cpu>` for one set, `<fn>.<set>/<cpu>` for more.
 */
export async function registerGroupsOnEveryCpu(rt: Runtime, fn: PerCpuExport, groups: number): Promise<void> {
  if (groups === 1) {
    await registerOnEveryCpu(rt, fn);
    return;
  }
  for (let g = 0; g < groups; g++) await rt.registerPerCpuThread(fn, { name: `${fn}.${g}/%u` });
}
