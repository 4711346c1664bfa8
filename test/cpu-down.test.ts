/**
 * Invariants 1 and 2: a thread bound to a CPU does not run while that CPU is down, resumes
 * with its state when the CPU is up, and cpuDown resolves only after every bound thread has
 * acknowledged PARKED and the CPU's worker is blocked.
 */

import t from 'tap';
import type { TraceEvent } from '../src/index.js';
import { groupThread, PATIENCE_MS, RETAINING, startRuntime } from './helpers.js';

for (const strategy of RETAINING) {

t.test(`${strategy}: a bound thread does not run while its CPU is down and resumes with its state`, async (t) => {
  const rt = await startRuntime(t, { cpus: 3, strategy });
  const threads = [await rt.kthreadCreateOnCpu(1, 'spinner'), await rt.kthreadCreateOnCpu(1, 'spinner')];
  const bystander = await rt.kthreadCreateOnCpu(2, 'spinner');
  for (const thread of threads) t.ok(await rt.waitForIterations(thread, 1024, PATIENCE_MS), `${thread.name} runs`);

  await rt.cpuDown(1);
  t.equal(rt.cpuState(1), 'offline');
  t.same(rt.onlineCpus(), [0, 2]);
  const frozen = threads.map((thread) => rt.kthreadInfo(thread).iterations);
  for (const thread of threads) t.equal(rt.kthreadInfo(thread).state, 'parked', `${thread.name} is parked`);

  // While CPU 1 is down, the bystander on CPU 2 makes real progress; CPU 1's threads none.
  const bystanderAt = rt.kthreadInfo(bystander).iterations;
  t.ok(await rt.waitForIterations(bystander, bystanderAt + 4096, PATIENCE_MS), 'the thread on CPU 2 keeps running');
  t.same(threads.map((thread) => rt.kthreadInfo(thread).iterations), frozen, 'no iteration on CPU 1 while it is down');

  await rt.cpuUp(1);
  t.equal(rt.cpuState(1), 'online');
  for (const [i, thread] of threads.entries()) {
    t.ok(await rt.waitForIterations(thread, frozen[i]! + 1024, PATIENCE_MS), `${thread.name} resumes after cpuUp`);
  }
  for (const [i, thread] of threads.entries()) {
    const data = (await rt.kthreadStop(thread)) as { units: number };
    t.ok(data.units >= frozen[i]! + 1024, `kt.data survived the park: ${data.units} units counted across the down/up`);
  }
  t.equal(rt.stats().violations, 0, 'no bound thread ran while its CPU was not online');
});

t.test(`${strategy}: cpuDown resolves only after every bound thread acknowledged PARKED, with the worker blocked`, async (t) => {
  const rt = await startRuntime(t, { cpus: 2, strategy });
  await rt.registerPerCpuThread('counter');
  const threads = [await rt.kthreadCreateOnCpu(1, 'spinner'), await rt.kthreadCreateOnCpu(1, 'spinner'), await rt.kthreadCreateOnCpu(1, 'sleeper')];
  const events: TraceEvent[] = [];
  rt.on('trace', (event) => events.push(event));

  await rt.cpuDown(1);
  const resolvedAt = events.length;
  for (const thread of rt.kthreadList(1)) t.equal(rt.kthreadInfo(thread).state, 'parked', `${thread.name} acknowledged PARKED before cpuDown resolved`);
  t.equal(rt.kthreadList(1).length, threads.length + 1);
  t.ok(rt.isDormant(1), 'the worker of CPU 1 acknowledged DORMANT (it is inside Atomics.wait)');

  const order = events.slice(0, resolvedAt).flatMap((e) => (e.type === 'cpu-state' && e.cpu === 1 ? [e.state] : []));
  t.same(order, ['down-prepare', 'dying', 'dead', 'offline'], 'the CPU went through the hotplug states in order');

  // The worker's own 5 ms interval timer stands still: CPU 0's advances meanwhile.
  const heartbeat = rt.heartbeat(1);
  t.ok(await rt.waitForHeartbeat(0, 20, PATIENCE_MS), 'CPU 0 timer ticks 20 times');
  t.equal(rt.heartbeat(1), heartbeat, 'CPU 1 timer did not tick: its worker runs no JavaScript');

  await rt.cpuUp(1);
  t.notOk(rt.isDormant(1));
  t.ok(await rt.waitForHeartbeat(1, 5, PATIENCE_MS), 'CPU 1 timer ticks again after cpuUp');
  t.equal(rt.stats().violations, 0);
});

t.test(`${strategy}: per-CPU threads are parked with their CPU and created for CPUs that come up later`, async (t) => {
  const rt = await startRuntime(t, { cpus: 3, strategy });
  await rt.cpuDown(2);
  const group = await rt.registerPerCpuThread('counter', { name: 'counter/%u' });
  t.same(group.threads().map((thread) => thread.cpu).sort(), [0, 1], 'one thread per online CPU');

  await rt.cpuUp(2);
  const threads = group.threads().sort((a, b) => a.cpu - b.cpu);
  t.same(threads.map((thread) => thread.name), ['counter/0', 'counter/1', 'counter/2'], 'CPU 2 got its thread on the way up');
  for (const thread of threads) t.ok(await rt.waitForIterations(thread, 512, PATIENCE_MS), `${thread.name} runs`);

  await rt.cpuDown(1);
  t.equal(rt.kthreadInfo(threads[1]!).state, 'parked');
  await rt.cpuUp(1);
  t.ok(await rt.waitForIterations(threads[1]!, rt.kthreadInfo(threads[1]!).iterations + 512, PATIENCE_MS), 'it runs again');

  const data = (await Promise.all(threads.map((thread) => rt.kthreadStop(thread)))) as Array<{ setups: number; parks: number; unparks: number; cleanups: number; runs: number }>;
  t.same(
    data.map(({ setups, parks, unparks, cleanups }) => ({ setups, parks, unparks, cleanups })),
    [
      { setups: 1, parks: 0, unparks: 0, cleanups: 1 },
      { setups: 1, parks: 1, unparks: 1, cleanups: 1 },
      { setups: 1, parks: 0, unparks: 0, cleanups: 1 },
    ],
    'smpboot hooks ran in pairs: setup once, park/unpark around the down/up, cleanup on stop',
  );
  t.equal(rt.stats().violations, 0);
});
}

