/**
 * How a dashboard-cost run reads to a person (the arms side by side with the ratios, the
 * rounds in the order they ran, what the client read, and what it means) and to a program
 * (one JSON object). A missing side says "n/a".
 */

import { formatCount, formatMs, plural, renderTable } from '../../src/common/format.js';
import { formatRatio } from '../cells.js';
import { roundNumbers } from '../json.js';
import type { ArmSummary, DashboardBenchResult, LatencyMs, RoundRow } from './run.js';
import type { DashboardBenchSettings } from './settings.js';

/** Printed before the run, so the user knows what the next minutes are doing. */
export function renderHeader(settings: DashboardBenchSettings, cores: number, warnings: readonly string[]): string {
  return [
    `cpuhp bench-dashboard: what the page costs the runtime it shows; ${plural(settings.cpus, 'CPU')} on ${plural(cores, 'core')}, Node ${process.version}`,
    `${settings.quick ? 'quick run (a smoke run, too short for figures worth comparing)' : 'full run'}: ${settings.rounds} rounds per arm of ${(settings.roundMs / 1000).toFixed(1)} s, ` +
      `closed and open alternating after a warm-up; each round: trivial jobs through queueWork, ${settings.window} in flight at full rate, and a CPU down and up every ${settings.hotplugEveryMs} ms; ` +
      `open: the page served (a snapshot every ${settings.intervalMs} ms) with a client process reading /events and scraping /metrics every ${settings.scrapeEveryMs / 1000} s`,
    ...warnings,
  ].join('\n');
}

const ms = (l: LatencyMs | null, pick: 'p50' | 'p99'): string => (l === null ? 'n/a' : formatMs(l[pick]));
const ratioCell = (r: number | null): string => (r === null ? 'n/a' : formatRatio(r));

function armRow(name: string, arm: ArmSummary): string[] {
  return [
    name,
    String(arm.rounds),
    arm.jobsPerSec === null ? 'n/a' : formatCount(arm.jobsPerSec.median),
    arm.jobsPerSec === null ? 'n/a' : `${formatCount(arm.jobsPerSec.min)}-${formatCount(arm.jobsPerSec.max)}`,
    ms(arm.cpuDown, 'p50'),
    ms(arm.cpuDown, 'p99'),
    ms(arm.cpuUp, 'p50'),
    ms(arm.cpuUp, 'p99'),
    arm.cpuDown === null ? '0' : formatCount(arm.cpuDown.count),
  ];
}

const ARM_COLUMNS = [
  { header: 'page' },
  { header: 'rounds', align: 'right' },
  { header: 'jobs/s (median)', align: 'right' },
  { header: 'jobs/s range', align: 'right' },
  { header: 'cpuDown p50 ms', align: 'right' },
  { header: 'p99 ms', align: 'right' },
  { header: 'cpuUp p50 ms', align: 'right' },
  { header: 'p99 ms', align: 'right' },
  { header: 'cycles', align: 'right' },
] as const;

export function renderText(result: DashboardBenchResult): string {
  const { closed, open } = result.arms;
  const r = result.ratios;
  const arms = renderTable(ARM_COLUMNS, [
    armRow('closed (no dashboard)', closed),
    armRow('open (served and read)', open),
    ['open / closed', '', ratioCell(r.jobsPerSec), '', ratioCell(r.cpuDownP50), ratioCell(r.cpuDownP99), ratioCell(r.cpuUpP50), ratioCell(r.cpuUpP99), ''],
  ]);
  return [arms, roundsTable(result.rounds), clientLine(result.rounds), meaning(result), verdict(result)].filter((s) => s !== '').join('\n\n');
}

function roundsTable(rounds: readonly RoundRow[]): string {
  if (rounds.length === 0) return '';
  return (
    'rounds, in the order they ran:\n' +
    renderTable(
      [
        { header: 'round' },
        { header: 'jobs/s', align: 'right' },
        { header: 'cpuDown p50', align: 'right' },
        { header: 'p99', align: 'right' },
        { header: 'cpuUp p50', align: 'right' },
        { header: 'p99', align: 'right' },
        { header: 'snapshots', align: 'right' },
        { header: 'trace events', align: 'right' },
        { header: 'scrapes', align: 'right' },
      ],
      rounds.map((row) => [
        `${row.arm} ${row.index}`,
        formatCount(row.jobsPerSec),
        ms(row.cpuDown, 'p50'),
        ms(row.cpuDown, 'p99'),
        ms(row.cpuUp, 'p50'),
        ms(row.cpuUp, 'p99'),
        row.client === null ? '-' : formatCount(row.client.snapshots),
        row.client === null ? '-' : formatCount(row.client.traceEvents),
        row.client === null ? '-' : formatCount(row.client.scrapes),
      ]),
    )
  );
}

function clientLine(rounds: readonly RoundRow[]): string {
  const read = rounds.flatMap((row) => (row.client === null ? [] : [row.client]));
  if (read.length === 0) return '';
  const sum = (pick: (c: (typeof read)[number]) => number): number => read.reduce((s, c) => s + pick(c), 0);
  const seconds = rounds.filter((row) => row.client !== null).reduce((s, row) => s + row.elapsedMs, 0) / 1000;
  return (
    `the client read ${formatCount(sum((c) => c.snapshots))} snapshots and ${formatCount(sum((c) => c.traceEvents))} trace events ` +
    `(${formatCount(sum((c) => c.dropped))} dropped by the server for a slow reader), ${formatCount(sum((c) => c.streamBytes) / 1024 / seconds)} KiB/s of stream, ` +
    `and scraped /metrics ${plural(sum((c) => c.scrapes), 'time')} (${formatCount(sum((c) => c.scrapeBytes) / Math.max(1, sum((c) => c.scrapes)))} bytes each); ${formatCount(sum((c) => c.errors))} request errors`
  );
}

function meaning(result: DashboardBenchResult): string {
  const lines = [
    'A jobs/s ratio open/closed of 0.95 means the page took 5% of the runtime\'s job throughput; a latency ratio of 1.2 means a CPU went down or came up 20% slower with it open. ' +
      'Rounds alternate so that a change in the machine\'s load falls on both arms; the jobs/s range across rounds of one arm is the noise the ratio must be read against.',
    ...result.warnings,
  ];
  return lines.join('\n');
}

function verdict(result: DashboardBenchResult): string {
  const lines: string[] = [];
  if (result.interrupted) lines.push(`interrupted after ${plural(result.rounds.length, 'measured round')}: the figures hold what was measured until then`);
  lines.push(`violations: ${result.violations}`);
  lines.push(`load average: ${result.load.started.toFixed(2)} when the run started, ${result.load.ended.toFixed(2)} when it ended; ${(result.elapsedMs / 1000).toFixed(1)} s`);
  return lines.join('\n');
}

/** Problems for stderr, which make the exit status 1; empty when there are none. */
export function renderProblems(result: DashboardBenchResult): string {
  const problems = [...result.failures];
  if (result.violations > 0) problems.push(`the runtime's CPU workers counted ${plural(result.violations, 'invariant violation')}`);
  if (problems.length === 0) return '';
  return ['cpuhp bench-dashboard: problems:', ...problems.map((p) => `  - ${p}`)].join('\n');
}

export function renderJson(result: DashboardBenchResult): string {
  return JSON.stringify(result, roundNumbers, 2);
}
