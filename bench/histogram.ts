/**
 * The benchmark's one way to summarise samples: an HDR histogram with 3 significant digits
 * (Node's own, perf_hooks.createHistogram, through the runtime's WholeHistogram), so medians
 * and p99s come from the same structure at every sample count. HDR histograms hold whole
 * numbers: each is built for one unit and a resolution below it. The max and the mean are
 * exact, and no percentile is above the max (see WholeHistogram).
 */

import { WholeHistogram, type WholeSummary } from '../src/controller/latency.js';

/** count, median, p99, max and mean, in the caller's unit. */
export type Summary = WholeSummary;

/** The largest value kept, in units of the resolution. */
const HIGHEST = 1e12;

export class Samples {
  private readonly histogram = new WholeHistogram(HIGHEST);

  /**
   * `resolution` is the smallest difference kept, in the caller's unit: 0.001 keeps
   * microseconds of a value in ms, or picoseconds of a value in ns.
   */
  constructor(private readonly resolution: number) {}

  record(value: number): void {
    if (!Number.isFinite(value) || value < 0) return;
    // Zero is not trackable (the histogram starts at 1): it is kept as the resolution.
    this.histogram.record(value / this.resolution);
  }

  get count(): number {
    return this.histogram.count;
  }

  /** Undefined when nothing was recorded: "no data" must not read as zero latency. */
  summary(): Summary | undefined {
    const s = this.histogram.summary();
    if (s === undefined) return undefined;
    const r = this.resolution;
    return { count: s.count, median: s.median * r, p99: s.p99 * r, max: s.max * r, mean: s.mean * r };
  }
}
