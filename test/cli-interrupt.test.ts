/**
 * Ctrl-C (SIGINT) and SIGTERM never lose a run: each command, signalled once its work has
 * started (a progress line, never a timer), stops, prints and writes what it has, and exits
 * 130 (143 for SIGTERM); a second signal exits at once with what repeats the run.
 */

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { CLI, CLI_PATIENCE_MS, runCli } from './cli-process.js';

const HIDE_CURSOR = '\x1b[?25l';
const SHOW_CURSOR = '\x1b[?25h';

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'cpuhp-cli-'));
}

function parseJson(t: Test, text: string, what: string): Record<string, unknown> {
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch (error) {
    t.fail(`${what} is not valid JSON: ${String(error)}\n${text.slice(0, 500)}`);
    return {};
  }
}

/** The torture line progress: a status line about every 5 s on stderr (non-TTY). */
const tortureProgress = ({ stderr }: { stderr: string }): boolean => /cpuhp torture: [\d.]+ s/.test(stderr);

t.test('torture --json, SIGINT: exit 130, the JSON says interrupted, with the seed and the repeat command; --trace and --out written', async (t) => {
  const dir = tempDir();
  const trace = join(dir, 'timeline.json');
  const out = join(dir, 'out.json');
  const run = await runCli(['torture', '--duration', '1h', '--json', '--trace', trace, '--out', out], { signalling: { ready: tortureProgress, signals: ['SIGINT'] } });
  t.equal(run.code, 130, `exit 130; stderr:\n${run.stderr}`);
  const result = parseJson(t, run.stdout, 'stdout');
  t.equal(result.interrupted, true);
  t.equal(result.ok, true, 'no violation so far');
  t.type(result.seed, 'number');
  t.match(result.repeat, new RegExp(`^npx cpuhp torture .*--duration 1h .*--seed ${String(result.seed)}$`));
  t.ok(Array.isArray(result.warnings), 'warnings is a list');
  t.ok((result.operations as number) > 0, 'operations were done and counted');
  t.equal(result.traceFile, trace);
  t.same(parseJson(t, readFileSync(out, 'utf8'), '--out'), result, '--out holds the same object');
  const timeline = parseJson(t, readFileSync(trace, 'utf8'), '--trace');
  t.ok(Array.isArray(timeline.traceEvents) && (timeline.traceEvents as unknown[]).length > 0, 'the timeline has events');
  t.notMatch(run.stderr, /unexpected error|at .*\.js:\d+/, 'no stack trace');
});

t.test('torture, SIGTERM: exit 143, the statistics so far, the seed and the repeat command on stdout', async (t) => {
  const run = await runCli(['torture', '--duration', '2m30s', '--seed', '2012'], { signalling: { ready: tortureProgress, signals: ['SIGTERM'] } });
  t.equal(run.code, 143, `exit 143; stderr:\n${run.stderr}`);
  t.match(run.stdout, /^Statistics: strategy park/m);
  t.match(run.stdout, /^interrupted after [\d,]+ operations? in [\d.]+ s .*no violation so far$/m);
  t.match(run.stdout, /^seed: 2012$/m);
  t.match(run.stdout, /^to repeat it: npx cpuhp torture .*--duration 2m30s .*--seed 2012$/m);
});

t.test('a second SIGINT exits at once with 130, printing the seed and the repeat command', async (t) => {
  // Every actor pauses an hour between operations, so the first SIGINT's wind-down waits its
  // full bound: the second arrives while it does.
  const run = await runCli(['torture', '--duration', '1h', '--onoff-interval', '1h', '--onoff-holdoff', '1h', '--seed', '7', '--json'], {
    signalling: { ready: tortureProgress, signals: ['SIGINT', 'SIGINT'] },
  });
  t.equal(run.code, 130, `exit 130; stderr:\n${run.stderr}`);
  t.match(run.stderr, /SIGINT again; exiting without the report/);
  t.match(run.stderr, /^seed: 7$/m);
  t.match(run.stderr, /^to repeat it: npx cpuhp torture .*--seed 7$/m);
  t.equal(run.stdout, '', 'no half-written JSON on stdout');
});

