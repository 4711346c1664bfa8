/**
 * A timeline picture of a Chrome Trace Event file, such as `cpuhp torture --trace` writes
 * (src/torture/perfetto.ts), for where ui.perfetto.dev cannot be reached: one row per track
 * (each CPU's state and hotplug steps, each kthread, each torture actor), slices as bars
 * coloured by kind over time, nested or overlapping slices stacked in lanes within their
 * track, instants as marks. A Vega-Lite spec, rendered by svg.ts; drawn from the command line
 * by picture.ts (`node dist/bench/picture.js trace.json trace.svg`).
 */

import { basename } from 'node:path';
import type { TopLevelSpec } from 'vega-lite';
import { wrapLines } from './text-width.js';
import { readTimeline, type Slice, type Timeline } from './trace-timeline.js';

const WIDTH = 900;
/** Height of one lane, px. */
const ROW = 15;
/** Of a lane, the part a bar fills: the rest keeps neighbouring lanes apart. */
const BAR_TOP = 0.12;
const BAR_BOTTOM = 0.88;

/**
 * The colours of the kinds a cpuhp trace has, in legend order; a kind not listed (another
 * tool's trace) takes the next colour of a general palette.
 */
const KNOWN_KINDS: readonly (readonly [string, string])[] = [
  ['CPU online', '#54a24b'],
  ['CPU down-prepare', '#eeca3b'],
  ['CPU dying', '#f58518'],
  ['CPU dead', '#9d755d'],
  ['CPU offline', '#bab0ac'],
  ['CPU bringup', '#72b7b2'],
  ['CPU failed', '#e45756'],
  ['hotplug step', '#4c78a8'],
  ['hotplug step, failed', '#d62728'],
  ['hotplug step, rollback', '#b279a2'],
  ['parked', '#9ecae9'],
  ['CPU n down', '#d8d2cf'],
  ['operation', '#79706e'],
];
const OTHER_COLOURS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#bcbd22', '#aec7e8', '#ffbb78', '#98df8a', '#c5b0d5'];
/** Shapes for instants, by order of first appearance. */
const SHAPES = ['triangle-down', 'circle', 'square', 'diamond', 'cross', 'triangle-up', 'triangle-right', 'triangle-left', 'wedge', 'arrow'];

/**
 * What colours a slice: for cpuhp's categories the state, whether a hotplug step failed or
 * was a rollback, or what kept a kthread parked (CPU numbers folded into n); for any other
 * category the category itself (or the name, with none).
 */
export function sliceKind(slice: Pick<Slice, 'name' | 'cat' | 'args'>): string {
  switch (slice.cat) {
    case 'cpu-state':
      return `CPU ${slice.name}`;
    case 'hotplug':
      return slice.args.rollback === true ? 'hotplug step, rollback' : slice.args.outcome === 'failed' ? 'hotplug step, failed' : 'hotplug step';
    case 'kthread':
      return slice.name.replace(/\d+/g, 'n');
    default:
      return slice.cat === '' ? slice.name : slice.cat;
  }
}

/** Parsed JSON of a trace file (an object with traceEvents, or the bare array form) into a Timeline. */
export function parseTrace(input: object): Timeline {
  const events = Array.isArray(input) ? (input as unknown[]) : (input as { traceEvents?: unknown }).traceEvents;
  return readTimeline(Array.isArray(events) ? events : []);
}

interface Row {
  readonly label: string;
  readonly header: boolean;
}

