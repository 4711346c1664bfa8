/**
 * The strategy benchmark's report shapes (bench/report.ts and its sections, bench/chart.ts)
 * over a made-up result: every section is there, failed and skipped figures say so, the JSON
 * carries the new rows, and the chart renders with them. No figure is measured here.
 */

import t from 'tap';
import type { StrategyName } from '../../src/index.js';
import { chartSpec, renderSvg } from '../../bench/chart.js';
import type { ChurnResult } from '../../bench/churn.js';
import { compareWithReference } from '../../bench/compare.js';
import type { FastPathResult } from '../../bench/fast-path.js';
import { fastPathRatios } from '../../bench/fast-path-ratios.js';
import type { Summary } from '../../bench/histogram.js';
import type { HotplugLatency } from '../../bench/hotplug.js';
import { renderJson, renderText } from '../../bench/report.js';
import { benchSettings } from '../../bench/settings.js';
import { StartTimeSamples } from '../../bench/start-time.js';
import { SINGLE_CPU_SKIP, type StrategyBenchResult, type StrategyRow } from '../../bench/strategies.js';
import { placedItems, type Placed } from './scenegraph.js';

const summary = (median: number): Summary => ({ count: 20, median, p99: median * 3, max: median * 4, mean: median * 1.2 });
const latency = (down: number, up: number): HotplugLatency => ({ cpuDown: summary(down), cpuUp: summary(up), controller: { cpuDown: summary(down / 4), cpuUp: summary(up / 2) } });
const fastPath = (roundMedians: number[]): FastPathResult => ({
  threads: 2,
  rounds: roundMedians.length,
  nsPerIteration: summary(roundMedians[0]!),
  iterationsPerSecondPerThread: 1e9 / roundMedians[0]!,
  stalledSamples: 0,
  roundMedians,
});

function madeUpResult(): StrategyBenchResult {
  const strategies: StrategyName[] = ['park', 'percpu-rwsem', 'recreate'];
  const settings = benchSettings({ quick: true, cpus: [1, 2], strategies, startCpus: [2, 4] });
  const rows: StrategyRow[] = settings.cpus.flatMap((cpus) =>
    settings.strategies.map((strategy, i) => ({
      strategy,
      cpus,
      fastPath: fastPath([100 + 10 * i, 102 + 10 * i, 98 + 10 * i]),
      fastPathVsBaseline: null,
      hotplug: cpus < 2 ? { idle: null, busy: null } : { idle: latency(0.1, 0.05), busy: strategy === 'recreate' ? null : latency(0.3, 0.08) },
      churn: null,
      skipped: cpus < 2 ? SINGLE_CPU_SKIP : null,
    })),
  );
  const series = settings.cpus.map((cpus) => ({
    cpus,
    noCheck: fastPath([90, 91, 89]),
    bound: cpus === 1 ? null : fastPath([95, 96, 94]),
    strategies: new Map(rows.filter((r) => r.cpus === cpus).map((r) => [r.strategy, r.fastPath] as const)),
  }));
  const start = new StartTimeSamples([2, 4], 2);
  start.record(2, 'runtime', 1, 120);
  start.record(2, 'bare', 1, 100);
  start.record(2, 'runtime', 2, 130);
  start.record(2, 'bare', 2, 90);
  start.record(4, 'bare', 1, 200);
  return {
    command: 'bench',
    settings,
    cores: 2,
    node: process.version,
    warnings: [],
    baselines: series.map((s) => ({ cpus: s.cpus, fastPath: s.noCheck })),
    bound: series.map((s) => ({ cpus: s.cpus, fastPath: s.bound })),
    rows,
    fastPathRatios: fastPathRatios(series, settings.fastPath.goals),
    versusReference: compareWithReference(rows),
    threadsPerCpu: settings.threadsPerCpu.counts.map((threadsPerCpu) => ({ strategy: 'park', cpus: 2, threadsPerCpu, hotplug: threadsPerCpu === 64 ? null : latency(0.1 * threadsPerCpu, 0.05) })),
    wakeRoundTrip: summary(0.05),
    startTime: start.rows(2, settings.startTime.goal),
    controllerPriority: [
      { priority: 'normal', cpus: 2, outcomes: ['normal'], hotplug: latency(0.2, 0.1), unitsPerSecond: summary(40000) },
      { priority: 'raised', cpus: 2, outcomes: ['raised', 'workers-lowered'], hotplug: latency(0.1, 0.1), unitsPerSecond: summary(38000) },
    ],
    violations: 0,
    failures: ['park, 2 CPUs: hotplug latency, 64 idle threads per CPU: made up'],
    interrupted: false,
    notDone: [],
    elapsedMs: 1234,
  };
}

