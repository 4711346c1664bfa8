/**
 * Start time: `Runtime.start` of n CPUs (the reference strategy, no kthread module: the
 * runtime's own start) against its floor, n bare `new Worker(...)` started at once, each
 * posting 'ready' (floor/bare-worker.ts), timed until the last is ready. Both are measured in
 * the same run, `repeats` times each, back to back within a repeat and alternating which goes
 * first, so that each repeat gives one ratio (spread.ts) as the fast-path rounds do.
 */

import type { Worker } from 'node:worker_threads';
import { plural } from '../src/common/format.js';
import { startWorker } from './floor/ready.js';
import { shutDownRuntime, startRuntime } from './runtime-session.js';
import { Samples, type Summary } from './histogram.js';
import { REFERENCE_STRATEGY } from './settings.js';
import { decide, perRoundRatios, ratioSpread, type Decision, type RatioSpread } from './spread.js';
import type { Task } from './task.js';

const BARE_WORKER = new URL('./floor/bare-worker.js', import.meta.url);
/** Start times are kept to the microsecond. */
const MS_RESOLUTION = 0.001;

export type StartSide = 'runtime' | 'bare';

export interface StartTimeRow {
  readonly cpus: number;
  /** More workers than cores: they start while sharing the cores with each other and the main thread. */
  readonly oversubscribed: boolean;
  /** Runtime.start({ cpus }), call to resolve, over the repeats; null if none succeeded. */
  readonly runtimeMs: Summary | null;
  /** As many bare workers started at once, until every one posted 'ready'. */
  readonly bareMs: Summary | null;
  /** runtimeMs.median ÷ bareMs.median. */
  readonly ratio: number | null;
  /** The ratio within each repeat, by repeat (index 0 is repeat 1); null where a side failed. */
  readonly perRepeat: readonly (number | null)[];
  readonly spread: RatioSpread | null;
  /** Whether the median ratio is within `goal`, given the spread. */
  readonly goal: number;
  readonly decided: Decision | null;
}

/** Runtime.start of `cpus` CPUs, in ms; the runtime is shut down after (not timed). Resolves with its invariant violations too. */
export async function timeRuntimeStart(cpus: number): Promise<{ readonly ms: number; readonly violations: number }> {
  const started = performance.now();
  const rt = await startRuntime({ cpus, strategy: REFERENCE_STRATEGY });
  const ms = performance.now() - started;
  try {
    return { ms, violations: rt.stats().violations };
  } finally {
    await shutDownRuntime(rt);
  }
}

/** `count` bare workers started at once, in ms until the last posted 'ready'; all are terminated after (not timed). */
export async function timeBareWorkers(count: number): Promise<number> {
  const started = performance.now();
  const settled = await Promise.allSettled(Array.from({ length: count }, () => startWorker(BARE_WORKER)));
  const ms = performance.now() - started;
  const workers = settled.filter((s): s is PromiseFulfilledResult<Worker> => s.status === 'fulfilled').map((s) => s.value);
  await Promise.all(workers.map((w) => w.terminate()));
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed !== undefined) throw failed.reason;
  return ms;
}

/** The start times of every CPU count, gathered repeat by repeat. */
export class StartTimeSamples {
  private readonly times = new Map<number, Record<StartSide, (number | null)[]>>();

  constructor(
    private readonly cpus: readonly number[],
    private readonly repeats: number,
  ) {
    for (const n of cpus) this.times.set(n, { runtime: new Array<number | null>(repeats).fill(null), bare: new Array<number | null>(repeats).fill(null) });
  }

  /** Repeat `repeat` (from 1) of `side` at `cpus` CPUs took `ms`. */
  record(cpus: number, side: StartSide, repeat: number, ms: number): void {
    const at = this.times.get(cpus);
    if (at === undefined || repeat < 1 || repeat > this.repeats) throw new Error(`no start-time repeat ${repeat} at ${cpus} CPUs was planned`);
    at[side][repeat - 1] = ms;
  }

  rows(cores: number, goal: number): StartTimeRow[] {
    return this.cpus.map((cpus) => {
      const at = this.times.get(cpus)!;
      const runtimeMs = summarise(at.runtime);
      const bareMs = summarise(at.bare);
      const perRepeat = perRoundRatios(at.runtime, at.bare);
      const spread = ratioSpread(perRepeat.filter((r): r is number => r !== null)) ?? null;
      return {
        cpus,
        oversubscribed: cpus > cores,
        runtimeMs,
        bareMs,
        ratio: runtimeMs === null || bareMs === null || bareMs.median === 0 ? null : runtimeMs.median / bareMs.median,
        perRepeat,
        spread,
        goal,
        decided: spread === null ? null : decide(spread, goal),
      };
    });
  }
}

function summarise(values: readonly (number | null)[]): Summary | null {
  const samples = new Samples(MS_RESOLUTION);
  for (const v of values) if (v !== null) samples.record(v);
  return samples.summary() ?? null;
}

/** Runtime.start against bare workers, repeat by repeat, the side that goes first alternating. */
export function startTimeTasks(plan: { readonly cpus: readonly number[]; readonly repeats: number }, samples: StartTimeSamples): Task[] {
  const { cpus, repeats } = plan;
  const tasks: Task[] = [];
  for (let repeat = 1; repeat <= repeats; repeat++) {
    for (const n of cpus) {
      const which = `${plural(n, 'CPU')}, repeat ${repeat} of ${repeats}`;
      const runtime: Task = {
        label: `start time: Runtime.start, ${which}`,
        run: async () => {
          const { ms, violations } = await timeRuntimeStart(n);
          samples.record(n, 'runtime', repeat, ms);
          return violations;
        },
      };
      const bare: Task = {
        label: `start time: ${plural(n, 'bare worker')} at once, ${which}`,
        run: async () => {
          samples.record(n, 'bare', repeat, await timeBareWorkers(n));
          return 0;
        },
      };
      tasks.push(...(repeat % 2 === 1 ? [runtime, bare] : [bare, runtime]));
    }
  }
  return tasks;
}
