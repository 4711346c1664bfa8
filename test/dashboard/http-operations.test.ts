/**
 * OperationTracker (operations.ts): which trace events begin and end an operation, for the
 * page's latency charts and the /metrics histograms. Synthetic events in the order the
 * runtime emits them (hotplug/cpu.ts, hotplug/machine.ts, kthread/kthread.ts).
 */

import t from 'tap';
import type { TraceEvent } from '../../src/index.js';
import { OperationTracker } from '../../src/dashboard/operations.js';
import type { OperationSample } from '../../src/dashboard/protocol.js';

function tracker(steps: string[]): { ops: OperationTracker; ended: OperationSample[] } {
  const ended: OperationSample[] = [];
  return { ops: new OperationTracker(() => steps.at(-1), (s) => ended.push(s)), ended };
}

const at = (ts: number, event: Record<string, unknown>): TraceEvent => ({ ts, ...event }) as unknown as TraceEvent;

t.test('a cpuDown ends when its CPU is offline; a cpuUp at the top step\'s startup end', async (t) => {
  const steps = ['cpuhp:bringup', 'cpuhp:dying', 'smpboot:threads', 'app:online'];
  const { ops, ended } = tracker(steps);
  for (const e of [
    at(10, { type: 'hotplug-begin', cpu: 1, direction: 'down' }),
    at(11, { type: 'cpu-state', cpu: 1, state: 'down-prepare' }),
    at(12, { type: 'cpu-state', cpu: 1, state: 'dying' }),
    at(13, { type: 'cpu-state', cpu: 1, state: 'dead' }),
    at(15, { type: 'cpu-state', cpu: 1, state: 'offline' }),
    at(20, { type: 'hotplug-begin', cpu: 1, direction: 'up' }),
    at(21, { type: 'cpu-state', cpu: 1, state: 'bringup' }),
    at(22, { type: 'hotplug', cpu: 1, step: 'smpboot:threads', direction: 'startup', phase: 'end' }),
    at(23, { type: 'cpu-state', cpu: 1, state: 'online' }),
    at(24, { type: 'hotplug', cpu: 1, step: 'app:online', direction: 'startup', phase: 'begin' }),
  ]) ops.observe(e);
  t.same(ended, [{ op: 'cpuDown', cpu: 1, ts: 15, ms: 5, ok: true }], 'the up is not done while a state above ONLINE still runs');
  ops.observe(at(27, { type: 'hotplug', cpu: 1, step: 'app:online', direction: 'startup', phase: 'end' }));
  t.same(ended.at(-1), { op: 'cpuUp', cpu: 1, ts: 27, ms: 7, ok: true });
  t.same(ops.counts.cpuDown, { ok: 1, failed: 0 });
  t.same(ops.counts.cpuUp, { ok: 1, failed: 0 });
  t.same(ops.take(), ended, 'take() gives the samples');
  t.same(ops.take(), [], 'once');
});

t.test('a rolled-back or failed operation ends not ok; a rollback\'s own step events do not end it', async (t) => {
  const { ops, ended } = tracker(['cpuhp:bringup', 'cpuhp:dying', 'smpboot:threads']);
  for (const e of [
    at(0, { type: 'hotplug-begin', cpu: 0, direction: 'down' }),
    at(1, { type: 'hotplug', cpu: 0, step: 'smpboot:threads', direction: 'teardown', phase: 'fail', error: 'injected' }),
    at(2, { type: 'hotplug', cpu: 0, step: 'smpboot:threads', direction: 'startup', phase: 'end' }),
    at(3, { type: 'cpu-state', cpu: 0, state: 'online' }),
    at(4, { type: 'rollback', cpu: 0, step: 'smpboot:threads' }),
    at(10, { type: 'hotplug-begin', cpu: 1, direction: 'up' }),
    at(12, { type: 'cpu-state', cpu: 1, state: 'failed' }),
    at(13, { type: 'cpu-failed', cpu: 1, error: 'worker exited' }),
  ]) ops.observe(e);
  t.same(ended, [
    { op: 'cpuDown', cpu: 0, ts: 4, ms: 4, ok: false },
    { op: 'cpuUp', cpu: 1, ts: 12, ms: 2, ok: false },
  ]);
  t.same(ops.counts.cpuDown, { ok: 0, failed: 1 });
  t.same(ops.counts.cpuUp, { ok: 0, failed: 1 });
  ops.observe(at(20, { type: 'cpu-state', cpu: 1, state: 'offline' }));
  ops.observe(at(21, { type: 'rollback', cpu: 0, step: 'x' }));
  t.equal(ended.length, 2, 'events outside an operation end nothing');
});

t.test('a park ends at its thread\'s parked; one that never parks is forgotten', async (t) => {
  const { ops, ended } = tracker([]);
  for (const e of [
    at(1, { type: 'park', cpu: 0, thread: 'a/0' }),
    at(2, { type: 'park', cpu: 1, thread: 'a/0' }),
    at(4, { type: 'parked', cpu: 1, thread: 'a/0' }),
    at(5, { type: 'exit', cpu: 0, thread: 'a/0', ok: true }),
    at(6, { type: 'parked', cpu: 0, thread: 'a/0' }),
  ]) ops.observe(e);
  t.same(ended, [{ op: 'park', cpu: 1, ts: 4, ms: 2, ok: true }], 'threads are told apart by CPU and name; an exit forgets a park');
  t.same(ops.counts.park, { ok: 1, failed: 0 });
});

t.test('samples not taken are bounded', async (t) => {
  const { ops } = tracker([]);
  for (let i = 0; i < 5000; i++) {
    ops.observe(at(i, { type: 'park', cpu: 0, thread: 't' }));
    ops.observe(at(i + 0.5, { type: 'parked', cpu: 0, thread: 't' }));
  }
  const kept = ops.peek();
  t.ok(kept.length <= 1000, `at most 1000 kept (${kept.length})`);
  t.equal(kept.at(-1)!.ts, 4999.5, 'the newest are kept');
  t.equal(ops.counts.park.ok, 5000, 'every one is counted');
});
