/**
 * Where the broker becomes the ceiling: how many jobs per second one Redis can carry, from
 * what one job cost it in a row (redis-stats.ts) and what it can do (redis-benchmark.ts).
 * Two estimates, from two directions:
 *
 *   by commands   redis-benchmark's requests/s ÷ commands per job. Pessimistic: most of a
 *                 job's commands run inside BullMQ's Lua scripts, which cost Redis less than
 *                 a client's request (no read, parse or reply), so the true ceiling is higher.
 *   by CPU        one core-second ÷ Redis's CPU time per job (Redis runs commands on one
 *                 thread, so one core is its limit). Measured below saturation, when Redis
 *                 wakes for few commands at a time, so it too errs low rather than high.
 */

import type { RedisCost } from './redis-stats.js';
import type { RedisBenchmarkResult } from './redis-benchmark.js';

export interface BrokerCeiling {
  /** Jobs/s by commands (unpipelined redis-benchmark); null without redis-benchmark. */
  readonly byCommands: number | null;
  /** Jobs/s by Redis CPU time; null if no CPU time was counted. */
  readonly byCpu: number | null;
}

export function brokerCeiling(cost: RedisCost, benchmark: RedisBenchmarkResult | null): BrokerCeiling {
  const plain = benchmark !== null && 'runs' in benchmark ? benchmark.runs.find((r) => r.pipeline === 1) : undefined;
  return {
    byCommands: plain === undefined || !(cost.commandsPerJob > 0) ? null : plain.meanRequestsPerSecond / cost.commandsPerJob,
    byCpu: cost.redisCpuUsPerJob > 0 ? 1e6 / cost.redisCpuUsPerJob : null,
  };
}
