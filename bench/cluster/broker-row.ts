/**
 * One broker row, whoever runs the jobs (cpuhp machines or plain BullMQ workers): its
 * workers started on a queue of its own, a ClusterQueue producer keeping `window` jobs
 * outstanding (each job's latency from add() to its result coming back, through the broker
 * both ways), a warm-up first, and Redis's own counters read around the measured loop.
 *
 * Both kinds of row use the same producer, so they differ only in what takes the jobs.
 */

import { ClusterQueue } from '../../src/cluster/queue.js';
import { loadBroker } from '../../src/cluster/broker.js';
import { readRedisUrl } from '../../src/cluster/connection.js';
import { runClosedLoop, type LoopResult, type Submit } from '../jobs/closed-loop.js';
import type { Workload } from '../jobs/workloads.js';
import { costPerJob, snapshot, type RedisCost } from './redis-stats.js';
import { warmupJobs, type ClusterBenchSettings } from './settings.js';

/** The processes that take a row's jobs. */
export interface Workers {
  /** Stops them gracefully; resolves with the jobs each completed (warm-up included), in order. */
  stop(): Promise<readonly number[]>;
}

export interface BrokerRowPlan {
  readonly workload: Workload;
  readonly settings: ClusterBenchSettings;
  readonly jobs: number;
  readonly redisUrl: string;
  /** A queue name no other row uses. */
  readonly queue: string;
}

export interface BrokerMeasurement {
  readonly loop: LoopResult;
  readonly redis: RedisCost;
  /**
   * This process's CPU time per job during the measured loop (process.cpuUsage): the
   * producer's own cost (add, the result's event and state read). Near 1 000 000 / jobs/s,
   * the producer, not the workers or Redis, held the row back.
   */
  readonly producerCpuUsPerJob: number;
  /** Jobs each process completed over the row (warm-up included): how evenly the broker spread them. */
  readonly jobsPerProcess: readonly number[];
}

export async function measureBrokerRow(plan: BrokerRowPlan, start: () => Promise<Workers>): Promise<BrokerMeasurement> {
  const { workload, settings } = plan;
  const broker = await loadBroker();
  const info = new broker.Redis(readRedisUrl('bench-cluster', 'redis', plan.redisUrl).connection);
  info.on('error', () => undefined);
  const queue = await ClusterQueue.connect({ redis: plan.redisUrl, queue: plan.queue, keepFinishedS: 600 });
  let workers: Workers | undefined;
  try {
    workers = await start();
    const submit: Submit = async (args) => (await queue.add(workload.cpuhpJob, args)).result({ timeoutMs: settings.settleTimeoutMs });
    const loopPlan = (jobs: number) => ({ concurrency: settings.window, jobs, settleTimeoutMs: settings.settleTimeoutMs });
    const warm = await runClosedLoop(workload, submit, loopPlan(warmupJobs(plan.jobs)));
    if (warm.lost > 0) throw new Error(`${warm.lost} of ${warm.submitted} warm-up jobs did not come back (${Object.keys(warm.errors)[0] ?? 'no answer'})`);
    const before = await snapshot(info);
    const cpu = process.cpuUsage();
    const loop = await runClosedLoop(workload, submit, loopPlan(plan.jobs));
    const used = process.cpuUsage(cpu);
    const after = await snapshot(info);
    const stopping = workers;
    workers = undefined;
    const jobs = Math.max(1, loop.resolved);
    return { loop, redis: costPerJob(before, after, jobs), producerCpuUsPerJob: (used.user + used.system) / jobs, jobsPerProcess: await stopping.stop() };
  } finally {
    await workers?.stop().catch(() => undefined);
    await queue.close();
    info.disconnect();
  }
}
