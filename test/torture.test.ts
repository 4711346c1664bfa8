/**
 * Torture must find bugs: with the runtime's planted race (a CPU declared dead before its
 * last running thread parked) a fixed seed is caught within a bounded number of operations,
 * with the seed's trace; the same seed without the race runs clean. A short run with the
 * original faults (failed steps, deaf threads, crashers, worker deaths) stays clean under
 * every strategy, and so must one with every fault: states whose callbacks fail, rollbacks
 * that fail, hostile job results, a throwing trace listener, spinning jobs for the
 * watchdog, jobs longer than the hotplug timeout, forged handles. And a real hang (an
 * operation that never settles) is reported, named, however loaded the machine is.
 */

import t from 'tap';
import { ALL_FAULTS, runTorture, type TortureSettings } from '../src/torture/engine.js';
import type { FaultName } from '../src/torture/faults.js';
import { boundFor } from '../src/torture/bounds.js';
import { ProgressClock } from '../src/torture/progress-clock.js';
import { STRATEGIES } from './helpers.js';

const base: TortureSettings = {
  strategy: 'park',
  cpus: 3,
  threadsPerCpu: 2,
  durationMs: undefined,
  ops: 60,
  onoffIntervalMs: 5,
  onoffHoldoffMs: 0,
  failRate: 0,
  seed: 1,
  hotplugTimeoutMs: 5000,
  plantedRace: false,
  keepTrace: false,
  watchdog: true,
  faults: ALL_FAULTS,
  plantedHang: false,
};

/** The faults torture injected before it had the state, hostile-job, listener, watchdog, long-job and forged-handle faults. */
const ORIGINAL_FAULTS: readonly FaultName[] = ['hotplug-failures', 'deaf', 'crashers', 'kills'];

for (const strategy of STRATEGIES.filter((s) => s !== 'recreate')) {
  t.test(`${strategy}: the planted race is caught within 60 operations, with a trace`, async (t) => {
    const result = await runTorture({ ...base, strategy, plantedRace: true });
    t.notOk(result.ok, 'the run reports a violation');
    t.match(result.violations[0]?.what, /ran \d+ units of work while their CPU was not online/);
    t.ok(result.operations <= 60, `caught after ${result.operations} operations`);
    t.ok(result.trace.length >= 1, 'the operations that led to it are named');
    t.ok(
      result.trace.some((op) => /^cpuDown/.test(op.op)),
      'the trace contains the CPU down that declared the CPU dead too early',
    );
  });

  t.test(`${strategy}: the same seed without the planted race runs clean`, async (t) => {
    const result = await runTorture({ ...base, strategy });
    t.same(result.violations, [], 'no violation');
    t.ok(result.ok);
    t.equal(result.operations, 60, 'every operation ran');
    t.ok(result.counts.offlineSuccesses > 0 && result.counts.onlineSuccesses > 0, 'CPUs went down and up');
  });
}

for (const strategy of STRATEGIES) {
  t.test(`${strategy}: a short run with the original faults survives them and stays consistent`, async (t) => {
    const result = await runTorture({ ...base, strategy, ops: 160, failRate: 0.3, seed: 7, hotplugTimeoutMs: 1000, faults: ORIGINAL_FAULTS });
    t.same(result.violations, [], 'no violation');
    t.ok(result.counts.injectedCallbackFailures > 0, 'failures were injected into hotplug steps');
    t.ok(result.counts.rollbacks > 0, 'and rolled back');
    t.ok(result.counts.faultsSurvived > 0, 'the runtime survived them');
  });
}

