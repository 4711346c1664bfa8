/**
 * The trace picture (bench/trace-timeline.ts, bench/trace-picture.ts) over made-up Chrome
 * trace files: every kind of slice it reads becomes a bar, nested and overlapping slices are
 * stacked in lanes of their own track and never drawn over each other, and what it does not
 * draw is counted, not lost silently.
 */

import t from 'tap';
import { parseTrace, sliceKind, traceSpec } from '../../bench/trace-picture.js';
import { renderSpec } from '../../bench/svg.js';
import { assignLanes, readTimeline } from '../../bench/trace-timeline.js';
import { placedItems } from './scenegraph.js';

const lanes = (spans: [number, number][]): number[] => {
  const placed = assignLanes(spans.map(([start, end], i) => ({ start, end, i })));
  return placed.sort((a, b) => a.slice.i - b.slice.i).map((p) => p.lane);
};

t.test('lanes: nested slices go below what holds them, overlapping ones beside, back to back ones share', async (t) => {
  t.same(lanes([[0, 10], [1, 9], [2, 3]]), [0, 1, 2], 'nested three deep');
  t.same(lanes([[0, 10], [5, 15]]), [0, 1], 'overlapping without nesting');
  t.same(lanes([[0, 1.0000000000001], [1, 2], [2, 3]]), [0, 0, 0], 'back to back, with the rounding a trace file has');
  // Q on lane 0 ends; P, begun meanwhile, is on lane 1; C inside P goes below P, not up into Q's free lane.
  t.same(lanes([[0, 5], [3, 20], [10, 12]]), [0, 1, 2], 'a slice stays below the slice that holds it');
  t.same(lanes([[0, 10], [2, 4], [6, 8]]), [0, 1, 1], 'siblings share the lane under their parent');
});

/** A trace with every phase the picture reads, out of order, and some it does not. */
const TRACE = {
  traceEvents: [
    { ph: 'M', name: 'process_name', pid: 2, tid: 0, args: { name: 'second' } },
    { ph: 'M', name: 'process_sort_index', pid: 2, tid: 0, args: { sort_index: 2 } },
    { ph: 'M', name: 'process_name', pid: 7, tid: 0, args: { name: 'first' } },
    { ph: 'M', name: 'process_sort_index', pid: 7, tid: 0, args: { sort_index: 1 } },
    { ph: 'M', name: 'thread_name', pid: 7, tid: 1, args: { name: 'late' } },
    { ph: 'M', name: 'thread_sort_index', pid: 7, tid: 1, args: { sort_index: 9 } },
    { ph: 'M', name: 'thread_name', pid: 7, tid: 2, args: { name: 'early' } },
    { ph: 'M', name: 'thread_sort_index', pid: 7, tid: 2, args: { sort_index: 1 } },
    // On 'early': a complete slice holding a B/E pair.
    { ph: 'X', name: 'outer', cat: 'work', pid: 7, tid: 2, ts: 1000, dur: 8000, args: {} },
    { ph: 'B', name: 'inner', cat: 'work', pid: 7, tid: 2, ts: 2000 },
    { ph: 'E', pid: 7, tid: 2, ts: 4000 },
    // On 'late': two slices that overlap without nesting, and an instant.
    { ph: 'X', name: 'a', cat: 'work', pid: 7, tid: 1, ts: 0, dur: 5000 },
    { ph: 'X', name: 'b', cat: 'work', pid: 7, tid: 1, ts: 3000, dur: 5000 },
    { ph: 'i', name: 'tick', cat: 'mark', pid: 7, tid: 1, ts: 3500, s: 't' },
    // Async in 'second': a slice and one nested in it with the same id, an async instant.
    { ph: 'b', name: 'request', cat: 'net', id: '0x1', pid: 2, tid: 5, ts: 500 },
    { ph: 'b', name: 'phase', cat: 'net', id: '0x1', pid: 2, tid: 5, ts: 700 },
    { ph: 'n', name: 'request', cat: 'net', id: '0x1', pid: 2, tid: 5, ts: 800 },
    { ph: 'e', name: 'phase', cat: 'net', id: '0x1', pid: 2, tid: 5, ts: 900 },
    { ph: 'e', name: 'request', cat: 'net', id: '0x1', pid: 2, tid: 5, ts: 9500 },
    // Still open at the end of the file: runs to its end.
    { ph: 'B', name: 'unfinished', cat: 'work', pid: 2, tid: 3, ts: 6000 },
    // Not drawn: a counter, and malformed events.
    { ph: 'C', name: 'jobs', pid: 7, tid: 1, ts: 100, args: { n: 3 } },
    null,
    { name: 'no phase', pid: 7, ts: 1 },
    { ph: 'X', name: 'no time', pid: 7, tid: 1, ts: Number.NaN, dur: 1 },
    { ph: 'E', pid: 7, tid: 9, ts: 10 },
  ],
};

