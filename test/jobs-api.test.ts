/**
 * The job API's Node conventions: transferList, the typed handle rt.jobs(), aborts as Node's
 * AbortError, the backpressure of needsDrain and 'drain', the wait and run times and CPU
 * utilisation of stats(), and kthreadBoundShouldStop(). Its types are tested in
 * test/types/jobs-api.ts, by the build. Nothing here asserts a timing.
 */

import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { CpuhpError, JobError, KthreadError, type JobDefinition, type KthreadHandle } from '../src/index.js';
import { defineKthread, definePerCpuThread, kthreadBoundShouldStop } from '../src/kthread/define.js';
import { ITERATIONS, MISMATCHES, RECORD, SAW_TRUE } from './fixtures/current.js';
import { Gate, PATIENCE_MS, settle, sharedInts, startJobRuntime, startRuntime, waitForWord } from './helpers.js';

type Jobs = typeof import('./fixtures/jobs.js');
const CURRENT_FIXTURES = fileURLToPath(new URL('./fixtures/current.js', import.meta.url));

/** A settled promise's rejection, or a failure if it resolved. */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => new Error('it resolved'),
    (error: unknown) => error,
  );
}

t.test('transferList is Node\'s name for transfer: the buffer moves; both at once are refused', async (t) => {
  const rt = await startJobRuntime(t);
  const buffer = new ArrayBuffer(64);
  const { buffer: back } = await rt.jobs<Jobs>().fillBuffer({ buffer }, { transferList: [buffer] });
  t.equal(buffer.byteLength, 0, 'moved to the worker, not copied');
  t.equal(back.byteLength, 64);
  const kept = new ArrayBuffer(8);
  await t.rejects(rt.queueWork('fillBuffer', { buffer: kept }, { transfer: [kept], transferList: [kept] }), {
    name: 'ConfigError',
    code: 'ERR_CPUHP_INVALID_ARG',
    message: /options\.transfer and options\.transferList .*pass one of them/,
  });
  t.equal(kept.byteLength, 8, 'nothing was sent');
  t.equal(rt.stats().jobs.submitted, 1, 'nothing was queued');
});

t.test('rt.jobs(): one method per loaded job; another name is refused naming the loaded ones', async (t) => {
  const rt = await startJobRuntime(t);
  const jobs = rt.jobs<Jobs>();
  t.equal(await jobs.increment(41), 42);
  t.equal(await jobs.increment(1, { cpu: 1, affinity: 'strict' }), 2, 'the options are queueWork\'s');
  const { increment } = jobs;
  t.equal(await increment(2), 3, 'a method works detached from the handle');
  t.equal(rt.jobs(), jobs, 'one handle per runtime');
  t.ok('increment' in jobs, "'in' tests a name");
  t.notOk('slowEcho' in jobs, "'in' tests a name without throwing");
  const untyped = rt.jobs() as unknown as Record<string, unknown>;
  t.throws(() => untyped['slowEcho'], { name: 'ConfigError', code: 'ERR_CPUHP_INVALID_ARG', message: /^jobs\(\): jobs\.slowEcho: no job named 'slowEcho'.*jobs are: .*increment/ });
  t.throws(() => untyped['incremnt'], { message: /did you mean 'increment'\?/ });
  t.equal(untyped['then'], undefined, 'the handle is not a thenable: it can be returned from an async function');
  t.equal(await Promise.resolve(jobs), jobs);
  t.equal(JSON.stringify(jobs), '{}', 'JSON.stringify does not look a job up');
  t.equal(Reflect.get(jobs, Symbol.iterator), undefined, 'symbols are not job lookups');
  t.throws(() => {
    untyped['increment'] = 1;
  }, TypeError);
  await rt.shutdown();
  await t.rejects(jobs.increment(1), { name: 'CpuhpError', code: 'ERR_CPUHP_SHUT_DOWN' }, 'after shutdown, as queueWork');
});

