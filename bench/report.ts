/**
 * How a strategy benchmark reads to a person (aligned tables) and to a program (one JSON
 * object). Figures that could not be measured say so: "-" where the measurement does not
 * apply (1 CPU cannot go down), "failed" where it was tried and failed (listed at the end).
 */

import { formatCount, plural, renderTable, type Column } from '../src/common/format.js';
import { DOWN_UP_COLUMNS, formatRatio, latencyCells } from './cells.js';
import { roundNumbers } from './json.js';
import { REFERENCE_STRATEGY, type BenchSettings } from './settings.js';
import { LOADS, type StrategyBenchResult, type StrategyRow } from './strategies.js';
import type { VersusReference } from './compare.js';
import { fastPathDecisionTable, fastPathTable } from './report-fast-path.js';
import { startTimeTable, threadsPerCpuTable, wakeFloorLine } from './report-floors.js';
import { controllerPriorityTable, controllerWorkTable } from './report-controller.js';

/** Printed before the run, so the user knows what the next minutes are doing. */
export function renderHeader(settings: BenchSettings, cores: number, warnings: readonly string[]): string {
  const lines = [
    `cpuhp bench: strategies ${settings.strategies.join(', ')} (${REFERENCE_STRATEGY} is the reference), ` +
      `at ${settings.cpus.map(String).join(', ')} ${settings.cpus.length === 1 && settings.cpus[0] === 1 ? 'CPU' : 'CPUs'} (one worker thread each) on ${plural(cores, 'core')}`,
    settings.quick
      ? `quick run: ${plural(settings.hotplugCycles, 'down/up cycle')} per row, ${plural(settings.fastPath.rounds, 'fast-path round')} and short windows; a smoke run, too short for figures worth comparing`
      : `full run: ${plural(settings.hotplugCycles, 'down/up cycle')} per row; ${plural(settings.fastPath.rounds, 'fast-path round')} of ${settings.fastPath.windows} windows of ${settings.fastPath.windowMs} ms; churn windows of ${settings.churnWindowMs} ms`,
    `also: hotplug latency with ${settings.threadsPerCpu.counts.join(', ')} threads per CPU at ${plural(settings.threadsPerCpu.cpus, 'CPU')}; ` +
      `Runtime.start of ${settings.startTime.cpus.join(', ')} CPUs against as many bare workers; the wake-up round-trip floor`,
    ...warnings,
  ];
  return lines.join('\n');
}

export function renderText(result: StrategyBenchResult): string {
  // With only 1 CPU asked for, the three hotplug sections would be empty: one note says why.
  const hotplugMeasured = result.rows.some((r) => r.skipped === null);
  const sections = hotplugMeasured ? [hotplugTable(result), disruptionTable(result), churnTable(result)] : [skippedNotes(result).join('\n'), wakeFloorLine(result)];
  const floors = [...(result.threadsPerCpu.length > 0 ? [threadsPerCpuTable(result)] : []), ...(result.startTime.length > 0 ? [startTimeTable(result)] : [])];
  const controller = [...(hotplugMeasured || result.threadsPerCpu.length > 0 ? [controllerWorkTable(result)] : []), ...(result.controllerPriority.length > 0 ? [controllerPriorityTable(result)] : [])];
  return [fastPathTable(result), fastPathDecisionTable(result), ...sections, ...floors, ...controller, comparisonTable(result), verdict(result)].join('\n\n');
}

const ratio = formatRatio;

/** "-" when the row skipped this measurement, "failed" when it was tried. */
function missing(row: StrategyRow): string {
  return row.skipped === null ? 'failed' : '-';
}

function hotplugTable(result: StrategyBenchResult): string {
  const rows: string[][] = [];
  for (const row of result.rows) {
    if (row.skipped !== null) continue;
    for (const load of LOADS) {
      const h = row.hotplug[load];
      rows.push([row.strategy, String(row.cpus), load, h === null ? '' : formatCount(h.cpuDown.count), ...latencyCells(h?.cpuDown), ...latencyCells(h?.cpuUp)]);
    }
  }
  const columns: Column[] = [
    { header: 'strategy' },
    { header: 'CPUs', align: 'right' },
    { header: 'load' },
    { header: 'cycles', align: 'right' },
    ...DOWN_UP_COLUMNS,
  ];
  return [
    'Hotplug latency, ms, from the call of rt.cpuDown/rt.cpuUp to its resolve, CPUs 1..n-1 in turn',
    '(idle: every CPU has a per-CPU thread that runs one unit after each start or unpark, then sleeps; busy: every CPU runs a per-CPU thread whose run() spins ~20 µs;',
    ' each cpuDown after every thread of the CPU has run since its cpuUp)',
    renderTable(columns, rows),
    wakeFloorLine(result),
    ...skippedNotes(result),
  ].join('\n');
}

function skippedNotes(result: StrategyBenchResult): string[] {
  const cpus = [...new Set(result.rows.filter((r) => r.skipped !== null).map((r) => r.cpus))];
  return cpus.map((n) => `${plural(n, 'CPU')}: ${result.rows.find((r) => r.cpus === n)!.skipped!}`);
}

