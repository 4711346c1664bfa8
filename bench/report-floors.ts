/**
 * The sections of the strategy benchmark's report that set cpuhp beside a floor: the
 * main↔worker wake-up round trip every cpuDown needs at least once, hotplug latency by
 * threads per CPU (beside that floor), and Runtime.start beside starting as many bare workers.
 */

import { formatCount, formatMs, plural, renderTable, type Column } from '../src/common/format.js';
import { DOWN_UP_COLUMNS, formatRatio, latencyCells } from './cells.js';
import type { Summary } from './histogram.js';
import type { StrategyBenchResult } from './strategies.js';

/** The floor in one line, to stand under the cpuDown rows. */
export function wakeFloorLine(result: StrategyBenchResult): string {
  const w = result.wakeRoundTrip;
  const what = 'floor: one main↔worker wake-up round trip (Atomics.notify; the worker wakes from Atomics.wait and notifies back; the main thread resumes from Atomics.waitAsync)';
  if (w === null) return `${what}: failed`;
  return `${what}: median ${formatMs(w.median)} ms, p99 ${formatMs(w.p99)} ms, max ${formatMs(w.max)} ms over ${formatCount(w.count)}; a cpuDown needs at least one`;
}

/** `value` over the floor's median, as a cell. */
function overFloor(value: number | undefined, floor: Summary | null): string {
  return value === undefined || floor === null || floor.median === 0 ? 'n/a' : formatRatio(value / floor.median);
}

export function threadsPerCpuTable(result: StrategyBenchResult): string {
  const rows = result.threadsPerCpu.map((r) => {
    const h = r.hotplug;
    return [
      r.strategy,
      String(r.cpus),
      String(r.threadsPerCpu),
      h === null ? '' : formatCount(h.cpuDown.count),
      ...latencyCells(h?.cpuDown),
      ...latencyCells(h?.cpuUp),
      overFloor(h?.cpuDown.median, result.wakeRoundTrip),
    ];
  });
  const columns: Column[] = [
    { header: 'strategy' },
    { header: 'CPUs', align: 'right' },
    { header: 'threads per CPU', align: 'right' },
    { header: 'cycles', align: 'right' },
    ...DOWN_UP_COLUMNS,
    { header: 'down median ÷ floor', align: 'right' },
  ];
  const { cpus } = result.settings.threadsPerCpu;
  return [
    `Hotplug latency by threads per CPU, ms, at ${plural(cpus, 'CPU')}: every CPU runs that many idle per-CPU threads (one unit after each start or unpark, then asleep)`,
    '(each cpuDown after every thread of the CPU has run since its cpuUp; floor: the median of one wake-up round trip, below)',
    renderTable(columns, rows),
    wakeFloorLine(result),
  ].join('\n');
}

export function startTimeTable(result: StrategyBenchResult): string {
  const ms = (s: Summary | null): string[] => (s === null ? ['failed', ''] : [formatMs(s.median), formatMs(s.max)]);
  const rows = result.startTime.map((r) => {
    const s = r.spread;
    return [
      String(r.cpus),
      ...ms(r.runtimeMs),
      ...ms(r.bareMs),
      r.ratio === null ? 'n/a' : formatRatio(r.ratio),
      s === null ? 'n/a' : `${formatRatio(s.min)}–${formatRatio(s.max)}`,
      s === null ? '' : `${formatRatio(s.interval.low)}–${formatRatio(s.interval.high)} (${Math.round(s.interval.confidence * 100)}%)`,
      `≤ ${formatRatio(r.goal)}`,
      r.decided ?? 'n/a',
    ];
  });
  const { repeats } = result.settings.startTime;
  const over = result.startTime.filter((r) => r.oversubscribed).map((r) => r.cpus);
  return [
    `Start time, ms: Runtime.start({ cpus }) against as many bare new Worker(...) started at once, each posting 'ready', timed until the last is ready`,
    `(${plural(repeats, 'repeat')} each, the two sides back to back and taking turns to go first; ratio: of the medians; per repeat: the ratio within each repeat, its min–max and sign-test interval of the median)`,
    renderTable(
      [
        { header: 'CPUs', align: 'right' },
        { header: 'Runtime.start median', align: 'right' },
        { header: 'max', align: 'right' },
        { header: 'bare workers median', align: 'right' },
        { header: 'max', align: 'right' },
        { header: 'ratio', align: 'right' },
        { header: 'per repeat min–max', align: 'right' },
        { header: 'interval (confidence)', align: 'right' },
        { header: 'goal', align: 'right' },
        { header: 'decided', align: 'right' },
      ],
      rows,
    ),
    ...(over.length > 0
      ? [`at ${over.join(', ')} CPUs the workers outnumber the ${plural(result.cores, 'core')}: they start while time-slicing with each other and the main thread, for cpuhp and the bare workers alike`]
      : []),
  ].join('\n');
}
