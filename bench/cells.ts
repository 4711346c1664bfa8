/** Table cells the benchmark reports share: latency figures and ratios, formatted alike. */

import { formatMs, type Column } from '../src/common/format.js';
import type { Summary } from './histogram.js';

/** Median, p99 and max in ms; "failed" where the measurement was tried and failed. */
export function latencyCells(s: Summary | undefined): string[] {
  return s === undefined ? ['failed', '', ''] : [formatMs(s.median), formatMs(s.p99), formatMs(s.max)];
}

/** The columns latencyCells fills for a cpuDown and a cpuUp, side by side. */
export const DOWN_UP_COLUMNS: readonly Column[] = ['down', 'up'].flatMap((op) => ['median', 'p99', 'max'].map((figure): Column => ({ header: `${op} ${figure}`, align: 'right' })));

/** A ratio of two figures measured in the same run. */
export function formatRatio(n: number): string {
  return n.toFixed(2);
}