function disruptionTable(result: StrategyBenchResult): string {
  const rows = result.rows
    .filter((row) => row.skipped === null)
    .map((row) => {
      const c = row.churn;
      if (c === null) return [row.strategy, String(row.cpus), missing(row)];
      return [row.strategy, String(row.cpus), c.stableCpus.join(','), String(c.churnedCpu), formatCount(c.undisturbedPerSecond), formatCount(c.duringChurnPerSecond), `${(c.disruption * 100).toFixed(1)}%`];
    });
  return [
    `Disruption: throughput of the CPUs that stay online while the last CPU goes down and up, against their own undisturbed throughput`,
    `(undisturbed: mean of a window of ${result.settings.churnWindowMs} ms before and one after the churn window)`,
    renderTable(
      [
        { header: 'strategy' },
        { header: 'CPUs', align: 'right' },
        { header: 'stable CPUs' },
        { header: 'churned CPU', align: 'right' },
        { header: 'undisturbed iterations/s', align: 'right' },
        { header: 'during churn iterations/s', align: 'right' },
        { header: 'kept', align: 'right' },
      ],
      rows,
    ),
  ].join('\n');
}

function churnTable(result: StrategyBenchResult): string {
  const rows = result.rows
    .filter((row) => row.skipped === null)
    .map((row) => {
      const c = row.churn;
      if (c === null) return [row.strategy, String(row.cpus), missing(row)];
      return [row.strategy, String(row.cpus), formatCount(c.cycles), c.cyclesPerSecond.toFixed(1), formatCount(c.work.stable), formatCount(c.work.churned), formatCount(c.work.total)];
    });
  return [
    `Churn: down/up cycles of the last CPU completed in a window of ${result.settings.churnWindowMs} ms, back to back, and the work done meanwhile`,
    '(churned CPU: iterations of its thread from each cpuUp resolving until the next cpuDown had parked it)',
    renderTable(
      [
        { header: 'strategy' },
        { header: 'CPUs', align: 'right' },
        { header: 'cycles', align: 'right' },
        { header: 'cycles/s', align: 'right' },
        { header: 'iterations, stable CPUs', align: 'right' },
        { header: 'churned CPU', align: 'right' },
        { header: 'total', align: 'right' },
      ],
      rows,
    ),
  ].join('\n');
}

function comparisonTable(result: StrategyBenchResult): string {
  const cell = (v: VersusReference, value: number | null): string => {
    if (value !== null) return ratio(value);
    const row = result.rows.find((r) => r.strategy === v.strategy && r.cpus === v.cpus);
    return row?.skipped !== null ? '-' : 'n/a';
  };
  const fast = (v: VersusReference): string => (v.fastPath === null ? 'n/a' : ratio(v.fastPath));
  const rows = result.versusReference.map((v) => [
    v.strategy,
    String(v.cpus),
    fast(v),
    cell(v, v.cpuDownIdle),
    cell(v, v.cpuDownBusy),
    cell(v, v.cpuUpIdle),
    cell(v, v.cpuUpBusy),
    cell(v, v.disruption),
    cell(v, v.churn),
  ]);
  return [
    `Compared with ${REFERENCE_STRATEGY}, measured in this run at the same CPU count (ratio of medians; ${REFERENCE_STRATEGY} = 1.00)`,
    '(lower is better for fast path and latency; higher is better for kept throughput and churn; n/a: a side failed)',
    renderTable(
      [
        { header: 'strategy' },
        { header: 'CPUs', align: 'right' },
        { header: 'fast path ns', align: 'right' },
        { header: 'down idle', align: 'right' },
        { header: 'down busy', align: 'right' },
        { header: 'up idle', align: 'right' },
        { header: 'up busy', align: 'right' },
        { header: 'kept throughput', align: 'right' },
        { header: 'churn cycles/s', align: 'right' },
      ],
      rows,
    ),
  ].join('\n');
}

function verdict(result: StrategyBenchResult): string {
  const lines = [`violations: ${result.violations}`];
  const elapsed = `${(result.elapsedMs / 1000).toFixed(1)} s`;
  if (result.failures.length > 0) lines.push(`${plural(result.failures.length, 'measurement')} failed (listed on stderr); the others done in ${elapsed}`);
  else if (result.interrupted) lines.push(`interrupted: the measurements made until then done in ${elapsed}, none failed`);
  else lines.push(`ok: every measurement done in ${elapsed}`);
  return lines.join('\n');
}

/** Failed measurements and violations, for stderr; empty when there are none. */
export function renderProblems(result: StrategyBenchResult): string {
  const lines: string[] = [];
  if (result.violations > 0) {
    lines.push(`cpuhp bench: the CPU workers counted ${plural(result.violations, 'invariant violation')}: a bound thread did work while its CPU was not online`);
  }
  if (result.failures.length > 0) {
    lines.push(`cpuhp bench: ${plural(result.failures.length, 'measurement')} could not be done:`, ...result.failures.map((f) => `  - ${f}`));
  }
  return lines.join('\n');
}

/** The whole result as one JSON object; figures rounded to what they can carry. */
export function renderJson(result: StrategyBenchResult, extra: { readonly svg: string | null }): string {
  return JSON.stringify({ ...result, ok: result.failures.length === 0 && result.violations === 0, svg: extra.svg }, roundNumbers, 2);
}
