/**
 * The raw worker of the three MessagePort dispatch paths (its own parentPort), answering
 * the trivial job in the shape its mode names:
 *
 *   per-job       one message per job each way;
 *   batched-in    an array of jobs in, one result message per job out (cpuhp's shape: a
 *                 result is posted the moment its job ends, so a dying worker loses none);
 *   batched-both  an array of jobs in, one array of results out.
 */

import { parentPort, workerData } from 'node:worker_threads';
import { increment } from '../work.js';
import { answer, type Request } from './wire.js';
import type { PortMode } from './port-transport.js';

const port = parentPort!;
const mode = (workerData as { mode: PortMode }).mode;

if (mode === 'per-job') {
  port.on('message', (request: Request) => port.postMessage(answer(request, increment)));
} else if (mode === 'batched-in') {
  port.on('message', (batch: Request[]) => {
    for (const request of batch) port.postMessage(answer(request, increment));
  });
} else {
  port.on('message', (batch: Request[]) => port.postMessage(batch.map((request) => answer(request, increment))));
}
