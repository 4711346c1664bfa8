/** How `cpuhp demo` shows its run to a person (tables) or to a program (one JSON object). */

import type { LatencySummary } from '../index.js';
import type { DemoReport, DemoSettings } from './demo-run.js';
import { formatCount, formatMs, plural, renderTable } from '../common/format.js';

/** Failed checks listed in text output; the JSON output carries all of them. */
const FAILURES_SHOWN = 20;

export interface DemoPlan {
  readonly settings: DemoSettings;
  /** Cores the OS offers this process (os.availableParallelism()). */
  readonly cores: number;
  readonly singleParks: number;
}

/** CPUs that outnumber cores share them: then every latency includes OS scheduling. */
export function oversubscriptionWarning(plan: DemoPlan): string | undefined {
  const { cpus } = plan.settings;
  if (cpus <= plan.cores) return undefined;
  return `warning: ${plural(cpus, 'CPU')} on ${plural(plan.cores, 'core')}: the CPU workers share cores, so the latencies below include OS scheduling, not only cpuhp's own work`;
}

/** Printed before the run starts, so the user knows what the next seconds are doing. */
export function renderHeader(plan: DemoPlan): string {
  const { cpus, threadsPerCpu, cycles, seed } = plan.settings;
  const lines = [
    `cpuhp demo: ${plural(cpus, 'CPU')} (one worker thread each) on ${plural(plan.cores, 'core')}, strategy park, ` +
      `${plural(threadsPerCpu + 1, 'kthread')} per CPU (${plural(threadsPerCpu, 'spinner')} + 1 per-CPU kworker)`,
    `${plural(cycles, 'CPU down/up cycle')} on random CPUs and ${plural(plan.singleParks, 'single-thread park')}; seed ${seed} (--seed ${seed} repeats these choices)`,
  ];
  const warning = oversubscriptionWarning(plan);
  if (warning !== undefined) lines.push(warning);
  return lines.join('\n');
}

export function renderText(report: DemoReport): string {
  return [cpuTable(report), threadTable(report), latencyTable(report), verdict(report)].join('\n\n');
}

function cpuTable(report: DemoReport): string {
  const rows = report.cpus.map((c) => [
    String(c.cpu),
    c.state,
    formatCount(c.downs),
    formatCount(c.ups),
    formatCount(c.rollbacks),
    c.dormantChecks.total === 0
      ? 'not taken down'
      : `${c.dormantChecks.passed}/${c.dormantChecks.total} ${c.dormantChecks.passed === c.dormantChecks.total ? 'ok' : 'FAILED'}`,
    formatCount(c.threads),
    formatCount(c.iterationsBeforeFirstDown),
    formatCount(c.iterationsAtEnd),
  ]);
  const table = renderTable(
    [
      { header: 'CPU', align: 'right' },
      { header: 'state' },
      { header: 'downs', align: 'right' },
      { header: 'ups', align: 'right' },
      { header: 'rollbacks', align: 'right' },
      { header: 'dormant while down' },
      { header: 'threads', align: 'right' },
      { header: 'iterations before 1st down', align: 'right' },
      { header: 'iterations at end', align: 'right' },
    ],
    rows,
  );
  return `CPUs\n${table}`;
}

function threadTable(report: DemoReport): string {
  const rows = report.threads.map((t) => [t.name, String(t.cpu), formatCount(t.iterations), formatCount(t.parks), describeResult(t.result)]);
  const table = renderTable(
    [{ header: 'thread' }, { header: 'CPU', align: 'right' }, { header: 'iterations', align: 'right' }, { header: 'parks', align: 'right' }, { header: 'kthreadStop() returned' }],
    rows,
  );
  return `Threads (a park is counted each time the thread acknowledged one: its CPU going down, or kthreadPark)\n${table}`;
}

