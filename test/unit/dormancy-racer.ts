/**
 * The worker's side of the PARK_THEN_SLEEP race in dormancy.test.ts, in a worker_thread:
 * the real CpuDormancy (workers/dormancy.ts) with THREADS stand-in kthreads that do what
 * kthread-task.ts does around a park, each at its own pace: see CPU_PARK, set PARKED, tell
 * the dormancy, wait (Atomics.waitAsync with a timeout) until CPU_PARK clears, clear PARKED,
 * tell the dormancy. Between two looks at their flags they yield a random number of
 * microtasks or event-loop turns, so the last one to park is a different one each time.
 */

import { workerData } from 'node:worker_threads';
import { CpuDormancy } from '../../workers/dormancy.js';
import { clearFlags, KtFlag, setFlags } from '../../src/protocol/kthread-state.js';
import { CPU, flagsOf, PATIENCE_MS, THREADS } from './dormancy-race.js';

const words = new Int32Array(workerData.memory as SharedArrayBuffer);
let stopping = false;
const flagWords = Array.from({ length: THREADS }, (_, i) => flagsOf(i));
// Its waits are given a slice longer than the test's patience, so a wake-up the handshake
// loses (a request answered only when a wait runs out) fails the test instead of slowing it.
const dormancy = new CpuDormancy(words, CPU, () => flagWords, 2 * PATIENCE_MS);

let seed = (workerData.seed as number) >>> 0 || 1;
function random(n: number): number {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) % n;
}

async function pause(): Promise<void> {
  const turns = random(4);
  if (turns === 0) for (let i = random(8); i > 0; i--) await Promise.resolve();
  else for (let i = 0; i < turns; i++) await new Promise((resolve) => setImmediate(resolve));
}

async function thread(flags: number): Promise<void> {
  while (!stopping) {
    const value = Atomics.load(words, flags);
    if (value & KtFlag.CPU_PARK) {
      setFlags(words, flags, KtFlag.PARKED);
      dormancy.threadParked();
      for (;;) {
        const now = Atomics.load(words, flags);
        if (!(now & KtFlag.CPU_PARK) || stopping) break;
        const wait = Atomics.waitAsync(words, flags, now, PATIENCE_MS);
        if (wait.async && (await wait.value) === 'timed-out') throw new Error('racer: a park was never released');
      }
      clearFlags(words, flags, KtFlag.PARKED);
      dormancy.forgetChecks();
    }
    await pause();
  }
}

// A pending Atomics.waitAsync does not keep a worker alive; like the CPU worker's heartbeat,
// this timer does, until SHUTDOWN.
const alive = setInterval(() => undefined, 1000);
for (const flags of flagWords) void thread(flags);
void dormancy.controlLoop(() => {
  stopping = true;
  clearInterval(alive);
});
