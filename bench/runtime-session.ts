/**
 * One benchmark runtime: started for one measurement, shut down after it whatever happened,
 * and asked before shutdown whether its CPU workers counted invariant violations, which a
 * benchmark reports (a fast number from a broken strategy is no result).
 */

import { Runtime, type PerCpuThreadGroup, type StrategyName } from '../src/index.js';

/** The kthread module of the benchmark, compiled beside this file. */
export const BENCH_MODULE = new URL('./bench-kthreads.js', import.meta.url);

/** Per-CPU thread exports of bench-kthreads.ts. */
export type PerCpuExport = 'unit' | 'busy' | 'idle';

export interface Session<T> {
  readonly value: T;
  readonly violations: number;
}

export async function withRuntime<T>(cpus: number, strategy: StrategyName, body: (rt: Runtime) => Promise<T>): Promise<Session<T>> {
  const rt = await Runtime.start({ cpus, strategy, modules: [BENCH_MODULE] });
  try {
    const value = await body(rt);
    return { value, violations: rt.stats().violations };
  } finally {
    await rt.shutdown();
  }
}

/** The same user code under every strategy: one smpboot thread per CPU, named `<fn>/<cpu>`. */
export function registerOnEveryCpu(rt: Runtime, fn: PerCpuExport): Promise<PerCpuThreadGroup> {
  return rt.registerPerCpuThread(fn, { name: `${fn}/%u` });
}