t.test('recreate: CPU down stops the threads and ends the worker; CPU up makes new ones', async (t) => {
  const rt = await startRuntime(t, { cpus: 2, strategy: 'recreate' });
  const plain = await rt.kthreadCreateOnCpu(1, 'spinner');
  const group = await rt.registerPerCpuThread('counter');
  const before = groupThread(rt, 'counter', 1);
  t.ok(await rt.waitForIterations(before, 512, PATIENCE_MS));

  await rt.cpuDown(1);
  t.equal(rt.cpuState(1), 'offline');
  t.notOk(rt.hasWorker(1), 'the worker of CPU 1 was terminated');
  t.same(rt.kthreadList(1), [], 'every thread bound to CPU 1 was stopped');
  t.throws(() => rt.kthreadInfo(plain), { name: 'KthreadError', code: 'ERR_CPUHP_THREAD_GONE' }, 'the plain kthread is gone for good');

  await rt.cpuUp(1);
  t.ok(rt.hasWorker(1), 'a new worker runs CPU 1');
  const after = groupThread(rt, 'counter', 1);
  t.not(after.id, before.id, 'the per-CPU thread is a new thread');
  t.ok(await rt.waitForIterations(after, 512, PATIENCE_MS), 'and it runs');
  const data = (await rt.kthreadStop(after)) as { setups: number; parks: number; runs: number };
  t.equal(data.setups, 1, 'its setup ran afresh: kt.data did not survive');
  t.equal(data.parks, 0, 'it was never parked: recreate stops instead');
  t.equal(group.threads().length, 1);
  t.equal(rt.stats().violations, 0);
});
