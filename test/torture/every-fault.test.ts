/**
 * A short run with every fault stays clean under every strategy: states whose callbacks
 * fail, rollbacks that fail, hostile job results, a throwing trace listener, spinning jobs
 * for the watchdog, jobs longer than the hotplug timeout, forged handles.
 */

import t from 'tap';
import { runTorture } from '../../src/torture/engine.js';
import { STRATEGIES } from '../helpers.js';
import { base } from './settings.js';
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