t.test('demo --json, SIGINT: exit 130, interrupted after fewer cycles, its end checks made, --out written', async (t) => {
  const dir = tempDir();
  const out = join(dir, 'demo.json');
  const run = await runCli(['demo', '--cycles', '1000000', '--json', '--out', out], {
    signalling: { ready: ({ stderr }) => /cpuhp demo: [\d.]+ s, [\d,]+ of 1,000,000 cycles/.test(stderr), signals: ['SIGINT'] },
  });
  t.equal(run.code, 130, `exit 130; stderr:\n${run.stderr}`);
  const result = parseJson(t, run.stdout, 'stdout');
  t.equal(result.interrupted, true);
  t.ok((result.cyclesDone as number) > 0 && (result.cyclesDone as number) < 1_000_000, `cycles done: ${String(result.cyclesDone)}`);
  t.same(result.failures, [], 'the end checks passed');
  t.match(result.repeat, /^npx cpuhp demo .*--cycles 1000000 --seed \d+$/);
  t.same(parseJson(t, readFileSync(out, 'utf8'), '--out'), result);
});

t.test('bench --json, SIGINT: exit 130, the measurements done so far in the JSON and --out, no chart, no cursor escape left hidden', async (t) => {
  const dir = tempDir();
  const run = await runCli(['bench', '--quick', '--json', '--out', 'bench.json'], {
    cwd: dir,
    signalling: { ready: ({ stderr }) => /cpuhp bench \[3\/\d+\]/.test(stderr), signals: ['SIGINT'] },
  });
  t.equal(run.code, 130, `exit 130; stderr:\n${run.stderr}`);
  const result = parseJson(t, run.stdout, 'stdout');
  t.equal(result.interrupted, true);
  t.ok((result.notDone as unknown[]).length > 0, 'the measurements not done are listed');
  t.not(result.wakeRoundTrip, null, 'the first measurement, done before the signal, is kept');
  t.same(parseJson(t, readFileSync(join(dir, 'bench.json'), 'utf8'), '--out'), result);
  t.same(readdirSync(dir).sort(), ['bench.json'], 'no chart written without --svg');
  const hides = (run.stdout + run.stderr).split(HIDE_CURSOR).length - 1;
  t.equal(hides, 0, 'no progress bar on a pipe, so no cursor hidden');
});

t.test('bench-jobs --json, SIGTERM: exit 143, the rows measured so far', async (t) => {
  const run = await runCli(['bench-jobs', '--quick', '--json'], {
    signalling: { ready: ({ stderr }) => /cpuhp bench-jobs \[2\/\d+\]/.test(stderr), signals: ['SIGTERM'] },
  });
  t.equal(run.code, 143, `exit 143; stderr:\n${run.stderr}`);
  const result = parseJson(t, run.stdout, 'stdout');
  t.equal(result.interrupted, true);
  t.ok((result.notDone as unknown[]).length > 0);
  t.ok((result.rows as Array<{ loop: unknown }>).some((row) => row.loop !== null), 'the row measured before the signal is kept');
});

/** `script` runs the command on a pseudo-terminal, where Ctrl-C is the byte 0x03 and the bar hides the cursor. */
const hasScript = spawnSync('script', ['--version'], { stdio: 'ignore' }).status === 0;

t.test('bench on a terminal, Ctrl-C: the bar hid the cursor, and the cursor is shown again after it', { skip: hasScript ? false : 'util-linux script(1) is not installed: no pseudo-terminal to run on' }, async (t) => {
  const dir = tempDir();
  const output = await new Promise<{ code: number | null; text: string }>((resolve, reject) => {
    const child = spawn('script', ['-qfec', `${JSON.stringify(process.execPath)} ${JSON.stringify(CLI)} bench --quick --cpus 2`, '/dev/null'], { cwd: dir, stdio: ['pipe', 'pipe', 'pipe'] });
    let text = '';
    let sent = false;
    const guard = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`no exit within ${CLI_PATIENCE_MS} ms:\n${text}`));
    }, CLI_PATIENCE_MS);
    child.stdout.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      // The bar names the measurement under way: the run has started.
      if (!sent && text.includes('fast path')) {
        sent = true;
        child.stdin.write('\x03');
      }
    });
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(guard);
      child.stdin.destroy();
      resolve({ code, text });
    });
  });
  t.equal(output.code, 130, `exit 130:\n${output.text.slice(-2000)}`);
  t.ok(output.text.includes(HIDE_CURSOR), 'the bar hid the cursor');
  t.ok(output.text.lastIndexOf(SHOW_CURSOR) > output.text.lastIndexOf(HIDE_CURSOR), 'and it is shown again after');
  t.match(output.text, /interrupted: [\d]+ measurements were not done/);
  t.notOk(existsSync(join(dir, 'bench-results.svg')), 'no chart written into the current directory');
});
