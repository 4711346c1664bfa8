/**
 * The cluster torture: a short real run through the CLI (machines killed mid-flight, every
 * job accounted for), and its checker on hand-made ledgers, where an unexplained duplicate
 * must be found and one a kill explains must not be.
 */

import t from 'tap';
import { checkRun, type CheckedJob } from '../../src/torture/cluster/checker.js';
import type { LedgerLine } from '../../src/torture/cluster/ledger.js';
import type { KillRecord } from '../../src/torture/cluster/fleet.js';
import { CLI_PATIENCE_MS, runCli } from '../cli-process.js';

const ok = (id: string): CheckedJob => ({ id, args: { key: id, ms: 5, kind: 'ok' }, outcome: { kind: 'completed', value: id } });
const line = (key: string, machine: string, pid: number, run: number, at: LedgerLine['at'], t: number): LedgerLine => ({ key, machine, pid, run, at, t });

t.test('the checker finds an unexplained duplicate and accepts one a kill explains', async (t) => {
  const kills: KillRecord[] = [{ machine: 'm0', pid: 100, t: 1_050 }];
  const lines = [
    // a: once, on m1.
    line('a', 'm1', 200, 1, 'start', 1_000),
    line('a', 'm1', 200, 1, 'end', 1_010),
    // b: cut by the kill of m0 pid 100, run again on m1: explained.
    line('b', 'm0', 100, 1, 'start', 1_020),
    line('b', 'm1', 200, 2, 'start', 3_000),
    line('b', 'm1', 200, 2, 'end', 3_010),
    // c: ended on m2, which was never killed, and ran again: unexplained.
    line('c', 'm2', 300, 1, 'start', 1_030),
    line('c', 'm2', 300, 1, 'end', 1_040),
    line('c', 'm1', 200, 2, 'start', 1_100),
    line('c', 'm1', 200, 2, 'end', 1_110),
  ];
  const result = checkRun({ jobs: [ok('a'), ok('b'), ok('c')], lines, kills, downs: [{ machine: 'm2', pid: 300, from: 1_035, to: 1_500 }], maxStalledCount: 1 });
  t.equal(result.violations.filter((v) => v.startsWith('job c:')).length, 1, 'the duplicate of c is a violation');
  t.match(result.violations.find((v) => v.startsWith('job c:')), /graceful down of m2 pid 300 caused a second run/, 'named as a graceful down');
  t.notOk(
    result.violations.some((v) => v.startsWith('job b:') || v.startsWith('job a:')),
    'the duplicate of b (its first run cut by a kill) and the single run of a are not',
  );
  const b = result.duplicates.find((d) => d.key === 'b');
  t.same(b?.why, ['killed m0 pid 100 mid-run'], 'and b says why it ran twice');
  t.equal(result.counts.duplicates, 2);
  t.equal(result.counts.inFlightOnKilled, 1, 'one run was in flight on the killed machine');
  t.same(result.kills[0], { machine: 'm0', pid: 100, t: 1_050, cutMidRun: 1, endedUnheard: 0, rerun: 1, failedStalled: 0 });
});

t.test('the checker holds each job to the rules', async (t) => {
  const kills: KillRecord[] = [
    { machine: 'm0', pid: 100, t: 2_000 },
    { machine: 'm0', pid: 101, t: 4_000 },
  ];
  const stalled: CheckedJob = { id: 's', args: { key: 's', ms: 5, kind: 'ok' }, outcome: { kind: 'failed', code: 'x', reason: 'stalled', message: 'job s failed: job stalled more than allowable limit' } };
  const planned: CheckedJob = { id: 'p', args: { key: 'p', ms: 5, kind: 'throw' }, outcome: { kind: 'failed', code: 'x', reason: 'threw', message: 'job p failed: RangeError: planned failure of p' } };
  const dropped = ok('d');
  const clean = checkRun({
    jobs: [stalled, planned],
    lines: [
      line('s', 'm0', 100, 1, 'start', 1_900),
      line('s', 'm0', 101, 2, 'start', 3_900),
      line('p', 'm1', 200, 1, 'start', 1_000),
      line('p', 'm1', 200, 1, 'threw', 1_005),
    ],
    kills,
    downs: [],
    maxStalledCount: 1,
  });
  t.same(clean.violations, [], 'failing as stalled after two kills, and failing as planned, are allowed');
  t.equal(clean.counts.inFlightOnKilled, 2);

  const broken = checkRun({
    jobs: [dropped, ok('x3')],
    lines: [
      // d: cut by a kill, never run again, yet "completed".
      line('d', 'm0', 100, 1, 'start', 1_950),
      // x3: three runs with maxStalledCount 1.
      line('x3', 'm0', 100, 1, 'start', 1_000),
      line('x3', 'm0', 101, 2, 'start', 3_000),
      line('x3', 'm1', 200, 3, 'start', 5_000),
      line('x3', 'm1', 200, 3, 'end', 5_010),
    ],
    kills,
    downs: [],
    maxStalledCount: 1,
  });
  t.match(broken.violations.join('\n'), /job d: completed, yet its last run \(1, on m0 pid 100\) never wrote its end/);
  t.match(broken.violations.join('\n'), /job x3: ran 3 times, more than 1 \+ maxStalledCount \(2\)/);
  t.match(broken.violations.join('\n'), /the duplicates do not add up/);
});

t.test('a short run through the CLI kills machines and accounts for every job', { timeout: CLI_PATIENCE_MS }, async (t) => {
  const redis = process.env.CPUHP_TEST_REDIS;
  const args = ['torture-cluster', '--duration', '8s', '--seed', '7', '--json', ...(redis === undefined || redis === '' ? [] : ['--redis', redis])];
  const run = await runCli(args);
  t.equal(run.code, 0, `exits 0 (stderr: ${run.stderr.slice(-2000)})`);
  const json = JSON.parse(run.stdout) as { ok: boolean; kills: number; violations: string[]; counts: { completed: number; lost: number; jobs: number }; seed: number };
  t.equal(json.seed, 7);
  t.ok(json.kills > 0, `machines were killed (${json.kills})`);
  t.ok(json.counts.completed > 0, `jobs completed (${json.counts.completed})`);
  t.equal(json.counts.lost, 0, 'no job lost');
  t.same(json.violations, [], 'no violation');
  t.equal(json.ok, true);
});
