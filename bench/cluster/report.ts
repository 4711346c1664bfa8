/**
 * How a cluster-benchmark run reads to a person (a table per workload, what each job cost
 * Redis and the ceiling that follows, redis-benchmark's figures, and what they mean for more
 * machines) and to a program (one JSON object). A row that failed says "failed"; a ratio
 * whose side is missing says "n/a".
 */

import { formatCount, formatMs, plural, renderTable } from '../../src/common/format.js';
import { formatRatio } from '../cells.js';
import { roundNumbers } from '../json.js';
import { SPIN_MS, WORKLOADS, type WorkloadName } from '../jobs/workloads.js';
import type { Ratios } from './compare.js';
import { CLIENTS, PIPELINE } from './redis-benchmark.js';
import type { ClusterBenchResult, ClusterRow } from './run.js';
import { machineConcurrency, type ClusterBenchSettings } from './settings.js';

const LABEL: Readonly<Record<WorkloadName, string>> = Object.fromEntries(WORKLOADS.map((w) => [w.name, w.label])) as Record<WorkloadName, string>;

/** Why the 1 ms job busy-waits rather than sleeps. */
export const BUSY_NOT_SLEEP =
  'the 1 ms job is a busy loop, not a sleep: a sleeping job costs its process nothing, so every row would reach the same figures and hide the difference that matters, ' +
  'that a plain BullMQ worker runs its jobs on its one event loop while a cpuhp machine runs them on its CPU worker threads';

export function rowName(row: Pick<ClusterRow, 'kind' | 'machines'>): string {
  if (row.kind === 'in-process') return 'in-process queueWork';
  return `${row.kind === 'cpuhp' ? 'cpuhp machines' : 'plain BullMQ'} ×${row.machines}`;
}

/** Printed before the run, so the user knows what the next minute or two is doing. */
export function renderHeader(settings: ClusterBenchSettings, cores: number, bullmq: string, warnings: readonly string[]): string {
  const { cpusPerMachine, jobsPerCpu, window, trivialJobs, cpuJobs } = settings;
  return [
    `cpuhp bench-cluster: cpuhp machine processes (${plural(cpusPerMachine, 'CPU')} × ${jobsPerCpu} jobs each: concurrency ${machineConcurrency(settings)} a machine) ` +
      `×${settings.machineCounts.join(', ×')} against plain BullMQ ${bullmq} worker processes of the same concurrency and in-process queueWork, on one local Redis; ${plural(cores, 'core')}, Node ${process.version}`,
    `${settings.quick ? 'quick run (a smoke run, too short for figures worth comparing)' : 'full run'}: ${formatCount(window)} jobs outstanding at the producer; ` +
      `${formatCount(trivialJobs)} trivial and ${formatCount(cpuJobs)} 1 ms jobs per row; then redis-benchmark`,
    ...warnings,
  ].join('\n');
}

export function renderText(result: ClusterBenchResult): string {
  return [...WORKLOADS.map((w) => workloadTable(result, w.name)), redisTable(result), benchmarkLines(result), meaning(result), notes(result), verdict(result)].filter((s) => s !== '').join('\n\n');
}

const ratio = (r: Ratios | null, pick: keyof Ratios): string => (r === null ? 'n/a' : formatRatio(r[pick]));

function workloadTable(result: ClusterBenchResult, workload: WorkloadName): string {
  const rows = result.rows
    .filter((r) => r.workload === workload)
    .map((r) => {
      const head = [rowName(r), r.kind === 'in-process' ? '-' : String(r.machines), String(r.jobThreads), String(r.concurrency)];
      if (r.loop === null) return [...head, 'failed'];
      const l = r.loop.latencyMs;
      return [
        ...head,
        formatCount(r.loop.jobsPerSecond),
        l === null ? '-' : formatMs(l.median),
        l === null ? '-' : formatMs(l.p99),
        `${formatCount(r.loop.resolved)}/${formatCount(r.loop.submitted)}`,
        ratio(r.comparison.versusBullmq, 'throughput'),
        ratio(r.comparison.versusBullmq, 'p99Latency'),
        ratio(r.comparison.versusInProcess, 'throughput'),
      ];
    });
  return [
    `${LABEL[workload]}: ${plural(result.settings.window, 'job')} outstanding; latency from add() to the result back at the producer`,
    renderTable(
      [
        { header: 'row' },
        { header: 'processes', align: 'right' },
        { header: 'job threads', align: 'right' },
        { header: 'concurrency', align: 'right' },
        { header: 'jobs/s', align: 'right' },
        { header: 'p50 ms', align: 'right' },
        { header: 'p99 ms', align: 'right' },
        { header: 'done/added', align: 'right' },
        { header: 'jobs/s ÷ BullMQ', align: 'right' },
        { header: 'p99 ÷ BullMQ', align: 'right' },
        { header: 'jobs/s ÷ in-proc', align: 'right' },
      ],
      rows,
    ),
  ].join('\n');
}

