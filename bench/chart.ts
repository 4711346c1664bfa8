/**
 * The strategy benchmark as one picture: a Vega-Lite spec (rendered by svg.ts, which loads
 * vega only then). The same colour stands for a series in every panel; each panel is sized
 * by what it holds (a fixed step per bar), so the picture has no blank columns.
 *
 * Panels: the fast path, one facet per CPU count on its own scale (the ratio between series
 * at one CPU count is what is decided; a shared scale flattens the 1- and 2-CPU bars under
 * the oversubscribed 4-CPU ones); hotplug latency on a log scale (median bars, p99 ticks,
 * the controller's own JavaScript as a dark inner bar, the wake-up round trip as the floor);
 * throughput kept during churn against its 100% line, and the churn rate; latency by threads
 * per CPU; and Runtime.start against bare workers. The controllerPriority rows are two
 * settings of one strategy: the tables say them better than two bars would.
 */

import type { TopLevelSpec } from 'vega-lite';
import { BOUND, NO_CHECK } from './fast-path-ratios.js';
import { LOADS, type StrategyBenchResult } from './strategies.js';
import { renderSpec, type VegaLoader } from './svg.js';
import { wrapLines } from './text-width.js';

/** One view of the picture; derived from the public TopLevelSpec type. */
type Panel = Extract<TopLevelSpec, { vconcat: unknown }>['vconcat'][number];

/** Width of one bar, px. */
const BAR = 11;
const PANEL_HEIGHT = 150;
/** The picture's notes (warnings, skipped rows) are wrapped at this width, px: about the panels' own. */
const NOTES_WIDTH = 1000;
const OPERATIONS = ['cpuDown, idle', 'cpuDown, busy', 'cpuUp, idle', 'cpuUp, busy'] as const;
const START_SIDES = ['Runtime.start', 'bare workers'] as const;
/** Dashes of the reference lines; mutable, as vega-lite's types want. */
const DASHED: number[] = [4, 3];
const DOTTED: number[] = [2, 2];

const cpusLabel = (cpus: number): string => `${cpus} CPU${cpus === 1 ? '' : 's'}`;

/** Grid lines at each power of ten from `floor` to above `top`: vega's default log ticks crowd a short panel. */
function decades(floor: number, top: number): number[] {
  const values: number[] = [];
  for (let v = floor; v < top * 10; v *= 10) values.push(Number(v.toPrecision(1)));
  return values;
}

/** The power of ten at or below `value`: where bars on a log scale start (there is no zero). */
const decadeBelow = (value: number): number => 10 ** Math.floor(Math.log10(value));

function title(text: string, subtitle: string | string[]) {
  return { text, subtitle, anchor: 'start', subtitleColor: '#555' } as const;
}

