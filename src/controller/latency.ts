/**
 * Latency histograms, recorded in microseconds, reported in milliseconds. The histogram is
 * Node's own (perf_hooks.createHistogram, an HDR histogram with 3 significant digits), so the
 * runtime carries no histogram dependency; `WholeHistogram` is shared with the benchmarks
 * (bench/histogram.ts).
 */

import { createHistogram, type RecordableHistogram } from 'node:perf_hooks';

export interface LatencySummary {
  readonly count: number;
  readonly medianMs: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

export interface WholeSummary {
  readonly count: number;
  readonly median: number;
  readonly p99: number;
  readonly max: number;
  readonly mean: number;
}

/**
 * Whole numbers from 1 to `highest`, summarised by their median, p99, max and mean. An HDR
 * histogram reads a percentile (and its own max) as the top of the bucket that holds it, up
 * to 0.1% above the value recorded: a p99 of 2653 beside samples that were all 2652 at most.
 * So the max and the sum are kept exactly beside it, and a percentile is clamped to the
 * exact max: no sample lies above it, so no percentile does either (the error is within a
 * bucket).
 */
export class WholeHistogram {
  private readonly histogram: RecordableHistogram;
  private max = 0;
  private sum = 0;

  constructor(private readonly highest: number) {
    this.histogram = createHistogram({ lowest: 1, highest, figures: 3 });
  }

  /** `value` rounded, and kept within 1 to `highest` (the histogram refuses anything else). */
  record(value: number): void {
    const whole = Math.min(this.highest, Math.max(1, Math.round(value)));
    this.histogram.record(whole);
    this.max = Math.max(this.max, whole);
    this.sum += whole;
  }

  get count(): number {
    return this.histogram.count;
  }

  /** Undefined when nothing was recorded: "no data" must not read as zero. */
  summary(): WholeSummary | undefined {
    const h = this.histogram;
    if (h.count === 0) return undefined;
    const at = (percentile: number): number => Math.min(h.percentile(percentile), this.max);
    return { count: h.count, median: at(50), p99: at(99), max: this.max, mean: this.sum / h.count };
  }
}

/** An hour in microseconds: the longest latency kept apart from the others. */
const HOUR_US = 3_600_000_000;

export class Latency {
  private readonly histogram = new WholeHistogram(HOUR_US);

  record(ms: number): void {
    this.histogram.record(ms * 1000);
  }

  summary(): LatencySummary {
    const s = this.histogram.summary();
    if (s === undefined) return { count: 0, medianMs: 0, p99Ms: 0, maxMs: 0 };
    return { count: s.count, medianMs: s.median / 1000, p99Ms: s.p99 / 1000, maxMs: s.max / 1000 };
  }
}
