/**
 * rt.recordTrace(): an embedder records the runtime's timeline and gets Chrome Trace Event
 * JSON; and on every track of a real trace (the recorder's, and a torture run's), complete
 * slices nest or are disjoint, as the Trace Event Format requires.
 */

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import t from 'tap';
import type { ChromeEvent, ChromeTrace } from '../src/index.js';
import { runTorture } from '../src/torture/engine.js';
import { toChromeTrace as tortureTimeline } from '../src/torture/perfetto.js';
import { nestedLanes } from '../src/trace/perfetto.js';
import { PATIENCE_MS, startJobRuntime } from './helpers.js';
import { base } from './torture/settings.js';

type Slice = Extract<ChromeEvent, { ph: 'X' }>;

/** Whole nanoseconds, as the recorder keeps them: ts and ts + dur compare exactly. */
const ns = (us: number): number => Math.round(us * 1000);

/** The pairs of slices on one (pid, tid) track that overlap without nesting. */
function improperlyNested(trace: ChromeTrace): string[] {
  const tracks = new Map<string, Slice[]>();
  for (const e of trace.traceEvents) {
    if (e.ph !== 'X') continue;
    const key = `${e.pid}/${e.tid}`;
    tracks.set(key, [...(tracks.get(key) ?? []), e]);
  }
  const bad: string[] = [];
  for (const [key, slices] of tracks) {
    const sorted = slices.map((s) => ({ s, from: ns(s.ts), to: ns(s.ts) + ns(s.dur) })).sort((a, b) => a.from - b.from || b.to - a.to);
    const open: typeof sorted = [];
    for (const slice of sorted) {
      while (open.length > 0 && open.at(-1)!.to <= slice.from) open.pop();
      const parent = open.at(-1);
      if (parent !== undefined && slice.to > parent.to) bad.push(`track ${key}: '${parent.s.name}' [${parent.from}, ${parent.to}] and '${slice.s.name}' [${slice.from}, ${slice.to}]`);
      open.push(slice);
    }
  }
  return bad;
}

/** The slices of the track named `name`. */
function slicesOf(trace: ChromeTrace, name: string): Slice[] {
  const track = trace.traceEvents.find((e) => e.ph === 'M' && e.name === 'thread_name' && e.args.name === name);
  if (track === undefined) return [];
  return trace.traceEvents.filter((e): e is Slice => e.ph === 'X' && e.pid === track.pid && e.tid === track.tid);
}

const overlap = (a: Slice, b: Slice): boolean => a.ts < b.ts + b.dur && b.ts < a.ts + a.dur;

t.test('the checker itself: it finds slices that overlap without nesting, and passes nested and touching ones', async (t) => {
  const slice = (name: string, ts: number, dur: number, tid = 1): Slice => ({ ph: 'X', name, cat: 'c', pid: 1, tid, ts, dur, args: {} });
  const trace = (...slices: Slice[]): ChromeTrace => ({ traceEvents: slices, displayTimeUnit: 'ms' });
  t.same(improperlyNested(trace(slice('a', 0, 10), slice('b', 2, 3), slice('c', 10, 5), slice('d', 10, 0))), [], 'nested, touching, and empty at an end');
  t.equal(improperlyNested(trace(slice('CPU 0 down', 509, 419), slice('parked', 534, 478))).length, 1, 'the overlap the torture trace had');
  t.same(improperlyNested(trace(slice('CPU 0 down', 509, 419), slice('parked', 534, 478, 2))), [], 'on two tracks, no overlap');
  const lanes = nestedLanes([
    { from: 0, to: 10 },
    { from: 5, to: 15 },
    { from: 6, to: 8 },
    { from: 15, to: 20 },
  ]);
  t.same(lanes, [[{ from: 0, to: 10 }, { from: 6, to: 8 }, { from: 15, to: 20 }], [{ from: 5, to: 15 }]], 'lanes: a span that would overlap moves to a second lane');
});

