/**
 * Live charts (uPlot, loaded by index.html as the global `uPlot`, served from the package):
 * one per operation (cpuDown, cpuUp, park), each point the latency of one completed operation
 * (the snapshots' OperationSamples, failed ones in red), and jobs per second over time. The
 * window slides: points older than WINDOW_S seconds of the trace clock are dropped. Under each
 * operation's chart: the runtime's own summary (count, median, p99, max since start).
 */

import type UPlot from 'uplot';
import type { DashboardSnapshot } from './wire.js';
import { el, ms, setText } from './dom.js';

/**
 * The iife build's global, typed by the package's own declaration (whose UMD global a module
 * may not name directly). Read when a chart is made, so a page without it fails there, loudly.
 */
function uPlotClass(): typeof UPlot {
  const found = (globalThis as { uPlot?: typeof UPlot }).uPlot;
  if (found === undefined) throw new Error('uPlot is not loaded: index.html loads /assets/uPlot.iife.min.js before the page');
  return found;
}

type Op = DashboardSnapshot['operations'][number]['op'];
type Latency = DashboardSnapshot['latency']['cpuDown'];

/** How much history a chart keeps, in seconds of the runtime's clock. */
export const WINDOW_S = 120;
const HEIGHT = 170;
const OPS: readonly (readonly [Op, string])[] = [
  ['cpuDown', 'cpuDown latency (ms)'],
  ['cpuUp', 'cpuUp latency (ms)'],
  ['park', 'park latency (ms)'],
];

/** A chart's columns (x in seconds, then one column per series), pruned to the window. */
class Series {
  readonly columns: (number | null)[][];

  constructor(count: number) {
    this.columns = Array.from({ length: count + 1 }, () => []);
  }

  push(x: number, ys: readonly (number | null)[]): void {
    this.columns[0]!.push(x);
    ys.forEach((y, i) => this.columns[i + 1]!.push(y));
  }

  prune(now: number): void {
    const xs = this.columns[0]!;
    let drop = 0;
    while (drop < xs.length && (xs[drop] as number) < now - WINDOW_S) drop++;
    if (drop > 0) for (const column of this.columns) column.splice(0, drop);
  }

  get data(): UPlot.AlignedData {
    return this.columns as UPlot.AlignedData;
  }
}

interface Chart {
  readonly plot: UPlot;
  readonly series: Series;
  readonly box: HTMLElement;
  readonly summary: HTMLElement | null;
}

export class Charts {
  private readonly ops = new Map<Op, Chart>();
  private readonly jobs: Chart;
  /** The latest snapshot's clock, s: every chart's x axis is the same window ending here. */
  private now = 0;

  constructor(container: HTMLElement) {
    for (const [op, title] of OPS) {
      this.ops.set(op, this.chart(container, op, title, [
        { label: 'ok', stroke: '#2e9d4f', width: 1, spanGaps: true, points: { show: true, size: 4 } },
        { label: 'failed', stroke: '#d63b3b', width: 0, paths: () => null, points: { show: true, size: 7, fill: '#d63b3b' } },
      ], true));
    }
    this.jobs = this.chart(container, 'jobs', 'jobs per second', [{ label: 'jobs/s', stroke: '#3b6fd6', width: 1.5, fill: 'rgba(59,111,214,0.12)' }], false);
    // Charts follow their box's width (the grid reflows with the window).
    const resize = new ResizeObserver(() => {
      for (const chart of this.all()) chart.plot.setSize({ width: widthOf(chart.box), height: HEIGHT });
    });
    for (const chart of this.all()) resize.observe(chart.box);
  }

  update(snapshot: DashboardSnapshot): void {
    const now = snapshot.ts / 1000;
    this.now = now;
    for (const sample of snapshot.operations) {
      const chart = this.ops.get(sample.op);
      if (chart === undefined) continue;
      chart.series.push(sample.ts / 1000, sample.ok ? [sample.ms, null] : [null, sample.ms]);
    }
    this.jobs.series.push(now, [snapshot.jobs.perSec]);
    for (const [op, chart] of this.ops) {
      chart.series.prune(now);
      if (chart.summary !== null) setText(chart.summary, summaryOf(snapshot.latency[op]));
    }
    this.jobs.series.prune(now);
    // Redrawn every snapshot even without new points: the window slides.
    for (const chart of this.all()) chart.plot.setData(chart.series.data);
  }

  private *all(): Iterable<Chart> {
    yield* this.ops.values();
    yield this.jobs;
  }

  private chart(container: HTMLElement, key: string, title: string, series: UPlot.Series[], summarised: boolean): Chart {
    const box = el('figure', 'chart');
    box.dataset['testid'] = `chart-${key}`;
    box.append(el('figcaption', '', title));
    const target = el('div', 'plot');
    box.append(target);
    const summary = summarised ? el('p', 'chart-summary', 'no operation yet') : null;
    if (summary !== null) {
      summary.dataset['testid'] = `latency-${key}`;
      box.append(summary);
    }
    container.append(box);
    const options: UPlot.Options = {
      width: widthOf(box),
      height: HEIGHT,
      scales: {
        x: { time: false, range: (): UPlot.Range.MinMax => [Math.max(0, this.now - WINDOW_S), Math.max(this.now, 1)] },
        // An empty chart still shows a 0-based axis rather than nothing.
        y: { range: (_u, min, max): UPlot.Range.MinMax => [0, Math.max(max ?? 1, min ?? 0, 1) * 1.1] },
      },
      axes: [{ label: 's since start', size: 36, labelSize: 18 }, { size: 48 }],
      legend: { show: true, live: false },
      cursor: { drag: { x: false, y: false } },
      series: [{ label: 's' }, ...series],
    };
    const data = new Series(series.length);
    return { plot: new (uPlotClass())(options, data.data, target), series: data, box, summary };
  }
}

function widthOf(box: HTMLElement): number {
  return Math.max(200, Math.floor(box.clientWidth - 8));
}

function summaryOf(latency: Latency): string {
  if (latency.count === 0) return 'no operation yet';
  return `${latency.count} done; median ${ms(latency.medianMs)}, p99 ${ms(latency.p99Ms)}, max ${ms(latency.maxMs)}`;
}
