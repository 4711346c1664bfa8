/**
 * The main thread's side of the MessagePort dispatch paths. A batched hand-over collects
 * the jobs submitted during one turn of the event loop and posts them in one message from
 * a microtask, as cpuhp's workqueue does.
 */

import { Worker } from 'node:worker_threads';
import { PendingJobs, rejectOnExit, type Request, type Result, type Transport } from './wire.js';

export type PortMode = 'per-job' | 'batched-in' | 'batched-both';

const PORT_WORKER = new URL('./port-worker.js', import.meta.url);

export function portTransport(mode: PortMode): Transport {
  const worker = new Worker(PORT_WORKER, { workerData: { mode } });
  const pending = new PendingJobs();
  rejectOnExit(worker, pending);
  if (mode === 'batched-both') {
    worker.on('message', (results: Result[]) => {
      for (const { id, r } of results) pending.resolve(id, r);
    });
  } else {
    worker.on('message', ({ id, r }: Result) => pending.resolve(id, r));
  }

  let batch: Request[] | undefined;
  const flush = (): void => {
    worker.postMessage(batch);
    batch = undefined;
  };

  return {
    submit: (args) => {
      const { id, promise } = pending.add();
      const request = { id, a: args } as Request;
      if (mode === 'per-job') {
        worker.postMessage(request);
      } else if (batch === undefined) {
        batch = [request];
        queueMicrotask(flush);
      } else {
        batch.push(request);
      }
      return promise;
    },
    close: async () => {
      await worker.terminate();
    },
  };
}