t.test('recordTrace: a thread parked by hand while its CPU goes down, recorded, on tracks that nest', async (t) => {
  const rt = await startJobRuntime(t, { cpus: 2 });
  const thread = await rt.kthreadCreateOnCpu(1, 'spinner', { name: 'spin/1' });
  const dir = mkdtempSync(join(tmpdir(), 'cpuhp-trace-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'timeline.json');
  const recording = rt.recordTrace({ path: pathToFileURL(file) });

  // Parked by hand, then its CPU goes down, then unparked, then the CPU comes up: the two
  // parks overlap and neither holds the other.
  await rt.kthreadPark(thread);
  await rt.cpuDown(1);
  await rt.kthreadUnpark(thread);
  await rt.cpuUp(1);
  t.equal(await rt.queueWork('increment', 1, { cpu: 1 }), 2);
  const stopped = recording.stop();
  t.equal(recording.stop(), stopped, 'stop() returns the same promise every time');
  const trace = await stopped;
  await rt.cpuDown(1); // after the stop: not recorded

  t.same(JSON.parse(readFileSync(file, 'utf8')), trace, 'the file holds the trace stop() resolved with');
  t.same(improperlyNested(trace), [], 'on every track, slices nest or are disjoint');
  const [parked] = slicesOf(trace, 'spin/1');
  const [down] = slicesOf(trace, 'spin/1 (CPU down)');
  t.match(parked, { name: 'parked', args: { endedBy: 'unpark' } }, "the thread's own track: its park by hand");
  t.match(down, { name: 'CPU 1 down', args: { endedBy: 'CPU online' } }, 'its CPU-down track: the park of its CPU');
  t.ok(parked !== undefined && down !== undefined && overlap(parked, down) && parked.ts < down.ts && parked.ts + parked.dur < down.ts + down.dur, 'the two parks overlap without nesting: they could not share a track');
  t.same(
    slicesOf(trace, 'CPU 1 state').map((s) => s.name),
    ['online', 'down-prepare', 'dying', 'dead', 'offline', 'bringup', 'online'],
    'CPU 1 from its state at the start of the recording, and nothing after the stop',
  );
  t.same(slicesOf(trace, 'CPU 0 state').map((s) => s.name), ['online'], 'CPU 0 stayed online');
  t.ok(slicesOf(trace, 'CPU 1 hotplug').length >= 4, 'the hotplug steps of CPU 1 down and up');
});

t.test('recordTrace: arguments and a file that cannot be written are typed errors', async (t) => {
  const rt = await startJobRuntime(t, { cpus: 1 });
  const dir = mkdtempSync(join(tmpdir(), 'cpuhp-trace-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const invalid = { name: 'ConfigError', code: 'ERR_CPUHP_INVALID_ARG' };
  const cases: Array<[unknown, RegExp]> = [
    [5, /recordTrace\(options\): options must be an object with any of path/],
    [null, /options must be an object/],
    [{ file: 'x.json' }, /unknown option 'file' in recordTrace options; the options are: path/],
    [{ path: '' }, /options\.path must be the path or file: URL of a file to write, got an empty string/],
    [{ path: 7 }, /options\.path must be the path or file: URL of a file to write, got 7/],
    [{ path: Symbol('p') }, /options\.path must be the path/],
    [{ path: dir }, /options\.path: .* is a directory/],
    [{ path: join(dir, 'missing', 'x.json') }, /options\.path: the directory .*missing does not exist or is not writable/],
    [{ path: 'file://host/x.json' }, /options\.path is not a file path or file: URL/],
  ];
  for (const [options, message] of cases) t.throws(() => rt.recordTrace(options as never), { ...invalid, message }, message.source);

  const gone = mkdtempSync(join(tmpdir(), 'cpuhp-trace-'));
  const recording = rt.recordTrace({ path: join(gone, 'x.json') });
  rmSync(gone, { recursive: true, force: true });
  await t.rejects(recording.stop(), { name: 'CpuhpError', code: 'ERR_CPUHP_TRACE_WRITE', message: /could not be written .*record without a path/ }, 'its directory went away meanwhile');

  const unwritten = rt.recordTrace();
  await rt.shutdown();
  t.match(await unwritten.stop(), { displayTimeUnit: 'ms' }, 'a recording outlives a shutdown');
  t.throws(() => rt.recordTrace(), { name: 'CpuhpError', code: 'ERR_CPUHP_SHUT_DOWN' }, 'no recording starts after shutdown');
});

t.test("a torture run's timeline: on every track, slices nest or are disjoint", async (t) => {
  const result = await runTorture({ ...base, keepTrace: true, ops: 200, hotplugTimeoutMs: PATIENCE_MS });
  t.ok(result.timeline !== undefined, 'the run kept its timeline');
  const trace = tortureTimeline(result.timeline!, { cpus: result.settings.cpus, endMs: result.elapsedMs });
  t.same(improperlyNested(trace), [], 'no two slices of one track overlap without nesting');
  const names = new Set(trace.traceEvents.filter((e) => e.ph === 'X').map((e) => e.name));
  t.ok([...names].some((n) => /^CPU \d+ down$/.test(n)), 'threads were parked with their CPUs');
  t.ok(names.has('parked'), 'and by hand');
});