t.test('the text report has every section, and says what failed or was skipped', async (t) => {
  const text = renderText(madeUpResult());
  for (const heading of [
    'Fast path: wall ns per loop iteration',
    'Fast path, decided:',
    'Hotplug latency, ms,',
    'floor: one main↔worker wake-up round trip',
    'Hotplug latency by threads per CPU, ms, at 2 CPUs',
    'Start time, ms:',
    'Controller work per operation, ms:',
    "controllerPriority: 'normal' against 'raised'",
    'Compared with park',
  ]) {
    t.ok(text.includes(heading), heading);
  }
  t.match(text, /bound kthread ÷ no-check loop\s+≤ 1\.15/, 'the bound kthread against its goal');
  t.match(text, /recreate ÷ park \(noise floor: same per-unit code\)\s+-/, 'the noise floor has no goal');
  t.match(text, /percpu-rwsem ÷ park\s+≤ 1\.15/, 'the read side against park');
  t.match(text, /note: 3 rounds give no interval of 95%/, 'a quick run says its intervals are short of 95%');
  t.match(text, /park\s+2\s+64\s+failed/, 'a failed threads-per-CPU row says so');
  t.match(text, /\n\s+4\s+failed\s+200\.000/, 'a start-time side that failed says so');
  t.match(text, /at 4 CPUs the workers outnumber the 2 cores/, 'the start-time rows say when threads outnumber cores');
  t.match(text, /down median ÷ floor/);
  // park at 2 CPUs, idle: cpuDown 0.1 ms of which the controller's work is a quarter.
  t.match(text, /park\s+2\s+idle\s+0\.025\s+0\.075\s+0\.025\s+0\.075/, "the controller's work per cpuDown and cpuUp, median and p99");
  t.match(text, /park\s+2\s+64 idle threads per CPU\s+failed/, "a failed threads-per-CPU row's controller work says so");
  t.match(text, /'raised'\s+raised, workers-lowered\s+2\s+20/, 'the outcomes of every round are named');
  t.match(text, /38,000\s+0\.95/, "the busy threads' work against 'normal'");
});

t.test('the JSON carries the decided ratios, the floors and the rows', async (t) => {
  const json = JSON.parse(renderJson(madeUpResult(), { svg: null })) as Record<string, unknown>;
  t.ok(Array.isArray(json.rows) && json.rows.length > 0, 'rows, as CI checks');
  const ratios = json.fastPathRatios as Array<{ numerator: string; denominator: string; decided: string | null; spread: { interval: { confidence: number } } | null }>;
  t.ok(ratios.some((r) => r.numerator === 'park' && r.decided === 'yes'), 'park ÷ no-check decided');
  t.equal(ratios.find((r) => r.numerator === 'bound kthread' && r.spread === null)?.decided, null, 'a failed series decides nothing');
  const start = json.startTime as Array<{ cpus: number; ratio: number | null; perRepeat: (number | null)[]; oversubscribed: boolean }>;
  t.same(
    start.map((r) => [r.cpus, r.ratio, r.perRepeat, r.oversubscribed]),
    [
      // The median of two repeats is the lower one (HDR): 120 ÷ 90.
      [2, 1.333, [1.2, 1.444], false],
      [4, null, [null, null], true],
    ],
  );
  t.equal((json.wakeRoundTrip as Summary).median, 0.05);
  t.equal((json.threadsPerCpu as unknown[]).length, 3);
  const priority = json.controllerPriority as Array<{ priority: string; hotplug: HotplugLatency }>;
  t.same(priority.map((r) => r.priority), ['normal', 'raised']);
  t.equal(priority[0]!.hotplug.controller?.cpuDown.median, 0.05, "the controller's work per operation is in the JSON");
  t.equal(json.ok, false, 'a failure makes the run not ok');
});

t.test('the chart takes the new series and renders', async (t) => {
  const result = madeUpResult();
  const spec = JSON.stringify(chartSpec(result));
  t.ok(spec.includes('bound kthread') && spec.includes('no-check loop'), 'the fast-path panel has both kthread series');
  const svg = await renderSvg(result);
  t.match(svg, /^<svg/);
});

const churn = (disruption: number): ChurnResult => ({
  windowMs: 250,
  churnedCpu: 1,
  stableCpus: [0],
  undisturbedPerSecond: 1000,
  duringChurnPerSecond: 1000 * disruption,
  disruption,
  cycles: 100,
  cyclesPerSecond: 400,
  work: { stable: 250, churned: 100, total: 350 },
});

t.test('the latency panel draws each p99 tick and controller bar over its own bar, and every bar inside its frame', async (t) => {
  const items = await placedItems(chartSpec(madeUpResult()), ['latency_median_marks', 'latency_p99_marks', 'latency_controller_marks']);
  const key = (p: Placed): string => `${String(p.datum.operation)} ${String(p.datum.CPUs)} ${String(p.datum.strategy)}`;
  const bars = new Map(items.filter((p) => p.mark === 'latency_median_marks').map((p) => [key(p), p]));
  // park and percpu-rwsem idle and busy, recreate idle only (its busy row failed): 2 operations each.
  t.equal(bars.size, 10, 'one median bar per strategy, operation and load measured');
  const overlays = items.filter((p) => p.mark !== 'latency_median_marks');
  t.equal(overlays.length, 20, 'a p99 tick and a controller bar over each');
  const misplaced = overlays.filter((p) => {
    const bar = bars.get(key(p));
    const centre = p.x + p.width / 2;
    return bar === undefined || centre < bar.x || centre > bar.x + bar.width;
  });
  t.same(misplaced.map(key), [], 'no tick or inner bar off its own bar');
  const spilled = [...bars.values()].filter((b) => b.x < 0 || b.x + b.width > b.groupWidth);
  t.same(spilled.map(key), [], 'no bar past the frame');
});

t.test('the disruption panel has its 100% line, and the fast path one scale per CPU count', async (t) => {
  const base = madeUpResult();
  const result: StrategyBenchResult = { ...base, rows: base.rows.map((r) => (r.cpus === 2 ? { ...r, churn: churn(r.strategy === 'park' ? 0.9 : 1.05) } : r)) };
  const spec = chartSpec(result);
  const json = JSON.stringify(spec);
  t.match(json, /"encoding":\{"y":\{"datum":100\}\}/, 'a rule at 100 % kept');
  t.match(json, /"resolve":\{"scale":\{"y":"independent"\}\}/, 'the fast-path facets each on their own scale');
  const kept = await placedItems(spec, ['churn_kept_marks']);
  t.same(kept.map((p) => p.datum.kept).sort(), [105, 105, 90], 'one % kept bar per strategy measured');
  t.match(await renderSvg(result), /^<svg/);
});
