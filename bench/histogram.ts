/**
 * The benchmark's one way to summarise samples: an HDR histogram (hdr-histogram-js) with 3
 * significant digits, so medians and p99s come from the same structure at every sample count.
 * HDR histograms hold integers: each is built for one unit and a resolution below it.
 *
 * A percentile read from an HDR histogram is the top of the bucket that holds it (its
 * "highest equivalent value"), while the max is the exact largest value recorded. With 3
 * significant digits a bucket is at most 0.1% wide, so the top of the highest bucket can lie
 * just above the max: a p99 of 2.653 beside a max of 2.652. No sample lies above the max, so
 * the percentile does not either: it is clamped to the max (the error is within a bucket).
 */

import * as hdr from 'hdr-histogram-js';

export interface Summary {
  readonly count: number;
  readonly median: number;
  readonly p99: number;
  readonly max: number;
  readonly mean: number;
}

export class Samples {
  private readonly histogram: hdr.Histogram;

  /**
   * `resolution` is the smallest difference kept, in the caller's unit: 0.001 keeps
   * microseconds of a value in ms, or picoseconds of a value in ns.
   */
  constructor(private readonly resolution: number) {
    this.histogram = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 1e12, numberOfSignificantValueDigits: 3 });
  }

  record(value: number): void {
    if (!Number.isFinite(value) || value < 0) return;
    // Zero is not trackable with lowestDiscernibleValue 1: round up to the resolution.
    this.histogram.recordValue(Math.max(1, Math.round(value / this.resolution)));
  }

  get count(): number {
    return this.histogram.totalCount;
  }

  /** Undefined when nothing was recorded: "no data" must not read as zero latency. */
  summary(): Summary | undefined {
    const h = this.histogram;
    if (h.totalCount === 0) return undefined;
    const r = this.resolution;
    const max = h.maxValue;
    const at = (percentile: number): number => Math.min(h.getValueAtPercentile(percentile), max) * r;
    return {
      count: h.totalCount,
      median: at(50),
      p99: at(99),
      max: max * r,
      mean: h.mean * r,
    };
  }
}
