/**
 * The fast path of a bound kthread (workers/kthread-task.ts, workers/smpboot.ts): stop and
 * park are answered by one load of KT_FLAGS, the unit count is a plain store that the
 * controller still sees and whose waiters are still woken, and invariant 1 ("a bound thread
 * runs only while its CPU is ONLINE or DOWN_PREPARE") is still counted, at the thread's
 * checkpoints rather than on every unit.
 *
 * The KthreadTask runs on the test's thread over real shared memory with a scheduler of its
 * own, except in the last test, where a worker thread runs it (kthread-fast-path-runner.ts)
 * and the test's thread is the controller. Counts of Atomics calls are taken by wrapping
 * Atomics.load and Atomics.store for the duration of one body, counting only calls on that
 * body's memory. Nothing here asserts a timing.
 */

import { Worker } from 'node:worker_threads';
import fc from 'fast-check';
import t from 'tap';
import type { PerCpuThreadHooks } from '../../src/kthread/define.js';
import { CpuState, mayRunBound } from '../../src/protocol/cpu-state.js';
import { clearFlags, KtFlag, parkAcknowledged, PARK_REQUESTS, setFlags } from '../../src/protocol/kthread-state.js';
import { cpuBase, createSharedMemory, CPU_STATE, CPU_VIOLATIONS, ktBase, KT_FLAGS, KT_ITERATIONS, KT_VIOLATIONS, layoutFor } from '../../src/protocol/layout.js';
import { waitForWord } from '../../src/protocol/wait.js';
import { KthreadTask, NOTIFY_EVERY, type ParkWatcher } from '../../workers/kthread-task.js';
import { CLOCK_EVERY, CpuScheduler, type SliceThread } from '../../workers/scheduler.js';
import { smpbootThreadFn } from '../../workers/smpboot.js';
import { PATIENCE_MS } from '../helpers.js';
import { EXITED_AT, PARKED_AT, RUNNER_WORDS, type RunnerData } from './kthread-fast-path-runner.js';
import { within } from './strategy-harness.js';

const STATES: readonly number[] = Object.values(CpuState);
/** No dormancy: these threads' CPU never blocks (the worker's dormancy has tests of its own). */
const NO_DORMANCY: ParkWatcher = { threadParked: () => undefined, forgetChecks: () => undefined };

/** One bound kthread (slot 0, CPU 0) over fresh memory, with the CPU's state word set to `state`. */
function boundThread(state: number) {
  const layout = layoutFor(1, 1, 1);
  const words = createSharedMemory(layout, 'park');
  const slot = ktBase(layout, 0);
  const cpu = cpuBase(layout, 0);
  Atomics.store(words, cpu + CPU_STATE, state);
  const task = new KthreadTask(0, 1, 'fast/0', undefined, { words, slot, cpu }, new CpuScheduler(), NO_DORMANCY);
  return {
    words,
    task,
    flags: slot + KT_FLAGS,
    iterations: slot + KT_ITERATIONS,
    state: cpu + CPU_STATE,
    violations: (): number => Atomics.load(words, slot + KT_VIOLATIONS),
    cpuViolations: (): number => Atomics.load(words, cpu + CPU_VIOLATIONS),
  };
}

interface AtomicsCalls<T> {
  readonly value: T;
  /** Calls on the body's memory, by index of the word. */
  readonly loads: ReadonlyMap<number, number>;
  readonly stores: ReadonlyMap<number, number>;
}

/** A waitAsync on `index` while it holds `value`: resolves 'ok' when notified ('timed-out' after far longer than any test waits). */
function waiter(words: Int32Array, index: number, value: number): Promise<'ok' | 'timed-out'> {
  const wait = Atomics.waitAsync(words, index, value, 3 * PATIENCE_MS);
  if (!wait.async) throw new Error(`word ${index} is ${Atomics.load(words, index)}, not ${value}: nothing to wait for`);
  return wait.value;
}

function total(calls: ReadonlyMap<number, number>): number {
  return [...calls.values()].reduce((a, b) => a + b, 0);
}

