/** Latency histograms (hdr-histogram-js), recorded in microseconds, reported in milliseconds. */

import * as hdr from 'hdr-histogram-js';

export interface LatencySummary {
  readonly count: number;
  readonly medianMs: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

export class Latency {
  private readonly histogram = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: 3 });

  record(ms: number): void {
    this.histogram.recordValue(Math.max(1, Math.round(ms * 1000)));
  }

  summary(): LatencySummary {
    const h = this.histogram;
    if (h.totalCount === 0) return { count: 0, medianMs: 0, p99Ms: 0, maxMs: 0 };
    // Percentiles come back as the top of their bucket, the max as recorded: cap them by it.
    const at = (percentile: number): number => Math.min(h.getValueAtPercentile(percentile), h.maxValue) / 1000;
    return { count: h.totalCount, medianMs: at(50), p99Ms: at(99), maxMs: h.maxValue / 1000 };
  }
}
