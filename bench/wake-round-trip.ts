/**
 * The floor of every controller↔worker handshake: one wake-up round trip. The main thread
 * writes PING and notifies; a worker blocked in Atomics.wait wakes, writes PONG and notifies;
 * the main thread, waiting with Atomics.waitAsync (waitForWord, as cpuhp's controller waits),
 * resumes. Timed on the main thread from the write to the resume; a cpuDown needs at least one
 * such round trip, so the cpuDown rows are reported beside it.
 */

import { waitForWord } from '../src/protocol/wait.js';
import { startWorker } from './floor/ready.js';
import { PING, PONG, STOP, WORDS } from './floor/wake-protocol.js';
import { Samples, type Summary } from './histogram.js';

const WAKE_WORKER = new URL('./floor/wake-worker.js', import.meta.url);
/** Latencies are kept to the microsecond, as the hotplug rows. */
const MS_RESOLUTION = 0.001;
/** A round trip slower than this means the worker is gone, not slow. */
const ROUND_TRIP_TIMEOUT_MS = 5000;
/** Unmeasured round trips first, a tenth of the measured ones: the JIT warms both sides up. */
const WARMUP_SHARE = 0.1;

export async function measureWakeRoundTrip(roundTrips: number): Promise<Summary> {
  if (roundTrips < 1) throw new Error('the wake-up round trip needs at least one round trip');
  const words = new Int32Array(new SharedArrayBuffer(WORDS * Int32Array.BYTES_PER_ELEMENT));
  const worker = await startWorker(WAKE_WORKER, { buffer: words.buffer });
  const samples = new Samples(MS_RESOLUTION);
  const warmup = Math.ceil(roundTrips * WARMUP_SHARE);
  try {
    for (let round = 1; round <= warmup + roundTrips; round++) {
      const started = performance.now();
      Atomics.store(words, PING, round);
      Atomics.notify(words, PING);
      if (!(await waitForWord(words, PONG, (v) => v === round, ROUND_TRIP_TIMEOUT_MS))) {
        throw new Error(`the wake-up worker did not answer round ${round} within ${ROUND_TRIP_TIMEOUT_MS} ms`);
      }
      if (round > warmup) samples.record(performance.now() - started);
    }
  } finally {
    Atomics.store(words, PING, STOP);
    Atomics.notify(words, PING);
    await worker.terminate();
  }
  return samples.summary()!;
}