t.test('a cancelled job is an AbortError with code ABORT_ERR, still a JobError: signal, timeoutMs, shutdown', async (t) => {
  const rt = await startJobRuntime(t, { cpus: 1 });
  const gate = new Gate();
  const held = rt.queueWork('gate', gate.args);
  t.ok(await gate.started());
  const controller = new AbortController();
  const aborted = rt.queueWork('increment', 1, { signal: controller.signal });
  const timedOut = rt.queueWork('increment', 1, { timeoutMs: 1 });
  const cut = rt.queueWork('increment', 1);
  controller.abort();
  const errors = [await rejection(aborted), await rejection(timedOut)];
  const closing = rt.shutdown();
  errors.push(await rejection(cut));
  gate.open();
  await held;
  await closing;
  t.same(
    errors.map((e) => (e instanceof JobError ? [e.name, e.code, e.reason, e.started] : String(e))),
    [
      ['AbortError', 'ABORT_ERR', 'aborted', false],
      ['AbortError', 'ABORT_ERR', 'timeout', false],
      ['AbortError', 'ABORT_ERR', 'shutdown', false],
    ],
  );
  for (const error of errors) t.ok(error instanceof JobError && error instanceof CpuhpError, 'still a JobError');
  t.equal((errors[0] as JobError).cause, controller.signal.reason, "an abort's cause is the signal's reason");
  t.match((errors[1] as JobError).cause, { name: 'TimeoutError' }, "a timeout's cause is a TimeoutError, as AbortSignal.timeout() aborts with");
});

t.test("backpressure: needsDrain once the queue reaches what the CPUs take, 'drain' once it empties", async (t) => {
  const rt = await startJobRuntime(t, { cpus: 1, jobSlots: 4, maxQueue: 0 });
  const heard: string[] = [];
  rt.on('needsDrain', () => heard.push('needsDrain'));
  rt.on('drain', () => heard.push('drain'));
  const gate = new Gate();
  const held = rt.queueWork('gate', gate.args);
  t.ok(await gate.started(), 'the only CPU is held');
  t.equal(rt.needsDrain, false);
  // A producer that stops at needsDrain: with maxQueue 0, it is never refused.
  const runs = sharedInts(64);
  const accepted: Array<Promise<unknown>> = [];
  while (!rt.needsDrain && accepted.length < 64) accepted.push(rt.jobs<Jobs>().record({ runs, index: accepted.length }));
  t.equal(rt.needsDrain, true, 'needsDrain within the CPU\'s claim slots');
  t.ok(accepted.length <= 4, `needsDrain after ${accepted.length} jobs: no more than the CPU's slots`);
  t.equal(rt.stats().jobs.refused, 0, 'a producer that stops at needsDrain is never refused');
  const refused = await settle(rt.queueWork('increment', 1));
  t.ok(!refused.ok && refused.error.reason === 'queue-full', 'past it, maxQueue 0 refuses');
  await new Promise((resolve) => setImmediate(resolve));
  t.same(heard, ['needsDrain'], "'needsDrain' was emitted once");
  const drained = once(rt, 'drain');
  gate.open();
  await drained;
  t.equal(rt.needsDrain, false);
  await Promise.all([held, ...accepted]);
  t.same(heard, ['needsDrain', 'drain']);
  t.equal([...runs].reduce((a, b) => a + b, 0), accepted.length, 'every accepted job ran once');
});

t.test("a backpressure listener that throws is counted and warned about; the runtime carries on", async (t) => {
  const rt = await startJobRuntime(t, { cpus: 1, jobSlots: 2 });
  const warnings: Error[] = [];
  const onWarning = (w: Error): void => void warnings.push(w);
  process.on('warning', onWarning);
  t.teardown(() => void process.off('warning', onWarning));
  rt.on('needsDrain', () => {
    throw new Error('listener bug');
  });
  const heard: string[] = [];
  rt.on('needsDrain', () => heard.push('needsDrain'));
  const gate = new Gate();
  const held = rt.queueWork('gate', gate.args);
  t.ok(await gate.started());
  const more: Array<Promise<unknown>> = [];
  while (!rt.needsDrain && more.length < 64) more.push(rt.queueWork('increment', more.length));
  const drained = once(rt, 'drain');
  gate.open();
  await drained;
  await Promise.all([held, ...more]);
  t.same(heard, ['needsDrain'], 'the other listener heard the event');
  t.equal(rt.stats().traceListenerErrors, 1, 'the error was counted');
  await new Promise((resolve) => setImmediate(resolve));
  t.equal(warnings.filter((w) => (w as Error & { code?: string }).code === 'CPUHP_TRACE_LISTENER_THREW' && /'needsDrain' listener threw/.test(w.message)).length, 1);
  t.equal(await rt.queueWork('increment', 1), 2, 'the runtime runs jobs as before');
});

