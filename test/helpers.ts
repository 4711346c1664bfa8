/** Shared set-up for tests that need a live runtime. */

import { fileURLToPath } from 'node:url';
import type { Test } from 'tap';
import { Runtime, type KthreadHandle, type RuntimeOptions, type StrategyName } from '../src/index.js';
import { STRATEGIES } from '../src/controller/strategies/strategy.js';

export { STRATEGIES };

/** The strategies under which a bound thread survives its CPU going down (all but recreate). */
export const RETAINING: readonly StrategyName[] = STRATEGIES.filter((s) => s !== 'recreate');

/** A CPU that is down runs no JavaScript: its worker is dormant, or (recreate) gone. */
export function workerIsQuiet(rt: Runtime, cpu: number): boolean {
  return rt.isDormant(cpu) || !rt.hasWorker(cpu);
}

/** The thread of a per-CPU group on `cpu`; recreate makes a new one on every CPU up. */
export function groupThread(rt: Runtime, fn: string, cpu: number): KthreadHandle {
  const thread = rt.kthreadList(cpu).find((t) => t.fn === fn);
  if (thread === undefined) throw new Error(`no ${fn} thread on CPU ${cpu}`);
  return thread;
}

export const FIXTURES = fileURLToPath(new URL('./fixtures/kthreads.js', import.meta.url));

/**
 * Generous bound for waits that should succeed: tests assert outcomes, and a loaded 2-core
 * machine with more CPU workers than cores can take a while to schedule a worker.
 */
export const PATIENCE_MS = 20_000;

/** Starts a runtime with the test fixtures, shut down when the test ends. */
export async function startRuntime(t: Test, options: RuntimeOptions = {}): Promise<Runtime> {
  const rt = await Runtime.start({ cpus: 2, modules: [FIXTURES], hotplugTimeoutMs: PATIENCE_MS, ...options });
  t.teardown(() => rt.shutdown());
  return rt;
}
