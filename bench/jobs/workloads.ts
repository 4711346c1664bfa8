/**
 * The two workloads of the job benchmark: what each job is, the cpuhp job and the piscina
 * task file that run it, its arguments, and how a result is checked (a job that resolves
 * with a wrong value is not counted as done).
 */

import type { SpinArgs, TrivialArgs } from './work.js';

export type WorkloadName = 'trivial' | 'cpu';

/** How long one CPU-bound job keeps its thread, in ms. */
export const SPIN_MS = 1;

export interface Workload {
  readonly name: WorkloadName;
  /** How the report names it. */
  readonly label: string;
  /** The defineJob export of cpuhp-jobs.ts. */
  readonly cpuhpJob: 'trivial' | 'spin';
  /** The task file, compiled beside this file: a module whose default export runs one job, as piscina and tinypool run it. */
  readonly taskFile: URL;
  /** The arguments of the i-th job. */
  args(i: number): TrivialArgs | SpinArgs;
  /** Whether `result` is what the i-th job must return. */
  check(i: number, result: unknown): boolean;
}

export const TRIVIAL: Workload = {
  name: 'trivial',
  label: 'trivial (x + 1)',
  cpuhpJob: 'trivial',
  taskFile: new URL('./piscina-trivial.js', import.meta.url),
  args: (i) => ({ x: i }),
  check: (i, result) => result === i + 1,
};

export const CPU_BOUND: Workload = {
  name: 'cpu',
  label: `CPU-bound (${SPIN_MS} ms busy loop)`,
  cpuhpJob: 'spin',
  taskFile: new URL('./piscina-spin.js', import.meta.url),
  args: () => ({ ms: SPIN_MS }),
  check: (_i, result) => typeof result === 'number' && result >= 1,
};

export const WORKLOADS: readonly Workload[] = [TRIVIAL, CPU_BOUND];
