/** Shared set-up for tests that need a live runtime. */

import { fileURLToPath } from 'node:url';
import type { Test } from 'tap';
import { Runtime, type RuntimeOptions } from '../src/index.js';

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
