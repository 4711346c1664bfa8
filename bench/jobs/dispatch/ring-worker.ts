/**
 * The raw worker of the SharedArrayBuffer dispatch path: reads requests from one ring,
 * runs the trivial job, writes results to the other (ring.ts has the protocol). It idles
 * in Atomics.waitAsync on the request ring's TAIL, never in a sleep.
 */

import { workerData } from 'node:worker_threads';
import { increment } from '../work.js';
import { EMPTY, RingReader, RingWriter, WAIT_SLICE_MS } from './ring.js';
import { answer, type Request } from './wire.js';

/** Results are published at least this often while a batch of requests is drained. */
const PUBLISH_EVERY = 64;

// A pending Atomics.waitAsync does not keep a worker's event loop alive: without a ref'd
// handle the worker would exit the first time it found its ring empty.
setInterval(() => undefined, 1 << 30);

const { requests: requestBuffer, results: resultBuffer } = workerData as { requests: SharedArrayBuffer; results: SharedArrayBuffer };
const requests = new RingReader(requestBuffer);
const results = new RingWriter(resultBuffer);

for (;;) {
  let done = 0;
  for (let request = requests.pop(); request !== EMPTY; request = requests.pop()) {
    const result = answer(request as Request, increment);
    while (!results.push(result)) {
      results.publish();
      await results.waitForSpace(WAIT_SLICE_MS);
    }
    // Publishing every few results lets the main thread start on them while the rest run.
    if (++done % PUBLISH_EVERY === 0) {
      requests.release();
      results.publish();
    }
  }
  requests.release();
  results.publish();
  await requests.waitForData(WAIT_SLICE_MS);
}