/** Runs `body` with Atomics.load and Atomics.store counted on `words`; both are restored after. */
async function countingAtomics<T>(words: Int32Array, body: () => T | Promise<T>): Promise<AtomicsCalls<Awaited<T>>> {
  const { load, store } = Atomics;
  const loads = new Map<number, number>();
  const stores = new Map<number, number>();
  const count = (calls: Map<number, number>, array: unknown, index: number): void => {
    if (array === words) calls.set(index, (calls.get(index) ?? 0) + 1);
  };
  const countedLoad = (array: Int32Array, index: number): number => {
    count(loads, array, index);
    return load(array, index);
  };
  const countedStore = (array: Int32Array, index: number, value: number): number => {
    count(stores, array, index);
    return store(array, index, value);
  };
  Object.defineProperty(Atomics, 'load', { value: countedLoad });
  Object.defineProperty(Atomics, 'store', { value: countedStore });
  try {
    return { value: await body(), loads, stores };
  } finally {
    Object.defineProperty(Atomics, 'load', { value: load });
    Object.defineProperty(Atomics, 'store', { value: store });
  }
}

const flagWords: fc.Arbitrary<number> = fc.subarray(Object.values(KtFlag)).map((bits) => bits.reduce((word, bit) => word | bit, 0));

t.test('stop and park are answered by one Atomics.load of KT_FLAGS; boundShouldStop() is one load too', async (t) => {
  await fc.assert(
    fc.asyncProperty(flagWords, async (word) => {
      const th = boundThread(CpuState.ONLINE);
      Atomics.store(th.words, th.flags, word);
      const read = await countingAtomics(th.words, () => th.task.flags());
      if (read.value !== word) throw new Error(`flags() returned ${read.value}, the word is ${word}`);
      if (total(read.loads) !== 1 || read.loads.get(th.flags) !== 1) throw new Error(`flags() made ${total(read.loads)} loads`);
      const stop = (read.value & KtFlag.SHOULD_STOP) !== 0;
      const park = (read.value & PARK_REQUESTS) !== 0;
      if (stop !== th.task.shouldStop() || park !== th.task.shouldPark()) throw new Error(`word ${word}: one reading answers differently from shouldStop()/shouldPark()`);
      const bound = await countingAtomics(th.words, () => th.task.boundShouldStop());
      if (bound.value !== park || total(bound.loads) !== 1) throw new Error(`word ${word}: boundShouldStop() is ${bound.value} after ${total(bound.loads)} loads`);
    }),
    { numRuns: 200 },
  );
  t.pass('every combination of request and state bits');
});

t.test('a turn of smpboot_thread_fn loads KT_FLAGS once and stores the unit count plainly; CPU_STATE is loaded only at checkpoints', async (t) => {
  await fc.assert(
    fc.asyncProperty(fc.integer({ min: 1, max: 3 * NOTIFY_EVERY + 17 }), async (units) => {
      const th = boundThread(CpuState.ONLINE);
      let ran = 0;
      const hooks: PerCpuThreadHooks = {
        shouldRun: () => true,
        run: () => {
          // The controller's kthread_stop(), from inside the last unit: the next turn sees it.
          if (++ran === units) setFlags(th.words, th.flags, KtFlag.SHOULD_STOP);
        },
      };
      const calls = await countingAtomics(th.words, () => smpbootThreadFn(th.task, hooks, undefined));
      // The turn that runs setup (none here), `units` turns of work, and the turn that sees the stop.
      const turns = units + 2;
      if (calls.loads.get(th.flags) !== turns) throw new Error(`${turns} turns made ${calls.loads.get(th.flags)} loads of KT_FLAGS`);
      if (calls.stores.has(th.iterations)) throw new Error(`the unit count was stored with Atomics.store ${calls.stores.get(th.iterations)} times`);
      if (th.task.iterations !== units || Atomics.load(th.words, th.iterations) !== units) throw new Error(`after ${units} units the count is ${th.task.iterations}, the word ${Atomics.load(th.words, th.iterations)}`);
      // Checkpoints: every NOTIFY_EVERY units, and each new slice (a slice ends at most once every CLOCK_EVERY yields).
      const stateLoads = calls.loads.get(th.state) ?? 0;
      const least = Math.floor(units / NOTIFY_EVERY);
      const most = least + Math.floor(units / CLOCK_EVERY);
      if (stateLoads < least || stateLoads > most) throw new Error(`${units} units loaded CPU_STATE ${stateLoads} times, not within ${least}..${most}`);
      if (th.violations() !== 0) throw new Error('violations counted on an online CPU');
    }),
    { numRuns: 40 },
  );
  t.pass('one load of the flags word a turn, whatever the number of units');
});

