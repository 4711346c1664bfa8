/**
 * Torture must find bugs: with the runtime's planted race (a CPU declared dead before its
 * last running thread parked) a fixed seed is caught within a bounded number of operations,
 * with the seed's trace; the same seed without the race runs clean.
 */

import t from 'tap';
import { runTorture } from '../../src/torture/engine.js';
import { STRATEGIES } from '../helpers.js';
import { base } from './settings.js';
for (const strategy of STRATEGIES.filter((s) => s !== 'recreate')) {
  t.test(`${strategy}: the planted race is caught within 60 operations, with a trace`, async (t) => {
    const result = await runTorture({ ...base, strategy, plantedRace: true });
    t.notOk(result.ok, 'the run reports a violation');
    t.match(result.violations[0]?.what, /ran \d+ units of work while their CPU was not online/);
    t.ok(result.operations <= 60, `caught after ${result.operations} operations`);
    t.ok(result.trace.length >= 1, 'the operations that led to it are named');
    t.ok(
      result.trace.some((op) => /^cpuDown/.test(op.op)),
      'the trace contains the CPU down that declared the CPU dead too early',
    );
  });

  t.test(`${strategy}: the same seed without the planted race runs clean`, async (t) => {
    const result = await runTorture({ ...base, strategy });
    t.same(result.violations, [], 'no violation');
    t.ok(result.ok);
    t.equal(result.operations, 60, 'every operation ran');
    t.ok(result.counts.offlineSuccesses > 0 && result.counts.onlineSuccesses > 0, 'CPUs went down and up');
  });
}
