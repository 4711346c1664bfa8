/**
 * The soft-lockup watchdog (kernel/watchdog.c): a CPU whose worker runs no event-loop turn
 * for watchdogMs while online is stuck. With onLockup 'fail' it is failed like a worker that
 * died, exactly once per lockup, and recovered by cpuUp; with 'warn' it is reported and left.
 * A CPU that is merely busy, waiting, or down is never taken for stuck.
 */

import t from 'tap';
import type { TraceEvent } from '../src/index.js';
import { PATIENCE_MS, settle, sharedInts, startJobRuntime, traceEvent, waitForWord } from './helpers.js';

const WATCHDOG_MS = 600;

t.test('a job that never yields: its CPU is failed, the job rejects as soft-lockup, its other jobs run once elsewhere, and cpuUp recovers the CPU', async (t) => {
  const rt = await startJobRuntime(t, { cpus: 2, watchdogMs: WATCHDOG_MS });
  const lockup = traceEvent(rt, 'soft-lockup');
  const started = sharedInts(1);
  const spinning = settle(rt.queueWork('spinForever', { maxMs: 60_000, started }, { cpu: 1, affinity: 'strict' }));
  t.ok(await waitForWord(started, 0, (v) => v === 1, PATIENCE_MS), 'the job spins on CPU 1');
  const runs = sharedInts(20);
  const behind = Array.from({ length: 20 }, (_, index) => rt.queueWork('record', { runs, index }, { cpu: 1 }));
  const event = await lockup;
  t.equal(event.cpu, 1);
  t.match(event.culprit, /job 'spinForever' \(id 1\)/, 'the trace names the running job');
  t.equal(event.action, 'fail');
  t.ok((event.stuckMs as number) >= WATCHDOG_MS, 'it stood still for at least the threshold');
  const outcome = await spinning;
  t.notOk(outcome.ok, 'the spinning job rejects');
  if (!outcome.ok) {
    t.same([outcome.error.code, outcome.error.reason, outcome.error.started, outcome.error.cpu], ['ERR_CPUHP_JOB_SOFT_LOCKUP', 'soft-lockup', true, 1]);
    t.match(outcome.error.message, /watchdog found the CPU stuck .*watchdogMs/);
  }
  t.same(await Promise.all(behind), new Array(20).fill(0), 'the jobs queued behind it ran on CPU 0');
  t.same([...runs], new Array(20).fill(1), 'each exactly once');
  t.equal(rt.cpuState(1), 'failed');
  t.equal(rt.stats().cpus[1]!.lockups, 1, 'the lockup is counted');
  t.equal(rt.stats().jobs.lockedUp, 1);
  await rt.cpuUp(1);
  t.equal(rt.cpuState(1), 'online', 'cpuUp brings the CPU back with a fresh worker');
  t.equal(await rt.queueWork('increment', 1, { cpu: 1, affinity: 'strict' }), 2, 'and it runs jobs');
  t.equal(rt.stats().cpus[1]!.lockups, 1, 'one lockup, reported once');
});

