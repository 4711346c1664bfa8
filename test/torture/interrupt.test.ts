/**
 * A torture run asked to stop (Ctrl-C): the actors end after the operations under way, the
 * result covers what was done, says it was interrupted, and the runtime is shut down; with
 * the stop already requested, the run ends without an operation's worth of waiting.
 */

import t from 'tap';
import { runTorture } from '../../src/torture/engine.js';
import { base } from './settings.js';

t.test('stopped once it has started: interrupted, what was done counted, no violation, the timeline kept', async (t) => {
  const stop = new AbortController();
  const result = await runTorture({ ...base, ops: undefined, durationMs: 3_600_000, keepTrace: true, failRate: 0.1, seed: 21, hotplugTimeoutMs: 1000 }, (progress) => {
    // The first report that shows operations done: the run has started in earnest.
    if (progress.operations > 0) stop.abort('SIGINT');
  }, stop.signal);
  t.equal(result.interrupted, true);
  t.same(result.violations, [], 'no violation: stopping is not a fault');
  t.ok(result.ok);
  t.ok(result.operations > 0, `operations done: ${result.operations}`);
  t.ok(result.elapsedMs < 3_600_000, 'the hour was not waited out');
  t.ok((result.timeline?.ops.length ?? 0) >= result.operations, 'the timeline holds the operations done');
  t.ok(Array.isArray(result.warnings));
});

t.test('a run not stopped is not interrupted', async (t) => {
  const result = await runTorture({ ...base, ops: 20, seed: 22 }, undefined, new AbortController().signal);
  t.equal(result.interrupted, false);
  t.ok(result.ok, JSON.stringify(result.violations));
  t.equal(result.operations, 20);
});
