/** The benchmarks' summaries (bench/histogram.ts): percentiles never above the max, no data never zero. */

import t from 'tap';
import fc from 'fast-check';
import { Samples } from '../../bench/histogram.js';
import { Latency } from '../../src/controller/latency.js';

t.test('a percentile is never reported above the largest value recorded', async (t) => {
  // 2.652 ms kept to the microsecond is 2652, in a bucket whose top is 2653 at 3 significant
  // digits: HDR's p99 of a histogram whose top samples are all 2.652 was once 2.653.
  const samples = new Samples(0.001);
  for (let i = 0; i < 99; i++) samples.record(0.5);
  samples.record(2.652);
  samples.record(2.652);
  const s = samples.summary()!;
  t.ok(s.p99 <= s.max, `p99 ${s.p99} <= max ${s.max}`);
  t.ok(s.median <= s.max);
  t.equal(s.max, 2.652);
});

t.test('the clamp holds over many spreads of values, at every resolution the benchmarks use', async (t) => {
  for (const resolution of [0.001, 1]) {
    for (let seed = 1; seed <= 200; seed++) {
      const samples = new Samples(resolution);
      // A deterministic spread: values over five decades, largest last or in the middle.
      for (let i = 1; i <= 50; i++) samples.record(((seed * 7919 + i * 104729) % 100_000) / 7 + i * resolution);
      const s = samples.summary()!;
      if (s.p99 > s.max || s.median > s.max) t.fail(`resolution ${resolution}, seed ${seed}: p99 ${s.p99} / median ${s.median} above max ${s.max}`);
      if (s.median > s.p99) t.fail(`resolution ${resolution}, seed ${seed}: median ${s.median} above p99 ${s.p99}`);
    }
  }
  t.pass('no percentile above the max');
});

t.test('nothing recorded is no summary, not zero latency; unusable values are not recorded', async (t) => {
  const samples = new Samples(0.001);
  t.equal(samples.summary(), undefined);
  samples.record(Number.NaN);
  samples.record(-1);
  samples.record(Number.POSITIVE_INFINITY);
  t.equal(samples.count, 0);
  samples.record(0);
  t.equal(samples.summary()?.max, 0.001, 'zero is kept as the resolution');
});

t.test('over random samples: median <= p99 <= max, the max and the mean exact to the resolution (fast-check)', async (t) => {
  const resolution = fc.constantFrom(0.001, 1);
  const values = fc.array(fc.double({ min: 0, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 300 });
  fc.assert(
    fc.property(resolution, values, (r, xs) => {
      const samples = new Samples(r);
      for (const x of xs) samples.record(x);
      const s = samples.summary();
      if (s === undefined) return false;
      // Each value is kept as a whole number of resolutions, at least one.
      const kept = xs.map((x) => Math.max(1, Math.round(x / r)) * r);
      const max = Math.max(...kept);
      const mean = kept.reduce((a, b) => a + b, 0) / kept.length;
      return (
        s.count === xs.length &&
        s.median <= s.p99 &&
        s.p99 <= s.max &&
        Math.abs(s.max - max) <= r * 1e-6 &&
        Math.abs(s.mean - mean) <= Math.max(r, mean) * 1e-9 &&
        s.median >= Math.min(...kept) * (1 - 1e-3)
      );
    }),
    { numRuns: 300 },
  );
  t.pass('every property held');
});

t.test("the runtime's latency summaries (rt.stats().latency) keep the same bounds (fast-check)", async (t) => {
  fc.assert(
    fc.property(fc.array(fc.double({ min: 0, max: 60_000, noNaN: true }), { minLength: 1, maxLength: 200 }), (ms) => {
      const latency = new Latency();
      for (const x of ms) latency.record(x);
      const s = latency.summary();
      const maxMs = Math.max(...ms.map((x) => Math.max(1, Math.round(x * 1000)) / 1000));
      return s.count === ms.length && s.medianMs <= s.p99Ms && s.p99Ms <= s.maxMs && Math.abs(s.maxMs - maxMs) < 1e-9;
    }),
    { numRuns: 200 },
  );
  t.same(new Latency().summary(), { count: 0, medianMs: 0, p99Ms: 0, maxMs: 0 }, 'no sample reads as zeros, as rt.stats() always has');
});
