/**
 * The fast-path sections of the strategy benchmark's report: the figures of every series, and
 * the per-round ratios with their spread and what they decide against the goals.
 */

import { formatCount, renderTable } from '../src/common/format.js';
import { formatRatio } from './cells.js';
import type { FastPathResult } from './fast-path.js';
import { biasedFloors, BOUND, NO_CHECK, type FastPathRatio } from './fast-path-ratios.js';
import type { RatioSpread } from './spread.js';
import type { StrategyBenchResult } from './strategies.js';

const ns = (n: number): string => n.toFixed(1);
const ratio = formatRatio;
const range = (low: number, high: number): string => `${ratio(low)}–${ratio(high)}`;

function figures(f: FastPathResult | null): string[] {
  return f === null ? ['failed', '', ''] : [ns(f.nsPerIteration.median), ns(f.nsPerIteration.p99), formatCount(f.iterationsPerSecondPerThread)];
}

/** The median per-round ratio of `numerator` to the no-check loop at `cpus`, as a cell. */
function versusNoCheck(ratios: readonly FastPathRatio[], cpus: number, numerator: string): string {
  const median = ratios.find((r) => r.cpus === cpus && r.numerator === numerator && r.denominator === NO_CHECK)?.spread?.median;
  return median === undefined ? 'n/a' : ratio(median);
}

export function fastPathTable(result: StrategyBenchResult): string {
  const rows: string[][] = [];
  for (const { cpus, fastPath } of result.baselines) {
    rows.push([NO_CHECK, String(cpus), ...figures(fastPath), '1.00']);
    const bound = result.bound.find((b) => b.cpus === cpus)?.fastPath ?? null;
    rows.push([BOUND, String(cpus), ...figures(bound), versusNoCheck(result.fastPathRatios, cpus, BOUND)]);
    for (const row of result.rows.filter((r) => r.cpus === cpus)) {
      rows.push([`${row.strategy} (smpboot)`, String(cpus), ...figures(row.fastPath), versusNoCheck(result.fastPathRatios, cpus, row.strategy)]);
    }
  }
  const { rounds, windows, windowMs } = result.settings.fastPath;
  return [
    'Fast path: wall ns per loop iteration of an empty unit, no hotplug going on',
    `(${NO_CHECK}: a plain kthread, same empty unit and schedule(), no park check; ${BOUND}: a kthread's own loop, boundShouldStop() per unit; ` +
      `smpboot: the runtime's per-CPU loop under each strategy. One sample per thread in each of ${windows} windows of ${windowMs} ms of each of ${rounds} ${rounds === 1 ? 'round' : 'rounds, the series taking turns'}; ` +
      '× no-check: the median of the per-round ratios)',
    renderTable(
      [
        { header: 'loop' },
        { header: 'CPUs', align: 'right' },
        { header: 'median ns', align: 'right' },
        { header: 'p99 ns', align: 'right' },
        { header: 'iterations/s per thread', align: 'right' },
        { header: '× no-check', align: 'right' },
      ],
      rows,
    ),
  ].join('\n');
}

function spreadCells(s: RatioSpread | null): string[] {
  if (s === null) return ['n/a', '', '', '', ''];
  return [ratio(s.median), range(s.q1, s.q3), range(s.min, s.max), `${range(s.interval.low, s.interval.high)} (${Math.round(s.interval.confidence * 100)}%)`, String(s.rounds)];
}

function name(r: FastPathRatio): string {
  const numerator = r.numerator === BOUND || r.denominator !== NO_CHECK ? r.numerator : `${r.numerator} (smpboot)`;
  return `${numerator} ÷ ${r.denominator}${r.role === 'noise floor' ? ' (noise floor: same per-unit code)' : ''}`;
}

export function fastPathDecisionTable(result: StrategyBenchResult): string {
  const rows = result.fastPathRatios.map((r) => [
    String(r.cpus),
    name(r),
    r.goal === null ? '-' : `≤ ${ratio(r.goal)}`,
    ...spreadCells(r.spread),
    r.decided ?? (r.role === 'noise floor' ? '-' : 'n/a'),
  ]);
  const { rounds } = result.settings.fastPath;
  const lines = [
    `Fast path, decided: each ratio taken within a round (both sides measured in it), over ${rounds} ${rounds === 1 ? 'round' : 'rounds'}`,
    '(interval: a distribution-free confidence interval of the median ratio (sign test), at the confidence shown; ' +
      'decided: yes when the whole interval is within the goal, no when all of it is above, undecided when the goal lies inside it: more rounds narrow it)',
    renderTable(
      [
        { header: 'CPUs', align: 'right' },
        { header: 'ratio' },
        { header: 'goal', align: 'right' },
        { header: 'median', align: 'right' },
        { header: 'IQR', align: 'right' },
        { header: 'min–max', align: 'right' },
        { header: 'interval (confidence)', align: 'right' },
        { header: 'rounds', align: 'right' },
        { header: 'decided', align: 'right' },
      ],
      rows,
    ),
  ];
  for (const floor of biasedFloors(result.fastPathRatios)) {
    const i = floor.spread!.interval;
    lines.push(
      `warning: at ${floor.cpus} CPUs the noise floor's interval ${range(i.low, i.high)} does not hold 1.00: ${floor.numerator} and ${floor.denominator} run the same per-unit code, ` +
        'so something besides the code told them apart in this run; read the decisions at that CPU count with that in mind',
    );
  }
  if (rounds < 6) lines.push(`note: ${rounds} ${rounds === 1 ? 'round gives' : 'rounds give'} no interval of 95%; the full run's rounds do (--rounds sets them)`);
  return lines.join('\n');
}
