/**
 * Each row against its references, measured in the same run: the plain BullMQ row with the
 * same number of processes (and so the same total concurrency), and the in-process row of the
 * same workload (no broker). Ratios are row / reference: throughput above 1 is faster, latency
 * below 1 is faster. Null where a side was not measured or resolved nothing.
 */

import type { LoopResult } from '../jobs/closed-loop.js';
import type { ClusterRow } from './run.js';

export interface Ratios {
  readonly throughput: number;
  readonly medianLatency: number;
  readonly p99Latency: number;
}

export interface RowComparison {
  readonly versusBullmq: Ratios | null;
  readonly versusInProcess: Ratios | null;
}

export function ratios(row: LoopResult | null, reference: LoopResult | null | undefined): Ratios | null {
  const a = row?.latencyMs;
  const b = reference?.latencyMs;
  if (row == null || reference == null || a == null || b == null || !(reference.jobsPerSecond > 0) || !(b.median > 0) || !(b.p99 > 0)) return null;
  return { throughput: row.jobsPerSecond / reference.jobsPerSecond, medianLatency: a.median / b.median, p99Latency: a.p99 / b.p99 };
}

export function compareRow(row: ClusterRow, rows: readonly ClusterRow[]): RowComparison {
  const sameWorkload = rows.filter((r) => r.workload === row.workload);
  const bullmq = sameWorkload.find((r) => r.kind === 'bullmq' && r.machines === row.machines);
  const inProcess = sameWorkload.find((r) => r.kind === 'in-process');
  return {
    versusBullmq: row.kind === 'bullmq' ? null : ratios(row.loop, bullmq?.loop),
    versusInProcess: row.kind === 'in-process' ? null : ratios(row.loop, inProcess?.loop),
  };
}
