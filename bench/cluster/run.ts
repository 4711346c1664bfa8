/**
 * The cluster benchmark: for each workload, cpuhp machine processes (×1, ×2, ×4) and plain
 * BullMQ worker processes at the same total concurrency on one local Redis, an in-process
 * cpuhp runtime with no broker, and redis-benchmark against the same Redis: jobs/s and
 * latency per row, what each job cost Redis, and the ceiling that puts on a cluster.
 *
 * Rows run one at a time (task.ts), each on a fresh queue and fresh processes; a row that
 * fails is reported and the run goes on. A job lost (added and not answered right), a failed
 * row or an invariant violation makes the run's verdict a failure.
 */

import { availableParallelism, loadavg } from 'node:os';
import { startLocalRedis, type LocalRedis } from '../../src/cluster/redis-server.js';
import { loadBroker } from '../../src/cluster/broker.js';
import { readRedisUrl } from '../../src/cluster/connection.js';
import type { LoopResult } from '../jobs/closed-loop.js';
import { installedVersion } from '../jobs/optional.js';
import { WORKLOADS, type Workload, type WorkloadName } from '../jobs/workloads.js';
import { loadWarningsNow } from '../load.js';
import { runTasks, type BenchProgress, type Task } from '../task.js';
import { measureBrokerRow, type Workers } from './broker-row.js';
import { startBullmqPeers } from './bullmq-peer.js';
import { brokerCeiling, type BrokerCeiling } from './ceiling.js';
import { killOpenChildren } from './children.js';
import { compareRow, type RowComparison } from './compare.js';
import { measureInProcess } from './in-process.js';
import { startMachines } from './machines.js';
import { runRedisBenchmark, type RedisBenchmarkResult } from './redis-benchmark.js';
import type { RedisCost } from './redis-stats.js';
import { coresWarning, machineConcurrency, type ClusterBenchSettings } from './settings.js';

/** cpuhp machine processes, plain BullMQ worker processes, or one cpuhp runtime in this process with no broker. */
export type RowKind = 'cpuhp' | 'bullmq' | 'in-process';

export interface ClusterRow {
  readonly workload: WorkloadName;
  readonly kind: RowKind;
  /** Processes taking jobs from the broker; 0 for in-process. */
  readonly machines: number;
  /** Threads that run jobs: CPU workers for cpuhp, one event loop per plain BullMQ worker. */
  readonly jobThreads: number;
  /** Jobs taken at once: machines × cpus × jobsPerCpu for the broker rows; the window for in-process (queueWork takes all it is given). */
  readonly concurrency: number;
  /** Null when the row failed (listed in failures) or was not reached. */
  readonly loop: LoopResult | null;
  /** What one job cost Redis (broker rows). */
  readonly redis: RedisCost | null;
  /** The producer's (this process's) CPU time per job in the measured loop, µs (broker rows). */
  readonly producerCpuUsPerJob: number | null;
  /** The broker's ceiling in jobs/s from this row's cost per job. */
  readonly ceiling: BrokerCeiling | null;
  /** Jobs each process completed, warm-up included. */
  readonly jobsPerProcess: readonly number[] | null;
  readonly comparison: RowComparison;
}

export interface ClusterBenchResult {
  readonly command: 'bench-cluster';
  readonly settings: ClusterBenchSettings;
  /** os.availableParallelism() */
  readonly cores: number;
  readonly node: string;
  readonly bullmq: string;
  readonly redisVersion: string;
  /** The 1-minute load average when the run started and ended. */
  readonly load: { readonly started: number; readonly ended: number };
  readonly warnings: readonly string[];
  readonly rows: readonly ClusterRow[];
  /** Null when the run was stopped before it, or it failed (listed in failures). */
  readonly redisBenchmark: RedisBenchmarkResult | null;
  /** Jobs added and not answered with the right result, over every row: must be 0. */
  readonly lost: number;
  /** Invariant violations the in-process runtime's CPU workers counted: must be 0. */
  readonly violations: number;
  readonly failures: readonly string[];
  readonly interrupted: boolean;
  readonly notDone: readonly string[];
  readonly elapsedMs: number;
}

type MutableRow = Omit<ClusterRow, 'comparison' | 'ceiling'>;

/** What to know of the figures before the run starts: the cores, and the machine's load. */
export function clusterBenchWarnings(settings: ClusterBenchSettings, cores: number): string[] {
  const note = coresWarning(settings, cores);
  return [...(note === undefined ? [] : [note]), ...loadWarningsNow(cores, 'started')];
}

function jobsFor(settings: ClusterBenchSettings, workload: Workload): number {
  return workload.name === 'trivial' ? settings.trivialJobs : settings.cpuJobs;
}

