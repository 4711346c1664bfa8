/**
 * The kthread module the strategy benchmark loads into its CPU workers.
 *
 * The per-CPU threads (`unit`, `busy`, `idle`) are plain smpboot hooks: the runtime owns
 * their loop, so under every strategy the user code is identical and only the loop around
 * it differs. `baseline` is the reference for the fast path: the same empty unit, with no
 * park check at all; `bound` is a bound kthread's own loop around the same unit.
 *
 * It imports the definition helpers directly rather than the package index, so that the
 * CPU workers do not load the controller side (runtime, histograms, mutex) they never use.
 */

import { defineKthread, definePerCpuThread } from '../src/kthread/define.js';

/** How long one `busy` unit keeps its CPU, in ms: long next to the loop, short next to a hotplug step. */
export const BUSY_UNIT_MS = 0.02;

/** How often `baseline` checks for a stop: rarely enough that the check costs nothing measurable. */
const BASELINE_STOP_CHECK_EVERY = 1024;

/**
 * The unit of work of `unit` and `baseline`: nothing. Both call the same function so the two
 * loops differ only in what surrounds the call.
 */
function emptyUnit(): void {}

/** An empty run(): what is measured is the per-CPU loop around it (the strategy's fast path). */
export const unit = definePerCpuThread({
  shouldRun: () => true,
  run: () => emptyUnit(),
});

export interface BusyData {
  /** Written by every unit so the spin cannot be optimised away. */
  sink: number;
}

/** A run() that keeps the CPU for ~BUSY_UNIT_MS: every CPU loaded while hotplug happens. */
export const busy = definePerCpuThread<BusyData>({
  setup: (kt) => {
    kt.data = { sink: 0 };
  },
  shouldRun: () => true,
  run: (kt) => {
    // Spinning on the clock rather than a fixed loop count keeps the unit ~20 µs on any
    // machine; the arithmetic is the "work" the clock reads are interleaved with.
    const end = performance.now() + BUSY_UNIT_MS;
    let x = kt.data.sink;
    while (performance.now() < end) x = (x * 31 + 7) | 0;
    kt.data.sink = x;
  },
});

export interface IdleData {
  /** Units owed: one when the thread has (re)started or been unparked, none once it ran it. */
  due: number;
}

/**
 * A per-CPU thread with almost no work: one empty unit each time it starts or is unparked,
 * then it sleeps until the next park. It gives the hotplug path a sleeping thread to park on
 * every CPU while no CPU is busy (the "idle" hotplug latency), and its iteration counter
 * tells the benchmark that it has run again after a cpuUp before the next cpuDown is timed.
 * The `park` hook is there so that smpboot owes it the `unpark` hook.
 */
export const idle = definePerCpuThread<IdleData>({
  setup: (kt) => {
    kt.data = { due: 1 };
  },
  park: () => undefined,
  unpark: (kt) => {
    kt.data.due = 1;
  },
  shouldRun: (kt) => kt.data.due > 0,
  run: (kt) => {
    kt.data.due--;
    emptyUnit();
  },
});

/**
 * A bound kthread's own loop, as docs/api.md shows one: a stop check and one boundShouldStop()
 * per unit, parkme() when asked, and the same empty unit and schedule() as the others. It is
 * measured against `baseline` on CPUs that never go down.
 */
export const bound = defineKthread(async (kt) => {
  while (!kt.shouldStop()) {
    if (kt.boundShouldStop()) {
      await kt.parkme();
      continue;
    }
    emptyUnit();
    await kt.schedule();
  }
});

/**
 * The "no check at all" reference: the same empty unit and schedule() as the per-CPU loop,
 * and only a stop check every BASELINE_STOP_CHECK_EVERY units so that shutdown can end it.
 * It never parks, so a runtime running it must never take a CPU down.
 */
export const baseline = defineKthread(async (kt) => {
  for (let n = 1; ; n++) {
    emptyUnit();
    await kt.schedule();
    if (n % BASELINE_STOP_CHECK_EVERY === 0 && kt.shouldStop()) return;
  }
});
