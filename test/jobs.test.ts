/** The job runtime's basic promises: results, placement, errors, and transfers. */

import t from 'tap';
import { JobError, type JobDefinition } from '../src/index.js';
import { FIXTURES, Gate, PATIENCE_MS, sharedInts, startJobRuntime, startRuntime } from './helpers.js';

t.test('a job resolves with what it returns, run by the kworker of an online CPU', async (t) => {
  const rt = await startJobRuntime(t);
  t.same(
    rt.kthreadList().map((thread) => thread.name),
    ['kworker/0', 'kworker/1'],
    'a runtime whose modules define jobs has one kworker per CPU',
  );
  t.equal(await rt.queueWork<JobDefinition<number, number>>('increment', 41), 42);
  t.equal(await rt.queueWork('spin', { ms: 1 }, { cpu: 1, affinity: 'strict' }), 1, 'a strict job runs on its CPU');
  t.equal(await rt.queueWork('spin', { ms: 1 }, { cpu: 0 }), 0, 'a preferred job runs on its CPU while it is online');
  const stats = rt.stats();
  t.equal(stats.jobs.completed, 3);
  t.equal(stats.jobs.latency.count, 3);
  t.equal(stats.cpus[1]!.jobs.ran, 1);
  t.equal(stats.violations, 0);
});

t.test('jobs without a CPU are spread over the online CPUs', async (t) => {
  const rt = await startJobRuntime(t, { cpus: 2 });
  const cpus = await Promise.all(Array.from({ length: 40 }, () => rt.queueWork<JobDefinition<unknown, number>>('spin', { ms: 2 })));
  t.same([...new Set(cpus)].sort(), [0, 1], 'both CPUs ran some of a burst');
});

t.test('bad requests are refused with a ConfigError, and change nothing', async (t) => {
  const rt = await startJobRuntime(t);
  const invalid = { name: 'ConfigError', code: 'ERR_CPUHP_INVALID_ARG' };
  await t.rejects(rt.queueWork('nope'), { ...invalid, message: /no job named 'nope'.*increment/ });
  await t.rejects(rt.queueWork('increment', 1, { cpu: 9 }), { ...invalid, message: /options\.cpu must be a whole number from 0 to 1 .*got 9/ });
  await t.rejects(rt.queueWork('increment', 1, { affinity: 'strict' }), { ...invalid, message: /needs a cpu/ });
  await t.rejects(rt.queueWork('increment', 1, { affinity: 'sometimes' as never }), invalid);
  await t.rejects(rt.queueWork('increment', 1, { whenOffline: 'later' as never }), invalid);
  await t.rejects(rt.queueWork('increment', 1, { timeoutMs: -5 }), invalid);
  await t.rejects(rt.queueWork('increment', 1, { signal: {} as AbortSignal }), invalid);
  await t.rejects(rt.drain({ timeoutMs: 0 }), invalid);
  t.equal(rt.stats().jobs.submitted, 0, 'no job was accepted');
});

t.test('a job whose arguments cannot be cloned is rejected alone; the jobs beside it run', async (t) => {
  const rt = await startJobRuntime(t);
  const runs = sharedInts(2);
  const before = rt.queueWork('record', { runs, index: 0 });
  const bad = rt.queueWork('record', { runs, index: 1, notData: () => 1 });
  const after = rt.queueWork('increment', 1);
  await t.rejects(bad, { name: 'ConfigError', code: 'ERR_CPUHP_INVALID_ARG', message: /cannot be sent to a worker.*structured-cloneable/ });
  t.type(await before, 'number');
  t.equal(await after, 2);
  t.same([...runs], [1, 0], 'the refused job never ran');
});

