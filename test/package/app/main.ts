/**
 * The installed-package app (test/package/install.test.ts): starts a runtime with the job and
 * kthread modules, compiled beside it, and prints one JSON line of what it saw. The test
 * asserts that line; this file asserts nothing itself, so a failure shows the whole picture.
 */

import { Runtime } from 'cpuhp';
// Type-only: the controller names jobs by export; only the CPU workers load the module.
import type { Square, square } from './jobs.js';

const rt = await Runtime.start({
  cpus: 2,
  modules: [new URL('./jobs.js', import.meta.url), new URL('./kthreads.js', import.meta.url)],
});
try {
  // queueWork<typeof square> checks the arguments and types the result.
  const results: Square[] = await Promise.all([1, 2, 3, 4, 5, 6].map((n) => rt.queueWork<typeof square>('square', { n })));
  const thread = await rt.kthreadCreateOnCpu(1, 'ticker', { name: 'ticker/1', data: { ticks: 0 } });
  const ticked = await rt.waitForIterations(thread, 1, 30_000);
  await rt.cpuDown(1);
  const down = { cpu: rt.cpuState(1), online: rt.onlineCpus(), thread: rt.kthreadInfo(thread).state };
  await rt.cpuUp(1);
  const afterUp: Square = await rt.queueWork<typeof square>('square', { n: 9 }, { cpu: 1 });
  const ticks = await rt.kthreadStop(thread);
  console.log(JSON.stringify({ squares: results.map((r) => r.square), ticked, down, up: rt.cpuState(1), afterUp, ticks, violations: rt.stats().violations }));
} finally {
  await rt.shutdown();
}

/** Never called: what the compiler must refuse. An error that stops being one fails the build. */
export function refused(runtime: Runtime): void {
  // @ts-expect-error n must be a number
  void runtime.queueWork<typeof square>('square', { n: 'nine' });
  // @ts-expect-error the result has no field 'cube'
  void runtime.queueWork<typeof square>('square', { n: 9 }).then((r) => r.cube);
}
