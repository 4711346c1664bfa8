/**
 * How a job-benchmark run reads to a person (aligned tables and notes) and to a program (one
 * JSON object). Figures that could not be measured say "failed" (the failure is listed at the
 * end); ratios whose side failed say "n/a".
 */

import { formatCount, formatMs, plural, renderTable, type Column } from '../../src/common/format.js';
import { formatRatio, latencyCells } from '../cells.js';
import { roundNumbers } from '../json.js';
import type { LoopResult } from './closed-loop.js';
import type { CpuhpChurn, PiscinaChurn } from './measurement.js';
import type { PiscinaInfo } from './piscina-target.js';
import type { JobBenchResult, JobRow, PeerInfo } from './run.js';
import type { JobBenchSettings } from './settings.js';
import { WORKLOADS, type WorkloadName } from './workloads.js';

const LABEL: Readonly<Record<WorkloadName, string>> = Object.fromEntries(WORKLOADS.map((w) => [w.name, w.label])) as Record<WorkloadName, string>;

export const PEERS_WITHOUT_CHURN =
  'poolifier and tinypool are measured without churn only: like piscina they cannot take one chosen worker out, and the pool-replacement churn is shown once, for piscina';

export const NO_PER_WORKER_DRAIN =
  'piscina has no per-worker drain: it has no operation on one chosen worker (its loadBalancer picks where a task goes, not which worker leaves), and close() and destroy() act on the whole pool, so one thread cannot be taken out while the others go on';

/** "poolifier 5.3.2", or why it is not measured. */
function peerLine(peer: PeerInfo): string {
  return 'missing' in peer ? `${peer.name}: ${peer.missing}` : `${peer.name} ${peer.version}: ${peer.options}, without churn`;
}

/** Printed before the run, so the user knows what the next minute or two is doing. */
export function renderHeader(settings: JobBenchSettings, cores: number, piscina: PiscinaInfo, peers: readonly PeerInfo[], warnings: readonly string[]): string {
  const { threads, concurrency, trivialJobs, cpuJobs, dispatchJobs, churnIntervalMs } = settings;
  const against = 'missing' in piscina ? '' : ` against piscina ${piscina.version} run (${plural(threads, 'thread')})`;
  return [
    `cpuhp bench-jobs: cpuhp queueWork (park strategy, ${plural(threads, 'CPU')})${against}, on ${plural(cores, 'core')}, Node ${process.version}`,
    ...('missing' in piscina ? [`  piscina: ${piscina.missing}`] : []),
    ...peers.map((p) => `  and ${peerLine(p)}`),
    `${settings.quick ? 'quick run (a smoke run, too short for figures worth comparing)' : 'full run'}: a closed loop of ${formatCount(concurrency)} jobs in flight; ` +
      `${formatCount(trivialJobs)} trivial and ${formatCount(cpuJobs)} CPU-bound jobs per row; churn every ${churnIntervalMs} ms; ${formatCount(dispatchJobs)} jobs per dispatch path`,
    ...warnings,
  ].join('\n');
}

export function renderText(result: JobBenchResult): string {
  return [throughputTable(result), churnTable(result), ratioTable(result), dispatchTable(result), piscinaNotes(result), verdict(result)].join('\n\n');
}

const churnCell = (row: JobRow, intervalMs: number): string => (row.churn ? `every ${intervalMs} ms` : 'none');

function loopCells(loop: LoopResult | null, skipped: string | null = null): string[] {
  if (skipped !== null) return ['not installed'];
  if (loop === null) return ['failed'];
  return [formatCount(loop.jobsPerSecond), ...latencyCells(loop.latencyMs ?? undefined), formatCount(loop.lost)];
}

function throughputTable(result: JobBenchResult): string {
  const rows = result.rows.map((row) => [LABEL[row.workload], churnCell(row, result.settings.churnIntervalMs), row.runtime, ...loopCells(row.loop, row.skipped)]);
  const notes = result.rows.flatMap((row) => row.notes.map((note) => `  ${row.runtime}, ${row.workload}: ${note}`));
  const missing = [result.piscina, ...result.peers].flatMap((p) => ('missing' in p ? [`  ${p.missing}`] : []));
  return [
    `Throughput and latency: ${plural(result.settings.concurrency, 'job')} in flight, each replaced as it settles; latency from submit to settle`,
    `(churn: cpuhp takes CPU ${result.settings.threads - 1} down at one tick and up at the next; piscina replaces its whole pool at every tick; poolifier and tinypool have no churn rows. lost = submitted − resolved)`,
    ...(result.settings.threads + 1 > result.cores
      ? ['(with more threads than cores, a CPU taken down also frees a core: cpuhp under churn runs one worker fewer half the time, which can make jobs that cost the main thread more than the workers faster)']
      : []),
    renderTable(
      [
        { header: 'workload' },
        { header: 'churn' },
        { header: 'runtime' },
        { header: 'jobs/s', align: 'right' },
        { header: 'median ms', align: 'right' },
        { header: 'p99 ms', align: 'right' },
        { header: 'max ms', align: 'right' },
        { header: 'lost', align: 'right' },
      ],
      rows,
    ),
    ...(notes.length > 0 || missing.length > 0 ? ['Notes:', ...notes, ...missing] : []),
  ].join('\n');
}

