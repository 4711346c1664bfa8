/**
 * A BullMQ worker's concurrency, set at run time. Lowering it takes effect as jobs end (the
 * worker fetches only while it runs fewer than its concurrency). Raising it would wait, too,
 * until one of its running jobs ends, because the worker's fetch loop sleeps on them; a
 * pause that does not wait for them, then a resume, wakes the loop so that it fetches at
 * once. A paused worker is only given the number, for when it resumes.
 */

import type { Worker } from 'bullmq';

export async function setWorkerConcurrency(worker: Worker, concurrency: number): Promise<void> {
  const raised = concurrency > worker.concurrency;
  worker.concurrency = concurrency;
  if (raised && worker.isRunning() && !worker.isPaused()) {
    await worker.pause(true);
    await worker.resume();
  }
}