export function traceSpec(timeline: Timeline, source: string): TopLevelSpec {
  // Rows top to bottom: a header row per process, then each track's lanes.
  const rows: Row[] = [];
  const firstRow: number[] = [];
  let process: string | undefined;
  for (const track of timeline.tracks) {
    if (track.process !== process) {
      process = track.process;
      rows.push({ label: process, header: true });
    }
    firstRow[track.index] = rows.length;
    for (let lane = 0; lane < track.lanes; lane++) rows.push({ label: lane === 0 ? `${track.name}${track.kind === 'async' ? ' (async)' : ''}` : '', header: false });
  }

  const kinds = [...new Set(timeline.slices.map(sliceKind))].sort((a, b) => {
    const [x, y] = [KNOWN_KINDS.findIndex(([k]) => k === a), KNOWN_KINDS.findIndex(([k]) => k === b)];
    return (x < 0 ? Infinity : x) - (y < 0 ? Infinity : y) || a.localeCompare(b);
  });
  let other = 0;
  const colours = kinds.map((kind) => KNOWN_KINDS.find(([k]) => k === kind)?.[1] ?? OTHER_COLOURS[other++ % OTHER_COLOURS.length]!);
  const instantNames = [...new Set(timeline.instants.map((i) => i.name))];
  const shapes = instantNames.map((_, i) => SHAPES[i % SHAPES.length]!);

  const bars = timeline.slices.map((s) => ({ start: s.startMs, end: s.endMs, top: firstRow[s.track]! + s.lane + BAR_TOP, bottom: firstRow[s.track]! + s.lane + BAR_BOTTOM, kind: sliceKind(s), name: s.name }));
  const marks = timeline.instants.map((i) => ({ at: i.atMs, y: firstRow[i.track]! + 0.5, name: i.name }));
  const headers = rows.flatMap((r, i) => (r.header ? [{ top: i, bottom: i + 1 }] : []));
  const separators = timeline.tracks.map((t) => ({ y: firstRow[t.index]! }));
  const labelled = rows.flatMap((r, i) => (r.label === '' ? [] : [i + 0.5]));
  // Axis labels by position: the rows' labels as one lookup, keyed by the row's middle.
  const labels = JSON.stringify(Object.fromEntries(rows.flatMap((r, i) => (r.label === '' ? [] : [[String(i + 0.5), r.label]]))));
  const bold = JSON.stringify(rows.flatMap((r, i) => (r.header ? [i + 0.5] : [])));
  const xDomain = [timeline.startMs, Math.max(timeline.endMs, timeline.startMs + 1)];
  const yDomain = [0, Math.max(rows.length, 1)];
  const x = { type: 'quantitative', title: 'ms on the trace clock (cpuhp torture: since the run began)', scale: { domain: xDomain, nice: false, zero: false } } as const;
  const y = { type: 'quantitative', title: null, scale: { domain: yDomain, reverse: true, nice: false, zero: false } } as const;

  const drawn = timeline.slices.length + timeline.instants.length;
  const left = [
    ...Object.entries(timeline.notDrawn).map(([ph, n]) => `${n} event(s) of phase '${ph}'`),
    ...(timeline.malformed > 0 ? [`${timeline.malformed} malformed event(s)`] : []),
  ];
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: `Timeline of ${basename(source)}`,
      subtitle: wrapLines(
        [
          `${timeline.tracks.length} tracks, ${timeline.slices.length} slices, ${timeline.instants.length} instants over ${Math.round(timeline.endMs - timeline.startMs)} ms; ` +
            'slices that nest or overlap are stacked in lanes within their track',
          ...(left.length > 0 ? [`not drawn: ${left.join(', ')}`] : []),
          ...(drawn === 0 ? ['the file has nothing to draw'] : []),
        ],
        WIDTH,
      ),
      anchor: 'start',
    },
    background: 'white',
    padding: 12,
    width: WIDTH,
    height: Math.max(rows.length, 1) * ROW,
    layer: [
      {
        data: { values: headers },
        mark: { type: 'rect', color: '#f0f0f0' },
        encoding: { y: { ...y, field: 'top' }, y2: { field: 'bottom' }, x: { ...x, datum: xDomain[0] }, x2: { datum: xDomain[1] } },
      },
      {
        data: { values: separators },
        mark: { type: 'rule', color: '#ddd', strokeWidth: 0.5 },
        encoding: { y: { ...y, field: 'y' } },
      },
      {
        name: 'slice_bars',
        data: { values: bars },
        mark: { type: 'rect', stroke: 'white', strokeWidth: 0.3 },
        encoding: {
          x: { ...x, field: 'start' },
          x2: { field: 'end' },
          y: { ...y, field: 'top', axis: { values: labelled, labelExpr: `${labels}[toString(datum.value)]`, labelFontWeight: { expr: `indexof(${bold}, datum.value) >= 0 ? 'bold' : 'normal'` }, ticks: false, grid: false, domain: false, labelLimit: 220, labelOverlap: false, tickCount: labelled.length } },
          y2: { field: 'bottom' },
          color: { field: 'kind', type: 'nominal', title: 'slices', scale: { domain: kinds, range: colours }, legend: { orient: 'right', symbolType: 'square' } },
        },
      },
      {
        name: 'instant',
        data: { values: marks },
        mark: { type: 'point', filled: true, color: 'black', size: 30, opacity: 0.8 },
        encoding: {
          x: { ...x, field: 'at' },
          y: { ...y, field: 'y' },
          shape: { field: 'name', type: 'nominal', title: 'instants', scale: { domain: instantNames, range: shapes }, legend: { orient: 'right' } },
        },
      },
    ],
    config: { title: { fontSize: 13 }, axis: { labelFontSize: 10 } },
  };
}
