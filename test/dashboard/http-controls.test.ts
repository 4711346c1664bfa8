/**
 * A good control does what the runtime's own call does (rt.cpuState and rt.kthreadInfo
 * agree with the answer), and a refused or failed one answers the runtime's error.
 */

import t from 'tap';
import { CPUHP_AP_SMPBOOT_THREADS } from '../../src/index.js';
import { startJobRuntime } from '../helpers.js';
import { control, json } from './http-client.js';
import type { ControlAnswer } from '../../src/dashboard/protocol.js';

t.test('cpuDown, cpuUp, injectFailure: the runtime agrees', async (t) => {
  const rt = await startJobRuntime(t);
  const d = await rt.serveDashboard();

  const down = await control(d, { op: 'cpuDown', cpu: 1 });
  t.equal(down.status, 200);
  t.match(json<ControlAnswer>(down), { ok: true, op: 'cpuDown', cpuState: 'offline', ms: Number });
  t.equal(rt.cpuState(1), 'offline', 'rt.cpuState agrees');
  t.ok(rt.isDormant(1), 'and the CPU is dormant');

  const again = await control(d, { op: 'cpuDown', cpu: 1 });
  t.match(json<ControlAnswer>(again), { ok: true, cpuState: 'offline' }, 'a CPU already down: a no-op, as rt.cpuDown is');

  const up = await control(d, { op: 'cpuUp', cpu: 1 });
  t.match(json<ControlAnswer>(up), { ok: true, op: 'cpuUp', cpuState: 'online' });
  t.equal(rt.cpuState(1), 'online');

  // Bearer works as the header does.
  const bearer = await control(d, { op: 'injectFailure', cpu: 1, step: CPUHP_AP_SMPBOOT_THREADS }, { authorization: `Bearer ${d.token}` });
  t.match(json<ControlAnswer>(bearer), { ok: true, op: 'injectFailure', cpuState: 'online' });
  const failed = await control(d, { op: 'cpuDown', cpu: 1 });
  t.equal(failed.status, 409, 'the injected failure: 409');
  t.match(json<ControlAnswer>(failed), { ok: false, op: 'cpuDown', error: { code: 'ERR_CPUHP_STEP_FAILED', message: /smpboot:threads/ } });
  t.equal(rt.cpuState(1), 'online', 'rolled back to online');
  t.equal(rt.stats().cpus[1]!.rollbacks, 1, 'one rollback');
});

t.test('kthreadPark, kthreadUnpark, kthreadStop by thread id: the runtime agrees', async (t) => {
  const rt = await startJobRuntime(t);
  const d = await rt.serveDashboard();
  const thread = await rt.kthreadCreateOnCpu(1, 'spinner', { name: 'spin/1' });

  const park = await control(d, { op: 'kthreadPark', thread: thread.id });
  t.equal(park.status, 200);
  t.match(json<ControlAnswer>(park), { ok: true, op: 'kthreadPark', threadState: 'parked' });
  t.equal(rt.kthreadInfo(thread).state, 'parked', 'rt.kthreadInfo agrees');

  const unpark = await control(d, { op: 'kthreadUnpark', thread: thread.id });
  t.match(json<ControlAnswer>(unpark), { ok: true, op: 'kthreadUnpark' });
  t.not(rt.kthreadInfo(thread).state, 'parked', 'no longer parked');
  t.ok(await rt.waitForIterations(thread, rt.kthreadInfo(thread).iterations + 1, 20_000), 'and it runs again');

  const stop = await control(d, { op: 'kthreadStop', thread: thread.id });
  t.match(json<ControlAnswer>(stop), { ok: true, op: 'kthreadStop', threadState: 'exited' });
  t.notOk(rt.kthreadList().some((h) => h.id === thread.id), 'the thread is gone from rt.kthreadList');
  t.throws(() => rt.kthreadInfo(thread), { code: 'ERR_CPUHP_THREAD_GONE' }, 'and its handle says so');

  const gone = await control(d, { op: 'kthreadPark', thread: thread.id });
  t.equal(gone.status, 404, 'a stopped thread is not found');

  // A kworker runs the CPU's jobs: the runtime refuses to park it by hand, and so does the page.
  const kworker = rt.kthreadList(1).find((h) => h.fn !== 'spinner');
  t.ok(kworker, 'CPU 1 has a kworker');
  const refused = await control(d, { op: 'kthreadPark', thread: kworker!.id });
  t.equal(refused.status, 409);
  t.match(json<ControlAnswer>(refused), { ok: false, op: 'kthreadPark', error: { code: 'ERR_CPUHP_KWORKER' } });
  t.not(rt.kthreadInfo(kworker!).state, 'parked', 'the kworker is not parked');
});

t.test('a control refused by a runtime that was shut down', async (t) => {
  const rt = await startJobRuntime(t);
  const d = await rt.serveDashboard();
  // The dashboard closes with the runtime, so nothing answers afterwards.
  await rt.shutdown();
  await t.rejects(control(d, { op: 'cpuUp', cpu: 1 }), { code: 'ECONNREFUSED' }, 'the dashboard closed with the runtime');
  await t.rejects(rt.serveDashboard(), { name: 'CpuhpError', code: 'ERR_CPUHP_SHUT_DOWN' }, 'and a runtime shut down serves no new one');
});