t.test('stats: wait and run times count the jobs that ran, and agree with their latency; CPU utilisation is in [0, 1]', async (t) => {
  const rt = await startJobRuntime(t, { cpus: 2 });
  const jobs = rt.jobs<Jobs>();
  await Promise.all(Array.from({ length: 40 }, (_, i) => jobs.spin({ ms: i % 3 })));
  await settle(rt.queueWork('fail', 'counted too'));
  await rt.cpuDown(1);
  await Promise.all(Array.from({ length: 10 }, () => jobs.spin({ ms: 1 })));
  await rt.cpuUp(1);
  const { jobs: s, cpus } = rt.stats();
  const ran = s.completed + s.threw;
  t.equal(ran, 51);
  t.same([s.waitTime.count, s.runTime.count, s.latency.count], [ran, ran, ran], 'one wait and one run time per job that ran to an outcome');
  for (const [name, summary] of [['waitTime', s.waitTime], ['runTime', s.runTime]] as const) {
    const { meanMs, medianMs, p99Ms, maxMs } = summary;
    t.ok(0 <= medianMs && medianMs <= p99Ms && p99Ms <= maxMs, `${name}: 0 <= median <= p99 <= max (${medianMs}, ${p99Ms}, ${maxMs})`);
    t.ok(0 < meanMs && meanMs <= maxMs, `${name}: 0 < mean <= max`);
    // Each job's wait and run fit in its time from queueWork() to its outcome; the
    // histograms round up by less than 0.1%.
    t.ok(maxMs <= s.latency.maxMs * 1.002 + 0.002, `${name}: its longest is within the longest latency (${maxMs} <= ${s.latency.maxMs})`);
  }
  t.ok(s.runTime.maxMs >= 1.5, 'a spin of 2 ms ran at least 1.5 ms');
  for (const { cpu, utilization: u } of cpus) {
    t.ok(u.utilization >= 0 && u.utilization <= 1, `CPU ${cpu}: utilization ${u.utilization} in [0, 1]`);
    t.ok(u.activeMs >= 0 && u.idleMs >= 0, `CPU ${cpu}: active and idle times are not negative`);
    t.ok(u.activeMs > 0, `CPU ${cpu} ran jobs: some active time`);
  }
});

t.test('kthreadBoundShouldStop() outside a kthread: a KthreadError on the main thread, and in a job', async (t) => {
  t.throws(() => kthreadBoundShouldStop(), { name: 'KthreadError', code: 'ERR_CPUHP_NOT_IN_KTHREAD', message: /main thread/ });
  t.type((() => {
    try {
      return kthreadBoundShouldStop();
    } catch (error) {
      return error;
    }
  })(), KthreadError);
  const rt = await startRuntime(t, { cpus: 1, modules: [CURRENT_FIXTURES] });
  const asked = await settle(rt.queueWork<JobDefinition<undefined, boolean>>('askInJob', undefined));
  t.ok(!asked.ok && asked.error.reason === 'threw', "the job's call threw");
  if (!asked.ok) t.match(asked.error.message, /kthreadBoundShouldStop\(\) was called outside a tracked kthread.*ctx\.signal/);
  const untracked = await rt.kthreadCreateOnCpu(0, 'untrackedAsk');
  t.match(await rt.kthreadStop(untracked), /^KthreadError ERR_CPUHP_NOT_IN_KTHREAD: .*trackCurrent: true/, 'a kthread defined without trackCurrent is told how to ask for it');
});

