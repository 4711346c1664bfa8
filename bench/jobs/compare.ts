/**
 * cpuhp against piscina, as ratios of figures measured in the same run at the same thread
 * count: the only comparison the job benchmark makes. Oriented as the figures are: a
 * throughput ratio above 1 means cpuhp did more jobs per second; a latency ratio above 1
 * means cpuhp's jobs took longer.
 */

import type { LoopResult } from './closed-loop.js';
import type { RuntimeName } from './measurement.js';
import type { WorkloadName } from './workloads.js';

export interface RowKey {
  readonly workload: WorkloadName;
  readonly runtime: RuntimeName;
  readonly churn: boolean;
  readonly loop: LoopResult | null;
}

export interface CpuhpVersusPiscina {
  readonly workload: WorkloadName;
  readonly churn: boolean;
  /** cpuhp jobs/s over piscina jobs/s; null when a side failed or did no job. */
  readonly throughput: number | null;
  readonly medianLatency: number | null;
  readonly p99Latency: number | null;
  readonly lost: { readonly cpuhp: number | null; readonly piscina: number | null };
}

function ratio(cpuhp: number | undefined, piscina: number | undefined): number | null {
  return cpuhp === undefined || piscina === undefined || piscina === 0 ? null : cpuhp / piscina;
}

export function compareRuntimes(rows: readonly RowKey[]): CpuhpVersusPiscina[] {
  const pairs = rows.filter((r) => r.runtime === 'cpuhp');
  return pairs.map((cpuhp) => {
    const piscina = rows.find((r) => r.runtime === 'piscina' && r.workload === cpuhp.workload && r.churn === cpuhp.churn);
    const a = cpuhp.loop;
    const b = piscina?.loop ?? null;
    return {
      workload: cpuhp.workload,
      churn: cpuhp.churn,
      throughput: ratio(a?.jobsPerSecond, b?.jobsPerSecond),
      medianLatency: ratio(a?.latencyMs?.median, b?.latencyMs?.median),
      p99Latency: ratio(a?.latencyMs?.p99, b?.latencyMs?.p99),
      lost: { cpuhp: a?.lost ?? null, piscina: b?.lost ?? null },
    };
  });
}
