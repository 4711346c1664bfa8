/**
 * A short run with the original faults (failed steps, deaf threads, crashers, worker deaths)
 * stays clean under every strategy; a run that kills a worker settles every job as it ran.
 */

import t from 'tap';
import { runTorture } from '../../src/torture/engine.js';
import { STRATEGIES } from '../helpers.js';
import { base, ORIGINAL_FAULTS } from './settings.js';
for (const strategy of STRATEGIES) {
  t.test(`${strategy}: a short run with the original faults survives them and stays consistent`, async (t) => {
    const result = await runTorture({ ...base, strategy, ops: 160, failRate: 0.3, seed: 7, hotplugTimeoutMs: 1000, faults: ORIGINAL_FAULTS });
    t.same(result.violations, [], 'no violation');
    t.ok(result.counts.injectedCallbackFailures > 0, 'failures were injected into hotplug steps');
    t.ok(result.counts.rollbacks > 0, 'and rolled back');
    t.ok(result.counts.faultsSurvived > 0, 'the runtime survived them');
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