t.test('defineKthread and definePerCpuThread options: trackCurrent must be a boolean, and no other key', async (t) => {
  const fn = async (): Promise<void> => {};
  const hooks = { shouldRun: () => false, run: () => {} };
  for (const bad of [{ trackCurrent: 'yes' }, { trackCurrent: 1 }, { trackCurrent: null }, { current: true }, null, 'yes', Symbol('x')] as unknown[]) {
    t.throws(() => defineKthread(fn, bad as never), { name: 'ConfigError', message: /defineKthread\(fn, options\)/ }, `defineKthread refuses ${String(typeof bad === 'symbol' ? 'a Symbol' : JSON.stringify(bad))}`);
    t.throws(() => definePerCpuThread(hooks, bad as never), { name: 'ConfigError', message: /definePerCpuThread\(hooks, options\)/ });
  }
  t.equal(defineKthread(fn, { trackCurrent: true }).trackCurrent, true);
  t.equal(defineKthread(fn).trackCurrent, false, 'untracked unless asked');
  t.equal(definePerCpuThread(hooks, {}).trackCurrent, false);
});

t.test('kthreadBoundShouldStop() answers for the calling kthread after any await, many threads to a CPU', async (t) => {
  const THREADS = 4;
  const rt = await startRuntime(t, { cpus: 2, modules: [CURRENT_FIXTURES] });
  // The test waits on words its kthreads write (Atomics.waitAsync, which holds no handle), and
  // running kthreads are not work in flight: without ref() the process may end mid-test.
  rt.ref();
  const words = sharedInts(THREADS * RECORD);
  const threads: KthreadHandle[] = [];
  for (let index = 0; index < THREADS; index++) threads.push(await rt.kthreadCreateOnCpu(0, 'currentProbe', { data: { words, index } }));
  const iterations = (i: number): number => Atomics.load(words, i * RECORD + ITERATIONS);
  /** Resolves once every thread but `except` has done `more` iterations from now. */
  const othersRun = async (except: number, more: number): Promise<boolean> => {
    for (let i = 0; i < THREADS; i++) {
      if (i === except) continue;
      const target = iterations(i) + more;
      if (!(await waitForWord(words, i * RECORD + ITERATIONS, (v) => v >= target, PATIENCE_MS))) return false;
    }
    return true;
  };
  t.ok(await othersRun(-1, 50), 'every thread runs');
  for (let parked = 0; parked < THREADS; parked++) {
    await rt.kthreadPark(threads[parked]!);
    const stood = iterations(parked);
    t.ok(await othersRun(parked, 50), `thread ${parked} parked: the others keep running`);
    t.equal(iterations(parked), stood, `thread ${parked} stands still`);
    t.same(
      Array.from({ length: THREADS }, (_, i) => Atomics.load(words, i * RECORD + SAW_TRUE)),
      Array.from({ length: THREADS }, (_, i) => (i <= parked ? 1 : 0)),
      `only thread ${parked} saw true for its park, and each earlier one once for its own`,
    );
    await rt.kthreadUnpark(threads[parked]!);
    t.ok(await waitForWord(words, parked * RECORD + ITERATIONS, (v) => v > stood, PATIENCE_MS), `thread ${parked} runs again once unparked`);
  }
  // The CPU going down parks them all: each sees true for itself.
  await rt.cpuDown(0);
  await rt.cpuUp(0);
  t.ok(await othersRun(-1, 50), 'every thread runs again');
  for (let i = 0; i < THREADS; i++) {
    t.equal(Atomics.load(words, i * RECORD + SAW_TRUE), 2, `thread ${i} saw true for its own park and its CPU's down, no more`);
    t.equal(Atomics.load(words, i * RECORD + MISMATCHES), 0, `thread ${i}: kthreadBoundShouldStop() always agreed with its own kt.boundShouldStop()`);
  }
  for (const thread of threads) t.equal(await rt.kthreadStop(thread), 'stopped');
});

t.test('the runtime refuses listeners for events it does not emit, and accepts the backpressure ones', async (t) => {
  const rt = await startRuntime(t, { cpus: 1 });
  const listen = rt.on.bind(rt) as (event: unknown, listener: unknown) => unknown;
  t.throws(() => listen('needDrain', () => undefined), { name: 'ConfigError', message: /emits only 'trace', 'needsDrain' and 'drain' events, got 'needDrain'/ });
  rt.once('needsDrain', () => undefined).once('drain', () => undefined);
  t.same([rt.listenerCount('needsDrain'), rt.listenerCount('drain')], [1, 1]);
});
