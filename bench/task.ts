/**
 * The steps of a benchmark run: each a labelled measurement that resolves with the invariant
 * violations its runtime counted. They run one at a time, so no measurement competes with
 * another; one that fails is recorded and the run goes on, so that one broken measurement
 * does not hide the figures of the others.
 */

import { describeError } from './errors.js';

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
}

export async function runTasks(tasks: readonly Task[], progress?: BenchProgress): Promise<TaskOutcome> {
  const failures: string[] = [];
  let violations = 0;
  progress?.start(tasks.length);
  try {
    for (const task of tasks) {
      progress?.step(task.label);
      try {
        violations += await task.run();
      } catch (error) {
        failures.push(`${task.label}: ${describeError(error)}`);
      }
    }
  } finally {
    progress?.stop();
  }
  return { violations, failures };
}
