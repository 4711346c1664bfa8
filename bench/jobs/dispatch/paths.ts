/**
 * The dispatch paths: the transports a job runtime could use between the main thread and
 * one worker, measured with a raw worker_threads Worker (not cpuhp) running the trivial job
 * through the same closed loop as the runtime rows, so the figures show what the transport
 * alone costs per job on this machine.
 */

import { runClosedLoop, type LoopResult } from '../closed-loop.js';
import { measuredLoop, warmUp, type MeasurePlan } from '../measurement.js';
import { portTransport } from './port-transport.js';
import { ringTransport } from './ring-transport.js';
import type { Transport } from './wire.js';

export type DispatchPathName = 'port-per-job' | 'port-batched-in' | 'port-batched-both' | 'sab-ring';

export interface DispatchPath {
  readonly name: DispatchPathName;
  /** How jobs travel to the worker. */
  readonly requests: string;
  /** How results travel back. */
  readonly results: string;
  start(concurrency: number): Transport;
}

export const DISPATCH_PATHS: readonly DispatchPath[] = [
  { name: 'port-per-job', requests: 'MessagePort, one message per job', results: 'one message per job', start: () => portTransport('per-job') },
  {
    name: 'port-batched-in',
    requests: 'MessagePort, one message per event-loop turn',
    results: 'one message per job (as cpuhp)',
    start: () => portTransport('batched-in'),
  },
  { name: 'port-batched-both', requests: 'MessagePort, one message per event-loop turn', results: 'one message per batch', start: () => portTransport('batched-both') },
  {
    name: 'sab-ring',
    requests: 'SharedArrayBuffer ring, v8.serialize, published per turn',
    results: 'the same ring back, Atomics.waitAsync wake-ups',
    start: (concurrency) => ringTransport(concurrency),
  },
];

/** One path: a fresh worker, a warm-up, then the measured loop of `plan` (the trivial job). */
export async function measureDispatchPath(path: DispatchPath, plan: MeasurePlan): Promise<LoopResult> {
  const transport = path.start(plan.settings.concurrency);
  try {
    await warmUp(plan, transport.submit);
    return await runClosedLoop(plan.workload, transport.submit, measuredLoop(plan));
  } finally {
    await transport.close();
  }
}
