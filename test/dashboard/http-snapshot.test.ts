/**
 * What GET /api/snapshot shows: a CPU stuck in a job coloured 'lockup' (and no longer once
 * it ticks again), threads as the page shows them, jobs, and a torture's view once shown.
 */

import t from 'tap';
import { showTorture } from '../../src/dashboard/torture-view.js';
import { PATIENCE_MS, startJobRuntime } from '../helpers.js';
import { EventStream, json, request } from './http-client.js';
import type { DashboardSnapshot, TortureView } from '../../src/dashboard/protocol.js';
import type { Dashboard } from '../../src/index.js';

async function snapshot(d: Dashboard): Promise<DashboardSnapshot> {
  const answer = await request(d.port, '/api/snapshot', { headers: { 'x-cpuhp-token': d.token } });
  if (answer.status !== 200) throw new Error(`/api/snapshot: ${answer.status} ${answer.text}`);
  return json<DashboardSnapshot>(answer);
}

async function until(d: Dashboard, what: string, matches: (s: DashboardSnapshot) => boolean): Promise<DashboardSnapshot> {
  const deadline = Date.now() + PATIENCE_MS;
  for (;;) {
    const s = await snapshot(d);
    if (matches(s)) return s;
    if (Date.now() > deadline) throw new Error(`no snapshot within ${PATIENCE_MS} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

t.test("a CPU stuck in a job is 'lockup' until it ticks again (onLockup 'warn')", async (t) => {
  const rt = await startJobRuntime(t, { watchdogMs: 100, onLockup: 'warn' });
  const d = await rt.serveDashboard();
  const job = rt.queueWork('spin', { ms: 3000 }, { cpu: 1, affinity: 'strict' });
  const stuck = await until(d, 'CPU 1 in lockup', (s) => s.cpus[1]!.state === 'lockup');
  t.equal(stuck.cpus[1]!.lockups >= 1, true, 'its lockups are counted');
  t.equal(rt.cpuState(1), 'online', "the runtime's own state is online ('warn' leaves the CPU as it is)");
  t.equal(await job, 1, 'the job ends');
  await until(d, 'CPU 1 online again once it ticks', (s) => s.cpus[1]!.state === 'online');
  t.pass('no longer lockup');
});

t.test('threads as shown, jobs, and the torture view', async (t) => {
  const rt = await startJobRuntime(t);
  const d = await rt.serveDashboard({ intervalMs: 50 });
  const spinner = await rt.kthreadCreateOnCpu(0, 'spinner', { name: 'spin/0' });
  const sleeper = await rt.kthreadCreateOnCpu(1, 'sleeper', { name: 'sleep/1' });
  await rt.kthreadPark(spinner);
  await Promise.all(Array.from({ length: 10 }, (_, i) => rt.queueWork('increment', i)));

  const s = await snapshot(d);
  const spin = s.threads.find((th) => th.id === spinner.id)!;
  t.match(spin, { name: 'spin/0', cpu: 0, fn: 'spinner', state: 'parked', shown: 'parked', parks: 1, group: null });
  const sleep = s.threads.find((th) => th.id === sleeper.id)!;
  t.match(sleep, { name: 'sleep/1', cpu: 1, fn: 'sleeper', state: 'running' });
  t.ok(s.threads.some((th) => th.group === 'kworker/%u' && th.cpu === 1), 'the kworkers are listed, in their group');
  t.equal(s.jobs.completed, 10);
  t.equal(s.jobs.submitted, 10);
  t.ok(s.jobs.runMs !== null && s.jobs.waitMs !== null, 'wait and run times once jobs ran');
  t.equal(s.jobs.latency.count, 10);
  t.equal(s.cpus[0]!.ran + s.cpus[1]!.ran, 10, 'the jobs by CPU');
  t.equal(s.latency.park.count >= 1, true, 'the park latency');
  t.equal(s.torture, null, 'no torture until one is shown');
  t.equal(s.controls, true);
  t.ok(s.cpus.every((c) => c.utilization >= 0 && c.utilization <= 1), 'utilisation from 0 to 1');

  // Between two of the stream's snapshots, a thread that iterated is running, one that did not is sleeping.
  await rt.kthreadUnpark(spinner);
  const stream = await EventStream.open(d.port, { 'x-cpuhp-token': d.token });
  t.teardown(() => stream.close());
  const shown = await stream.next(
    (e) => e.name === 'snapshot' && e.data.threads.some((th) => th.id === sleeper.id && th.shown === 'sleeping') && e.data.threads.some((th) => th.id === spinner.id && th.shown === 'running'),
  );
  const spun = (shown.data as DashboardSnapshot).threads.find((th) => th.id === spinner.id)!;
  t.ok(spun.iterationsPerSec > 0, `the spinner iterates (${spun.iterationsPerSec.toFixed(0)}/s), the sleeper sleeps`);
  stream.close();

  const view: TortureView = { elapsedMs: 1000, durationMs: 60_000, operations: 42, counts: { cpuDown: 3 }, violations: 1, violation: 'CPU 1: a thread ran while it was down' };
  showTorture(d, () => view);
  t.same((await snapshot(d)).torture, view, 'the torture view, as given');
  showTorture(d, () => {
    throw new Error('broken view');
  });
  t.equal((await snapshot(d)).torture, null, 'a view that throws shows no torture rather than failing the page');
  t.throws(() => showTorture({ ...d }, () => view), { code: 'ERR_CPUHP_INVALID_ARG' }, 'a copy of a dashboard is refused');
  t.throws(() => showTorture(d, 'view' as never), { code: 'ERR_CPUHP_INVALID_ARG' }, 'a view that is not a function is refused');
});
