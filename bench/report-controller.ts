/**
 * The sections of the strategy benchmark's report about the controller thread: its own
 * JavaScript per hotplug operation, and what controllerPriority 'raised' buys (hotplug
 * latency with every CPU busy) and costs (the busy threads' work) against 'normal'.
 */

import { formatCount, formatMs, plural, renderTable, type Column } from '../src/common/format.js';
import { DOWN_UP_COLUMNS, formatRatio, latencyCells } from './cells.js';
import type { HotplugLatency } from './hotplug.js';
import { LOADS, type StrategyBenchResult } from './strategies.js';

/** Median and p99 of the controller's work per cpuDown and per cpuUp. */
function workCells(h: HotplugLatency | null): string[] {
  const c = h?.controller;
  return c === undefined ? ['failed', '', '', ''] : [formatMs(c.cpuDown.median), formatMs(c.cpuDown.p99), formatMs(c.cpuUp.median), formatMs(c.cpuUp.p99)];
}

const WORK_COLUMNS: readonly Column[] = ['down', 'up'].flatMap((op) => ['median', 'p99'].map((figure): Column => ({ header: `${op} ${figure}`, align: 'right' })));

export function controllerWorkTable(result: StrategyBenchResult): string {
  const rows: string[][] = [];
  for (const row of result.rows) {
    if (row.skipped !== null) continue;
    for (const load of LOADS) rows.push([row.strategy, String(row.cpus), load, ...workCells(row.hotplug[load])]);
  }
  for (const r of result.threadsPerCpu) rows.push([r.strategy, String(r.cpus), `${plural(r.threadsPerCpu, 'idle thread')} per CPU`, ...workCells(r.hotplug)]);
  return [
    "Controller work per operation, ms: the main thread's event-loop active time over each rt.cpuDown/rt.cpuUp (its JavaScript: lock, steps, promise chains;",
    ' the time it waits on a worker is idle time and not counted), from the same cycles as the latency rows',
    renderTable([{ header: 'strategy' }, { header: 'CPUs', align: 'right' }, { header: 'load' }, ...WORK_COLUMNS], rows),
  ].join('\n');
}

export function controllerPriorityTable(result: StrategyBenchResult): string {
  const rows = result.controllerPriority;
  if (rows.length === 0) return '';
  const normal = rows.find((r) => r.priority === 'normal');
  const cells = rows.map((r) => {
    const h = r.hotplug;
    const units = r.unitsPerSecond;
    const base = normal?.unitsPerSecond;
    return [
      `'${r.priority}'`,
      [...new Set(r.outcomes)].join(', ') || 'failed',
      String(r.cpus),
      h === null ? '' : formatCount(h.cpuDown.count),
      ...latencyCells(h?.cpuDown),
      ...latencyCells(h?.cpuUp),
      units === null ? 'failed' : formatCount(Math.round(units.median)),
      units === null || base === undefined || base === null ? 'n/a' : formatRatio(units.median / base.median),
    ];
  });
  const { cpus, rounds } = result.settings.controllerPriority;
  return [
    `controllerPriority: 'normal' against 'raised', ms, at ${plural(cpus, 'CPU')} on ${plural(result.cores, 'core')} (CPUs ≥ cores), every CPU running a busy per-CPU thread (park)`,
    `(${plural(rounds, 'round')} per setting, taking turns, each a fresh runtime; outcome: what the runtime did (stats().controllerPriority);`,
    " units/s: the busy threads' units per second over the round, median of the rounds: the CPU time the workers keep)",
    renderTable(
      [
        { header: 'setting' },
        { header: 'outcome' },
        { header: 'CPUs', align: 'right' },
        { header: 'cycles', align: 'right' },
        ...DOWN_UP_COLUMNS,
        { header: 'busy units/s', align: 'right' },
        { header: "÷ 'normal'", align: 'right' },
      ],
      cells,
    ),
  ].join('\n');
}