for (const strategy of STRATEGIES) {
  t.test(`${strategy}: a short run with every fault survives them and stays consistent`, async (t) => {
    // By time rather than by operations: the kthread and forged-handle actors would use up an
    // operation count before CPUs went down and up often enough for the faults to meet.
    const result = await runTorture({ ...base, strategy, ops: undefined, durationMs: 10_000, onoffIntervalMs: 10, failRate: 0.3, seed: 5, hotplugTimeoutMs: 1000 });
    t.same(result.violations, [], 'no violation');
    const { counts } = result;
    t.ok(counts.statesAdded + counts.setupFailures > 0, 'the state actor set states up, or had them fail as injected');
    t.ok(counts.hostileResults > 0, "hostile job results were rejected as 'threw'");
    t.ok(counts.listenerThrows > 0, 'the trace listener threw');
    t.equal(counts.listenerWarnings, 1, 'and the runtime warned once for that listener (every throw is counted in stats(), checked by the run)');
    t.ok(counts.longJobs > 0, 'a job longer than the hotplug timeout ran while its CPU was taken down');
    t.ok(counts.forgedHandles > 0, 'forged and foreign handles were refused');
    t.equal(counts.jobsCompleted + counts.jobsRejected, counts.jobsQueued, 'every job settled: completed, or rejected as promised');
  });
}

t.test('a run with injected faults kills a CPU worker with a job, brings the CPU back, and every job settles as it ran', async (t) => {
  // The holdoff keeps the onoff actor away while the first job operation kills a worker.
  const result = await runTorture({ ...base, ops: 120, failRate: 0.2, seed: 11, onoffHoldoffMs: 5000, hotplugTimeoutMs: 2000, faults: ORIGINAL_FAULTS });
  t.same(result.violations, [], 'no violation, the end-of-run job check included');
  t.ok(result.counts.workerDeaths >= 1, 'a worker died');
  t.ok(result.counts.jobsQueued > 0, 'jobs were queued');
  t.equal(result.counts.jobsCompleted + result.counts.jobsRejected, result.counts.jobsQueued, 'every job settled: completed, or rejected as promised');
});

t.test("a job that spins forever is caught by the watchdog: its CPU fails, the job is rejected as a 'soft-lockup', and the CPU comes back", async (t) => {
  // The holdoff keeps the onoff actor away until the watchdog has caught the job (its CPU
  // cannot go down first); then it brings the failed CPU back up, as the end of the run does.
  const result = await runTorture({ ...base, ops: undefined, durationMs: 10_000, onoffHoldoffMs: 6000, failRate: 0.3, seed: 3, hotplugTimeoutMs: 1000, faults: ['lockups'] });
  t.same(result.violations, [], 'no violation: every other job ran once, every CPU came back');
  t.ok(result.counts.lockups >= 1, "the spinning job was rejected as a 'soft-lockup'");
  t.equal(result.counts.jobsCompleted + result.counts.jobsRejected, result.counts.jobsQueued, 'every job settled: completed, or rejected as promised');
});

t.test('an operation that never settles is reported as hung, by name', async (t) => {
  const result = await runTorture({ ...base, ops: 400, hotplugTimeoutMs: 1000, plantedHang: true });
  t.notOk(result.ok, 'the run reports a violation');
  t.match(result.violations[0]?.what, /planted to never settle \(test-only\) \(planted\) error: hung: did not finish within \d+ ms of controller progress/);
  t.ok(
    result.trace.some((op) => /planted to never settle/.test(op.op) && /^error: hung/.test(op.outcome)),
    'the trace names the hung operation',
  );
});

t.test("an operation's hang bound covers the runtime's own worst case, a fresh worker's module load included", async (t) => {
  const inputs = { hotplugTimeoutMs: 1000, cpus: 3, steps: 4, perCpuGroups: 2, recreate: false, watchdogMs: 3000 };
  const hotplug = boundFor('hotplug', inputs);
  t.ok(hotplug.progressMs > 30_000 + 4 * 1000, 'a cpuUp may wait 30 s for a fresh worker, then a timeout per step');
  t.ok(hotplug.capMs > hotplug.progressMs, 'the wall-clock cap is far above');
  t.ok(boundFor('hotplug', { ...inputs, steps: 8 }).progressMs > hotplug.progressMs, 'more states, a longer bound');
});

t.test('the progress clock does not advance while the event loop is blocked', async (t) => {
  const clock = new ProgressClock();
  t.teardown(() => clock.close());
  await clock.sleep(100); // running
  const before = clock.now();
  const until = performance.now() + 1000;
  while (performance.now() < until); // the loop runs nothing for 1 s
  await clock.sleep(1); // the next tick
  t.ok(clock.now() - before < 500, `a 1 s block of the loop advanced the clock ${clock.now() - before} ms, far less`);
});
