/**
 * How the benchmark decides a goal from per-round ratios (bench/spread.ts) and which ratios
 * it decides (bench/fast-path-ratios.ts): pure functions over made-up figures, no timing.
 */

import t from 'tap';
import type { StrategyName } from '../../src/index.js';
import type { FastPathResult } from '../../bench/fast-path.js';
import { biasedFloors, BOUND, fastPathRatios, NO_CHECK } from '../../bench/fast-path-ratios.js';
import { FAST_PATH_GOALS } from '../../bench/settings.js';
import { decide, perRoundRatios, ratioSpread } from '../../bench/spread.js';

t.test('the spread of per-round ratios: median, quartiles, min–max', async (t) => {
  const s = ratioSpread([1.3, 1.1, 1.2, 1.0, 1.4])!;
  t.equal(s.rounds, 5);
  t.equal(s.median, 1.2);
  t.equal(s.min, 1.0);
  t.equal(s.max, 1.4);
  t.ok(Math.abs(s.q1 - 1.1) < 1e-12 && Math.abs(s.q3 - 1.3) < 1e-12, 'quartiles between order statistics');
  t.equal(ratioSpread([]), undefined, 'no round, no spread');
  t.equal(ratioSpread([Number.NaN])?.rounds, undefined, 'a ratio that is not a number is not a round');
});

t.test('the interval of the median is the sign-test interval: as wide as 95% needs, min–max below that', async (t) => {
  const sorted = (n: number): number[] => Array.from({ length: n }, (_, i) => 1 + i / 100);
  // 9 rounds: [x2, x8] holds the median with 1 − 2·10/512 ≈ 96.1%; [x3, x7] would be only 82%.
  const nine = ratioSpread(sorted(9).reverse())!;
  t.equal(nine.interval.low, 1.01);
  t.equal(nine.interval.high, 1.07);
  t.ok(Math.abs(nine.interval.confidence - (1 - 20 / 512)) < 1e-12);
  // 3 rounds cannot reach 95%: min–max, at 75%.
  const three = ratioSpread(sorted(3))!;
  t.same([three.interval.low, three.interval.high], [1, 1.02]);
  t.equal(three.interval.confidence, 0.75);
  t.equal(ratioSpread([1.1])!.interval.confidence, 0, 'one round says nothing of the spread');
  for (let n = 1; n <= 40; n++) {
    const s = ratioSpread(sorted(n))!;
    if (s.interval.low > s.median || s.interval.high < s.median) t.fail(`${n} rounds: the interval must hold the median`);
    if (n >= 6 && s.interval.confidence < 0.95) t.fail(`${n} rounds: ${s.interval.confidence} below 95%`);
  }
});

t.test('a goal is decided only when the whole interval is on one side of it', async (t) => {
  const spread = (values: number[]) => ratioSpread(values)!;
  t.equal(decide(spread([1.05, 1.1, 1.12, 1.15, 1.18, 1.1, 1.08, 1.11, 1.09]), 1.2), 'yes');
  t.equal(decide(spread([1.25, 1.3, 1.32, 1.35, 1.28, 1.3, 1.4, 1.31, 1.29]), 1.2), 'no');
  t.equal(decide(spread([1.1, 1.15, 1.2, 1.25, 1.3, 1.18, 1.22, 1.12, 1.28]), 1.2), 'undecided');
  t.equal(decide(spread([1.2, 1.2, 1.2]), 1.2), 'yes', 'at the goal is within it');
});

t.test('per-round ratios pair rounds by number; a round missing on either side gives none', async (t) => {
  t.same(perRoundRatios([2, null, 3, 4], [1, 1, null, 0]), [2, null, null, null]);
  t.same(perRoundRatios([2, 2], [1]), [2, null]);
});

function result(roundMedians: (number | null)[]): FastPathResult {
  const known = roundMedians.filter((m): m is number => m !== null);
  const median = known[0] ?? 1;
  return {
    threads: 2,
    rounds: known.length,
    nsPerIteration: { count: known.length, median, p99: median, max: median, mean: median },
    iterationsPerSecondPerThread: 1e9 / median,
    stalledSamples: 0,
    roundMedians,
  };
}

t.test('the ratios decided: each smpboot loop and the bound kthread against the no-check loop, percpu-rwsem against park, and recreate against park as the noise floor', async (t) => {
  const strategies = new Map<StrategyName, FastPathResult | null>([
    ['park', result([110, 112, 108])],
    ['refcount', null],
    ['percpu-rwsem', result([130, 140, 120])],
    ['recreate', result([111, 110, 109])],
  ]);
  const ratios = fastPathRatios([{ cpus: 2, noCheck: result([100, 100, 100]), bound: result([105, 104, 106]), strategies }], FAST_PATH_GOALS);
  t.same(
    ratios.map((r) => `${r.numerator} ÷ ${r.denominator}: ${r.role}, ${r.goal ?? '-'}`),
    [
      `park ÷ ${NO_CHECK}: goal, 1.2`,
      `refcount ÷ ${NO_CHECK}: goal, 1.2`,
      `percpu-rwsem ÷ ${NO_CHECK}: goal, 1.2`,
      `recreate ÷ ${NO_CHECK}: goal, 1.2`,
      `${BOUND} ÷ ${NO_CHECK}: goal, 1.15`,
      'percpu-rwsem ÷ park: goal, 1.15',
      'recreate ÷ park: noise floor, -',
    ],
  );
  const park = ratios[0]!;
  t.same(park.perRound, [1.1, 1.12, 1.08]);
  t.equal(park.spread?.median, 1.1);
  t.equal(park.decided, 'yes');
  const refcount = ratios[1]!;
  t.same([refcount.perRound, refcount.spread, refcount.decided], [[], null, null], 'a series that failed gives no ratio and no decision');
  t.equal(ratios[6]!.decided, null, 'the noise floor has no goal');
  t.same(biasedFloors(ratios), [], 'a floor whose interval holds 1 is not biased');
});

t.test('a noise floor whose interval does not hold 1 is reported as biased', async (t) => {
  const strategies = new Map<StrategyName, FastPathResult | null>([
    ['park', result([100, 100, 100])],
    ['recreate', result([120, 125, 130])],
  ]);
  const ratios = fastPathRatios([{ cpus: 4, noCheck: result([90, 90, 90]), bound: null, strategies }], FAST_PATH_GOALS);
  t.same(
    biasedFloors(ratios).map((r) => r.cpus),
    [4],
  );
  t.notOk(
    ratios.some((r) => r.numerator === 'percpu-rwsem'),
    'percpu-rwsem ÷ park only when percpu-rwsem was measured',
  );
});
