/**
 * smpboot_thread_fn(): the loop the runtime owns for a `definePerCpuThread` thread, so that
 * identical user hooks run under every strategy. Order of checks per turn, as in
 * kernel/smpboot.c: stop, then park, then the setup/unpark hooks owed, then "is there work",
 * then one unit of work. Hooks therefore never run while a park is pending.
 *
 * Stop and park are answered by one Atomics.load of the thread's KT_FLAGS per turn (the two
 * bits of one reading), which with the unit count's plain store is all the shared memory a
 * turn of the park and recreate strategies touches (kthread-task.ts).
 */

import type { Kthread, PerCpuThreadHooks } from '../src/kthread/define.js';
import type { KthreadTask } from './kthread-task.js';
import { backOff, type ReadLock } from '../src/protocol/hotplug-lock.js';
import { KtFlag, PARK_REQUESTS } from '../src/protocol/kthread-state.js';

/** The read side of the strategy's hotplug lock, for refcount and percpu-rwsem. */
export interface HotplugReadSide {
  readonly words: Int32Array;
  readonly readLock: ReadLock;
}

/** Idle threads sleep on their flags word; this bounds one wait, the loop re-checks. */
const IDLE_SLICE_MS = 1000;

/** kthread_should_stop() || kthread_should_park(): what makes the loop leave its work. */
const STOP_OR_PARK = KtFlag.SHOULD_STOP | PARK_REQUESTS;

/** td->status of smpboot: setup runs once, and park/unpark hooks pair up around parkme. */
const enum Status {
  NONE,
  ACTIVE,
  PARKED,
}

/** Returns the thread's data, which kthreadStop() hands to the controller. */
export async function smpbootThreadFn(kt: KthreadTask, hooks: PerCpuThreadHooks, lock: HotplugReadSide | undefined): Promise<unknown> {
  const self: Kthread = kt;
  let status = Status.NONE;
  const stopOrPark = (): boolean => (kt.flags() & STOP_OR_PARK) !== 0;
  for (;;) {
    const flags = kt.flags();
    if (flags & KtFlag.SHOULD_STOP) {
      // cleanup mirrors setup; `online` is cpu_online(): false when the stop is part of the
      // CPU going down (recreate), true when the thread alone is stopped.
      if (hooks.cleanup && status !== Status.NONE) await hooks.cleanup(self, kt.cpuOnline());
      return kt.data;
    }
    if (flags & PARK_REQUESTS) {
      // As in smpboot_thread_fn, the thread is marked parked only when a park hook ran, so an
      // unpark hook follows only a park hook, never a bare park.
      if (hooks.park && status === Status.ACTIVE) {
        await hooks.park(self);
        status = Status.PARKED;
      }
      await kt.parkme();
      continue;
    }
    if (status === Status.NONE) {
      if (hooks.setup) await hooks.setup(self);
      status = Status.ACTIVE;
      continue;
    }
    if (status === Status.PARKED) {
      if (hooks.unpark) await hooks.unpark(self);
      status = Status.ACTIVE;
      continue;
    }
    if (!hooks.shouldRun(self)) {
      await kt.sleep(IDLE_SLICE_MS);
      continue;
    }
    // Under refcount and percpu-rwsem: get_online_cpus() / cpus_read_lock() around the unit.
    // A blocked reader backs off and returns to the top of the loop, so a park or stop asked
    // meanwhile is seen first.
    if (lock !== undefined && !lock.readLock.tryEnter()) {
      await backOff(lock.words, stopOrPark, IDLE_SLICE_MS);
      continue;
    }
    try {
      // Marked only while run() executes synchronously: that is when a CPU that stands still
      // is stuck inside it. Once it awaits, the CPU runs other threads.
      kt.enterUnit();
      let pending: void | Promise<void>;
      try {
        pending = hooks.run(self);
      } finally {
        kt.leaveUnit();
      }
      if (pending !== undefined) await pending;
    } finally {
      lock?.readLock.exit();
    }
    await kt.schedule();
  }
}
