/**
 * Invariant 6: nothing a caller returns or listens with changes a transition. Hostile job
 * results and thrown values settle their own job as 'threw'; a per-CPU thread that ends
 * unexpectedly is reaped and replaced (or, if it keeps crashing, its CPU is failed), never
 * left as an exited record on an online CPU; a kthread's unsendable result does not leak its
 * slot; a throwing trace listener is reported and changes nothing.
 */

import t from 'tap';
import { JobError, KthreadError, type TraceEvent } from '../src/index.js';
import { PATIENCE_MS, settle, sharedInts, startJobRuntime, startRuntime, traceEvent, waitForWord } from './helpers.js';

const KINDS = ['then-getter', 'proxy', 'thenable-throws', 'async-proxy', 'throw-proxy', 'throw-symbol'] as const;

t.test('a hostile result or thrown value is its own job\'s error; the kworker runs on', async (t) => {
  const rt = await startJobRuntime(t, { cpus: 2 });
  const runs = sharedInts(KINDS.length);
  for (const [index, kind] of KINDS.entries()) {
    const outcome = await settle(rt.queueWork('hostile', { kind, runs, index }, { cpu: 1, affinity: 'strict' }));
    t.notOk(outcome.ok, `${kind}: the job rejects`);
    if (!outcome.ok) t.same([outcome.error.code, outcome.error.reason, outcome.error.started, outcome.error.cpu], ['ERR_CPUHP_JOB_THREW', 'threw', true, 1], `${kind}: as 'threw', started, on CPU 1`);
    t.equal(runs[index], 1, `${kind}: it ran once`);
    t.equal(await rt.queueWork('increment', index, { cpu: 1, affinity: 'strict' }), index + 1, `${kind}: CPU 1's kworker runs the next job`);
  }
  const kworker = rt.kthreadList(1).filter((h) => h.name === 'kworker/1');
  t.equal(kworker.length, 1);
  t.equal(rt.kthreadInfo(kworker[0]!).state === 'exited', false, 'the kworker never exited');
  await rt.drain({ timeoutMs: PATIENCE_MS });
  t.equal(rt.stats().jobs.threw, KINDS.length);
});

t.test('a kthread whose result cannot be cloned: kthreadStop says so, and the thread is reaped', async (t) => {
  const rt = await startRuntime(t, { cpus: 2, maxKthreads: 1 });
  const thread = await rt.kthreadCreateOnCpu(0, 'unclonableExit');
  await t.rejects(rt.kthreadStop(thread), { name: 'KthreadError', code: 'ERR_CPUHP_THREAD_THREW', message: /threw: .*cannot be sent to the controller/ });
  t.same(rt.kthreadList(), [], 'its record is gone');
  await t.rejects(rt.kthreadStop(thread), { name: 'KthreadError', code: 'ERR_CPUHP_THREAD_GONE', message: /stopped already/ }, 'a second stop says it was stopped');
  const next = await rt.kthreadCreateOnCpu(0, 'spinner');
  t.ok(next, 'its slot (the only one) is free again');
});

t.test('a per-CPU thread whose run() throws is reaped and replaced on its online CPU', async (t) => {
  const rt = await startRuntime(t, { cpus: 2 });
  const crashes = sharedInts(2);
  Atomics.store(crashes, 1, 1); // the first run() of any copy throws, then never again
  const replaced = traceEvent(rt, 'create', (e) => e.thread === 'crashy/1' );
  const group = await rt.registerPerCpuThread('crashy', { data: { crashes } });
  await replaced; // the first one, made by registerPerCpuThread
  const exited = traceEvent(rt, 'percpu-exit', (e) => typeof e.error === 'string');
  const again = traceEvent(rt, 'create', (e) => (e.thread === 'crashy/0' || e.thread === 'crashy/1'));
  const event = await exited;
  t.match(event.error, /crashy: run\(\) threw/, 'its end is traced with its error');
  const made = await again;
  t.equal(made.cpu, event.cpu, 'a new one is made on the same CPU');
  const threads = group.threads();
  t.equal(threads.length, 2, 'one thread per CPU');
  for (const thread of threads) {
    t.not(rt.kthreadInfo(thread).state, 'exited', `${thread.name} is not an exited record`);
    t.ok(await rt.waitForIterations(thread, rt.kthreadInfo(thread).iterations + 256, PATIENCE_MS), `${thread.name} runs`);
  }
});

t.test('a per-CPU thread that keeps crashing fails its CPU; cpuUp brings it back', async (t) => {
  const rt = await startRuntime(t, { cpus: 2 });
  const crashes = sharedInts(2);
  Atomics.store(crashes, 1, 1_000_000);
  const failed = traceEvent(rt, 'cpu-failed');
  await rt.registerPerCpuThread('crashy', { data: { crashes } });
  const event = await failed;
  t.match(event.error, /per-CPU thread 'crashy\/\d' exited 5 times/, 'the CPU is failed, saying why');
  const cpu = event.cpu;
  t.equal(rt.cpuState(cpu), 'failed');
  Atomics.store(crashes, 1, 0); // the fault is gone
  await rt.cpuUp(cpu);
  t.equal(rt.cpuState(cpu), 'online');
});