function redisTable(result: ClusterBenchResult): string {
  const rows = result.rows
    .filter((r) => r.kind !== 'in-process' && r.redis !== null)
    .map((r) => {
      const c = r.redis!;
      const ceiling = r.ceiling;
      return [
        LABEL[r.workload].split(' ')[0]!,
        rowName(r),
        c.commandsPerJob.toFixed(1),
        c.scriptCallsPerJob.toFixed(1),
        c.redisCpuUsPerJob.toFixed(0),
        r.loop === null ? 'n/a' : `${((c.redisCpuUsPerJob * r.loop.jobsPerSecond) / 1e4).toFixed(0)}%`,
        r.producerCpuUsPerJob === null ? 'n/a' : r.producerCpuUsPerJob.toFixed(0),
        ceiling?.byCommands == null ? 'n/a' : formatCount(ceiling.byCommands),
        ceiling?.byCpu == null ? 'n/a' : formatCount(ceiling.byCpu),
        c.topCommands.map((t) => `${t.command} ${t.perJob.toFixed(1)}`).join(', '),
      ];
    });
  if (rows.length === 0) return 'What a job costs Redis: no broker row was measured.';
  return [
    'What one job cost Redis (INFO commandstats and INFO cpu, read before and after each measured loop, ÷ jobs), and the broker ceiling it gives',
    "(commands: every command Redis ran, those inside BullMQ's Lua scripts included; scripts: EVALSHA calls, one round trip each; ceiling by commands: redis-benchmark's plain requests/s ÷ commands; ceiling by CPU: 1 core-second ÷ Redis CPU per job; Redis busy: its CPU per job × the row's jobs/s, the share of its one core the row used; producer CPU: this process's, adding jobs and awaiting their results)",
    renderTable(
      [
        { header: 'workload' },
        { header: 'row' },
        { header: 'commands/job', align: 'right' },
        { header: 'scripts/job', align: 'right' },
        { header: 'Redis CPU µs/job', align: 'right' },
        { header: 'Redis busy', align: 'right' },
        { header: 'producer CPU µs/job', align: 'right' },
        { header: 'ceiling jobs/s (commands)', align: 'right' },
        { header: 'ceiling jobs/s (CPU)', align: 'right' },
        { header: 'most called, per job' },
      ],
      rows,
    ),
  ].join('\n');
}

function benchmarkLines(result: ClusterBenchResult): string {
  const b = result.redisBenchmark;
  if (b === null) return "Redis's own limit: not measured (the run stopped before it, or it failed).";
  if ('missing' in b) return `Redis's own limit: ${b.missing}.`;
  return [
    `Redis's own limit on this machine (redis-benchmark, ${CLIENTS} clients, against the run's Redis ${result.redisVersion}):`,
    ...b.runs.map(
      (run) =>
        `  ${run.pipeline === 1 ? 'one command per request' : `${run.pipeline} pipelined`}: ${Object.entries(run.requestsPerSecond)
          .map(([test, n]) => `${test} ${formatCount(n)}`)
          .join(', ')} requests/s (mean ${formatCount(run.meanRequestsPerSecond)})   [${run.command}]`,
    ),
  ].join('\n');
}

/** The figures in words: what more machines would do, and where Redis stops them. */
function meaning(result: ClusterBenchResult): string {
  const lines = ['What the figures mean for more machines:'];
  const measured = result.rows.filter((r) => r.kind !== 'in-process' && r.loop !== null);
  for (const workload of WORKLOADS) {
    const mine = measured.filter((r) => r.workload === workload.name && r.kind === 'cpuhp');
    const one = mine.find((r) => r.machines === 1);
    const ceilings = mine.flatMap((r) => (r.ceiling?.byCpu == null ? [] : [r.ceiling.byCpu]));
    if (one?.loop == null || ceilings.length === 0) continue;
    const [low, high] = [Math.min(...ceilings), Math.max(...ceilings)];
    const perMachine = one.loop.jobsPerSecond;
    const range = (a: number, b: number): string => (formatCount(a) === formatCount(b) ? formatCount(a) : `${formatCount(a)} to ${formatCount(b)}`);
    // Machine counts to a tenth: "1.1 to 1.4 machines", never "1 machines".
    const machines = (a: number, b: number): string => (a.toFixed(1) === b.toFixed(1) ? a.toFixed(1) : `${a.toFixed(1)} to ${b.toFixed(1)}`);
    lines.push(
      `  ${LABEL[workload.name]}: by Redis's CPU time per job in the cpuhp rows, one Redis carries about ${range(low, high)} of these jobs/s. ` +
        `One cpuhp machine did ${formatCount(perMachine)} jobs/s here (sharing the cores with Redis and the producer), so about ${machines(low / perMachine, high / perMachine)} such machines reach it.`,
    );
    if (workload.name === 'cpu') {
      const flatOut = (result.settings.cpusPerMachine * 1000) / SPIN_MS;
      lines.push(
        `    A machine of ${plural(result.settings.cpusPerMachine, 'CPU')} with cores of its own runs at most ${formatCount(flatOut)} of these ${SPIN_MS} ms jobs/s: about ${machines(low / flatOut, high / flatOut)} such machines keep one Redis busy. ` +
          'Short jobs make the broker the ceiling with few machines; the longer each job, the more machines one Redis can feed (ceiling × job length = the CPUs it keeps busy).',
      );
    }
  }
  const plain = result.redisBenchmark !== null && 'runs' in result.redisBenchmark ? result.redisBenchmark.runs.find((r) => r.pipeline === 1) : undefined;
  const byCommands = measured.flatMap((r) => (r.ceiling?.byCommands == null ? [] : [r.ceiling.byCommands]));
  if (plain !== undefined && byCommands.length > 0) {
    const best = Math.max(...measured.map((r) => r.loop!.jobsPerSecond));
    lines.push(
      `  By commands instead (redis-benchmark's ${formatCount(plain.meanRequestsPerSecond)} plain requests/s ÷ about ${Math.round(Math.min(...measured.map((r) => r.redis?.commandsPerJob ?? Infinity)))} commands per job) the ceiling would be ${range2(byCommands)} jobs/s; ` +
        `that is a floor, not the limit${best > Math.min(...byCommands) ? ` (the best row here did ${formatCount(best)} jobs/s, above it)` : ''}: most of a job's commands run inside BullMQ's scripts, without a client request's network read, parse and reply.`,
    );
  }
  if (lines.length === 1) return '';
  lines.push(
    `  On ${plural(result.cores, 'core')} the rows with more machines add processes, not cores: machines, the producer and Redis share them, so jobs/s cannot grow with the machine count here; ` +
      'on real machines each brings its own cores, and machines add throughput until the ceiling above.',
    '  Past it, more machines only wait on Redis: shard queues over several Redis instances, or batch work into fewer, larger jobs (what a job costs Redis does not depend on what the job does).',
  );
  return lines.join('\n');
}

