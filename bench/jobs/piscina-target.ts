/**
 * The piscina side of the job benchmark: a pool of exactly `threads` threads (minThreads =
 * maxThreads) with piscina's other defaults (atomics 'sync', one task per worker at a time,
 * an unbounded queue), as an application would start it.
 *
 * Under churn: piscina has no way to drain or take out one chosen worker (it has no
 * operation on one worker; destroy() and close() act on the whole pool). The closest an application
 * can do is what this does at every tick: start a new pool, send every new job to it, and
 * close() the old one gracefully (not close({ force: true }), not destroy()).
 *
 * Loaded by dynamic import (loadPiscina): piscina is a devDependency, and an installed cpuhp
 * without it still runs `bench-jobs`, with a note in place of piscina's rows.
 */

import type { Piscina } from 'piscina';
import { isPiscinaResultAfterRejection } from '../errors.js';
import { Samples } from '../histogram.js';
import { runClosedLoop, type Submit } from './closed-loop.js';
import { measuredLoop, warmUp, type MeasurePlan, type Measurement, type PiscinaChurn } from './measurement.js';
import { loadOptional } from './optional.js';
import { Tally } from './tally.js';
import { startTicker } from './ticker.js';

export type PiscinaOptions = NonNullable<ConstructorParameters<typeof Piscina>[0]>;

/** piscina as loaded: its pool class and version, or a note that it is not installed. */
export type PiscinaStatus = { readonly Piscina: typeof Piscina; readonly version: string } | { readonly missing: string };

/** piscina as the result names it: its version and how its pools were started, or why it was not measured. */
export type PiscinaInfo = { readonly version: string; readonly options: PiscinaOptions } | { readonly missing: string };

export async function loadPiscina(): Promise<PiscinaStatus> {
  const loaded = await loadOptional('piscina', () => import('piscina'));
  return 'missing' in loaded ? loaded : { Piscina: loaded.module.Piscina, version: loaded.module.version };
}

export function piscinaInfo(status: PiscinaStatus, threads: number): PiscinaInfo {
  return 'missing' in status ? status : { version: status.version, options: piscinaOptions(threads) };
}

/** What the report says the pools were started with. */
export function piscinaOptions(threads: number): PiscinaOptions {
  return { minThreads: threads, maxThreads: threads };
}

/** `Pool`: piscina's class, as loadPiscina() found it. */
export async function measurePiscina(Pool: typeof Piscina, plan: MeasurePlan): Promise<Measurement> {
  const { settings, workload } = plan;
  const errors = new Tally("pool 'error' event");
  let resultsAfterRejection = 0;
  const newPool = (): Piscina => {
    const pool = new Pool({ ...piscinaOptions(settings.threads), filename: workload.taskFile.href });
    // piscina emits 'error' (a close timeout, a worker error outside a task); unheard, it would throw.
    pool.on('error', (error: unknown) => {
      if (isPiscinaResultAfterRejection(error)) resultsAfterRejection++;
      else errors.add(error);
    });
    return pool;
  };
  let pool = newPool();
  const closeMs = new Samples(0.001);
  try {
    const submit: Submit = (args) => pool.run(args);
    await warmUp(plan, submit);
    // The tick waits for the old pool's close(), as cpuhp's tick waits for its cpuDown: at most
    // one pool is closing at a time, and the next replacement is due an interval after it closed.
    const replace = async (): Promise<void> => {
      const old = pool;
      pool = newPool();
      const from = performance.now();
      await old.close();
      closeMs.record(performance.now() - from);
    };
    const ticker = plan.churn ? startTicker(settings.churnIntervalMs, replace) : undefined;
    let loop;
    try {
      loop = await runClosedLoop(workload, submit, measuredLoop(plan));
    } finally {
      await ticker?.stop();
    }
    const churn: PiscinaChurn | null =
      ticker === undefined
        ? null
        : { runtime: 'piscina', intervalMs: settings.churnIntervalMs, poolsReplaced: ticker.ticks, closeMs: closeMs.summary() ?? null, resultsAfterRejection, errors: { ...ticker.errors.toJSON(), ...errors.toJSON() } };
    return { loop, churn, violations: 0 };
  } finally {
    await pool.destroy();
  }
}