t.test('trace listeners that throw are reported once each and change nothing', async (t) => {
  const rt = await startJobRuntime(t, { cpus: 2 });
  const warnings: Error[] = [];
  const onWarning = (w: Error): void => void warnings.push(w);
  process.on('warning', onWarning);
  t.teardown(() => void process.off('warning', onWarning));
  const seen: string[] = [];
  rt.on('trace', () => {
    throw new Error('listener one is broken');
  });
  rt.on('trace', (e: TraceEvent) => void seen.push(e.type));
  rt.on('trace', () => {
    throw Symbol('listener three throws a Symbol');
  });

  await rt.cpuDown(1);
  t.equal(rt.cpuState(1), 'offline', 'cpuDown completed');
  t.ok(rt.isDormant(1));
  await rt.cpuUp(1);
  t.equal(rt.cpuState(1), 'online', 'cpuUp completed');
  t.equal(await rt.queueWork('increment', 1, { cpu: 1, affinity: 'strict' }), 2, 'CPU 1 runs jobs: its kworker is not left parked');
  const kworker = rt.kthreadList(1).find((h) => h.name === 'kworker/1')!;
  t.equal(rt.kthreadInfo(kworker).state === 'parked', false);
  // A worker death: cpu-failed, exit and jobs-worker-died are traced to the throwing listeners.
  const died = await settle(rt.queueWork('die', { how: 'exit' }, { cpu: 1, affinity: 'strict' }));
  t.notOk(died.ok);
  if (!died.ok) t.same([died.error.code, died.error.reason], ['ERR_CPUHP_JOB_WORKER_DIED', 'worker-died']);
  t.equal(rt.cpuState(1), 'failed', 'the CPU whose worker died is marked failed');
  await rt.cpuUp(1);
  t.equal(rt.cpuState(1), 'online');
  t.ok(seen.includes('cpu-failed') && seen.includes('park-cpu'), 'the well-behaved listener heard every event');
  await new Promise((resolve) => setImmediate(resolve));
  t.equal(warnings.filter((w) => w.name === 'CpuhpWarning' && (w as Error & { code?: string }).code === 'CPUHP_TRACE_LISTENER_THREW').length, 2, 'one warning per throwing listener, with its code');
  t.match(warnings[0]?.message, /a 'trace' listener threw/);
  t.ok(rt.stats().traceListenerErrors > 2, 'every error is counted');
  t.equal(rt.stats().violations, 0);
});

t.test('smpboot: an unpark hook runs only after a park hook ran, as in smpboot_thread_fn', async (t) => {
  const rt = await startRuntime(t, { cpus: 2 });
  const group = await rt.registerPerCpuThread('unparkOnly');
  const thread = group.threads().find((h) => h.cpu === 1)!;
  t.ok(await rt.waitForIterations(thread, 256, PATIENCE_MS));
  for (let i = 0; i < 3; i++) {
    await rt.cpuDown(1);
    await rt.cpuUp(1);
  }
  const mine = group.threads().find((h) => h.cpu === 1)!;
  await rt.kthreadPark(mine);
  await rt.kthreadUnpark(mine);
  t.ok(await rt.waitForIterations(mine, rt.kthreadInfo(mine).iterations + 256, PATIENCE_MS));
  const data = (await rt.kthreadStop(mine)) as { unparks: number };
  t.equal(data.unparks, 0, 'with no park hook, unpark never ran');
});

t.test('smpboot: cleanup is told whether the CPU is online', async (t) => {
  const rt = await startRuntime(t, { cpus: 2, strategy: 'recreate' });
  const calls = sharedInts(4);
  await rt.registerPerCpuThread('cleanupProbe', { data: { calls } });
  await rt.cpuDown(1);
  t.ok(await waitForWord(calls, 0, (v) => v >= 1, PATIENCE_MS));
  t.equal(Atomics.load(calls, 1), 0, 'stopped because its CPU went down: online is false');
  const thread = rt.kthreadList(0).find((h) => h.fn === 'cleanupProbe')!;
  await rt.kthreadStop(thread);
  t.equal(Atomics.load(calls, 2), 1, 'stopped alone on an online CPU: online is true');
});

t.test('a JobError from a hostile job is an ordinary JobError', async (t) => {
  const rt = await startJobRuntime(t, { cpus: 2 });
  const runs = sharedInts(1);
  const error = await rt.queueWork('hostile', { kind: 'proxy', runs, index: 0 }).catch((e: unknown) => e);
  t.type(error, JobError);
  t.equal((error as JobError).code, 'ERR_CPUHP_JOB_THREW');
  t.match((error as JobError).message, /threw on CPU \d: hostile proxy trap/);
  t.equal(error instanceof KthreadError, false);
});

t.test('listening for anything but trace events, or with a non-function, is a ConfigError', async (t) => {
  const rt = await startRuntime(t, { cpus: 1 });
  const listen = rt.on.bind(rt) as (event: unknown, listener: unknown) => unknown;
  const invalid = { name: 'ConfigError', code: 'ERR_CPUHP_INVALID_ARG' };
  t.throws(() => listen('trcae', () => undefined), { ...invalid, message: /emits only 'trace', 'needsDrain' and 'drain' events, got 'trcae'/ });
  t.throws(() => listen(Symbol('trace'), () => undefined), { ...invalid, message: /got symbol/ });
  t.throws(() => listen('trace', 5), { ...invalid, message: /listener must be a function/ });
  t.throws(() => (rt.once.bind(rt) as (e: unknown, l: unknown) => unknown)('trace', null), invalid);
  t.equal(rt.listenerCount('trace'), 0, 'nothing was added');
  const heard: string[] = [];
  rt.once('trace', (e) => void heard.push(e.type));
  await rt.setupState('app:x', { startup: () => undefined });
  await new Promise((resolve) => setImmediate(resolve));
  t.equal(heard.length, 1, 'once() hears one event');
  t.equal(rt.listenerCount('trace'), 0);
});