t.test('a job that throws rejects its promise; its CPU keeps running jobs', async (t) => {
  const rt = await startJobRuntime(t);
  const error = await rt.queueWork('fail', 'broken input', { cpu: 1, affinity: 'strict' }).catch((e: unknown) => e);
  t.type(error, JobError);
  const failure = error as JobError;
  t.equal(failure.code, 'ERR_CPUHP_JOB_THREW');
  t.equal(failure.reason, 'threw');
  t.equal(failure.started, true);
  t.equal(failure.cpu, 1);
  t.match(failure.message, /job 'fail' \(id \d+\) threw on CPU 1: broken input/);
  t.type(failure.cause, Error, 'the cause is the error the job threw, cloned');
  t.equal(await rt.queueWork('spin', { ms: 1 }, { cpu: 1, affinity: 'strict' }), 1, 'CPU 1 still runs jobs');
  t.equal(rt.cpuState(1), 'online');
  t.equal(rt.stats().jobs.threw, 1);
});

t.test('a result that cannot be cloned rejects with a clear error', async (t) => {
  const rt = await startJobRuntime(t);
  await t.rejects(rt.queueWork('unclonable'), { name: 'JobError', code: 'ERR_CPUHP_JOB_THREW', reason: 'threw', message: /cannot be sent back to the controller/ });
  t.equal(await rt.queueWork('increment', 1), 2);
});

t.test('transferables move to the job and back instead of being copied', async (t) => {
  const rt = await startJobRuntime(t);
  const buffer = new ArrayBuffer(300);
  const { buffer: back } = await rt.queueWork<JobDefinition<unknown, { buffer: ArrayBuffer }>>('fillBuffer', { buffer }, { transfer: [buffer] });
  t.equal(buffer.byteLength, 0, 'the buffer was moved to the worker, not copied: the caller no longer holds it');
  t.equal(back.byteLength, 300);
  t.same([...new Uint8Array(back).slice(0, 3)], [300 & 0xff, 300 & 0xff, 300 & 0xff], 'the job filled it and moved it back');
});

t.test('the kworkers cannot be parked or stopped by hand', async (t) => {
  const rt = await startJobRuntime(t);
  const kworker = rt.kthreadList(1).find((thread) => thread.name === 'kworker/1')!;
  // Once it has run a job it is past its first unpark, so its state shows only what we ask.
  t.equal(await rt.queueWork('spin', { ms: 1 }, { cpu: 1, affinity: 'strict' }), 1);
  await t.rejects(rt.kthreadPark(kworker), { name: 'KthreadError', code: 'ERR_CPUHP_KWORKER', thread: 'kworker/1', message: /runs the job queue of CPU 1.*rt\.cpuDown\(1\)/ });
  await t.rejects(rt.kthreadStop(kworker), { name: 'KthreadError', code: 'ERR_CPUHP_KWORKER', thread: 'kworker/1' });
  t.equal(rt.kthreadInfo(kworker).state, 'running', 'the refused calls asked nothing of it');
  t.equal(await rt.queueWork('spin', { ms: 1 }, { cpu: 1, affinity: 'strict' }), 1);
});

t.test('a runtime whose modules define no jobs has no kworker, and says so', async (t) => {
  const rt = await startRuntime(t, { modules: [FIXTURES] });
  t.equal(rt.kthreadList().length, 0);
  await t.rejects(rt.queueWork('increment', 1), { name: 'ConfigError', code: 'ERR_CPUHP_INVALID_ARG', message: /jobs are: none.*defineJob/ });
});

t.test('drain() resolves once every job has settled', async (t) => {
  const rt = await startJobRuntime(t);
  const gate = new Gate();
  const held = rt.queueWork('gate', gate.args, { cpu: 1, affinity: 'strict' });
  const rest = Array.from({ length: 10 }, () => rt.queueWork('increment', 1, { cpu: 0, affinity: 'strict' }));
  t.ok(await gate.started());
  let drained = false;
  const draining = rt.drain().then(() => (drained = true));
  await Promise.all(rest);
  t.notOk(drained, 'drain waits for the job still running');
  gate.open();
  await draining;
  t.equal(await held, 1);
  const stats = rt.stats().jobs;
  t.equal(stats.queued + stats.handed, 0, 'nothing is left queued or handed over');
  await rt.drain({ timeoutMs: PATIENCE_MS });
});