function churnCells(detail: CpuhpChurn | PiscinaChurn | null): string[] {
  if (detail === null) return ['failed'];
  if (detail.runtime === 'cpuhp') {
    return [
      `cpuDown/cpuUp of CPU ${detail.cpu}`,
      `${formatCount(detail.cpuDowns)} down, ${formatCount(detail.cpuUps)} up`,
      formatMs(detail.cpuDownMs.medianMs),
      formatMs(detail.cpuDownMs.p99Ms),
      formatCount(detail.movedJobs),
      '-',
    ];
  }
  const close = detail.closeMs;
  return [
    'new pool, then await old.close()',
    `${formatCount(detail.poolsReplaced)} pools replaced`,
    close === null ? '-' : formatMs(close.median),
    close === null ? '-' : formatMs(close.p99),
    '-',
    formatCount(detail.resultsAfterRejection),
  ];
}

function churnTable(result: JobBenchResult): string {
  const churned = result.rows.filter((row) => row.churn);
  const rows = churned.map((row) =>
    row.skipped !== null ? [LABEL[row.workload], row.runtime, 'not installed'] : [LABEL[row.workload], row.runtime, ...churnCells(row.loop === null ? null : row.churnDetail), row.loop === null ? '' : formatCount(row.loop.lost)],
  );
  const columns: Column[] = [
    { header: 'workload' },
    { header: 'runtime' },
    { header: 'what each tick did' },
    { header: 'operations' },
    { header: 'op median ms', align: 'right' },
    { header: 'op p99 ms', align: 'right' },
    { header: 'jobs moved', align: 'right' },
    { header: 'ran after rejection', align: 'right' },
    { header: 'lost', align: 'right' },
  ];
  const why = churned.flatMap((row) => {
    const lines: string[] = [];
    for (const [kind, count] of Object.entries(row.loop?.errors ?? {})) lines.push(`  ${row.runtime}, ${row.workload}: ${formatCount(count)} rejected with ${kind}`);
    if (row.loop !== null && row.loop.unsettled > 0) {
      lines.push(`  ${row.runtime}, ${row.workload}: ${formatCount(row.loop.unsettled)} never settled (the loop waited ${result.settings.settleTimeoutMs} ms after the last job that did)`);
    }
    const detail = row.churnDetail;
    for (const [kind, count] of Object.entries(detail?.errors ?? {})) lines.push(`  ${row.runtime}, ${row.workload}: ${formatCount(count)}× ${kind}`);
    return lines;
  });
  return [
    `Under churn, every ${result.settings.churnIntervalMs} ms: what each tick did, how long one operation took (cpuhp: cpuDown; piscina: the old pool's close()), and what it cost`,
    '(jobs moved: queued on the CPU going down and run on another; ran after rejection: piscina results that came back for jobs it had already rejected)',
    renderTable(columns, rows),
    ...(why.length > 0 ? ['What went wrong:', ...why] : []),
  ].join('\n');
}

function ratioTable(result: JobBenchResult): string {
  const cell = (n: number | null): string => (n === null ? 'n/a' : formatRatio(n));
  const lost = (n: number | null): string => (n === null ? 'n/a' : formatCount(n));
  const rows = result.ratios.map((r) => [
    LABEL[r.workload],
    r.churn ? `every ${result.settings.churnIntervalMs} ms` : 'none',
    r.peer,
    cell(r.throughput),
    cell(r.medianLatency),
    cell(r.p99Latency),
    lost(r.lost.cpuhp),
    lost(r.lost.peer),
  ]);
  return [
    `cpuhp against each peer, measured in this run at ${plural(result.settings.threads, 'thread')} each (ratio cpuhp / peer)`,
    '(throughput: above 1, cpuhp did more jobs per second; latency: below 1, cpuhp was faster; n/a: a side failed)',
    renderTable(
      [
        { header: 'workload' },
        { header: 'churn' },
        { header: 'peer' },
        { header: 'throughput', align: 'right' },
        { header: 'median latency', align: 'right' },
        { header: 'p99 latency', align: 'right' },
        { header: 'lost cpuhp', align: 'right' },
        { header: 'lost peer', align: 'right' },
      ],
      rows,
    ),
  ].join('\n');
}

