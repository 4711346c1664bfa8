/** Placement (src/jobs/placement.ts): pure functions over per-CPU loads, no runtime needed. */

import fc from 'fast-check';
import t from 'tap';
import { handOverRoom, leastLoadedFirst, MAX_HANDED_US, MIN_WINDOW, nextAverageUs, nextLeadUs, queueFor, TARGET_HANDED_US, wantsMore, windowFor, type CpuLoad } from '../../src/jobs/placement.js';

const load = (cpu: number, handed: number, window: number, waiting = 0): CpuLoad => ({ cpu, handed, window, waiting });

t.test('queueFor: strict vs preferred, up or not, wait or fail', async (t) => {
  const any = { cpu: undefined, strict: false, waitOffline: false };
  t.equal(queueFor(any, false), 'shared', 'a job without a CPU goes to the shared FIFO');
  t.equal(queueFor({ ...any, waitOffline: true }, false), 'shared');
  const preferred = { cpu: 1, strict: false, waitOffline: false };
  t.equal(queueFor(preferred, true), 'own', 'a preferred job waits for its CPU while it is up');
  t.equal(queueFor(preferred, false), 'shared', 'and goes anywhere when it is not');
  t.equal(queueFor({ ...preferred, waitOffline: true }, false), 'shared', 'whenOffline is for strict jobs only');
  const strict = { cpu: 1, strict: true, waitOffline: false };
  t.equal(queueFor(strict, true), 'own', 'a strict job waits for its CPU');
  t.equal(queueFor(strict, false), 'refuse', "whenOffline 'fail': refused when the CPU is not up");
  t.equal(queueFor({ ...strict, waitOffline: true }, false), 'own', "whenOffline 'wait': waits for the CPU to come up");
  t.equal(queueFor({ ...strict, waitOffline: true }, true), 'own');
});

t.test('leastLoadedFirst: the least loaded CPU gets the first job', async (t) => {
  t.same(leastLoadedFirst([load(0, 3, 8), load(1, 0, 8), load(2, 1, 8)], 1), [1]);
  t.same(leastLoadedFirst([load(0, 0, 8, 5), load(1, 2, 8)], 1), [1], 'jobs waiting for a CPU in particular count as its load');
});

t.test('leastLoadedFirst: ties go in CPU order, and a burst is dealt in rounds', async (t) => {
  t.same(leastLoadedFirst([load(0, 1, 8), load(1, 1, 8), load(2, 1, 8)], 7), [0, 1, 2, 0, 1, 2, 0]);
  // The order is by the load before the round: CPU 2 first, then 0 and 1 in CPU order.
  t.same(leastLoadedFirst([load(0, 2, 8), load(1, 2, 8), load(2, 0, 8)], 5), [2, 0, 1, 2, 0]);
});

t.test('leastLoadedFirst: a full window gets nothing, and the round ends when every window is full', async (t) => {
  t.same(leastLoadedFirst([load(0, 4, 4), load(1, 0, 2)], 10), [1, 1], 'CPU 0 is full; CPU 1 takes two and is full too');
  t.same(leastLoadedFirst([load(0, 1, 3), load(1, 0, 2)], 10), [1, 0, 1, 0]);
  t.same(leastLoadedFirst([load(0, 5, 4)], 3), [], 'a window already over-full (it shrank) gets nothing');
});

t.test('leastLoadedFirst: no open CPU, or no job, places nothing', async (t) => {
  t.same(leastLoadedFirst([], 5), []);
  t.same(leastLoadedFirst([load(0, 0, 4)], 0), []);
});

const loadsArb = fc
  .array(fc.record({ handed: fc.nat({ max: 20 }), window: fc.integer({ min: 1, max: 16 }), waiting: fc.nat({ max: 20 }) }), { maxLength: 8 })
  .map((loads) => loads.map((l, cpu) => load(cpu, l.handed, l.window, l.waiting)));

t.test('property: leastLoadedFirst fills the room it has, never a window past full, dealing evenly', async (t) => {
  fc.assert(
    fc.property(loadsArb, fc.nat({ max: 200 }), (loads, jobs) => {
      const picks = leastLoadedFirst(loads, jobs);
      if (picks.length !== Math.min(jobs, handOverRoom(loads))) return false;
      const given = new Map<number, number>();
      for (const cpu of picks) given.set(cpu, (given.get(cpu) ?? 0) + 1);
      for (const l of loads) {
        const got = given.get(l.cpu) ?? 0;
        if (got > 0 && l.handed + got > l.window) return false;
      }
      // Dealt in rounds: no CPU gets a second job in a round before every CPU with room got one.
      for (const l of loads) {
        for (const m of loads) {
          const short = Math.max(0, m.window - m.handed) - (given.get(m.cpu) ?? 0) > 0; // m still had room at the end
          if (short && (given.get(l.cpu) ?? 0) > (given.get(m.cpu) ?? 0) + 1) return false;
        }
      }
      // The first pick is a least loaded CPU with room, the lowest-numbered of those.
      const open = loads.filter((l) => l.handed < l.window);
      if (picks.length > 0) {
        const least = Math.min(...open.map((l) => l.handed + l.waiting));
        if (picks[0] !== open.find((l) => l.handed + l.waiting === least)!.cpu) return false;
      }
      return true;
    }),
    { numRuns: 1000 },
  );
  t.pass('every placement held');
});

