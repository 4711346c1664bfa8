/**
 * The steps of a benchmark run: each a labelled measurement that resolves with the invariant
 * violations its runtime counted. They run one at a time, so no measurement competes with
 * another; one that fails is recorded and the run goes on, so that one broken measurement
 * does not hide the figures of the others. An interrupted run (Ctrl-C) stops waiting for the
 * measurement under way, shuts its runtime down within a bound, and keeps what was measured.
 */

import { aborted } from '../src/common/abort.js';
import { describeError } from './errors.js';
import { shutDownOpenRuntimes } from './runtime-session.js';

/** Once interrupted, how long the runtimes of the measurement under way may take to shut down. */
const SHUTDOWN_BOUND_MS = 10_000;

export interface Task {
  readonly label: string;
  /** Resolves with the invariant violations the measurement's runtime counted (0 without one). */
  run(): Promise<number>;
}

/** Told before each measurement; `total` first, once. */
export interface BenchProgress {
  start(total: number): void;
  step(label: string): void;
  stop(): void;
}

export interface TaskOutcome {
  /** Violations over every task. */
  readonly violations: number;
  /** One sentence per task that failed: its label and the error. */
  readonly failures: readonly string[];
  /** The run was stopped early: the measurements not done, the one under way first; empty when all were done. */
  readonly notDone: readonly string[];
}

/** `stop` ends the run early (Ctrl-C): no measurement starts after it, and the one under way is abandoned. */
export async function runTasks(tasks: readonly Task[], progress?: BenchProgress, stop?: AbortSignal): Promise<TaskOutcome> {
  const failures: string[] = [];
  let violations = 0;
  let done = 0;
  const stopped = aborted(stop);
  progress?.start(tasks.length);
  try {
    for (const task of tasks) {
      if (stop?.aborted === true) break;
      progress?.step(task.label);
      const run = task.run();
      try {
        const ran = await Promise.race([run, stopped.then(() => undefined)]);
        if (ran === undefined) break;
        violations += ran;
        done++;
      } catch (error) {
        failures.push(`${task.label}: ${describeError(error)}`);
        done++;
      }
    }
  } finally {
    progress?.stop();
  }
  if (done < tasks.length) await shutDownOpenRuntimes(SHUTDOWN_BOUND_MS);
  return { violations, failures, notDone: tasks.slice(done).map((t) => t.label) };
}
