/**
 * Fast-path cost: wall time per loop iteration of threads doing an empty unit, with no hotplug
 * going on. Each window is a timer; each thread's counter is read at both ends, and every
 * (thread, window) pair is one sample of ns per iteration, so the median is over threads and
 * windows alike and a thread the OS starved for a moment shows up in the p99, not the median.
 */

import { setTimeout as sleep } from 'node:timers/promises';
import type { KthreadHandle, Runtime } from '../src/index.js';
import { readIterations, unitsPerThread } from './counters.js';
import { Samples, type Summary } from './histogram.js';

/** Units each thread must have done before the warm-up window starts: it is running. */
const STARTED_UNITS = 1024;
const START_TIMEOUT_MS = 10_000;
/** ns per iteration are kept to the picosecond. */
const NS_RESOLUTION = 0.001;

export interface FastPathWindows {
  /** A window to let the JIT settle before anything is measured. */
  readonly warmupMs: number;
  readonly windows: number;
  readonly windowMs: number;
}

export interface FastPathResult {
  /** Threads per round (one per CPU). */
  readonly threads: number;
  /** Rounds measured, each in its own runtime. */
  readonly rounds: number;
  /** One sample per thread, window and round. */
  readonly nsPerIteration: Summary;
  /** Mean rate of one thread over all windows and rounds. */
  readonly iterationsPerSecondPerThread: number;
  /** Samples in which a thread did no unit at all (starved by the OS): left out of nsPerIteration. */
  readonly stalledSamples: number;
  /**
   * The median ns per iteration of each round on its own, by round number (index 0 is round
   * 1); null for a round that failed or measured no work. Per-round ratios are taken from
   * these (fast-path-ratios.ts): the pooled median above mixes the rounds' weather.
   */
  readonly roundMedians: readonly (number | null)[];
}

/** Resolves once every thread has done STARTED_UNITS units; says which did not otherwise. */
export async function waitUntilRunning(rt: Runtime, threads: readonly KthreadHandle[]): Promise<void> {
  const late = await Promise.all(threads.map(async (t) => ((await rt.waitForIterations(t, STARTED_UNITS, START_TIMEOUT_MS)) ? undefined : t.name)));
  const names = late.filter((name): name is string => name !== undefined);
  if (names.length > 0) throw new Error(`${names.join(', ')} did not start running within ${START_TIMEOUT_MS} ms`);
}

/**
 * The samples of one series (a strategy, the no-check loop or the bound kthread) at one CPU
 * count, gathered over rounds. The benchmark runs round 1 of every series, then round 2 of
 * every one, and so on (fast-path-plan.ts), so that a stretch of load from outside the
 * benchmark falls on all of them alike rather than on whichever happened to run then. Each
 * round's median is kept apart too: the per-round ratios between series are what the rounds
 * protect, and their spread is what decides a goal (fast-path-ratios.ts).
 */
export class FastPathSamples {
  private readonly samples = new Samples(NS_RESOLUTION);
  /** Each round's own samples, kept once the round has completed. */
  private readonly byRound: (Samples | undefined)[];
  private threads = 0;
  private rounds = 0;
  private stalled = 0;
  private units = 0;
  private threadMs = 0;

  /** `rounds`: how many rounds are planned, so that a round that fails still has its place. */
  constructor(rounds: number) {
    this.byRound = new Array<Samples | undefined>(rounds).fill(undefined);
  }

  /** Measures round `round` (from 1) in `rt`, whose `threads` are all running the unit under test. */
  async measure(rt: Runtime, threads: readonly KthreadHandle[], plan: FastPathWindows, round: number): Promise<void> {
    const thisRound = new Samples(NS_RESOLUTION);
    await waitUntilRunning(rt, threads);
    await sleep(plan.warmupMs);
    let counts = readIterations(rt, threads);
    let started = performance.now();
    for (let w = 0; w < plan.windows; w++) {
      await sleep(plan.windowMs);
      const now = performance.now();
      const next = readIterations(rt, threads);
      const elapsedMs = now - started;
      for (const units of unitsPerThread(counts, next)) {
        if (units === 0) {
          this.stalled++;
        } else {
          this.samples.record((elapsedMs * 1e6) / units);
          thisRound.record((elapsedMs * 1e6) / units);
        }
        this.units += units;
        this.threadMs += elapsedMs;
      }
      counts = next;
      started = now;
    }
    this.threads = threads.length;
    this.rounds++;
    this.byRound[round - 1] = thisRound;
  }

  /** Undefined until a round has measured some work. */
  result(): FastPathResult | undefined {
    const nsPerIteration = this.samples.summary();
    if (nsPerIteration === undefined) return undefined;
    return {
      threads: this.threads,
      rounds: this.rounds,
      nsPerIteration,
      iterationsPerSecondPerThread: this.units / (this.threadMs / 1000),
      stalledSamples: this.stalled,
      roundMedians: this.byRound.map((samples) => samples?.summary()?.median ?? null),
    };
  }
}