t.test('a kthread that stops yielding: its CPU is failed and the thread\'s handle says why', async (t) => {
  const rt = await startJobRuntime(t, { cpus: 2, watchdogMs: WATCHDOG_MS });
  const lockup = traceEvent(rt, 'soft-lockup');
  const thread = await rt.kthreadCreateOnCpu(1, 'spinsAfterAWhile', { name: 'spinny' });
  const event = await lockup;
  t.equal(event.cpu, 1);
  t.match(event.culprit, /'spinny'/, 'the trace names the thread');
  await traceEvent(rt, 'cpu-failed', (e) => e.cpu === 1).catch(() => undefined);
  t.equal(rt.cpuState(1), 'failed');
  t.throws(() => rt.kthreadInfo(thread), { name: 'KthreadError', code: 'ERR_CPUHP_THREAD_GONE', thread: 'spinny', message: /lost when the worker of CPU 1 died \(SoftLockup: soft lockup: CPU 1 stuck/ });
  await rt.cpuUp(1);
  t.equal(rt.cpuState(1), 'online');
});

t.test('an on-CPU hotplug callback that never returns: setupState fails, the CPU is failed, the others are as before', async (t) => {
  const rt = await startJobRuntime(t, { cpus: 2, watchdogMs: WATCHDOG_MS, hotplugTimeoutMs: PATIENCE_MS });
  const lockup = traceEvent(rt, 'soft-lockup');
  const setup = rt.setupState('app:spins', { startup: 'spinCallback' });
  const event = await lockup;
  t.match(event.culprit, /the startup callback 'spinCallback' of state 'app:spins'/, 'the trace names the callback');
  await t.rejects(setup, { name: 'HotplugError', code: 'ERR_CPUHP_SETUP_FAILED', step: 'app:spins', message: /setting up state 'app:spins' failed/ });
  t.equal(rt.cpuState(event.cpu), 'failed');
  t.throws(() => rt.injectFailure(0, 'app:spins'), { name: 'ConfigError', code: 'ERR_CPUHP_INVALID_ARG' }, 'the state was not added');
  const other = 1 - event.cpu;
  t.equal(rt.cpuState(other), 'online');
  await rt.cpuUp(event.cpu);
  t.same(rt.onlineCpus(), [0, 1]);
});

t.test("onLockup 'warn': reported as a warning and left to run", async (t) => {
  const rt = await startJobRuntime(t, { cpus: 2, watchdogMs: WATCHDOG_MS, onLockup: 'warn' });
  const warnings: Error[] = [];
  const onWarning = (w: Error): void => void warnings.push(w);
  process.on('warning', onWarning);
  t.teardown(() => void process.off('warning', onWarning));
  const lockup = traceEvent(rt, 'soft-lockup');
  const result = rt.queueWork('spinForever', { maxMs: WATCHDOG_MS * 3 }, { cpu: 1, affinity: 'strict' });
  const event = await lockup;
  t.equal(event.action, 'warn');
  t.equal(await result, 'spun out its cap', 'the job ran to its end');
  t.equal(rt.cpuState(1), 'online', 'the CPU was not failed');
  await new Promise((resolve) => setImmediate(resolve));
  t.ok(warnings.some((w) => w.name === 'CpuhpWarning' && (w as Error & { code?: string }).code === 'CPUHP_SOFT_LOCKUP' && /soft lockup: CPU 1 stuck/.test(w.message)), 'a process warning with its code says so, naming the CPU');
  t.equal(rt.stats().cpus[1]!.lockups, 1);
});

t.test('busy, waiting and offline CPUs are never taken for stuck; watchdogMs 0 turns it off', async (t) => {
  const rt = await startJobRuntime(t, { cpus: 3, watchdogMs: 1000 });
  const lockups: TraceEvent[] = [];
  rt.on('trace', (e) => {
    if (e.type === 'soft-lockup') lockups.push(e);
  });
  // CPU 0: cooperative threads busy all the time; CPU 1: a job awaiting for 3 s; CPU 2: down.
  const busy = await rt.kthreadCreateOnCpu(0, 'spinner');
  const waiting = rt.queueWork('gate', { gate: sharedInts(2), maxMs: 3000 }, { cpu: 1, affinity: 'strict' });
  await rt.cpuDown(2);
  t.equal(await waiting, 1, 'the waiting job ended on its own');
  t.ok(await rt.waitForIterations(busy, rt.kthreadInfo(busy).iterations + 1024, PATIENCE_MS));
  t.same(lockups, [], 'no lockup was reported');
  t.same(rt.stats().cpus.map((c) => c.lockups), [0, 0, 0]);

  const off = await startJobRuntime(t, { cpus: 2, watchdogMs: 0 });
  t.equal(await off.queueWork('spinForever', { maxMs: 1500 }, { cpu: 1, affinity: 'strict' }), 'spun out its cap', 'with the watchdog off a long synchronous job runs to its end');
  t.equal(off.cpuState(1), 'online');
});

t.test('drain() resolves once a job aborted while it ran is gone with its failed CPU (its slot was the last thing outstanding)', async (t) => {
  const rt = await startJobRuntime(t, { cpus: 2, watchdogMs: WATCHDOG_MS });
  const failed = traceEvent(rt, 'cpu-failed', (e) => e.cpu === 1);
  const started = sharedInts(1);
  const controller = new AbortController();
  const spinning = settle(rt.queueWork('spinForever', { maxMs: 60_000, started }, { cpu: 1, affinity: 'strict', signal: controller.signal }));
  t.ok(await waitForWord(started, 0, (v) => v === 1, PATIENCE_MS), 'the job spins on CPU 1');
  controller.abort();
  const outcome = await spinning;
  t.ok(!outcome.ok && outcome.error.code === 'ABORT_ERR', 'its promise rejects at once; the job itself runs on, holding the CPU');
  // Nothing is outstanding but that job's slot: drain waits for it, and the watchdog then fails the CPU.
  const drained = rt.drain({ timeoutMs: PATIENCE_MS });
  await failed;
  await t.resolves(drained, 'drain() resolves when the stuck CPU is failed and the slot is free');
  t.equal(rt.stats().jobs.lockedUp, 0, 'the job had settled already: it is not counted again');
});
