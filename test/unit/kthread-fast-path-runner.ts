/**
 * A bound kthread on a real worker thread, for kthread-fast-path.test.ts: a KthreadTask over
 * the test's shared memory, running the plain bound-kthread loop (poll boundShouldStop(),
 * parkme(), schedule()) until stopped, while the test's thread plays the controller.
 *
 * Its control words (RUNNER_WORDS of them), each written by this thread only with
 * Atomics.store, read by the test only after an acknowledgement in KT_FLAGS:
 *   PARKED_AT  kt.iterations as it last went to park (stored before parkme() sets PARKED);
 *   EXITED_AT  kt.iterations as it returned (stored before markExited() sets EXITED).
 */

import { isMainThread, workerData } from 'node:worker_threads';
import { attachSharedMemory, cpuBase, ktBase } from '../../src/protocol/layout.js';
import { KthreadTask, type ParkWatcher } from '../../workers/kthread-task.js';
import { CpuScheduler } from '../../workers/scheduler.js';

export const PARKED_AT = 0;
export const EXITED_AT = 1;
export const RUNNER_WORDS = 2;

export interface RunnerData {
  /** The runtime-layout memory; the thread is slot 0, bound to CPU 0. */
  readonly memory: SharedArrayBuffer;
  readonly control: SharedArrayBuffer;
}

/** No dormancy here: this thread's "CPU" never blocks its worker. */
const NO_DORMANCY: ParkWatcher = { threadParked: () => undefined, forgetChecks: () => undefined };

async function run({ memory, control }: RunnerData): Promise<void> {
  const { words, layout } = attachSharedMemory(memory);
  const ctl = new Int32Array(control);
  const kt = new KthreadTask(0, 1, 'fast/0', undefined, { words, slot: ktBase(layout, 0), cpu: cpuBase(layout, 0) }, new CpuScheduler(), NO_DORMANCY);
  // A pending Atomics.waitAsync (parkme) does not keep a worker alive; a CPU worker has its heartbeat for that.
  const keepAlive = setInterval(() => undefined, 1000);
  kt.markStarted();
  while (!kt.shouldStop()) {
    if (kt.boundShouldStop()) {
      Atomics.store(ctl, PARKED_AT, kt.iterations);
      await kt.parkme();
      continue;
    }
    await kt.schedule();
  }
  Atomics.store(ctl, EXITED_AT, kt.iterations);
  kt.markExited();
  clearInterval(keepAlive);
}

if (!isMainThread) await run(workerData as RunnerData);