function dispatchTable(result: JobBenchResult): string {
  const reference = result.dispatchPaths.find((d) => d.path === 'port-per-job')?.loop?.jobsPerSecond;
  const rows = result.dispatchPaths.map((d) => {
    const loop = d.loop;
    if (loop === null) return [d.path, d.requests, d.results, 'failed'];
    const versus = reference === undefined || reference === 0 ? 'n/a' : formatRatio(loop.jobsPerSecond / reference);
    return [d.path, d.requests, d.results, formatCount(loop.jobsPerSecond), ...latencyCells(loop.latencyMs ?? undefined).slice(0, 2), versus, formatCount(loop.lost)];
  });
  return [
    `Dispatch paths: the trivial job through a raw worker_threads Worker (not cpuhp), one worker, the same closed loop of ${formatCount(result.settings.concurrency)} in flight`,
    renderTable(
      [
        { header: 'path' },
        { header: 'jobs to the worker' },
        { header: 'results back' },
        { header: 'jobs/s', align: 'right' },
        { header: 'median ms', align: 'right' },
        { header: 'p99 ms', align: 'right' },
        { header: '× per-job port', align: 'right' },
        { header: 'lost', align: 'right' },
      ],
      rows,
    ),
    ...cloneCostLine(result),
  ].join('\n');
}

function cloneCostLine(result: JobBenchResult): string[] {
  const cost = result.cloneCost;
  if (cost === null) return ['copy cost of one request: failed'];
  const us = (n: number): string => `${n.toFixed(2)} µs`;
  return [
    `Copy cost of one request on the main thread (mean of ${formatCount(cost.values)}): v8.serialize + v8.deserialize ${us(cost.v8SerializeUs)}, ` +
      `structuredClone ${us(cost.structuredCloneUs)}; the ring pays the first for every request and every result; postMessage copies natively, as structuredClone does`,
  ];
}

/** What piscina did under churn in this run, in words. */
function piscinaNotes(result: JobBenchResult): string {
  if ('missing' in result.piscina) return 'piscina under churn: not measured (piscina is not installed).';
  const lines = [`piscina under churn: ${NO_PER_WORKER_DRAIN}.`];
  lines.push(
    `The churn rows do the closest thing an application can: at every tick, start a new pool of ${plural(result.settings.threads, 'thread')}, send new jobs to it, and await the old pool's graceful close().`,
  );
  for (const row of result.rows.filter((r) => r.runtime === 'piscina' && r.churn)) {
    const detail = row.churnDetail;
    if (row.loop === null || detail === null || detail.runtime !== 'piscina') continue;
    const rejected = Object.entries(row.loop.errors)
      .map(([kind, count]) => `${formatCount(count)} rejected with ${kind}`)
      .join(', ');
    lines.push(
      `  ${LABEL[row.workload]}: ${formatCount(detail.poolsReplaced)} pools replaced; ${formatCount(row.loop.lost)} of ${formatCount(row.loop.submitted)} jobs lost` +
        `${rejected === '' ? '' : ` (${rejected})`}; ${formatCount(detail.resultsAfterRejection)} of the rejected jobs had run (their results came back after the rejection).`,
    );
  }
  lines.push(
    "  Why (from piscina's source, ThreadPool.close): close() lets the queued jobs run, but its flush check is registered once per worker and counts one worker's idle moment that many times, " +
      "so it can resolve as soon as the first worker is idle; close() then destroy()s the pool, and the jobs still running on the other workers are rejected with 'Terminating worker thread'.",
  );
  return lines.join('\n');
}

function verdict(result: JobBenchResult): string {
  const lines = [`cpuhp jobs lost: ${formatCount(result.cpuhpLost)}; violations: ${formatCount(result.violations)}`];
  const elapsed = `${(result.elapsedMs / 1000).toFixed(1)} s`;
  if (!jobBenchOk(result)) lines.push(`failed: ${problems(result).length === 1 ? 'a check' : 'checks'} failed (listed on stderr); the run took ${elapsed}`);
  else if (result.interrupted) lines.push(`interrupted: the measurements made until then done, no cpuhp job lost, in ${elapsed}`);
  else lines.push(`ok: every measurement done, no cpuhp job lost, in ${elapsed}`);
  return lines.join('\n');
}

export function jobBenchOk(result: JobBenchResult): boolean {
  return problems(result).length === 0;
}

function problems(result: JobBenchResult): string[] {
  const lines: string[] = [];
  if (result.cpuhpLost > 0) lines.push(`cpuhp lost ${plural(result.cpuhpLost, 'job')}: every job queued with queueWork must resolve, under churn too`);
  if (result.violations > 0) lines.push(`the cpuhp CPU workers counted ${plural(result.violations, 'invariant violation')}`);
  if (result.failures.length > 0) lines.push(`${plural(result.failures.length, 'measurement')} could not be done:`, ...result.failures.map((f) => `  - ${f}`));
  return lines;
}

/** Lost cpuhp jobs, violations and failed measurements, for stderr; empty when there are none. */
export function renderProblems(result: JobBenchResult): string {
  return problems(result)
    .map((line) => (line.startsWith('  ') ? line : `cpuhp bench-jobs: ${line}`))
    .join('\n');
}

/** The whole result as one JSON object; figures rounded to what they can carry. */
export function renderJson(result: JobBenchResult): string {
  return JSON.stringify({ ...result, ok: jobBenchOk(result), notes: { piscinaChurn: NO_PER_WORKER_DRAIN, peersChurn: PEERS_WITHOUT_CHURN } }, roundNumbers, 2);
}