function range2(values: readonly number[]): string {
  const [a, b] = [Math.min(...values), Math.max(...values)];
  return formatCount(a) === formatCount(b) ? formatCount(a) : `${formatCount(a)} to ${formatCount(b)}`;
}

function notes(result: ClusterBenchResult): string {
  const s = result.settings;
  const spread = result.rows
    .filter((r) => r.jobsPerProcess !== null && r.jobsPerProcess.length > 1)
    .map((r) => `  ${LABEL[r.workload].split(' ')[0]}, ${rowName(r)}: ${r.jobsPerProcess!.map((n) => formatCount(n)).join(' / ')}`);
  return [
    'Notes:',
    `  each cpuhp machine is a \`cpuhp cluster-node\` process of ${plural(s.cpusPerMachine, 'CPU')} taking ${s.jobsPerCpu} jobs per CPU; each plain BullMQ worker is a process with one Worker of concurrency ${machineConcurrency(s)} running the job inline on its event loop; ` +
      'both take jobs that the same ClusterQueue producer adds, so they differ only in what runs the jobs.',
    `  in-process queueWork is one runtime of ${plural(s.cpusPerMachine, 'CPU')} in the producer's process, no broker: against cpuhp ×1 it is what the broker costs.`,
    `  ${BUSY_NOT_SLEEP}.`,
    ...(spread.length > 0 ? ['  jobs completed per process (warm-up included), which shows how the broker spread them:', ...spread] : []),
    ...result.warnings.map((w) => `  ${w}`),
  ].join('\n');
}

function verdict(result: ClusterBenchResult): string {
  const elapsed = `${(result.elapsedMs / 1000).toFixed(1)} s`;
  const lines = [`jobs lost: ${formatCount(result.lost)}; violations: ${formatCount(result.violations)}; load average ${result.load.started.toFixed(2)} at the start, ${result.load.ended.toFixed(2)} at the end`];
  if (!clusterBenchOk(result)) lines.push(`failed: ${problems(result).length === 1 ? 'a check' : 'checks'} failed (listed on stderr); the run took ${elapsed}`);
  else if (result.interrupted) lines.push(`interrupted: the rows measured until then done, no job lost, in ${elapsed}`);
  else lines.push(`ok: every row measured, no job lost, in ${elapsed}`);
  return lines.join('\n');
}

export function clusterBenchOk(result: ClusterBenchResult): boolean {
  return problems(result).length === 0;
}

function problems(result: ClusterBenchResult): string[] {
  const lines: string[] = [];
  if (result.lost > 0) lines.push(`${plural(result.lost, 'job')} lost: every job added must come back with its result`);
  if (result.violations > 0) lines.push(`the in-process runtime's CPU workers counted ${plural(result.violations, 'invariant violation')}`);
  if (result.failures.length > 0) lines.push(`${plural(result.failures.length, 'measurement')} could not be done:`, ...result.failures.map((f) => `  - ${f}`));
  return lines;
}

/** Lost jobs, violations and failed measurements, for stderr; empty when there are none. */
export function renderProblems(result: ClusterBenchResult): string {
  return problems(result)
    .map((line) => (line.startsWith('  ') ? line : `cpuhp bench-cluster: ${line}`))
    .join('\n');
}

/** The whole result as one JSON object; figures rounded to what they can carry. */
export function renderJson(result: ClusterBenchResult): string {
  return JSON.stringify({ ...result, ok: clusterBenchOk(result), notes: { cpuJob: BUSY_NOT_SLEEP } }, roundNumbers, 2);
}
