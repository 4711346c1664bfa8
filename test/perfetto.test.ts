/** The torture timeline: runtime events and operations become the tracks the README describes. */

import t from 'tap';
import type { TraceEvent } from '../src/index.js';
import { toChromeTrace, type ChromeEvent } from '../src/torture/perfetto.js';
import type { OpRecord } from '../src/torture/oplog.js';

// Events as a runtime emits them; the cast lets each line state only the fields its type has.
const event = (ts: number, type: TraceEvent['type'], cpu: number, extra: Record<string, unknown> = {}): TraceEvent => ({ ts, type, cpu, ...extra }) as TraceEvent;

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
    event(10, 'cpu-state', 1, { state: 'down-prepare' }),
    event(11, 'hotplug', 1, { step: 'smpboot:threads', direction: 'teardown', phase: 'begin' }),
    event(11, 'park-cpu', 1, { threads: ['kworker/1', 'spin/1'] }),
    event(15, 'hotplug', 1, { step: 'smpboot:threads', direction: 'teardown', phase: 'end' }),
    event(16, 'cpu-state', 1, { state: 'dying' }),
    event(16, 'cpu-state', 1, { state: 'dead' }),
    event(16, 'jobs-moved', 1, { toAnyCpu: 3, waitingForCpu: 0 }),
    event(18, 'cpu-state', 1, { state: 'offline' }),
    event(30, 'cpu-state', 1, { state: 'bringup' }),
    event(32, 'cpu-state', 1, { state: 'online' }),
    event(40, 'cpu-failed', 0, { error: 'it exited with code 70' }),
    event(40, 'cpu-state', 0, { state: 'failed' }),
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
    t.same(spans(traceEvents, thread), [{ name: 'CPU 1 down', from: 11, to: 32 }], `${thread} is parked with its CPU until it is online again`);
  }
  t.same(spans(traceEvents, 'CPU 1 hotplug').map((s) => s.name), ['smpboot:threads teardown']);
  t.same(spans(traceEvents, 'onoff'), [{ name: 'cpuDown(1)', from: 9, to: 19 }]);
  const instants = traceEvents.filter((e) => e.ph === 'i').map((e) => e.name);
  t.ok(instants.includes('worker died') && instants.includes('jobs moved'), 'worker deaths and job moves are instants on the CPU track');
});
