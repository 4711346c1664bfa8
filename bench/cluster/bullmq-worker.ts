/**
 * The plain BullMQ peer: one process, one BullMQ Worker with the given concurrency, running
 * the benchmark's work inline in its processor, on its own event loop (as a user who picks
 * BullMQ instead of cpuhp would write it). Forked by bullmq-peer.ts with an IPC channel:
 *
 *   argv     <redis url> <queue> <concurrency>
 *   → parent { type: 'ready' } once the worker is connected
 *   ← parent { type: 'close' }: the worker closes (its running jobs finish), then
 *   → parent { type: 'closed', completed } and the process exits 0
 *
 * The parent going away ends the process too. It reads the jobs a ClusterQueue adds (name:
 * the work, data: { args }), so both kinds of row share one producer.
 */

import { Worker, type Job } from 'bullmq';
import { readRedisUrl } from '../../src/cluster/connection.js';
import { PREFIX, readWireData } from '../../src/cluster/wire.js';
import { increment, spin, type SpinArgs, type TrivialArgs } from '../jobs/work.js';

const [url, queue, concurrencyText] = process.argv.slice(2);
const concurrency = Number(concurrencyText);
if (url === undefined || queue === undefined || !Number.isInteger(concurrency) || concurrency < 1) {
  process.stderr.write('usage: bullmq-worker.js <redis url> <queue> <concurrency>\n');
  process.exit(2);
}

/** The same names as the cpuhp job module's exports (bench/jobs/cpuhp-jobs.ts). */
const WORK: Readonly<Record<string, (args: never) => number>> = {
  trivial: (args: TrivialArgs) => increment(args),
  spin: (args: SpinArgs) => spin(args),
};

let completed = 0;
const worker = new Worker(
  queue,
  (job: Job) => {
    const work = WORK[job.name];
    const data = readWireData(job.data);
    if (work === undefined || data === undefined) throw new Error(`bench worker: no work named ${job.name}`);
    const result = work(data.args as never);
    completed++;
    return Promise.resolve(result);
  },
  { connection: readRedisUrl('bullmq-worker', 'redis', url).connection, prefix: PREFIX, concurrency },
);
worker.on('error', () => undefined);

const close = async (): Promise<void> => {
  await worker.close();
  process.send?.({ type: 'closed', completed });
  process.exit(0);
};
process.on('message', (message: unknown) => {
  if (typeof message === 'object' && message !== null && (message as { type?: unknown }).type === 'close') void close();
});
process.on('disconnect', () => void worker.close().finally(() => process.exit(0)));
await worker.waitUntilReady();
process.send?.({ type: 'ready' });
