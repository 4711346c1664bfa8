/**
 * The job benchmark as one picture: throughput and p99 latency of each job size, for cpuhp
 * and each peer that was measured, without churn and (cpuhp and piscina only) under churn.
 * A Vega-Lite spec, rendered by ../svg.ts, which loads vega only then.
 *
 * One facet per job size and figure, each on its own scale: a trivial job's tens of thousands
 * per second and a 1 ms job's hundreds share no useful axis, and what is compared is the
 * runtimes at one size. Each runtime keeps its colour; its churn bar is the same colour, paler.
 */

import type { TopLevelSpec } from 'vega-lite';
import { renderSpec, type VegaLoader } from '../svg.js';
import { wrapLines } from '../text-width.js';
import type { RuntimeName } from './measurement.js';
import type { JobBenchResult } from './run.js';
import { WORKLOADS } from './workloads.js';

const BAR = 20;
/** Notes wider than this are wrapped, px: the panels are about as wide. */
const NOTES_WIDTH = 560;
const PANEL_HEIGHT = 130;
const RUNTIMES: RuntimeName[] = ['cpuhp', 'piscina', 'poolifier', 'tinypool'];
const METRICS = ['jobs per second (higher is better)', 'p99 latency, ms (lower is better)'];

/** The bar's label: the runtime, and under churn what the churn was for it. */
function seriesName(runtime: RuntimeName, churn: boolean): string {
  return churn ? `${runtime}, churn` : runtime;
}

export function jobChartSpec(result: JobBenchResult): TopLevelSpec {
  const s = result.settings;
  const series: string[] = RUNTIMES.flatMap((r) => [seriesName(r, false), seriesName(r, true)]);
  const workloads: string[] = WORKLOADS.map((w) => w.label);
  const labelOf = new Map(WORKLOADS.map((w) => [w.name, w.label]));
  const values = result.rows.flatMap((row) => {
    const loop = row.loop;
    if (loop === null) return [];
    const common = { workload: labelOf.get(row.workload) ?? row.workload, runtime: row.runtime, series: seriesName(row.runtime, row.churn), churn: row.churn ? 'under churn' : 'no churn' };
    return [
      { ...common, metric: METRICS[0]!, value: loop.jobsPerSecond },
      ...(loop.latencyMs === null ? [] : [{ ...common, metric: METRICS[1]!, value: loop.latencyMs.p99, median: loop.latencyMs.median }]),
    ];
  });
  const measured = series.filter((name) => values.some((v) => v.series === name));
  const missing = result.peers.flatMap((p) => ('missing' in p ? [`${p.name}: not measured (${p.missing})`] : []));
  const failed = result.rows.filter((r) => r.loop === null && r.skipped === null).map((r) => `${seriesName(r.runtime, r.churn)}, ${r.workload}`);
  const x = { field: 'series', type: 'nominal', title: null, sort: measured, scale: { domain: measured }, axis: { labelAngle: -40 } } as const;

  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: `cpuhp bench-jobs: queueWork against worker pools${s.quick ? ' (quick run: smoke figures)' : ''}`,
      subtitle: wrapLines([
        `${s.threads} threads each on ${result.cores} cores, Node ${result.node}; ${s.concurrency} jobs in flight${'version' in result.piscina ? `; piscina ${result.piscina.version}` : ''}` +
          result.peers.flatMap((p) => ('version' in p ? [`, ${p.name} ${p.version}`] : [])).join(''),
        `churn (pale bars): cpuhp takes a CPU down and up, piscina replaces its pool, every ${s.churnIntervalMs} ms; the other pools have no churn rows`,
        'p99 bars carry the median as a black tick',
        ...missing,
        ...(failed.length > 0 ? [`failed (no bar): ${failed.join('; ')}`] : []),
        ...result.warnings,
      ], NOTES_WIDTH),
      anchor: 'start',
    },
    background: 'white',
    padding: 12,
    data: { values },
    facet: {
      row: { field: 'metric', title: null, sort: METRICS, header: { labelFontWeight: 'bold', labelAngle: 0, labelAlign: 'left', labelOrient: 'top', labelAnchor: 'start' } },
      column: { field: 'workload', title: null, sort: workloads, header: { labelFontWeight: 'bold' } },
    },
    spec: {
      width: { step: BAR },
      height: PANEL_HEIGHT,
      layer: [
        {
          name: 'job_bars',
          mark: 'bar',
          encoding: {
            x,
            y: { field: 'value', type: 'quantitative', title: null },
            color: { field: 'runtime', type: 'nominal', title: null, scale: { domain: RUNTIMES }, legend: null },
            opacity: { field: 'churn', type: 'ordinal', title: null, scale: { domain: ['no churn', 'under churn'], range: [1, 0.45] }, legend: null },
          },
        },
        {
          transform: [{ filter: 'isValid(datum.median)' }],
          mark: { type: 'tick', color: 'black', thickness: 2 },
          encoding: { x, y: { field: 'median', type: 'quantitative' } },
        },
      ],
    },
    resolve: { scale: { y: 'independent' } },
    config: { title: { fontSize: 13 }, header: { labelFontSize: 11 } },
  };
}

/** The chart as SVG text; rejects with VegaMissingError when vega or vega-lite is not installed. */
export function renderJobSvg(result: JobBenchResult, load?: VegaLoader): Promise<string> {
  return renderSpec(jobChartSpec(result), load);
}
