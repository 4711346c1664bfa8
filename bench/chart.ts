/**
 * The benchmark as an SVG chart: a Vega-Lite spec compiled to Vega and rendered headless in
 * Node (vega's renderer 'none' plus toSVG(); no canvas, no browser). One panel per figure,
 * bars grouped by CPU count with one bar per strategy, the same colour for a strategy in
 * every panel.
 */

import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { BOUND, NO_CHECK } from './fast-path-ratios.js';
import { LOADS, type StrategyBenchResult } from './strategies.js';

/** One panel of the vertical stack; derived from the public TopLevelSpec type. */
type Panel = Extract<TopLevelSpec, { vconcat: unknown }>['vconcat'][number];

const PANEL_WIDTH = 300;
const PANEL_HEIGHT = 170;

export function chartSpec(result: StrategyBenchResult): TopLevelSpec {
  const series = [NO_CHECK, BOUND, ...result.settings.strategies];
  const color = { field: 'strategy', type: 'nominal', title: 'strategy', scale: { domain: series } } as const;
  const x = { field: 'CPUs', type: 'ordinal', title: 'CPUs' } as const;
  const xOffset = { field: 'strategy', sort: series } as const;

  const fastPath = [
    ...result.baselines.flatMap((b) => (b.fastPath === null ? [] : [{ CPUs: b.cpus, strategy: NO_CHECK, value: b.fastPath.nsPerIteration.median }])),
    ...result.bound.flatMap((b) => (b.fastPath === null ? [] : [{ CPUs: b.cpus, strategy: BOUND, value: b.fastPath.nsPerIteration.median }])),
    ...result.rows.flatMap((r) => (r.fastPath === null ? [] : [{ CPUs: r.cpus, strategy: r.strategy, value: r.fastPath.nsPerIteration.median }])),
  ];
  const latency = result.rows.flatMap((r) =>
    LOADS.flatMap((load) => {
      const h = r.hotplug[load];
      if (h === null) return [];
      return [
        { CPUs: r.cpus, strategy: r.strategy, operation: `cpuDown, ${load}`, median: h.cpuDown.median, p99: h.cpuDown.p99 },
        { CPUs: r.cpus, strategy: r.strategy, operation: `cpuUp, ${load}`, median: h.cpuUp.median, p99: h.cpuUp.p99 },
      ];
    }),
  );
  const churn = result.rows.flatMap((r) => (r.churn === null ? [] : [{ CPUs: r.cpus, strategy: r.strategy, kept: r.churn.disruption * 100, cycles: r.churn.cyclesPerSecond }]));

  const bars = (title: string, values: readonly object[], field: string, axis: string): Panel => ({
    title,
    width: PANEL_WIDTH,
    height: PANEL_HEIGHT,
    data: { values: [...values] },
    mark: 'bar',
    encoding: { x, xOffset, color, y: { field, type: 'quantitative', title: axis } },
  });

  const panels: Panel[] = [];
  if (fastPath.length > 0) panels.push(bars('Fast path: median wall ns per loop iteration (lower is better)', fastPath, 'value', 'ns per iteration'));
  if (latency.length > 0) {
    // Bars on a log scale need a floor to start from (there is no zero): the power of ten
    // below the smallest figure shown.
    const floor = 10 ** Math.floor(Math.log10(Math.min(...latency.map((l) => l.median))));
    const top = Math.max(...latency.map((l) => l.p99));
    // One grid line per decade: vega's default log ticks crowd a short panel.
    const decades: number[] = [];
    for (let v = floor; v <= top * 10; v *= 10) decades.push(Number(v.toPrecision(1)));
    const y = (field: string) => ({ field, type: 'quantitative', title: 'ms', scale: { type: 'log', domainMin: floor }, axis: { values: decades } }) as const;
    panels.push({
      title: 'Hotplug latency: median ms as bars, p99 as black ticks (log scale; lower is better)',
      data: { values: latency },
      facet: { column: { field: 'operation', title: null, sort: ['cpuDown, idle', 'cpuDown, busy', 'cpuUp, idle', 'cpuUp, busy'] } },
      spec: {
        width: PANEL_WIDTH / 2,
        height: PANEL_HEIGHT,
        layer: [
          { mark: 'bar', encoding: { x, xOffset, color, y: y('median'), y2: { datum: floor } } },
          { mark: { type: 'tick', color: 'black' }, encoding: { x, xOffset, y: y('p99') } },
        ],
      },
    });
  }
  if (churn.length > 0) {
    panels.push({
      hconcat: [
        bars('Disruption: % throughput kept by the CPUs staying online (higher is better)', churn, 'kept', '% kept'),
        bars('Churn: down/up cycles per second (higher is better)', churn, 'cycles', 'cycles/s'),
      ],
    });
  }

  const s = result.settings;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: `cpuhp strategy benchmark${s.quick ? ' (quick run: smoke figures)' : ''}`,
      subtitle: [
        `${s.strategies.join(', ')} at ${s.cpus.join(', ')} CPU(s) on ${result.cores} cores, Node ${result.node}; ${s.hotplugCycles} down/up cycles per latency row`,
        ...(result.rows.some((r) => r.skipped !== null) ? [`1 CPU: ${result.rows.find((r) => r.skipped !== null)!.skipped!}`] : []),
        ...result.warnings,
      ],
      anchor: 'start',
    },
    background: 'white',
    padding: 12,
    vconcat: panels,
    resolve: { scale: { color: 'shared' } },
  };
}

/** Renders the chart to SVG text; the view is finalised so it holds no timers after. */
export async function renderSvg(result: StrategyBenchResult): Promise<string> {
  const compiled = compile(chartSpec(result)).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
