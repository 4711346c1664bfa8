/**
 * GET /metrics, parsed from Prometheus's text format and checked against rt.stats().
 */

import t from 'tap';
import { register as globalRegistry } from 'prom-client';
import { CPUHP_AP_SMPBOOT_THREADS } from '../../src/index.js';
import { showTorture } from '../../src/dashboard/torture-view.js';
import { startJobRuntime } from '../helpers.js';
import { control, metric, parseMetrics, request } from './http-client.js';

t.test('/metrics agrees with stats()', async (t) => {
  const rt = await startJobRuntime(t);
  const d = await rt.serveDashboard();
  const scrape = async (): Promise<ReturnType<typeof parseMetrics>> => {
    const answer = await request(d.port, '/metrics', { headers: { 'x-cpuhp-token': d.token } });
    t.equal(answer.status, 200);
    t.match(answer.headers['content-type'], /^text\/plain; version=0\.0\.4/, "Prometheus's text format");
    return parseMetrics(answer.text);
  };

  // Work of every kind the metrics count: jobs, CPU downs and ups, a rolled-back down, a park.
  const N = 25;
  await Promise.all(Array.from({ length: N }, (_, i) => rt.queueWork('increment', i)));
  const downs = 3;
  for (let i = 0; i < downs; i++) {
    await rt.cpuDown(1);
    await rt.cpuUp(1);
  }
  rt.injectFailure(1, CPUHP_AP_SMPBOOT_THREADS);
  t.equal((await control(d, { op: 'cpuDown', cpu: 1 })).status, 409, 'an injected failure rolls a down back');
  const thread = await rt.kthreadCreateOnCpu(0, 'spinner', { name: 'spin/0' });
  await rt.kthreadPark(thread);
  await rt.cpuDown(1); // left down: the states differ by CPU

  const { samples, types } = await scrape();
  const stats = rt.stats();

  for (const c of stats.cpus) {
    for (const state of ['offline', 'bringup', 'online', 'down-prepare', 'dying', 'dead', 'failed']) {
      t.equal(metric(samples, 'cpuhp_cpu_state', { cpu: String(c.cpu), state }), c.state === state ? 1 : 0, `cpuhp_cpu_state CPU ${c.cpu} ${state}`);
    }
    t.equal(metric(samples, 'cpuhp_rollbacks_total', { cpu: String(c.cpu) }), c.rollbacks, `rollbacks of CPU ${c.cpu}`);
    t.equal(metric(samples, 'cpuhp_watchdog_lockups_total', { cpu: String(c.cpu) }), c.lockups, `lockups of CPU ${c.cpu}`);
    t.equal(metric(samples, 'cpuhp_job_queue_depth', { cpu: String(c.cpu) }), c.jobs.queued, `queue depth of CPU ${c.cpu}`);
  }
  t.equal(metric(samples, 'cpuhp_cpu_state', { cpu: '1', state: 'offline' }), 1, 'CPU 1 is offline');
  t.equal(metric(samples, 'cpuhp_rollbacks_total', { cpu: '1' }), 1, 'the rolled-back down');
  t.equal(metric(samples, 'cpuhp_job_queue_depth', { cpu: 'shared' }), 0, 'no job waits');

  t.equal(metric(samples, 'cpuhp_jobs_total', { outcome: 'completed' }), N, `${N} jobs completed`);
  t.equal(metric(samples, 'cpuhp_jobs_total', { outcome: 'completed' }), stats.jobs.completed, 'as stats() says');
  for (const outcome of ['threw', 'aborted', 'timedOut', 'refused', 'diedRunning', 'lockedUp', 'argsLost', 'shutdown'] as const) {
    t.equal(metric(samples, 'cpuhp_jobs_total', { outcome }), stats.jobs[outcome], `jobs ${outcome}`);
  }
  t.equal(metric(samples, 'cpuhp_jobs_submitted_total'), stats.jobs.submitted);
  t.equal(metric(samples, 'cpuhp_violations_total'), stats.violations);
  t.equal(metric(samples, 'cpuhp_violations_total'), 0);

  // The operations since the dashboard started: each down and up, the failed down, the last down.
  t.equal(metric(samples, 'cpuhp_hotplug_operations_total', { op: 'cpuDown', outcome: 'ok' }), downs + 1);
  t.equal(metric(samples, 'cpuhp_hotplug_operations_total', { op: 'cpuDown', outcome: 'failed' }), 1);
  t.equal(metric(samples, 'cpuhp_hotplug_operations_total', { op: 'cpuUp', outcome: 'ok' }), downs);
  t.equal(metric(samples, 'cpuhp_hotplug_operations_total', { op: 'cpuUp', outcome: 'failed' }), 0);
  t.equal(metric(samples, 'cpuhp_hotplug_latency_seconds_count', { op: 'cpuDown' }), downs + 1, 'the latency histogram counts the downs that succeeded');
  t.equal(metric(samples, 'cpuhp_hotplug_latency_seconds_count', { op: 'cpuDown' }), stats.latency.cpuDown.count, 'as stats().latency does');
  t.equal(metric(samples, 'cpuhp_hotplug_latency_seconds_count', { op: 'cpuUp' }), stats.latency.cpuUp.count);
  t.equal(metric(samples, 'cpuhp_hotplug_latency_seconds_bucket', { op: 'cpuUp', le: '+Inf' }), downs, 'the +Inf bucket holds every one');
  const sumMs = metric(samples, 'cpuhp_hotplug_latency_seconds_sum', { op: 'cpuDown' }) * 1000;
  t.ok(sumMs > 0 && sumMs <= (downs + 1) * stats.latency.cpuDown.maxMs * 1.5 + 50, `the sum of the down latencies (${sumMs.toFixed(2)} ms) is of the order stats() reports`);
  // stats().latency.park counts the parks of CPU downs too; the histogram, kthreadPark's only
  // (a CPU down's threads park with no 'parked' event each: its time is the down's).
  t.equal(metric(samples, 'cpuhp_kthread_park_latency_seconds_count'), 1, 'one kthreadPark');

  const parks = stats.kthreads.reduce((sum, k) => sum + k.parks, 0);
  t.equal(metric(samples, 'cpuhp_kthread_parks_total'), parks, 'parks: the sum over the threads listed');
  t.ok(parks >= 1 + downs, 'parks by hand and with CPU downs are counted');

  t.equal(types.get('cpuhp_cpu_state'), 'gauge');
  t.equal(types.get('cpuhp_hotplug_operations_total'), 'counter');
  t.equal(types.get('cpuhp_hotplug_latency_seconds'), 'histogram');
  t.equal(types.get('cpuhp_jobs_total'), 'counter');
  t.equal(types.get('cpuhp_job_queue_depth'), 'gauge');
  t.notOk(types.has('cpuhp_torture_violations'), 'no torture metric while no torture is shown');
  t.notOk(samples.some((s) => s.name.startsWith('process_') || s.name.startsWith('nodejs_')), "prom-client's default metrics are not collected");
  t.equal((await globalRegistry.getMetricsAsJSON()).filter((m) => m.name.startsWith('cpuhp_')).length, 0, "nothing in prom-client's global registry");

  // A thread that goes keeps its parks in the total.
  await rt.kthreadUnpark(thread);
  await rt.kthreadStop(thread);
  const after = (await scrape()).samples;
  t.equal(metric(after, 'cpuhp_kthread_parks_total'), parks, 'the stopped thread\'s parks still count');

  showTorture(d, () => ({ elapsedMs: 1, durationMs: null, operations: 2, counts: {}, violations: 3, violation: 'planted' }));
  const torture = (await scrape()).samples;
  t.equal(metric(torture, 'cpuhp_torture_violations'), 3, 'a torture shown: its violations');
});

t.test('two dashboards have registries of their own', async (t) => {
  const rt = await startJobRuntime(t);
  const a = await rt.serveDashboard();
  const b = await rt.serveDashboard();
  t.not(a.port, b.port);
  await rt.cpuDown(1);
  for (const d of [a, b]) {
    const { samples } = parseMetrics((await request(d.port, '/metrics', { headers: { 'x-cpuhp-token': d.token } })).text);
    t.equal(metric(samples, 'cpuhp_cpu_state', { cpu: '1', state: 'offline' }), 1, `port ${d.port}: CPU 1 offline`);
    t.equal(metric(samples, 'cpuhp_hotplug_operations_total', { op: 'cpuDown', outcome: 'ok' }), 1, `port ${d.port}: one down, counted once`);
  }
  t.not(a.token, b.token, 'each has its own random token');
  t.match(a.token, /^[0-9a-f]{32}$/, 'a default token: 32 hex characters');
});
