/**
 * cpuhp against each peer (piscina, poolifier, tinypool), as ratios of figures measured in
 * the same run at the same thread count: the only comparison the job benchmark makes.
 * Oriented as the figures are: a throughput ratio above 1 means cpuhp did more jobs per
 * second; a latency ratio above 1 means cpuhp's jobs took longer.
 */

import type { LoopResult } from './closed-loop.js';
import type { RuntimeName } from './measurement.js';
import type { WorkloadName } from './workloads.js';

export type PeerRuntime = Exclude<RuntimeName, 'cpuhp'>;

export interface RowKey {
  readonly workload: WorkloadName;
  readonly runtime: RuntimeName;
  readonly churn: boolean;
  readonly loop: LoopResult | null;
  /** Why the row was not measured (a peer not installed); such a row is compared with nothing. */
  readonly skipped: string | null;
}

export interface CpuhpVersusPeer {
  readonly workload: WorkloadName;
  readonly churn: boolean;
  readonly peer: PeerRuntime;
  /** cpuhp jobs/s over the peer's jobs/s; null when a side failed or did no job. */
  readonly throughput: number | null;
  readonly medianLatency: number | null;
  readonly p99Latency: number | null;
  readonly lost: { readonly cpuhp: number | null; readonly peer: number | null };
}

function ratio(cpuhp: number | undefined, peer: number | undefined): number | null {
  return cpuhp === undefined || peer === undefined || peer === 0 ? null : cpuhp / peer;
}

function isPeer(runtime: RuntimeName): runtime is PeerRuntime {
  return runtime !== 'cpuhp';
}

export function compareRuntimes(rows: readonly RowKey[]): CpuhpVersusPeer[] {
  return rows
    .filter((r) => r.runtime === 'cpuhp')
    .flatMap((cpuhp) =>
      rows.flatMap((other): CpuhpVersusPeer[] => {
        const peer = other.runtime;
        if (!isPeer(peer) || other.skipped !== null || other.workload !== cpuhp.workload || other.churn !== cpuhp.churn) return [];
        const a = cpuhp.loop;
        const b = other.loop;
        return [
          {
            workload: cpuhp.workload,
            churn: cpuhp.churn,
            peer,
            throughput: ratio(a?.jobsPerSecond, b?.jobsPerSecond),
            medianLatency: ratio(a?.latencyMs?.median, b?.latencyMs?.median),
            p99Latency: ratio(a?.latencyMs?.p99, b?.latencyMs?.p99),
            lost: { cpuhp: a?.lost ?? null, peer: b?.lost ?? null },
          },
        ];
      }),
    );
}