t.test('the timeline reads every phase it draws, orders tracks as the file asks, counts the rest', async (t) => {
  const timeline = parseTrace(TRACE);
  t.same(
    timeline.tracks.map((tr) => [tr.process, tr.name, tr.kind, tr.lanes]),
    [
      ['first', 'early', 'thread', 2],
      ['first', 'late', 'thread', 2],
      ['second', 'thread 3', 'thread', 1],
      ['second', 'request', 'async', 2],
    ],
    'processes and threads by sort index; async tracks after a process threads',
  );
  const slices = timeline.slices.map((s) => [timeline.tracks[s.track]!.name, s.name, s.lane, s.startMs, s.endMs]);
  t.same(
    slices.sort((a, b) => String(a[1]).localeCompare(String(b[1]))),
    [
      ['late', 'a', 0, 0, 5],
      ['late', 'b', 1, 3, 8],
      ['early', 'inner', 1, 2, 4],
      ['early', 'outer', 0, 1, 9],
      ['request', 'phase', 1, 0.7, 0.9],
      ['request', 'request', 0, 0.5, 9.5],
      ['thread 3', 'unfinished', 0, 6, 9.5],
    ],
    'X, B/E and async slices, in ms, each on its lane; an open slice runs to the end of the file',
  );
  t.same(
    timeline.instants.map((i) => [timeline.tracks[i.track]!.name, i.name, i.atMs]),
    [
      ['late', 'tick', 3.5],
      ['request', 'request', 0.8],
    ],
  );
  t.same(timeline.notDrawn, { C: 1 });
  t.equal(timeline.malformed, 4, 'null, no phase, no time, and an E with no B');
  t.same([timeline.startMs, timeline.endMs], [0, 9.5]);
  t.same(readTimeline([]).tracks, [], 'an empty file has no tracks');
  t.same(parseTrace(TRACE.traceEvents).slices.length, timeline.slices.length, 'the bare array form reads the same');
});

t.test('the picture: a bar per slice inside its track, stacked slices apart, every track named', async (t) => {
  const timeline = parseTrace(TRACE);
  const spec = traceSpec(timeline, '/tmp/made-up.json');
  const bars = await placedItems(spec, ['slice_bars_marks']);
  t.equal(bars.length, timeline.slices.length, 'one bar per slice');
  // Two bars on the same track and time overlap in x: they must not overlap in y.
  const overlapping = bars.flatMap((a, i) =>
    bars.slice(i + 1).filter((b) => a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height).map((b) => `${String(a.datum.name)} over ${String(b.datum.name)}`),
  );
  t.same(overlapping, [], 'no bar drawn over another');
  const marks = await placedItems(spec, ['instant_marks']);
  t.equal(marks.length, 2, 'one mark per instant');
  const svg = await renderSpec(spec);
  const labels = ['first', 'early', 'late', 'second', 'thread 3', 'request (async)'];
  t.same(labels.filter((name) => !svg.includes(`>${name}</text>`)), [], 'every process and track labelled in the picture');
  t.match(JSON.stringify((spec.title as { subtitle: string[] }).subtitle), /not drawn: 1 event\(s\) of phase 'C', 4 malformed event\(s\)/);
  t.equal((spec.title as { text: string }).text, 'Timeline of made-up.json');
});

t.test("cpuhp's slices are coloured by what they are", async (t) => {
  t.equal(sliceKind({ cat: 'cpu-state', name: 'dying', args: {} }), 'CPU dying');
  t.equal(sliceKind({ cat: 'hotplug', name: 'smpboot:threads teardown', args: { outcome: 'ok', rollback: false } }), 'hotplug step');
  t.equal(sliceKind({ cat: 'hotplug', name: 'x startup (failed)', args: { outcome: 'failed', rollback: false } }), 'hotplug step, failed');
  t.equal(sliceKind({ cat: 'hotplug', name: 'x teardown (rollback)', args: { outcome: 'ok', rollback: true } }), 'hotplug step, rollback');
  t.equal(sliceKind({ cat: 'kthread', name: 'CPU 12 down', args: {} }), 'CPU n down', 'CPU numbers folded');
  t.equal(sliceKind({ cat: 'operation', name: 'cpuDown(1)', args: {} }), 'operation');
  t.equal(sliceKind({ cat: '', name: 'uncategorised', args: {} }), 'uncategorised', "another tool's slice without a category");
});
