/** The torture timeline: runtime events and operations become the tracks docs/torture.md describes. */

import t from 'tap';
import type { TraceEvent, TraceEventBody } from '../src/index.js';
import { toChromeTrace, type ChromeEvent } from '../src/torture/perfetto.js';
import type { OpRecord } from '../src/torture/oplog.js';

/** An event as a runtime emits it, stamped at `ts`: each line states the fields its type has, and the compiler holds it to them. */
const at = (ts: number, body: TraceEventBody): TraceEvent => ({ ...body, ts });

/** The spans of one track, by the name the metadata gave it. */
function spans(events: readonly ChromeEvent[], track: string): Array<{ name: string; from: number; to: number }> {
  const named = events.find((e) => e.ph === 'M' && e.name === 'thread_name' && e.args.name === track);
  if (named === undefined) return [];
  return events
    .filter((e): e is Extract<ChromeEvent, { ph: 'X' }> => e.ph === 'X' && e.pid === named.pid && e.tid === named.tid)
    .map((e) => ({ name: e.name, from: e.ts / 1000, to: (e.ts + e.dur) / 1000 }));
}

t.test('a CPU going down and up: state spans, a per-thread "CPU n down" span, hotplug steps and the operation', async (t) => {
  const events: TraceEvent[] = [
    at(10, { type: 'cpu-state', cpu: 1, state: 'down-prepare' }),
    at(11, { type: 'hotplug', cpu: 1, step: 'smpboot:threads', direction: 'teardown', phase: 'begin' }),
    at(11, { type: 'park-cpu', cpu: 1, threads: ['kworker/1', 'spin/1'] }),
    at(15, { type: 'hotplug', cpu: 1, step: 'smpboot:threads', direction: 'teardown', phase: 'end' }),
    at(16, { type: 'cpu-state', cpu: 1, state: 'dying' }),
    at(16, { type: 'cpu-state', cpu: 1, state: 'dead' }),
    at(16, { type: 'jobs-moved', cpu: 1, toAnyCpu: 3, waitingForCpu: 0 }),
    at(18, { type: 'cpu-state', cpu: 1, state: 'offline' }),
    at(30, { type: 'cpu-state', cpu: 1, state: 'bringup' }),
    at(32, { type: 'cpu-state', cpu: 1, state: 'online' }),
    at(40, { type: 'cpu-failed', cpu: 0, error: 'it exited with code 70' }),
    at(40, { type: 'cpu-state', cpu: 0, state: 'failed' }),
  ];
  const ops: OpRecord[] = [{ seq: 1, actor: 'onoff', op: 'cpuDown(1)', at: 9, endedAt: 19, outcome: 'ok' }];
  const { traceEvents } = toChromeTrace({ events, ops }, { cpus: 2, endMs: 50 });

  t.same(
    spans(traceEvents, 'CPU 1 state').map((s) => [s.name, s.from, s.to]),
    [
      ['online', 9, 10],
      ['down-prepare', 10, 16],
      ['dying', 16, 16],
      ['dead', 16, 18],
      ['offline', 18, 30],
      ['bringup', 30, 32],
      ['online', 32, 50],
    ],
    'one span per state of CPU 1, the first from the start of the timeline (its earliest operation)',
  );
  t.same(spans(traceEvents, 'CPU 0 state').map((s) => s.name), ['online', 'failed'], 'CPU 0 ends failed');
  for (const thread of ['kworker/1', 'spin/1']) {
    t.same(spans(traceEvents, `${thread} (CPU down)`), [{ name: 'CPU 1 down', from: 11, to: 32 }], `${thread} is parked with its CPU until it is online again, on a track of its own`);
    t.same(spans(traceEvents, thread), [], 'its own track has only its parks by hand');
  }
  t.same(spans(traceEvents, 'CPU 1 hotplug').map((s) => s.name), ['smpboot:threads teardown']);
  t.same(spans(traceEvents, 'onoff'), [{ name: 'cpuDown(1)', from: 9, to: 19 }]);
  const instants = traceEvents.filter((e) => e.ph === 'i').map((e) => e.name);
  t.ok(instants.includes('worker died') && instants.includes('jobs moved'), 'worker deaths and job moves are instants on the CPU track');
});

t.test("a thread parked by hand: a 'parked' span to its unpark, and its life as instants on its own track", async (t) => {
  const events: TraceEvent[] = [
    at(1, { type: 'create', cpu: 0, thread: 'spin/0' }),
    at(5, { type: 'park', cpu: 0, thread: 'spin/0' }),
    at(6, { type: 'parked', cpu: 0, thread: 'spin/0' }),
    at(9, { type: 'unpark', cpu: 0, thread: 'spin/0' }),
    at(12, { type: 'parked', cpu: 0, thread: 'spin/0' }),
    at(20, { type: 'stop', cpu: 0, thread: 'spin/0' }),
    at(21, { type: 'exit', cpu: 0, thread: 'spin/0', ok: false, error: 'boom' }),
    at(22, { type: 'percpu-exit', cpu: 0, thread: 'kworker/0' }),
  ];
  const { traceEvents } = toChromeTrace({ events, ops: [] }, { cpus: 1, endMs: 30 });
  t.same(spans(traceEvents, 'spin/0'), [
    { name: 'parked', from: 6, to: 9 },
    { name: 'parked', from: 12, to: 21 },
  ], 'parked from each acknowledgement to the unpark, or to the exit');
  const instants = traceEvents.filter((e): e is Extract<ChromeEvent, { ph: 'i' }> => e.ph === 'i' && e.cat === 'kthread');
  t.same(instants.map((e) => e.name), ['create', 'park', 'unpark', 'stop', 'exit'], 'create, park, unpark, stop and exit are instants');
  t.same(instants.at(-1)?.args, { cpu: 0, ok: false, error: 'boom' }, "an instant's args are the event's own fields beyond its thread");
  t.notOk(spans(traceEvents, 'kworker/0').length, 'an event drawn on no track makes none');
});
