/**
 * `cpuhp bench-cluster --quick --json` end to end, against a throw-away local Redis the
 * command starts itself: it exits 0, and its JSON has every row (cpuhp machines ×1, ×2, ×4,
 * plain BullMQ ×1, ×2, ×4 and in-process, for each workload), each with every job added
 * answered (none lost), and figures that are finite numbers. Timings are never asserted:
 * the figures are measured on a shared 2-core machine.
 */

import t from 'tap';
import { runCli } from '../cli-process.js';

interface Loop {
  readonly submitted: number;
  readonly resolved: number;
  readonly lost: number;
  readonly jobsPerSecond: number;
  readonly latencyMs: { readonly median: number; readonly p99: number; readonly max: number } | null;
}

interface Row {
  readonly workload: string;
  readonly kind: string;
  readonly machines: number;
  readonly concurrency: number;
  readonly loop: Loop | null;
  readonly redis: { readonly commandsPerJob: number; readonly redisCpuUsPerJob: number } | null;
}

t.test('bench-cluster --quick --json measures every row and loses no job', async (t) => {
  const run = await runCli(['bench-cluster', '--quick', '--json']);
  t.equal(run.code, 0, `exit 0 (stderr: ${run.stderr.slice(-1500)})`);
  const result = JSON.parse(run.stdout) as { command: string; ok: boolean; lost: number; rows: Row[]; failures: string[]; redisBenchmark: unknown; cores: number };
  t.equal(result.command, 'bench-cluster');
  t.same(result.failures, [], 'no measurement failed');
  t.equal(result.lost, 0, 'no job lost');
  t.ok(result.ok);
  const expected = ['trivial', 'cpu'].flatMap((w) => [`${w} in-process 0`, ...[1, 2, 4].flatMap((n) => [`${w} cpuhp ${n}`, `${w} bullmq ${n}`])]);
  t.same(result.rows.map((r) => `${r.workload} ${r.kind} ${r.machines}`).sort(), expected.sort(), 'every row, once');
  for (const row of result.rows) {
    const name = `${row.workload}, ${row.kind} ×${row.machines}`;
    const loop = row.loop;
    t.ok(loop !== null, `${name}: measured`);
    if (loop === null) continue;
    t.ok(loop.submitted > 0, `${name}: jobs were added`);
    t.equal(loop.resolved, loop.submitted, `${name}: every job added came back with its result`);
    t.equal(loop.lost, 0, `${name}: none lost`);
    t.ok(Number.isFinite(loop.jobsPerSecond) && loop.jobsPerSecond > 0, `${name}: jobs/s is a positive number`);
    t.ok(loop.latencyMs !== null && [loop.latencyMs.median, loop.latencyMs.p99, loop.latencyMs.max].every(Number.isFinite), `${name}: p50, p99 and max are numbers`);
    t.ok(Number.isInteger(row.concurrency) && row.concurrency > 0, `${name}: its total concurrency is stated`);
    if (row.kind === 'in-process') t.equal(row.redis, null, `${name}: no broker, no Redis cost`);
    else t.ok(row.redis !== null && Number.isFinite(row.redis.commandsPerJob) && row.redis.commandsPerJob > 0 && Number.isFinite(row.redis.redisCpuUsPerJob), `${name}: what a job cost Redis`);
  }
  t.ok(result.redisBenchmark !== null, 'redis-benchmark ran, or said it is missing');
});

t.test('a bad bench-cluster flag exits 2 before anything starts, naming the flag', async (t) => {
  const cases: [string[], string][] = [
    [['bench-cluster', '--machine-cpus', '0'], '--machine-cpus'],
    [['bench-cluster', '--jobs-per-cpu', '1.5'], '--jobs-per-cpu'],
    [['bench-cluster', '--window', '1e9'], '--window'],
    [['bench-cluster', '--trivial-jobs', '-1'], '--trivial-jobs'],
    [['bench-cluster', '--cpu-jobs', ''], '--cpu-jobs'],
    [['bench-cluster', '--out', ''], '--out'],
  ];
  for (const [args, flag] of cases) {
    const run = await runCli(args);
    t.equal(run.code, 2, `${args.join(' ')} exits 2`);
    t.ok((run.stderr.split('\n')[0] ?? '').includes(flag), `${args.join(' ')}: the first line names ${flag}`);
    t.equal(run.stdout, '', `${args.join(' ')}: nothing ran`);
  }
});
