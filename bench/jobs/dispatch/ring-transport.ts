/**
 * The main thread's side of the SharedArrayBuffer dispatch path: requests pushed into one
 * ring and published once per turn of the event loop (from a microtask), results read from
 * the other ring by one reader loop that runs while any job waits, idling in
 * Atomics.waitAsync on the result ring's TAIL (ring.ts has the protocol).
 */

import { Worker } from 'node:worker_threads';
import { EMPTY, RingReader, RingWriter, ringBuffer, WAIT_SLICE_MS } from './ring.js';
import { PendingJobs, rejectOnExit, type Result, type Transport } from './wire.js';

/** Room per job in flight: a trivial request or result serializes to a few dozen bytes. */
const BYTES_PER_JOB = 256;

const RING_WORKER = new URL('./ring-worker.js', import.meta.url);

export function ringTransport(concurrency: number): Transport {
  const requestBuffer = ringBuffer(concurrency * BYTES_PER_JOB);
  const resultBuffer = ringBuffer(concurrency * BYTES_PER_JOB);
  const worker = new Worker(RING_WORKER, { workerData: { requests: requestBuffer, results: resultBuffer } });
  const requests = new RingWriter(requestBuffer);
  const results = new RingReader(resultBuffer);
  const pending = new PendingJobs();
  rejectOnExit(worker, pending);

  let flushScheduled = false;
  const flush = (): void => {
    flushScheduled = false;
    requests.publish();
  };

  let reading = false;
  const read = async (): Promise<void> => {
    reading = true;
    try {
      while (pending.size > 0) {
        let got = false;
        for (let result = results.pop(); result !== EMPTY; result = results.pop()) {
          const { id, r } = result as Result;
          pending.resolve(id, r);
          got = true;
        }
        if (got) results.release();
        if (pending.size > 0) await results.waitForData(WAIT_SLICE_MS);
      }
    } finally {
      reading = false;
    }
  };

  return {
    submit: (args) => {
      const { id, promise } = pending.add();
      // The ring holds BYTES_PER_JOB per job in flight, so it is never full in a closed loop;
      // if it were, the job fails visibly rather than waiting unseen.
      if (!requests.push({ id, a: args })) pending.reject(id, new Error('the request ring is full'));
      if (!flushScheduled) {
        flushScheduled = true;
        queueMicrotask(flush);
      }
      if (!reading) void read();
      return promise;
    },
    close: async () => {
      await worker.terminate();
    },
  };
}