function describeResult(result: unknown): string {
  if (result === undefined) return '(nothing)';
  if (typeof result === 'object' && result !== null && !Array.isArray(result)) {
    const fields = Object.entries(result).map(([key, value]) => `${key}: ${typeof value === 'number' ? formatCount(value) : JSON.stringify(value)}`);
    return `kt.data = { ${fields.join(', ')} }`;
  }
  return JSON.stringify(result);
}

function latencyTable(report: DemoReport): string {
  const row = (name: string, l: LatencySummary, what: string): string[] => [
    name,
    formatCount(l.count),
    formatMs(l.medianMs),
    formatMs(l.p99Ms),
    formatMs(l.maxMs),
    what,
  ];
  const { cpuDown, cpuUp, park } = report.latency;
  const table = renderTable(
    [
      { header: 'operation' },
      { header: 'count', align: 'right' },
      { header: 'median ms', align: 'right' },
      { header: 'p99 ms', align: 'right' },
      { header: 'max ms', align: 'right' },
      { header: 'measured from … to …' },
    ],
    [
      row('cpuDown', cpuDown, 'call to worker dormant'),
      row('cpuUp', cpuUp, 'call to threads unparked'),
      row('park', park, 'park request to the thread\'s PARKED ack'),
    ],
  );
  return `Latency\n${table}`;
}

/** `npx cpuhp demo ...` with every setting spelled out. */
export function repeatCommand(settings: DemoSettings): string {
  return `npx cpuhp demo --cpus ${settings.cpus} --threads ${settings.threadsPerCpu} --cycles ${settings.cycles} --seed ${settings.seed}`;
}

function verdict(report: DemoReport): string {
  const lines = [`violations: ${report.violations}`];
  if (report.interrupted) {
    lines.push(`interrupted after ${plural(report.cyclesDone, 'CPU down/up cycle')} of ${formatCount(report.settings.cycles)}; the end checks were made`);
    lines.push(`seed: ${report.settings.seed}`, `to repeat it: ${repeatCommand(report.settings)}`);
  }
  const downs = report.cpus.reduce((sum, c) => sum + c.downs, 0);
  if (report.failures.length === 0) {
    lines.push(
      `ok: ${plural(downs, 'CPU down')}, each with its worker dormant and its threads parked and still; ` +
        `${plural(report.singleParks, 'single-thread park')}; every thread resumed; ${(report.elapsedMs / 1000).toFixed(1)} s`,
    );
  }
  return lines.join('\n');
}

/** The failed checks, for stderr; empty when the demo passed. */
export function renderFailures(report: DemoReport): string {
  const { failures } = report;
  if (failures.length === 0) return '';
  const shown = failures.slice(0, FAILURES_SHOWN).map((f) => `  - ${f}`);
  if (failures.length > FAILURES_SHOWN) shown.push(`  … and ${failures.length - FAILURES_SHOWN} more (--json lists all of them)`);
  return [`cpuhp demo: ${plural(failures.length, 'check')} failed (seed ${report.settings.seed}):`, ...shown].join('\n');
}

/** The same content as the tables, as one JSON object. */
export function renderJson(report: DemoReport, plan: DemoPlan): string {
  const warning = oversubscriptionWarning(plan);
  return JSON.stringify(
    {
      command: 'demo',
      ok: report.failures.length === 0,
      settings: report.settings,
      strategy: report.strategy,
      cores: report.cores,
      warnings: warning === undefined ? [] : [warning],
      singleParks: report.singleParks,
      cyclesDone: report.cyclesDone,
      interrupted: report.interrupted,
      repeat: repeatCommand(report.settings),
      cpus: report.cpus,
      // undefined would drop the key: a per-CPU thread's stop returns nothing, said as null.
      threads: report.threads.map((t) => ({ ...t, result: t.result ?? null })),
      latency: report.latency,
      violations: report.violations,
      failures: report.failures,
      elapsedMs: Math.round(report.elapsedMs * 10) / 10,
    },
    null,
    2,
  );
}
