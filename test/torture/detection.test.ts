/**
 * What torture detects on its own: a job that spins forever is caught by the watchdog, and
 * a real hang (an operation that never settles) is reported, named, however loaded the
 * machine is: its bounds cover the runtime's own worst case, on a clock of controller progress.
 */

import t from 'tap';
import { runTorture } from '../../src/torture/engine.js';
import { boundFor } from '../../src/torture/bounds.js';
import { ProgressClock } from '../../src/torture/progress-clock.js';
import { base } from './settings.js';
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
  t.ok(hotplug.progressMs > 120_000 + 4 * 1000, 'a cpuUp may wait 120 s for a fresh worker, then a timeout per step');
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
