/**
 * A handle names exactly one thread of one runtime (invariant 6). The kernel hands out
 * task_struct pointers; cpuhp hands out frozen handle objects and accepts back only the very
 * objects it issued, so a copy, a look-alike with the same id, a handle of another runtime
 * or a kthreadInfo() snapshot names nothing, kworkers included, and changes nothing.
 */

import t, { type Test } from 'tap';
import { type KthreadHandle, type Runtime } from '../src/index.js';
import { PATIENCE_MS, startJobRuntime, startRuntime } from './helpers.js';

/** A handle the runtime did not issue. */
const NOT_A_HANDLE = { name: 'KthreadError', code: 'ERR_CPUHP_NOT_A_HANDLE' };

/** Every call that takes a handle, tried with `forged`: each must refuse it as not a handle. */
async function refusesEverywhere(t: Test, rt: Runtime, forged: unknown, what: string): Promise<void> {
  const handle = forged as KthreadHandle;
  await t.rejects(rt.kthreadPark(handle), NOT_A_HANDLE, `kthreadPark refuses ${what}`);
  await t.rejects(rt.kthreadUnpark(handle), NOT_A_HANDLE, `kthreadUnpark refuses ${what}`);
  await t.rejects(rt.kthreadStop(handle), NOT_A_HANDLE, `kthreadStop refuses ${what}`);
  t.throws(() => rt.wakeUpProcess(handle), NOT_A_HANDLE, `wakeUpProcess refuses ${what}`);
  t.throws(() => rt.kthreadInfo(handle), NOT_A_HANDLE, `kthreadInfo refuses ${what}`);
  await t.rejects(rt.waitForIterations(handle, 1, 10), NOT_A_HANDLE, `waitForIterations refuses ${what}`);
}

t.test('copies, look-alikes, snapshots and handles of another runtime are refused, and nothing changes', async (t) => {
  const rt = await startJobRuntime(t, { cpus: 2 });
  const other = await startJobRuntime(t, { cpus: 2 });
  const mine = await rt.kthreadCreateOnCpu(1, 'spinner', { name: 'mine' });
  const theirs = await other.kthreadCreateOnCpu(1, 'spinner', { name: 'theirs' });
  t.ok(Object.isFrozen(mine), 'a handle is frozen');
  const kworker = rt.kthreadList(1).find((h) => h.name === 'kworker/1')!;
  t.equal(theirs.id, mine.id, 'ids restart in each runtime: an id alone cannot name a thread');

  const forgeries: Array<[unknown, string]> = [
    [{ ...mine }, 'a copy of a live handle'],
    [{ id: mine.id }, 'an object with a live id'],
    [{ id: kworker.id, name: kworker.name, cpu: kworker.cpu, fn: 'spinner' }, "a kworker's id with another fn"],
    [rt.kthreadInfo(mine), 'a kthreadInfo() snapshot'],
    [theirs, 'a handle of another runtime'],
    [JSON.parse(JSON.stringify(mine)), 'a handle sent through JSON'],
    [null, 'null'],
    [undefined, 'undefined'],
    [mine.id, 'a bare id'],
    [Symbol('thread'), 'a Symbol'],
    [new Proxy({}, { get: () => { throw new Error('trap'); }, getPrototypeOf: () => { throw new Error('trap'); } }), 'a hostile Proxy'],
  ];
  for (const [forged, what] of forgeries) await refusesEverywhere(t, rt, forged, what);

  t.equal(rt.kthreadInfo(mine).state, 'running', 'the thread the forgeries pointed at still runs');
  t.equal(rt.kthreadInfo(mine).parks, 0, 'and was never parked');
  const at = rt.kthreadInfo(mine).iterations;
  t.ok(await rt.waitForIterations(mine, at + 256, PATIENCE_MS), 'it keeps running');
  t.equal(rt.kthreadInfo(kworker).state === 'exited', false, 'the kworker is untouched');
  t.equal(await rt.queueWork('increment', 41, { cpu: 1, affinity: 'strict' }), 42, 'and still runs jobs');
  t.equal(other.kthreadInfo(theirs).state, 'running', "the other runtime's thread is untouched too");
  t.same(rt.kthreadList(1).sort((a, b) => a.id - b.id), [kworker, mine].sort((a, b) => a.id - b.id), 'kthreadList returns the very handles issued');
});

t.test('a stopped thread\'s handle says it was stopped; its slot is reused by a thread with a new handle', async (t) => {
  const rt = await startRuntime(t, { cpus: 2, maxKthreads: 1 });
  const first = await rt.kthreadCreateOnCpu(0, 'spinner');
  await rt.kthreadStop(first);
  const second = await rt.kthreadCreateOnCpu(0, 'spinner');
  t.not(second.id, first.id);
  const gone = { name: 'KthreadError', code: 'ERR_CPUHP_THREAD_GONE', thread: first.name };
  await t.rejects(rt.kthreadPark(first), { ...gone, message: /stopped already/ }, 'the old handle does not reach the thread in its slot');
  t.equal(rt.kthreadInfo(second).state === 'parked', false, 'the new thread was not parked');
  t.throws(() => rt.kthreadInfo(first), gone);
});
