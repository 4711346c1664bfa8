/**
 * The PARK_THEN_SLEEP handshake (src/protocol/cpu-state.ts, workers/dormancy.ts): a CPU down
 * in two cross-thread wake-ups. The race it must survive, run for real between this thread
 * (the controller) and a worker_thread running the real CpuDormancy with stand-in kthreads:
 * the controller's deadline withdraws the request while the last threads park.
 *   - Whenever the controller learns DORMANT (from its wait or from its withdrawal), every
 *     thread had acknowledged PARKED.
 *   - Once a withdrawal wins, the worker does not go dormant for that request.
 * Each request gets a deadline of 0 ms, a fraction of a millisecond, or PATIENCE_MS, so
 * both outcomes occur; the test asserts the invariants on every one, never a timing.
 */

import { Worker } from 'node:worker_threads';
import t from 'tap';
import { Dormancy, requestParkThenSleep, withdrawParkThenSleep } from '../../src/protocol/cpu-state.js';
import { clearFlags, KtFlag, parkAcknowledged, setFlags } from '../../src/protocol/kthread-state.js';
import { CPU_DORMANCIES, CPU_DORMANT } from '../../src/protocol/layout.js';
import { waitForWord } from '../../src/protocol/wait.js';
import { CPU, flagsOf, layout, PATIENCE_MS, THREADS } from './dormancy-race.js';

const REQUESTS = 400;
const DEADLINES_MS = [0, 0.05, PATIENCE_MS] as const;

t.test('PARK_THEN_SLEEP: DORMANT only with every thread parked; a withdrawal that wins is final', async (t) => {
  const words = new Int32Array(new SharedArrayBuffer(layout.words * 4));
  const racer = new Worker(new URL('./dormancy-racer.js', import.meta.url), { workerData: { memory: words.buffer, seed: 2012 } });
  let racerError: unknown;
  racer.on('error', (error) => (racerError = error));
  const exited = new Promise<number>((resolve) => racer.once('exit', resolve));
  t.teardown(() => racer.terminate());
  const dormant = CPU + CPU_DORMANT;
  const threads = Array.from({ length: THREADS }, (_, i) => flagsOf(i));

  let slept = 0;
  let withdrawn = 0;
  const unparkedAtDormant: number[] = [];
  const sleptAfterWithdrawal: number[] = [];
  const notAwake: number[] = [];
  const gaveUp: number[] = [];
  for (let request = 0; request < REQUESTS && racerError === undefined; request++) {
    for (const flags of threads) setFlags(words, flags, KtFlag.CPU_PARK);
    if (!requestParkThenSleep(words, dormant)) notAwake.push(request);
    const deadline = DEADLINES_MS[request % DEADLINES_MS.length]!;
    const asleep = (await waitForWord(words, dormant, (v) => v === Dormancy.DORMANT, deadline)) || withdrawParkThenSleep(words, dormant);
    if (asleep) {
      slept++;
      if (threads.some((flags) => !parkAcknowledged(Atomics.load(words, flags)))) unparkedAtDormant.push(request);
      Atomics.compareExchange(words, dormant, Dormancy.DORMANT, Dormancy.WAKE_REQUESTED);
      Atomics.notify(words, dormant);
      if (!(await waitForWord(words, dormant, (v) => v === Dormancy.AWAKE, PATIENCE_MS))) throw new Error(`request ${request}: the worker did not wake`);
    } else {
      withdrawn++;
      if (deadline === PATIENCE_MS) gaveUp.push(request);
    }
    for (const flags of threads) clearFlags(words, flags, KtFlag.CPU_PARK);
    // Back to back, as a cpuUp followed at once by a cpuDown: the next request (with a long
    // deadline) comes before the threads have left their park, so the worker must act on a
    // request whose threads are all parked already (and its word has gone round from
    // PARK_THEN_SLEEP through DORMANT and AWAKE back to PARK_THEN_SLEEP).
    if (asleep && request % DEADLINES_MS.length === DEADLINES_MS.length - 2) continue;
    // Every thread leaves its park; only then is the request over for the worker too.
    for (const flags of threads) {
      if (!(await waitForWord(words, flags, (v) => !(v & KtFlag.PARKED), PATIENCE_MS))) throw new Error(`request ${request}: a thread stayed parked`);
    }
    if (!asleep && Atomics.load(words, dormant) !== Dormancy.AWAKE) sleptAfterWithdrawal.push(request);
    if (Atomics.load(words, dormant) === Dormancy.DORMANT) break; // would never wake: stop here and report
  }
  Atomics.store(words, dormant, Dormancy.SHUTDOWN);
  Atomics.notify(words, dormant);
  t.equal(await exited, 0, 'the racer left at SHUTDOWN');
  t.equal(racerError, undefined, 'the racer threw nothing');
  t.same(notAwake, [], 'the worker was AWAKE at every request');
  t.same(unparkedAtDormant, [], 'every DORMANT came with every thread parked');
  t.same(sleptAfterWithdrawal, [], 'no worker went dormant after its request was withdrawn');
  t.equal(slept + withdrawn, REQUESTS, 'every request ended one way or the other');
  t.same(gaveUp, [], `every request with a ${PATIENCE_MS} ms deadline ended DORMANT`);
  t.equal(Atomics.load(words, CPU + CPU_DORMANCIES), slept, 'the worker counted each sleep, and only those');
  t.comment(`${slept} requests ended DORMANT, ${withdrawn} were withdrawn first`);
});
