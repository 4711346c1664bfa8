/**
 * GET /events on a live runtime: a snapshot first, the backlog, then the trace events and
 * snapshots that show a cpuDown; a stream opened with or without the token; the stream's
 * trace listener only while a stream is open.
 */

import t from 'tap';
import { BUILTIN_STATES } from '../../src/index.js';
import { startJobRuntime } from '../helpers.js';
import { EventStream } from './http-client.js';
import type { DashboardSnapshot, TraceBatch } from '../../src/dashboard/protocol.js';

t.test('/events: a snapshot, the backlog, then what a cpuDown does', async (t) => {
  const rt = await startJobRuntime(t);
  const d = await rt.serveDashboard({ intervalMs: 50 });
  t.equal(rt.listenerCount('trace'), 1, 'one trace listener while no page is open (operations, lockups, backlog)');
  await rt.cpuDown(1);
  await rt.cpuUp(1);

  const stream = await EventStream.open(d.port, { 'x-cpuhp-token': d.token });
  t.teardown(() => stream.close());
  t.equal(stream.status, 200);
  t.match(stream.headers['content-type'], /^text\/event-stream/);
  t.equal(stream.headers['cache-control'], 'no-store');
  const first = await stream.next(() => true);
  t.equal(first.name, 'snapshot', 'the first event is a snapshot');
  const snapshot = first.data as DashboardSnapshot;
  t.equal(snapshot.cpus.length, 2);
  t.equal(snapshot.controls, true, 'this stream holds the token');
  t.equal(snapshot.closed, false);
  t.same(snapshot.steps, BUILTIN_STATES, 'the steps failures can be injected at, bottom to top');
  t.ok(snapshot.threads.some((th) => th.group === 'kworker/%u'), 'the kworkers, in their group');
  const backlog = await stream.next(() => true, 1);
  t.equal(backlog.name, 'trace', 'then the backlog');
  const events = (backlog.data as TraceBatch).events;
  t.ok(events.some((e) => e.type === 'cpu-state' && e.cpu === 1 && e.state === 'offline'), 'it holds the cpuDown that happened before the page opened');
  t.equal(rt.listenerCount('trace'), 2, 'the stream adds its own listener');

  const from = stream.events.length;
  await rt.cpuDown(1);
  const trace = await stream.next((e) => e.name === 'trace' && e.data.events.some((ev) => ev.type === 'cpu-state' && ev.cpu === 1 && ev.state === 'offline'), from);
  t.ok(trace, 'a trace batch carries the CPU going offline');
  const offline = await stream.next((e) => e.name === 'snapshot' && e.data.cpus[1]!.state === 'offline', from);
  t.ok(offline, 'a snapshot shows CPU 1 offline');
  const ops = await stream.next((e) => e.name === 'snapshot' && e.data.operations.some((o) => o.op === 'cpuDown' && o.cpu === 1 && o.ok), from);
  const op = (ops.data as DashboardSnapshot).operations.find((o) => o.op === 'cpuDown')!;
  t.ok(op.ms > 0, `the operation's time (${op.ms.toFixed(2)} ms)`);
  const seqs = stream.events.filter((e) => e.name === 'snapshot').map((e) => (e.data as DashboardSnapshot).seq);
  t.ok(seqs.every((s, i) => i === 0 || s > seqs[i - 1]!), 'seq increases');

  // Snapshots taken once CPU 1 was down: its heartbeat stands still in every one, CPU 0's ticks.
  const after = stream.events.length;
  const ticking = await stream.next((e) => e.name === 'snapshot' && e.data.cpus[0]!.heartbeatPerSec > 0, after);
  t.ok(ticking, "an online CPU's heartbeat ticks");
  const dormant = stream.events.slice(after).filter((e) => e.name === 'snapshot').map((e) => (e.data as DashboardSnapshot).cpus[1]!.heartbeatPerSec);
  t.ok(dormant.length > 0 && dormant.every((rate) => rate === 0), "a dormant CPU's stands still");

  stream.close();
  await new Promise((resolve) => setTimeout(resolve, 100));
  for (let i = 0; i < 100 && rt.listenerCount('trace') > 1; i++) await new Promise((resolve) => setTimeout(resolve, 50));
  t.equal(rt.listenerCount('trace'), 1, 'the stream\'s listener goes with it');
  await rt.cpuUp(1);
});

t.test('/events with publicView and no token: no controls; with the cookie: controls', async (t) => {
  const rt = await startJobRuntime(t);
  const d = await rt.serveDashboard({ publicView: true });
  const anonymous = await EventStream.open(d.port, {});
  t.teardown(() => anonymous.close());
  t.equal(((await anonymous.next(() => true)).data as DashboardSnapshot).controls, false);
  const page = await EventStream.open(d.port, { cookie: `cpuhp_dashboard_${d.port}=${d.token}` });
  t.teardown(() => page.close());
  t.equal(((await page.next(() => true)).data as DashboardSnapshot).controls, true);
  const refused = await EventStream.open(d.port, { cookie: `cpuhp_dashboard_${d.port}=${'f'.repeat(32)}` });
  t.equal(refused.status, 200, 'a wrong cookie is only no token, and publicView reads need none');
  refused.close();
});
