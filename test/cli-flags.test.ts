/**
 * Every flag of every command, given a bad value (NaN, Infinity, negative, huge, empty, the
 * wrong unit), an unknown flag or an extra argument: exit 2 before any run starts, and an
 * error line that names the flag, with no stack trace. Output paths that cannot be written
 * are refused the same way; a file that can no longer be written at the end of a run is one
 * line after the results, which are printed anyway.
 */

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { runCli } from './cli-process.js';

const dir = mkdtempSync(join(tmpdir(), 'cpuhp-cli-flags-'));
const file = join(dir, 'taken.json');
writeFileSync(file, '{}\n');
const missing = join(dir, 'no-such-dir', 'out.json');

const DURATIONS = ['NaN', 'Infinity', '-1s', '1e400', '', '2x', '30s2m', '1.0005s', '169h'];

/** [arguments, the flag the error must name]. */
const cases: Array<[readonly string[], string]> = [
  // demo
  ...['NaN', 'Infinity', '-1', '1e3', '', '1.5', '99999999999999999999', '1'].map((v): [string[], string] => [['demo', '--cpus', v], '--cpus']),
  [['demo', '--threads', '0'], '--threads'],
  [['demo', '--cycles', '-5'], '--cycles'],
  [['demo', '--seed', '4294967296'], '--seed'],
  [['demo', '--out', dir], '--out'],
  [['demo', '--out', missing], '--out'],
  [['demo', '--cpsu', '2'], '--cpsu'],
  [['demo', 'extra'], 'too many arguments'],
  // torture
  ...DURATIONS.map((v): [string[], string] => [['torture', '--duration', v], '--duration']),
  [['torture', '--onoff-interval', '2h'], '--onoff-interval'],
  [['torture', '--onoff-holdoff', '-0.5'], '--onoff-holdoff'],
  [['torture', '--timeout', '0'], '--timeout'],
  [['torture', '--fail-rate', 'NaN'], '--fail-rate'],
  [['torture', '--fail-rate', '1.5'], '--fail-rate'],
  [['torture', '--faults', 'deaf,nope'], '--faults'],
  [['torture', '--strategy', 'spin'], '--strategy'],
  [['torture', '--ops', '0'], '--ops'],
  [['torture', '--trace', ''], '--trace'],
  [['torture', '--trace', missing], '--trace'],
  [['torture', '--trace', file, '--out', file], '--out'],
  [['torture', '--json', 'extra'], 'too many arguments'],
  // bench
  [['bench', '--cpus', '1,NaN'], '--cpus'],
  [['bench', '--cpus', ''], '--cpus'],
  [['bench', '--strategies', 'park,spin'], '--strategies'],
  [['bench', '--cycles', 'Infinity'], '--cycles'],
  [['bench', '--rounds', '0'], '--rounds'],
  [['bench', '--threads-per-cpu', '1,,2'], '--threads-per-cpu'],
  [['bench', '--start-cpus', '-1'], '--start-cpus'],
  [['bench', '--svg', dir], '--svg'],
  [['bench', '--svg', file, '--out', file], '--out'],
  [['bench', '--out', missing], '--out'],
  [['bench', '--quick', 'now'], 'too many arguments'],
  // bench-jobs
  [['bench-jobs', '--threads', '1'], '--threads'],
  [['bench-jobs', '--concurrency', '1e9'], '--concurrency'],
  [['bench-jobs', '--trivial-jobs', '-1'], '--trivial-jobs'],
  [['bench-jobs', '--cpu-jobs', ''], '--cpu-jobs'],
  ...['0', 'NaN', '2m', '-3ms', '1.5ms'].map((v): [string[], string] => [['bench-jobs', '--churn-interval', v], '--churn-interval']),
  [['bench-jobs', '--out', ''], '--out'],
  [['bench-jobs', '--quik'], '--quik'],
  [['nonsense'], 'nonsense'],
];

t.test('every bad flag value exits 2 before the run starts, with an error line naming the flag and no stack trace', async (t) => {
  // Two at a time: the machine has two cores.
  for (let i = 0; i < cases.length; i += 2) {
    await Promise.all(
      cases.slice(i, i + 2).map(async ([args, flag]) => {
        const run = await runCli(args);
        const label = `cpuhp ${args.map((a) => (a === '' ? "''" : a)).join(' ')}`;
        t.equal(run.code, 2, `${label} exits 2`);
        const first = run.stderr.split('\n')[0] ?? '';
        t.ok(first.startsWith('error:') && first.includes(flag), `${label}: the first line names ${flag}: ${first}`);
        t.notMatch(run.stderr, /unexpected error|\n\s+at /, `${label}: no stack trace`);
        t.equal(run.stdout, '', `${label}: nothing ran`);
      }),
    );
  }
});

t.test('compound durations and hours are accepted where the message says they are', async (t) => {
  const run = await runCli(['torture', '--duration', '1h30m', '--ops', '3', '--onoff-interval', '1.5s', '--onoff-holdoff', '0s', '--timeout', '2s', '--seed', '1', '--json']);
  t.equal(run.code, 0, run.stderr);
  const result = JSON.parse(run.stdout) as { settings: { durationMs: number; onoffIntervalMs: number; hotplugTimeoutMs: number }; repeat: string };
  t.equal(result.settings.durationMs, 5_400_000);
  t.equal(result.settings.onoffIntervalMs, 1500);
  t.equal(result.settings.hotplugTimeoutMs, 2000);
  t.match(result.repeat, /--duration 1h30m --ops 3 --onoff-interval 1s500ms --onoff-holdoff 0s .*--timeout 2s --seed 1$/);
});

t.test('an output file that can no longer be written at the end: the results are printed, then one line, exit 2', async (t) => {
  const gone = join(dir, 'removed-during-the-run');
  mkdirSync(gone);
  const out = join(gone, 'out.json');
  // The header is printed once the paths were checked and before the run starts: the directory goes then.
  const run = await runCli(['torture', '--duration', '2s', '--seed', '3', '--out', out], {
    onOutput: ({ stdout }) => {
      if (stdout.includes('seed 3')) rmSync(gone, { recursive: true, force: true });
    },
  });
  t.equal(run.code, 2, run.stderr);
  t.match(run.stdout, /^Statistics: strategy park/m, 'the statistics are printed');
  t.match(run.stdout, /^ok: no violation in/m, 'and the verdict');
  const lines = run.stderr.split('\n').filter((line) => line.includes('--out'));
  t.equal(lines.length, 1, 'one line names --out');
  t.match(lines[0], /^cpuhp torture: --out ".*out\.json" could not be written: ENOENT/);
  t.notMatch(run.stderr, /unexpected error|\n\s+at /, 'no stack trace');
});