/** Starts the run's Redis; rejects (a ClusterError: REDIS_MISSING, REDIS_START_FAILED) when it cannot, and then nothing can be measured. */
export function startRunRedis(): Promise<LocalRedis> {
  return startLocalRedis();
}

export async function runClusterBench(settings: ClusterBenchSettings, redis: LocalRedis, progress?: BenchProgress, stop?: AbortSignal): Promise<ClusterBenchResult> {
  const started = performance.now();
  const cores = availableParallelism();
  const loadStarted = loadavg()[0]!;
  const warnings = clusterBenchWarnings(settings, cores);
  const rows: MutableRow[] = [];
  const tasks: Task[] = [];
  const stamp = Date.now().toString(36);
  let redisBenchmark: RedisBenchmarkResult | null = null;

  for (const workload of WORKLOADS) {
    const jobs = jobsFor(settings, workload);
    const index = rows.push({ workload: workload.name, kind: 'in-process', machines: 0, jobThreads: settings.cpusPerMachine, concurrency: settings.window, loop: null, redis: null, producerCpuUsPerJob: null, jobsPerProcess: null }) - 1;
    tasks.push({
      label: `${workload.name}, in-process queueWork (${settings.cpusPerMachine} CPUs, no broker)`,
      run: async () => {
        const measured = await measureInProcess(workload, settings, jobs);
        rows[index] = { ...rows[index]!, loop: measured.loop };
        return measured.violations;
      },
    });
    for (const machines of settings.machineCounts) {
      for (const kind of ['cpuhp', 'bullmq'] as const) {
        const concurrency = machines * machineConcurrency(settings);
        const jobThreads = kind === 'cpuhp' ? machines * settings.cpusPerMachine : machines;
        const at = rows.push({ workload: workload.name, kind, machines, jobThreads, concurrency, loop: null, redis: null, producerCpuUsPerJob: null, jobsPerProcess: null }) - 1;
        const queue = `bench-${stamp}-${workload.name}-${kind}-${machines}`;
        const start = (): Promise<Workers> => (kind === 'cpuhp' ? startMachines : startBullmqPeers)(settings, machines, redis.url, queue);
        tasks.push({
          label: `${workload.name}, ${kind === 'cpuhp' ? 'cpuhp machines' : 'plain BullMQ workers'} ×${machines} (concurrency ${concurrency})`,
          run: async () => {
            const measured = await measureBrokerRow({ workload, settings, jobs, redisUrl: redis.url, queue }, start);
            rows[at] = { ...rows[at]!, loop: measured.loop, redis: measured.redis, producerCpuUsPerJob: measured.producerCpuUsPerJob, jobsPerProcess: measured.jobsPerProcess };
            return 0;
          },
        });
      }
    }
  }
  tasks.push({
    label: `redis-benchmark against the same Redis (${settings.redisBenchmarkRequests} requests per test)`,
    run: async () => {
      redisBenchmark = await runRedisBenchmark(redis.port, settings.redisBenchmarkRequests);
      return 0;
    },
  });

  const outcome = await runTasks(tasks, progress, stop);
  // A row abandoned by an interruption leaves its processes: they must not outlive the run.
  if (outcome.notDone.length > 0) await killOpenChildren();
  const benchmark = redisBenchmark as RedisBenchmarkResult | null;
  const finished: ClusterRow[] = rows.map((row) => ({
    ...row,
    ceiling: row.redis === null ? null : brokerCeiling(row.redis, benchmark),
    comparison: { versusBullmq: null, versusInProcess: null },
  }));
  const compared = finished.map((row) => ({ ...row, comparison: compareRow(row, finished) }));
  return {
    command: 'bench-cluster',
    settings,
    cores,
    node: process.version,
    bullmq: installedVersion('bullmq'),
    redisVersion: await redisVersion(redis.url),
    load: { started: loadStarted, ended: loadavg()[0]! },
    warnings: [...warnings, ...loadWarningsNow(cores, 'ended')],
    rows: compared,
    redisBenchmark: benchmark,
    lost: compared.reduce((sum, r) => sum + (r.loop?.lost ?? 0), 0),
    violations: outcome.violations,
    failures: outcome.failures,
    interrupted: outcome.notDone.length > 0,
    notDone: outcome.notDone,
    elapsedMs: performance.now() - started,
  };
}

async function redisVersion(url: string): Promise<string> {
  const broker = await loadBroker();
  const client = new broker.Redis({ ...readRedisUrl('bench-cluster', 'redis', url).connection, lazyConnect: true });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return /^redis_version:(\S+)/m.exec(await client.info('server'))?.[1] ?? 'unknown';
  } catch {
    return 'unknown';
  } finally {
    client.disconnect();
  }
}