t.test('windowFor: about TARGET_HANDED_US of work, at least MIN_WINDOW, at most the slots', async (t) => {
  t.equal(windowFor(TARGET_HANDED_US / 4, 64), 4);
  t.equal(windowFor(1, 64), 64, 'tiny jobs: as many as there are slots');
  t.equal(windowFor(0, 64), 64, 'a zero average is read as 1 us');
  t.equal(windowFor(TARGET_HANDED_US * 10, 64), MIN_WINDOW, 'long jobs: still one ready behind the running one');
  t.equal(windowFor(TARGET_HANDED_US * 10, 1), 1, 'never more than the slots');
  fc.assert(
    fc.property(fc.double({ min: 0, max: 1e9, noNaN: true }), fc.integer({ min: 1, max: 1024 }), (avg, slots) => {
      const window = windowFor(avg, slots);
      return Number.isInteger(window) && window <= slots && window >= Math.min(MIN_WINDOW, slots);
    }),
  );
});

t.test('windowFor: a grown lead holds that much more work, within the same bounds', async (t) => {
  t.equal(windowFor(1000, 64, TARGET_HANDED_US), windowFor(1000, 64), 'the lead is TARGET_HANDED_US unless it grew');
  t.equal(windowFor(1000, 64, 8000), 8, '1 ms jobs, an 8 ms lead: 8 of them');
  t.equal(windowFor(1000, 4, 8000), 4, 'never more than the slots');
  t.equal(windowFor(100_000, 64, MAX_HANDED_US), MIN_WINDOW, 'jobs longer than the lead: still MIN_WINDOW');
});

t.test('nextLeadUs: doubles when the CPU ran dry, up to MAX_HANDED_US; eases back toward TARGET_HANDED_US otherwise', async (t) => {
  t.equal(nextLeadUs(TARGET_HANDED_US, true), TARGET_HANDED_US * 2);
  t.equal(nextLeadUs(MAX_HANDED_US, true), MAX_HANDED_US, 'never past the most');
  t.equal(nextLeadUs(MAX_HANDED_US * 0.75, true), MAX_HANDED_US);
  t.equal(nextLeadUs(TARGET_HANDED_US, false), TARGET_HANDED_US, 'never below the least');
  const eased = nextLeadUs(8000, false);
  t.ok(eased < 8000 && eased > TARGET_HANDED_US, 'a refill in time eases the lead, a little');
  // From the most, easing all the way back takes many refills in time, never fewer than a few dozen.
  let lead = MAX_HANDED_US;
  let refills = 0;
  while (lead > TARGET_HANDED_US && refills < 10_000) {
    lead = nextLeadUs(lead, false);
    refills++;
  }
  t.equal(lead, TARGET_HANDED_US, 'all the way back, in a bounded number of refills');
  t.ok(refills > 32, `eased back over ${refills} refills`);
  fc.assert(
    fc.property(fc.double({ min: TARGET_HANDED_US, max: MAX_HANDED_US, noNaN: true }), fc.boolean(), (lead, dry) => {
      const next = nextLeadUs(lead, dry);
      return next >= TARGET_HANDED_US && next <= MAX_HANDED_US && (dry ? next >= lead : next <= lead);
    }),
  );
});

t.test('wantsMore: an idle CPU, or one down to half its window', async (t) => {
  t.equal(wantsMore(0, 2), true);
  t.equal(wantsMore(1, 2), true);
  t.equal(wantsMore(2, 8), true);
  t.equal(wantsMore(4, 8), true);
  t.equal(wantsMore(5, 8), false);
  t.equal(wantsMore(8, 8), false);
});

t.test('nextAverageUs moves a tenth of the way to the newest job time', async (t) => {
  t.equal(nextAverageUs(1000, 1000), 1000);
  t.equal(nextAverageUs(1000, 2000), 1100);
  t.equal(nextAverageUs(1000, 0), 900);
});

t.test('handOverRoom counts the free places in the windows, none for a window over-full', async (t) => {
  t.equal(handOverRoom([]), 0);
  t.equal(handOverRoom([load(0, 1, 4), load(1, 6, 4), load(2, 0, 2)]), 3 + 0 + 2);
});
