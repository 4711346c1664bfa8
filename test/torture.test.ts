/**
 * Torture must find bugs: with the runtime's planted race (a CPU declared dead before its
 * last running thread parked) a fixed seed is caught within a bounded number of operations,
 * with the seed's trace; the same seed without the race runs clean. And a short run with
 * injected faults stays clean under every strategy, worker deaths and jobs included.
 */

import t from 'tap';
import { ALL_FAULTS, runTorture, type TortureSettings } from '../src/torture/engine.js';
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
  t.test(`${strategy}: a short run with injected faults survives them and stays consistent`, async (t) => {
    const result = await runTorture({ ...base, strategy, ops: 160, failRate: 0.3, seed: 7, hotplugTimeoutMs: 1000 });
    t.same(result.violations, [], 'no violation');
    t.ok(result.counts.injectedCallbackFailures > 0, 'failures were injected into hotplug steps');
    t.ok(result.counts.rollbacks > 0, 'and rolled back');
    t.ok(result.counts.faultsSurvived > 0, 'the runtime survived them');
  });
}

t.test('a run with injected faults kills a CPU worker with a job, brings the CPU back, and every job settles as it ran', async (t) => {
  // The holdoff keeps the onoff actor away while the first job operation kills a worker.
  const result = await runTorture({ ...base, ops: 120, failRate: 0.2, seed: 11, onoffHoldoffMs: 5000, hotplugTimeoutMs: 2000 });
  t.same(result.violations, [], 'no violation, the end-of-run job check included');
  t.ok(result.counts.workerDeaths >= 1, 'a worker died');
  t.ok(result.counts.jobsQueued > 0, 'jobs were queued');
  t.equal(result.counts.jobsCompleted + result.counts.jobsRejected, result.counts.jobsQueued, 'every job settled: completed, or rejected as promised');
});
