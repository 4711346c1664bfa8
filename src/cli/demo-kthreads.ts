/**
 * The kthread module `cpuhp demo` loads into its CPU workers. It is an ordinary kthread
 * module, compiled to dist/src/cli/demo-kthreads.js and found beside the demo at run time.
 *
 * It imports the definition helpers directly rather than the package index, so that the
 * CPU workers do not load the controller side (runtime, histograms, mutex) they never use.
 */

import { defineKthread, definePerCpuThread } from '../kthread/define.js';

export interface SpinnerData {
  /** Units of work done, counted by the thread itself: this survives every park. */
  units: number;
}

/**
 * The canonical bound kthread (Zijlstra's proposal): one synchronous poll of
 * boundShouldStop() per unit of work, parkme() when its CPU goes down or a park is asked
 * for, schedule() to let the other threads of its CPU run. Returns its data on stop.
 */
export const spinner = defineKthread<SpinnerData, SpinnerData>(async (kt) => {
  kt.data ??= { units: 0 };
  while (!kt.shouldStop()) {
    if (kt.boundShouldStop()) {
      await kt.parkme();
      continue;
    }
    kt.data.units++;
    await kt.schedule();
  }
  return kt.data;
});

export interface KworkerData {
  /** Work items handled on this CPU. */
  items: number;
}

/**
 * A per-CPU worker with an endless queue: the runtime owns its loop (smpboot_thread_fn), so
 * it never polls for park itself; the runtime parks it with its CPU and unparks it after.
 */
export const kworker = definePerCpuThread<KworkerData>({
  setup: (kt) => {
    kt.data ??= { items: 0 };
  },
  shouldRun: () => true,
  run: (kt) => {
    kt.data.items++;
  },
});
