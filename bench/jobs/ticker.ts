/**
 * The churn clock: runs an action every `intervalMs` while a closed loop runs, one action at
 * a time. The next tick is due `intervalMs` after the previous action has finished, so a slow
 * action (a cpuDown waiting for a running job) delays the churn rather than piling actions up.
 * An action that throws is recorded and the ticking goes on: the benchmark reports it.
 */

import { Tally } from './tally.js';

export interface Ticker {
  /** Stops ticking; resolves once the action in progress, if any, has finished. */
  stop(): Promise<void>;
  /** Actions completed. */
  readonly ticks: number;
  /** Actions that threw, by kind (tally.ts). */
  readonly errors: Tally;
}

export function startTicker(intervalMs: number, action: (tick: number) => Promise<void>): Ticker {
  let stopped = false;
  let ticks = 0;
  const errors = new Tally();
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();

  const schedule = (): void => {
    if (stopped) return;
    timer = setTimeout(() => {
      // Called from a then() so that an action that throws synchronously is recorded like one that rejects.
      running = Promise.resolve(ticks).then(action).then(
        () => {
          ticks++;
        },
        (error: unknown) => {
          errors.add(error);
        },
      );
      void running.then(schedule);
    }, intervalMs);
  };
  schedule();

  return {
    stop: async () => {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
    get ticks() {
      return ticks;
    },
    errors,
  };
}