export function chartSpec(result: StrategyBenchResult): TopLevelSpec {
  const s = result.settings;
  // Arrays are built apart: vega-lite's types take mutable arrays, which an `as const` literal is not.
  const series: string[] = [NO_CHECK, BOUND, ...s.strategies];
  const strategies: string[] = [...s.strategies];
  /** One colour scale for the whole picture (the start-time panel fills by its own scale), so one legend. */
  const color = { field: 'strategy', type: 'nominal', title: null, scale: { domain: series } } as const;
  const strategyOffset = { field: 'strategy', scale: { domain: strategies } } as const;
  const hotplugCpus = s.cpus.filter((n) => result.rows.some((r) => r.cpus === n && r.skipped === null));
  const cpusAxis = { field: 'CPUs', type: 'ordinal', title: 'CPUs', scale: { domain: hotplugCpus }, axis: { labelAngle: 0 } } as const;

  const top: Panel[] = [];

  const fastPath = [
    ...result.baselines.flatMap((b) => (b.fastPath === null ? [] : [{ cpus: b.cpus, strategy: NO_CHECK, value: b.fastPath.nsPerIteration.median }])),
    ...result.bound.flatMap((b) => (b.fastPath === null ? [] : [{ cpus: b.cpus, strategy: BOUND, value: b.fastPath.nsPerIteration.median }])),
    ...result.rows.flatMap((r) => (r.fastPath === null ? [] : [{ cpus: r.cpus, strategy: r.strategy, value: r.fastPath.nsPerIteration.median }])),
  ].map((d) => ({ ...d, facet: cpusLabel(d.cpus) }));
  if (fastPath.length > 0) {
    top.push({
      title: title('Fast path (lower is better)', [
        'median ns per loop iteration, each CPU count',
        'on its own scale; dashed: the no-check loop',
        ...(s.cpus.some((n) => n > result.cores) ? [`more CPUs than ${result.cores} cores: OS time-slicing`] : []),
      ]),
      data: { values: fastPath },
      facet: { column: { field: 'facet', title: null, sort: s.cpus.map(cpusLabel), header: { labelFontWeight: 'bold' } } },
      spec: {
        width: { step: BAR },
        height: PANEL_HEIGHT,
        layer: [
          {
            mark: 'bar',
            encoding: {
              x: { field: 'strategy', type: 'nominal', sort: series, axis: null, scale: { domain: series } },
              y: { field: 'value', type: 'quantitative', title: null },
              color,
            },
          },
          {
            transform: [{ filter: { field: 'strategy', equal: NO_CHECK } }],
            mark: { type: 'rule', strokeDash: DASHED, color: '#333' },
            encoding: { y: { field: 'value', type: 'quantitative' } },
          },
        ],
      },
      resolve: { scale: { y: 'independent' } },
    });
  }

  const latency = result.rows.flatMap((r) =>
    LOADS.flatMap((load) => {
      const h = r.hotplug[load];
      if (h === null) return [];
      return (['cpuDown', 'cpuUp'] as const).map((op) => ({
        CPUs: r.cpus,
        strategy: r.strategy,
        operation: `${op}, ${load}`,
        median: h[op].median,
        p99: h[op].p99,
        ...(h.controller === undefined ? {} : { controller: h.controller[op].median }),
      }));
    }),
  );
  if (latency.length > 0) {
    const floor = decadeBelow(Math.min(...latency.map((l) => Math.min(l.median, l.controller ?? Infinity)), result.wakeRoundTrip?.median ?? Infinity));
    const highest = Math.max(...latency.map((l) => l.p99));
    const ticks = decades(floor, highest);
    const domain = [floor, ticks[ticks.length - 1]!];
    const y = (field: string, axis: boolean) => ({ field, type: 'quantitative', title: 'ms', scale: { type: 'log', domain }, ...(axis ? { axis: { values: ticks } } : {}) }) as const;
    const floorRule = result.wakeRoundTrip === null ? [] : [{ mark: { type: 'rule', strokeDash: DOTTED, color: '#888' }, encoding: { y: { datum: result.wakeRoundTrip.median } } } as const];
    top.push({
      title: title('Hotplug latency, ms (log scale; lower is better)', [
        "bars: median; black ticks: p99; dark inner bars: the controller's own JavaScript (median)",
        ...(result.wakeRoundTrip === null ? [] : [`dotted line: one main↔worker wake-up round trip (median ${result.wakeRoundTrip.median} ms), the floor of a cpuDown`]),
      ]),
      data: { values: latency },
      facet: { column: { field: 'operation', title: null, sort: [...OPERATIONS], header: { labelFontWeight: 'bold' } } },
      spec: {
        width: { step: BAR, for: 'offset' },
        height: PANEL_HEIGHT,
        layer: [
          { name: 'latency_median', mark: 'bar', encoding: { x: cpusAxis, xOffset: strategyOffset, color, y: y('median', true), y2: { datum: floor } } },
          // A width in px, not { band }: vega-lite 6 offsets a band-wide bar by the CPU band, not the strategy's, and it lands a slot right.
          { name: 'latency_controller', mark: { type: 'bar', color: '#222', opacity: 0.6, width: 4 }, encoding: { x: cpusAxis, xOffset: strategyOffset, y: y('controller', false), y2: { datum: floor } } },
          { name: 'latency_p99', mark: { type: 'tick', color: 'black', thickness: 2, width: BAR }, encoding: { x: cpusAxis, xOffset: strategyOffset, y: y('p99', false) } },
          ...floorRule,
        ],
      },
    });
  }

  const bottom: Panel[] = [];
  const churn = result.rows.flatMap((r) => (r.churn === null ? [] : [{ CPUs: r.cpus, strategy: r.strategy, kept: r.churn.disruption * 100, cycles: r.churn.cyclesPerSecond }]));
  if (churn.length > 0) {
    const churnBars = (field: string, axis: string) => ({ name: `churn_${field}`, mark: 'bar', encoding: { x: cpusAxis, xOffset: strategyOffset, color, y: { field, type: 'quantitative', title: axis } } }) as const;
    bottom.push(
      {
        title: title('Disruption (higher is better)', ['throughput the CPUs staying online', 'keep while one goes down and up']),
        data: { values: churn },
        width: { step: BAR, for: 'offset' },
        height: PANEL_HEIGHT,
        layer: [churnBars('kept', '% kept'), { mark: { type: 'rule', strokeDash: DASHED, color: '#333' }, encoding: { y: { datum: 100 } } }],
      },
      {
        title: title('Churn (higher is better)', ['down/up cycles per second', 'of one CPU, back to back']),
        data: { values: churn },
        width: { step: BAR, for: 'offset' },
        height: PANEL_HEIGHT,
        ...churnBars('cycles', 'cycles/s'),
      },
    );
  }

  const byThreads = result.threadsPerCpu.flatMap((r) =>
    r.hotplug === null ? [] : (['cpuDown', 'cpuUp'] as const).map((op) => ({ threads: r.threadsPerCpu, strategy: r.strategy, operation: op, median: r.hotplug![op].median })),
  );
  if (byThreads.length > 0) {
    const floor = decadeBelow(Math.min(...byThreads.map((d) => d.median)));
    const ticks = decades(floor, Math.max(...byThreads.map((d) => d.median)));
    const domain = [floor, ticks[ticks.length - 1]!];
    const counts = [...s.threadsPerCpu.counts];
    bottom.push({
      title: title('By threads per CPU (lower is better)', [`median ms at ${cpusLabel(s.threadsPerCpu.cpus)}, idle threads;`, 'log scales']),
      data: { values: byThreads },
      facet: { column: { field: 'operation', title: null, sort: ['cpuDown', 'cpuUp'], header: { labelFontWeight: 'bold' } } },
      spec: {
        width: 110,
        height: PANEL_HEIGHT,
        mark: { type: 'line', point: true },
        encoding: {
          x: { field: 'threads', type: 'quantitative', title: 'threads per CPU', scale: { type: 'log' }, axis: { values: counts, format: 'd' } },
          y: { field: 'median', type: 'quantitative', title: 'ms', scale: { type: 'log', domain }, axis: { values: ticks } },
          color,
        },
      },
    });
  }

  const start = result.startTime.flatMap((r) =>
    (
      [
        [START_SIDES[0], r.runtimeMs],
        [START_SIDES[1], r.bareMs],
      ] as const
    ).flatMap(([side, ms]) => (ms === null ? [] : [{ CPUs: r.cpus, side, median: ms.median }])),
  );
  if (start.length > 0) {
    const sides: string[] = [...START_SIDES];
    const startCpus = [...s.startTime.cpus];
    bottom.push({
      title: title('Start time (lower is better)', ['median ms; green: Runtime.start, grey: as', 'many bare workers started at once']),
      data: { values: start },
      width: { step: BAR, for: 'offset' },
      height: PANEL_HEIGHT,
      mark: 'bar',
      encoding: {
        x: { field: 'CPUs', type: 'ordinal', title: 'CPUs', scale: { domain: startCpus }, axis: { labelAngle: 0 } },
        xOffset: { field: 'side', scale: { domain: sides } },
        y: { field: 'median', type: 'quantitative', title: 'ms' },
        // fill, not color: its own scale, so the two sides do not join the strategies' legend.
        fill: { field: 'side', type: 'nominal', title: null, scale: { domain: sides, range: ['#54a24b', '#bab0ac'] }, legend: null },
      },
    });
  }
  // xOffset is not a position channel: concatenated views share it unless told, and the start-time sides would join the strategies.
  const rows: Panel[] = [top, bottom].filter((row) => row.length > 0).map((row) => ({ hconcat: row, spacing: 28, align: 'none', resolve: { scale: { xOffset: 'independent' } } }));

  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: `cpuhp strategy benchmark${s.quick ? ' (quick run: smoke figures)' : ''}`,
      subtitle: wrapLines([
        `${s.strategies.join(', ')} at ${s.cpus.join(', ')} CPU(s) on ${result.cores} cores, Node ${result.node}; ${s.hotplugCycles} down/up cycles per latency row`,
        ...(result.rows.some((r) => r.skipped !== null) ? [`1 CPU: ${result.rows.find((r) => r.skipped !== null)!.skipped!}`] : []),
        ...result.warnings,
      ], NOTES_WIDTH),
      anchor: 'start',
    },
    background: 'white',
    padding: 12,
    spacing: 28,
    vconcat: rows,
    config: { legend: { orient: 'top', direction: 'horizontal', symbolType: 'square' }, title: { fontSize: 13 }, header: { labelFontSize: 11 } },
  };
}

/** The chart as SVG text; rejects with VegaMissingError when vega or vega-lite is not installed. */
export function renderSvg(result: StrategyBenchResult, load?: VegaLoader): Promise<string> {
  return renderSpec(chartSpec(result), load);
}
