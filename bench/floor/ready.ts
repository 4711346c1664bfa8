/** Starting a plain worker_threads Worker and waiting for its 'ready' message, for the floors the benchmark measures. */

import { Worker } from 'node:worker_threads';

/** A worker slower than this to start is stuck, not slow (64 workers on 2 cores take about 2 s). */
const READY_TIMEOUT_MS = 30_000;

/** Resolves with the worker once it has posted 'ready'; rejects (having terminated it) if it errs, exits or times out first. */
export function startWorker(file: URL, workerData?: unknown): Promise<Worker> {
  const worker = new Worker(file, workerData === undefined ? {} : { workerData });
  return new Promise<Worker>((resolve, reject) => {
    const fail = (error: Error): void => {
      cleanup();
      void worker.terminate();
      reject(error);
    };
    const onMessage = (message: unknown): void => {
      if (message !== 'ready') return;
      cleanup();
      resolve(worker);
    };
    const onError = (error: Error): void => fail(error);
    const onExit = (code: number): void => fail(new Error(`worker ${file.pathname} exited with code ${code} before it was ready`));
    const timer = setTimeout(() => fail(new Error(`worker ${file.pathname} was not ready within ${READY_TIMEOUT_MS} ms`)), READY_TIMEOUT_MS);
    const cleanup = (): void => {
      clearTimeout(timer);
      worker.off('message', onMessage).off('error', onError).off('exit', onExit);
    };
    worker.on('message', onMessage).on('error', onError).on('exit', onExit);
  });
}
