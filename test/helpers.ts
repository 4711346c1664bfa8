/** Shared set-up for tests that need a live runtime. */

import { fileURLToPath } from 'node:url';
import type { Test } from 'tap';
import { JobError, Runtime, type KthreadHandle, type RuntimeOptions, type StrategyName, type TraceEvent, type TraceEventOf, type TraceEventType } from '../src/index.js';
import { waitForWord as waitForWordUnheld } from '../src/protocol/wait.js';
import { STRATEGIES } from '../src/hotplug/strategies/strategy.js';

export { STRATEGIES };
/** A CPU that is down runs no JavaScript: the one check the demo and torture make too. */
export { workerIsQuiet } from '../src/common/invariants.js';

/** The strategies under which a bound thread survives its CPU going down (all but recreate). */
export const RETAINING: readonly StrategyName[] = STRATEGIES.filter((s) => s !== 'recreate');

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

export const JOB_FIXTURES = fileURLToPath(new URL('./fixtures/jobs.js', import.meta.url));

/** Starts a runtime with the job fixtures (and the kthread ones), shut down when the test ends. */
export async function startJobRuntime(t: Test, options: RuntimeOptions = {}): Promise<Runtime> {
  return startRuntime(t, { modules: [JOB_FIXTURES, FIXTURES], ...options });
}

/**
 * The runtime's waitForWord, holding the process while it waits. A pending Atomics.waitAsync
 * does not keep Node's event loop alive, and the runtime holds the process only while it has
 * work in flight (docs/lifecycle.md): a test awaiting a word that a worker writes after every
 * job has settled would otherwise end as "test unfinished" whenever the worker is slow to
 * write it (a loaded machine). A timer for the wait's deadline holds the process meanwhile;
 * the wait itself still wakes on the write.
 */
export async function waitForWord(words: Int32Array, index: number, done: (value: number) => boolean, timeoutMs: number): Promise<boolean> {
  const hold = setTimeout(() => undefined, Math.min(timeoutMs, 2 ** 31 - 1));
  try {
    return await waitForWordUnheld(words, index, done, timeoutMs);
  } finally {
    clearTimeout(hold);
  }
}

/** An Int32Array over shared memory: jobs receive the same memory, not a copy. */
export function sharedInts(length: number): Int32Array {
  return new Int32Array(new SharedArrayBuffer(length * Int32Array.BYTES_PER_ELEMENT));
}

/** The words of a `gate` job (fixtures/jobs.ts): it holds its CPU until the test opens it. */
export class Gate {
  readonly gate = sharedInts(2);

  constructor(readonly maxMs = PATIENCE_MS) {}

  get args(): { gate: Int32Array; maxMs: number } {
    return { gate: this.gate, maxMs: this.maxMs };
  }

  /** Resolves true once the gate job runs. */
  started(): Promise<boolean> {
    return waitForWord(this.gate, 1, (v) => v === 1, PATIENCE_MS);
  }

  open(): void {
    Atomics.store(this.gate, 0, 1);
    Atomics.notify(this.gate, 0);
  }
}

/** How a settled job promise ended, for assertions over many jobs. */
export type Settled<T> = { ok: true; value: T } | { ok: false; error: JobError };

export async function settle<T>(promise: Promise<T>): Promise<Settled<T>> {
  try {
    return { ok: true, value: await promise };
  } catch (error) {
    if (!(error instanceof JobError)) throw error;
    return { ok: false, error };
  }
}

/**
 * Resolves with the first trace event that matches, emitted after this call: the runtime
 * emits it synchronously where the change it reports is made, so a test that waits for it
 * acts after that change, without polling. Rejects after PATIENCE_MS.
 */
export function traceEvent<T extends TraceEventType>(rt: Runtime, type: T, matches: (event: TraceEventOf<T>) => boolean = () => true): Promise<TraceEventOf<T>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      rt.off('trace', listener);
      reject(new Error(`no matching trace event within ${PATIENCE_MS} ms`));
    }, PATIENCE_MS);
    const listener = (event: TraceEvent): void => {
      if (event.type !== type || !matches(event as TraceEventOf<T>)) return;
      clearTimeout(timer);
      rt.off('trace', listener);
      resolve(event as TraceEventOf<T>);
    };
    rt.on('trace', listener);
  });
}