t.test('units run while the CPU word says it is not online are counted, at most one per unit; none while ONLINE or DOWN_PREPARE', async (t) => {
  await fc.assert(
    fc.asyncProperty(fc.constantFrom(...STATES), fc.integer({ min: 0, max: 4 * NOTIFY_EVERY + 3 }), async (state, units) => {
      const th = boundThread(state);
      for (let i = 0; i < units; i++) await th.task.schedule();
      // No park is asked: parkme() returns at once, having passed its checkpoint (settle()).
      await th.task.parkme();
      const counted = th.violations();
      if (th.cpuViolations() !== counted) throw new Error(`CPU_VIOLATIONS ${th.cpuViolations()}, KT_VIOLATIONS ${counted}`);
      const where = `${units} units on a CPU in state ${state}`;
      if (mayRunBound(state) || units === 0) {
        // A thread that did no work, as one made parked during bring-up that runs only to park, is not counted either.
        if (counted !== 0) throw new Error(`${where}: ${counted} violations`);
        return;
      }
      // Each multiple of NOTIFY_EVERY is checked, and the park after the last unit.
      const least = Math.ceil(units / NOTIFY_EVERY);
      if (counted < least || counted > units) throw new Error(`${where}: ${counted} violations, not within ${least}..${units}`);
    }),
    { numRuns: 150 },
  );
  t.pass('counted in every state but ONLINE and DOWN_PREPARE');
});

t.test('a thread the scheduler holds for a new slice is checked as the slice resumes it, well before its NOTIFY_EVERY-th unit', async (t) => {
  const scheduler = new CpuScheduler();
  const events: string[] = [];
  const thread: SliceThread = { sliceStart: () => events.push('checked') };
  const resolved = scheduler.yield(thread);
  for (let i = 2; i < CLOCK_EVERY; i++) t.equal(scheduler.yield(thread), resolved, `yield ${i} continues on the microtask chain`);
  // The clock is first read at yield CLOCK_EVERY; a new scheduler's slice has already ended.
  const held = scheduler.yield(thread);
  t.not(held, resolved, `yield ${CLOCK_EVERY} waits for a new slice`);
  await held.then(() => events.push('resumed'));
  t.same(events, ['checked', 'resumed'], 'the thread is checked once, before it resumes');

  for (const state of [CpuState.DEAD, CpuState.ONLINE]) {
    const th = boundThread(state);
    for (let i = 0; i < CLOCK_EVERY; i++) await th.task.schedule();
    t.equal(th.violations(), state === CpuState.DEAD ? 1 : 0, `${CLOCK_EVERY} units on a CPU whose word says ${state === CpuState.DEAD ? 'DEAD are counted' : 'ONLINE are not'}`);
  }
});

t.test('a waiter on the unit count is woken every NOTIFY_EVERY units, and when the thread sleeps or parks', async (t) => {
  const th = boundThread(CpuState.ONLINE);
  for (let i = 0; i < NOTIFY_EVERY - 1; i++) await th.task.schedule();
  const waiting = waiter(th.words, th.iterations, NOTIFY_EVERY - 1);
  await th.task.schedule();
  t.equal(await within(waiting, PATIENCE_MS, 'the wake-up at a multiple of NOTIFY_EVERY'), 'ok', `woken at ${NOTIFY_EVERY}`);

  for (const [what, leave] of [
    ['sleeps', () => th.task.sleep(0)],
    ['parks', () => th.task.parkme()],
  ] as const) {
    await th.task.schedule();
    const at = th.task.iterations;
    t.equal(Atomics.load(th.words, th.iterations), at, 'the word holds the count');
    const wait = waiter(th.words, th.iterations, at);
    await leave();
    t.equal(await within(wait, PATIENCE_MS, `the wake-up when the thread ${what}`), 'ok', `woken at ${at}, not a multiple of ${NOTIFY_EVERY}, when the thread ${what}`);
  }
});

