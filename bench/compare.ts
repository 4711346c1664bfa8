/**
 * Every strategy against the reference (`park`) at the same CPU count, measured in the same
 * run, as ratios: the only comparison the benchmark makes. Ratios are oriented as the
 * figures are: above 1 means more ns per iteration, more latency, more throughput kept, more
 * cycles per second; the report says which way is better.
 */

import type { StrategyName } from '../src/index.js';
import { REFERENCE_STRATEGY } from './settings.js';
import type { StrategyRow } from './strategies.js';

export interface VersusReference {
  readonly strategy: StrategyName;
  readonly cpus: number;
  /** Median ns per iteration of the empty per-CPU loop. */
  readonly fastPath: number | null;
  /** Median latencies. */
  readonly cpuDownIdle: number | null;
  readonly cpuDownBusy: number | null;
  readonly cpuUpIdle: number | null;
  readonly cpuUpBusy: number | null;
  /** Throughput kept by the CPUs that stay online during churn. */
  readonly disruption: number | null;
  /** Down/up cycles per second. */
  readonly churn: number | null;
}

type Metric = (row: StrategyRow) => number | undefined;

const METRICS = {
  fastPath: (r) => r.fastPath?.nsPerIteration.median,
  cpuDownIdle: (r) => r.hotplug.idle?.cpuDown.median,
  cpuDownBusy: (r) => r.hotplug.busy?.cpuDown.median,
  cpuUpIdle: (r) => r.hotplug.idle?.cpuUp.median,
  cpuUpBusy: (r) => r.hotplug.busy?.cpuUp.median,
  disruption: (r) => r.churn?.disruption,
  churn: (r) => r.churn?.cyclesPerSecond,
} satisfies Record<string, Metric>;

function ratio(metric: Metric, row: StrategyRow, reference: StrategyRow | undefined): number | null {
  const value = metric(row);
  const base = reference === undefined ? undefined : metric(reference);
  if (value === undefined || base === undefined || base === 0) return null;
  return value / base;
}

export function compareWithReference(rows: readonly StrategyRow[]): VersusReference[] {
  return rows.map((row) => {
    const reference = rows.find((r) => r.strategy === REFERENCE_STRATEGY && r.cpus === row.cpus);
    return {
      strategy: row.strategy,
      cpus: row.cpus,
      fastPath: ratio(METRICS.fastPath, row, reference),
      cpuDownIdle: ratio(METRICS.cpuDownIdle, row, reference),
      cpuDownBusy: ratio(METRICS.cpuDownBusy, row, reference),
      cpuUpIdle: ratio(METRICS.cpuUpIdle, row, reference),
      cpuUpBusy: ratio(METRICS.cpuUpBusy, row, reference),
      disruption: ratio(METRICS.disruption, row, reference),
      churn: ratio(METRICS.churn, row, reference),
    };
  });
}
