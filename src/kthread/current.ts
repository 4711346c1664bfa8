/**
 * kthreadBoundShouldStop(): the free function a bound kthread's loop polls, as the kernel's
 * kthread_should_park() answers for `current`, the task running on the calling CPU. Here it
 * answers for the kthread whose code is running on the calling CPU worker:
 *
 *   export const worker = defineKthread(async (kt) => {
 *     while (!kt.shouldStop()) {
 *       if (kthreadBoundShouldStop()) await kt.parkme();
 *       else await kt.schedule();
 *     }
 *   }, { trackCurrent: true });
 *
 * A CPU runs many kthreads on one JavaScript thread, each an async function; after an await,
 * whichever continuation comes next belongs to any of them, and no scheduler sees that
 * moment (a kthread may await anything, not only kt.schedule()). So "current" is carried by
 * the continuations themselves: the CPU worker starts each kthread defined with
 * `{ trackCurrent: true }` inside an AsyncLocalStorage run (runAsCurrentKthread), and every
 * promise, timer and callback made from that kthread's code carries it. The answer is exact
 * after any await, and the call costs the store lookup and the one Atomics.load of
 * kt.boundShouldStop().
 *
 * Tracking is asked for, not given to every kthread, because of its price: once an
 * AsyncLocalStorage is in use on a CPU worker, Node 20 runs a promise hook at every promise
 * there, which makes each await about 0.1 µs dearer. The smpboot loop awaits once per unit,
 * so tracking every thread would have doubled the fast path of every per-CPU thread (bench's
 * fast-path rows). A CPU with no tracked thread pays nothing.
 */

import { AsyncLocalStorage } from 'node:async_hooks';
import { isMainThread } from 'node:worker_threads';
import { ERROR_CODES, KthreadError } from '../errors.js';

/** What the function asks of the current kthread (workers/kthread-task.ts). */
export interface CurrentKthread {
  boundShouldStop(): boolean;
}

/**
 * The storage, kept under a registry symbol on the worker's global: a module that imports
 * another copy of cpuhp (the definitions' tag is a registry symbol for the same reason)
 * still finds the kthread the runtime's copy is running.
 */
const TRACKER: unique symbol = Symbol.for('cpuhp.currentKthread') as never;
type Tracker = AsyncLocalStorage<CurrentKthread>;
type WithTracker = { [TRACKER]?: Tracker };

let tracker: Tracker | undefined;

/** kthread_should_park() for the kthread that calls it: its CPU is going down, or it is asked to park. */
export function kthreadBoundShouldStop(): boolean {
  const current = (tracker ??= (globalThis as WithTracker)[TRACKER])?.getStore();
  if (current !== undefined) return current.boundShouldStop();
  throw new KthreadError(
    isMainThread
      ? "kthreadBoundShouldStop() was called on the main thread; it answers for the kthread that calls it, on its CPU: call it inside a defineKthread function or a definePerCpuThread hook (or use kt.boundShouldStop())"
      : 'kthreadBoundShouldStop() was called outside a tracked kthread (in a kthread defined without { trackCurrent: true }, a job, a CPU callback, or code no kthread started); ' +
        'define the kthread with defineKthread(fn, { trackCurrent: true }) or definePerCpuThread(hooks, { trackCurrent: true }), or use kt.boundShouldStop(). A job asks whether to stop with ctx.signal.aborted',
    { code: ERROR_CODES.NOT_IN_KTHREAD },
  );
}

/** Runs `body` as `kthread`: the CPU worker starts each kthread defined with { trackCurrent: true } this way. */
export function runAsCurrentKthread<T>(kthread: CurrentKthread, body: () => T): T {
  const global = globalThis as WithTracker;
  tracker ??= global[TRACKER] ??= new AsyncLocalStorage<CurrentKthread>();
  return tracker.run(kthread, body);
}