t.test('on a worker thread: the controller sees the plain-stored count, a parked or exited thread shows its final count, units on a DEAD CPU are counted', async (t) => {
  const layout = layoutFor(1, 1, 1);
  const words = createSharedMemory(layout, 'park');
  const slot = ktBase(layout, 0);
  const cpu = cpuBase(layout, 0);
  const flags = slot + KT_FLAGS;
  const iterations = slot + KT_ITERATIONS;
  Atomics.store(words, cpu + CPU_STATE, CpuState.ONLINE);
  const control = new Int32Array(new SharedArrayBuffer(RUNNER_WORDS * Int32Array.BYTES_PER_ELEMENT));
  const data: RunnerData = { memory: words.buffer as SharedArrayBuffer, control: control.buffer as SharedArrayBuffer };
  const worker = new Worker(new URL('./kthread-fast-path-runner.js', import.meta.url), { workerData: data });
  const errors: unknown[] = [];
  worker.on('error', (error) => errors.push(error));
  const exited = new Promise((resolve) => worker.once('exit', resolve));
  t.teardown(() => worker.terminate());
  const reaches = (target: number, what: string): Promise<boolean> => within(waitForWord(words, iterations, (v) => v >= target, PATIENCE_MS), 2 * PATIENCE_MS, what);

  await fc.assert(
    fc.asyncProperty(fc.integer({ min: 1, max: 8 * NOTIFY_EVERY }), async (ahead) => {
      const target = Atomics.load(words, iterations) + ahead;
      if (!(await reaches(target, `count ${target}`))) throw new Error(`the waiter for count ${target} was not woken (the word is ${Atomics.load(words, iterations)})`);
    }),
    { numRuns: 25 },
  );
  t.pass('every waiter for a count ahead of the thread was woken once it got there');

  setFlags(words, flags, KtFlag.SHOULD_PARK);
  t.ok(await within(waitForWord(words, flags, parkAcknowledged, PATIENCE_MS), 2 * PATIENCE_MS, 'the park'), 'it parks');
  const parkedAt = Atomics.load(control, PARKED_AT);
  t.equal(Atomics.load(words, iterations), parkedAt, 'a thread seen PARKED shows the count it parked with');
  clearFlags(words, flags, KtFlag.SHOULD_PARK);
  t.ok(await reaches(parkedAt + NOTIFY_EVERY, 'the unpark'), 'it runs again once unparked');

  Atomics.store(words, cpu + CPU_STATE, CpuState.DEAD);
  const deadAt = Atomics.load(words, iterations);
  t.ok(await reaches(deadAt + 2 * NOTIFY_EVERY, 'units on a DEAD CPU'), `it runs ${2 * NOTIFY_EVERY} more units on a CPU whose word says DEAD`);
  setFlags(words, flags, KtFlag.SHOULD_STOP);
  t.ok(await within(waitForWord(words, flags, (v) => (v & KtFlag.EXITED) !== 0, PATIENCE_MS), 2 * PATIENCE_MS, 'the exit'), 'it exits when stopped');
  t.equal(Atomics.load(words, iterations), Atomics.load(control, EXITED_AT), 'a thread seen EXITED shows its final count');
  t.ok(Atomics.load(words, slot + KT_VIOLATIONS) >= 1, 'the units it ran on the DEAD CPU were counted');
  t.equal(Atomics.load(words, cpu + CPU_VIOLATIONS), Atomics.load(words, slot + KT_VIOLATIONS), 'on the CPU too');
  await exited;
  t.same(errors, []);
});
