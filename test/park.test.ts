/** Invariant 3: park and unpark semantics of single threads, including across CPU down/up. */

import t from 'tap';
import { PATIENCE_MS, RETAINING, STRATEGIES, startRuntime, traceEvent } from './helpers.js';

for (const strategy of STRATEGIES) {

t.test(`${strategy}: park and unpark are idempotent and really stop the thread`, async (t) => {
  const rt = await startRuntime(t, { strategy });
  const thread = await rt.kthreadCreateOnCpu(1, 'spinner');
  t.ok(await rt.waitForIterations(thread, 256, PATIENCE_MS));

  await rt.kthreadPark(thread);
  await rt.kthreadPark(thread);
  t.equal(rt.kthreadInfo(thread).state, 'parked');
  t.equal(rt.kthreadInfo(thread).parks, 1, 'a second park of a parked thread is a no-op');
  const frozen = rt.kthreadInfo(thread).iterations;
  // A second thread on the same CPU proves the CPU keeps scheduling while this one is parked.
  const neighbour = await rt.kthreadCreateOnCpu(1, 'spinner');
  t.ok(await rt.waitForIterations(neighbour, 4096, PATIENCE_MS), 'the CPU keeps running its other threads');
  t.equal(rt.kthreadInfo(thread).iterations, frozen, 'the parked thread did not run');

  await rt.kthreadUnpark(thread);
  await rt.kthreadUnpark(thread);
  t.ok(await rt.waitForIterations(thread, frozen + 256, PATIENCE_MS), 'it runs after unpark');
  t.equal(rt.kthreadInfo(thread).parks, 1, 'a second unpark did not park it again');
});

if (RETAINING.includes(strategy)) t.test(`${strategy}: unpark while the CPU is down keeps the thread parked until cpuUp`, async (t) => {
  const rt = await startRuntime(t, { strategy });
  const thread = await rt.kthreadCreateOnCpu(1, 'spinner');
  await rt.kthreadPark(thread);
  await rt.cpuDown(1);
  await rt.kthreadUnpark(thread);
  t.equal(rt.kthreadInfo(thread).state, 'parked', 'still parked: its CPU is down');
  await rt.kthreadPark(thread);
  t.equal(rt.kthreadInfo(thread).state, 'parked', 'park of a thread parked by its CPU resolves at once');
  await rt.kthreadUnpark(thread);

  const frozen = rt.kthreadInfo(thread).iterations;
  await rt.cpuUp(1);
  t.ok(await rt.waitForIterations(thread, frozen + 256, PATIENCE_MS), 'runs once the CPU is up');
  t.equal(rt.stats().violations, 0);
});

if (RETAINING.includes(strategy)) t.test(`${strategy}: a thread parked by the user stays parked across a CPU down/up`, async (t) => {
  const rt = await startRuntime(t, { strategy });
  const thread = await rt.kthreadCreateOnCpu(1, 'spinner');
  await rt.kthreadPark(thread);
  const frozen = rt.kthreadInfo(thread).iterations;
  await rt.cpuDown(1);
  await rt.cpuUp(1);
  t.ok(await rt.waitForHeartbeat(1, 10, PATIENCE_MS), 'CPU 1 is running again');
  t.equal(rt.kthreadInfo(thread).state, 'parked');
  t.equal(rt.kthreadInfo(thread).iterations, frozen, 'cpuUp did not unpark a user park');
  await rt.kthreadUnpark(thread);
  t.ok(await rt.waitForIterations(thread, frozen + 256, PATIENCE_MS));
});

t.test(`${strategy}: stop of a parked thread wakes it and it exits with its value`, async (t) => {
  const rt = await startRuntime(t, { strategy });
  const thread = await rt.kthreadCreateOnCpu(0, 'spinner', { data: { units: 1000 } });
  t.ok(await rt.waitForIterations(thread, 256, PATIENCE_MS));
  await rt.kthreadPark(thread);
  const units = rt.kthreadInfo(thread).iterations;
  const result = (await rt.kthreadStop(thread)) as { units: number };
  t.equal(result.units, 1000 + units, 'exit value is kt.data, with the initial data and every unit before the park');
  t.same(rt.kthreadList(), [], 'the stopped thread is gone');
});

if (RETAINING.includes(strategy)) t.test(`${strategy}: stop of a thread parked on an offline CPU is refused until the CPU is up`, async (t) => {
  const rt = await startRuntime(t, { strategy });
  const thread = await rt.kthreadCreateOnCpu(1, 'spinner');
  await rt.cpuDown(1);
  await t.rejects(rt.kthreadStop(thread), { name: 'KthreadError', code: 'ERR_CPUHP_CPU_OFFLINE', message: /bring CPU 1 up/ });
  t.equal(rt.kthreadInfo(thread).state, 'parked', 'the refused stop changed nothing');
  await rt.cpuUp(1);
  t.ok(await rt.kthreadStop(thread));
});

t.test(`${strategy}: a thread that exits on its own: park errors, stop returns its failure`, async (t) => {
  const rt = await startRuntime(t, { strategy });
  const thread = await rt.kthreadCreateOnCpu(0, 'thrower');
  // A running thread does not hold the process open (docs/lifecycle.md): traceEvent's timer does meanwhile.
  if (rt.kthreadInfo(thread).state !== 'exited') await traceEvent(rt, 'exit', (e) => e.thread === thread.name);
  t.equal(rt.kthreadInfo(thread).state, 'exited');
  await t.rejects(rt.kthreadPark(thread), { name: 'KthreadError', code: 'ERR_CPUHP_THREAD_EXITED', message: /has exited/ });
  await t.rejects(rt.kthreadStop(thread), { name: 'KthreadError', code: 'ERR_CPUHP_THREAD_THREW', message: /threw: Error: boom/ });
  t.same(rt.kthreadList(), [], 'reaped');
});

t.test(`${strategy}: wakeUpProcess ends a sleep early; park interrupts a sleep`, async (t) => {
  const rt = await startRuntime(t, { strategy });
  const thread = await rt.kthreadCreateOnCpu(1, 'sleeper');
  rt.wakeUpProcess(thread);
  await rt.kthreadPark(thread);
  t.equal(rt.kthreadInfo(thread).state, 'parked', 'a sleeping thread parks');
  await rt.kthreadUnpark(thread);
  t.ok((await rt.kthreadStop(thread)) as number >= 1, 'the wake-up was counted');
});
}
