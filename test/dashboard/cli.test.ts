/**
 * The dashboard on the command line, as a user runs it: `cpuhp dashboard` serves the page of
 * its runtime until Ctrl-C (exit 130, the port closed after) or SIGTERM (143), and says where;
 * `--dashboard` on demo and torture serves the run's page (torture's with its counters); a bad
 * flag exits 2 naming it before anything starts, and a port in use exits 2 saying so.
 * Every wait is on what the command printed or answered, bounded, never a timer.
 */

import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { createServer } from 'node:net';
import type { Readable } from 'node:stream';
import t from 'tap';
import type { DashboardSnapshot } from '../../src/dashboard/protocol.js';
import { CLI, CLI_PATIENCE_MS, runCli } from '../cli-process.js';
import { json, refused, request } from './http-client.js';

/** A running `cpuhp <args>`: its output so far, a wait for a pattern in it, and its end. */
class Running {
  stdout = '';
  stderr = '';
  readonly ended: Promise<{ readonly code: number | null; readonly signal: NodeJS.Signals | null }>;
  private readonly child: ChildProcessByStdio<null, Readable, Readable>;
  private readonly waiters = new Set<() => void>();

  constructor(args: readonly string[]) {
    this.child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const guard = setTimeout(() => this.child.kill('SIGKILL'), CLI_PATIENCE_MS);
    this.child.stdout.on('data', (chunk: Buffer) => {
      this.stdout += chunk.toString();
      this.wake();
    });
    this.child.stderr.on('data', (chunk: Buffer) => {
      this.stderr += chunk.toString();
      this.wake();
    });
    this.ended = new Promise((resolve, reject) => {
      this.child.on('error', reject);
      this.child.on('close', (code, signal) => {
        clearTimeout(guard);
        this.wake();
        resolve({ code, signal });
      });
    });
  }

  /** The first match of `pattern` in stdout or stderr (as `which` says), once it is there; rejects if the command ends first or after CLI_PATIENCE_MS. */
  async waitFor(which: 'stdout' | 'stderr', pattern: RegExp): Promise<RegExpMatchArray> {
    const started = Date.now();
    for (;;) {
      const match = this[which].match(pattern);
      if (match !== null) return match;
      if (this.child.exitCode !== null || this.child.signalCode !== null) throw new Error(`the command ended before ${which} showed ${pattern}; stdout:\n${this.stdout}\nstderr:\n${this.stderr}`);
      if (Date.now() - started > CLI_PATIENCE_MS) throw new Error(`${which} did not show ${pattern} within ${CLI_PATIENCE_MS} ms; stderr:\n${this.stderr}`);
      await new Promise<void>((resolve) => {
        this.waiters.add(resolve);
        setTimeout(resolve, 1000).unref();
      });
    }
  }

  kill(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  private wake(): void {
    for (const waiter of this.waiters) waiter();
    this.waiters.clear();
  }
}

const bearer = (token: string): Record<string, string> => ({ authorization: `Bearer ${token}` });

t.test('dashboard --json: one JSON line {url, token, port}; the snapshot has its CPUs; 403 without the token; SIGINT exits 130 and closes the port', async (t) => {
  const run = new Running(['dashboard', '--port', '0', '--cpus', '3', '--threads', '1', '--json']);
  const line = await run.waitFor('stdout', /^.*\n/);
  const start = JSON.parse(line[0]) as { url: string; token: string; port: number };
  t.same(Object.keys(start).sort(), ['port', 'token', 'url'], 'exactly url, token and port');
  t.ok(start.port > 0, `a port was bound: ${start.port}`);
  t.equal(start.url, `http://127.0.0.1:${start.port}/?token=${start.token}`, 'the URL carries the token');
  t.match(start.token, /^[0-9a-f]{32}$/, 'a random token');

  const answer = await request(start.port, '/api/snapshot', { headers: bearer(start.token) });
  t.equal(answer.status, 200);
  const snapshot = json<DashboardSnapshot>(answer);
  t.equal(snapshot.cpus.length, 3, 'the runtime has the CPUs asked for');
  t.ok(snapshot.threads.some((thread) => thread.fn === 'spinner'), 'the demo spinners are there');
  t.equal((await request(start.port, '/api/snapshot')).status, 403, 'no token, no snapshot');

  run.kill('SIGINT');
  const end = await run.ended;
  t.equal(end.code, 130, `exit 130; stderr:\n${run.stderr}`);
  t.match(run.stderr, /cpuhp dashboard: SIGINT: stopping/);
  t.match(run.stderr, /stopped after [\d.]+ s: [\d,]+ jobs? settled .*violations: 0/, 'the summary goes to stderr in --json mode');
  t.equal(run.stdout.split('\n').filter((l) => l !== '').length, 1, 'stdout holds the one JSON line only');
  t.ok(await refused(start.port), 'nothing listens on the port any more');
});

t.test('dashboard, SIGTERM: the address and "Ctrl-C to stop" as text, exit 143; --churn takes CPUs down and up meanwhile', async (t) => {
  const run = new Running(['dashboard', '--port', '0', '--cpus', '2', '--threads', '1', '--churn', '100ms']);
  const [, port, token] = await run.waitFor('stdout', /open http:\/\/127\.0\.0\.1:(\d+)\/\?token=([0-9a-f]{32})\n/);
  t.match(run.stdout, /Ctrl-C to stop/);
  t.notMatch(run.stderr, /warning/, 'no warning on loopback');
  // Bounded by the command's patience: the churn's first cycle shows in the CPUs' counts.
  let downs = 0;
  for (const started = Date.now(); downs === 0 && Date.now() - started < CLI_PATIENCE_MS; ) {
    const snapshot = json<DashboardSnapshot>(await request(Number(port), '/api/snapshot', { headers: bearer(token!) }));
    downs = snapshot.cpus.reduce((sum, cpu) => sum + cpu.downs, 0);
    if (downs === 0) await new Promise((resolve) => setTimeout(resolve, 200));
  }
  t.ok(downs > 0, `the churn took a CPU down (${downs})`);
  run.kill('SIGTERM');
  const end = await run.ended;
  t.equal(end.code, 143, `exit 143; stderr:\n${run.stderr}`);
  t.match(run.stdout, /^stopped after [\d.]+ s: .*churn cycle.*violations: 0$/m);
});

t.test('dashboard --duration: stops by itself and exits 0; a given token and --public-view are used', async (t) => {
  const token = 'test-token_0123456789';
  const run = new Running(['dashboard', '--port', '0', '--cpus', '2', '--threads', '1', '--duration', '3s', '--token', token, '--public-view', '--json']);
  const start = JSON.parse((await run.waitFor('stdout', /^.*\n/))[0]) as { token: string; port: number };
  t.equal(start.token, token);
  t.equal((await request(start.port, '/api/snapshot')).status, 200, 'a public view reads without the token');
  const end = await run.ended;
  t.equal(end.code, 0, `exit 0; stderr:\n${run.stderr}`);
});

t.test('bad flags exit 2 before anything starts, naming the flag', async (t) => {
  const cases: ReadonlyArray<readonly [readonly string[], RegExp]> = [
    [['dashboard', '--port', 'NaN'], /--port <port>' argument 'NaN' is invalid/],
    [['dashboard', '--port', '-1'], /--port/],
    [['dashboard', '--port', '70000'], /--port <port>' argument '70000' is invalid/],
    [['dashboard', '--cpus', '0'], /--cpus <n>' argument '0' is invalid/],
    [['dashboard', '--churn', 'x'], /--churn <time>' argument 'x' is invalid/],
    [['dashboard', '--token', 'short'], /--token <token>' argument 'short' is invalid/],
    [['dashboard', '--host', 'not a host'], /--host <host>' argument 'not a host' is invalid/],
    [['dashboard', '--duration', '0s'], /--duration <time>' argument '0s' is invalid/],
    [['dashboard', '--cpus', '1', '--churn', '1s'], /--churn .*needs --cpus 2 or more/],
    [['demo', '--dashboard', 'x'], /--dashboard \[port\]' argument 'x' is invalid/],
    [['torture', '--dashboard', '65536'], /--dashboard \[port\]' argument '65536' is invalid/],
    [['torture', '--dashboard-host', '127.0.0.1'], /--dashboard-host .*add --dashboard/],
    [['bench-dashboard', '--rounds', '0'], /--rounds <n>' argument '0' is invalid/],
    [['bench-dashboard', '--round', '100ms'], /--round <time>' argument '100ms' is invalid/],
    [['bench-dashboard', '--hotplug-every', 'x'], /--hotplug-every <time>' argument 'x' is invalid/],
    [['bench-dashboard', '--cpus', '1'], /--cpus <n>' argument '1' is invalid/],
    [['bench-dashboard', '--window', 'NaN'], /--window <n>' argument 'NaN' is invalid/],
  ];
  for (const [args, message] of cases) {
    const run = await runCli(args);
    t.equal(run.code, 2, `${args.join(' ')}: exit 2`);
    t.match(run.stderr, message, `${args.join(' ')}: names the flag`);
    t.equal(run.stdout, '', `${args.join(' ')}: nothing ran`);
  }
});

t.test('a port in use exits 2 saying so and what to do (ERR_CPUHP_DASHBOARD_LISTEN)', async (t) => {
  const taken = createServer();
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  const address = taken.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  try {
    const run = await runCli(['dashboard', '--port', String(port), '--cpus', '2']);
    t.equal(run.code, 2, `exit 2; stderr:\n${run.stderr}`);
    t.match(run.stderr, new RegExp(`--port: could not listen on 127\\.0\\.0\\.1:${port}: port ${port} is in use; pass another port, or 0 for any free one`));
    t.notMatch(run.stderr, /unexpected error|at .*\.js:\d+/, 'no stack trace');
    const demo = await runCli(['demo', '--cycles', '1', '--dashboard', String(port), '--json']);
    t.equal(demo.code, 2);
    t.match(demo.stderr, /--dashboard: could not listen .* is in use/);
  } finally {
    taken.close();
  }
});

t.test('torture --dashboard 0: the run is served, and its snapshots carry its counters', async (t) => {
  const run = new Running(['torture', '--duration', '10s', '--dashboard', '0', '--json']);
  const [, port, token] = await run.waitFor('stderr', /^dashboard: http:\/\/127\.0\.0\.1:(\d+)\/\?token=([0-9a-f]{32})$/m);
  const snapshot = json<DashboardSnapshot>(await request(Number(port), '/api/snapshot', { headers: bearer(token!) }));
  t.not(snapshot.torture, null, 'the torture panel is there');
  t.equal(snapshot.torture?.durationMs, 10_000);
  t.equal(snapshot.torture?.violations, 0);
  t.type(snapshot.torture?.counts.offlineAttempts, 'number', 'the counts are torture\'s, by name');
  const end = await run.ended;
  t.equal(end.code, 0, `exit 0; stderr:\n${run.stderr}`);
  const result = JSON.parse(run.stdout) as { ok: boolean };
  t.equal(result.ok, true, 'stdout is the JSON result alone');
  t.ok(await refused(Number(port)), 'the page closed with the run');
});

t.test('demo --dashboard 0 --json: the address on stderr, the JSON alone on stdout, the page closed at the end', async (t) => {
  const run = await runCli(['demo', '--cycles', '3', '--cpus', '2', '--dashboard', '0', '--json']);
  t.equal(run.code, 0, `exit 0; stderr:\n${run.stderr}`);
  const match = /^dashboard: http:\/\/127\.0\.0\.1:(\d+)\/\?token=[0-9a-f]{32}$/m.exec(run.stderr);
  t.ok(match, 'the address is on stderr');
  t.equal((JSON.parse(run.stdout) as { cyclesDone: number }).cyclesDone, 3);
  if (match !== null) t.ok(await refused(Number(match[1])), 'nothing listens once the demo is done');
});

t.test('bench-dashboard --json: both arms measured side by side, the ratios, and the client read the page in the open round', async (t) => {
  const run = await runCli(['bench-dashboard', '--rounds', '1', '--round', '1s', '--json']);
  t.equal(run.code, 0, `exit 0; stderr:\n${run.stderr}`);
  const result = JSON.parse(run.stdout) as {
    rounds: Array<{ arm: string; jobs: number; client: { snapshots: number; scrapes: number } | null }>;
    arms: Record<'closed' | 'open', { rounds: number; jobsPerSec: { median: number } | null; cpuDown: { count: number } | null }>;
    ratios: Record<string, number | null>;
    violations: number;
    warnings: string[];
  };
  t.same(result.rounds.map((r) => r.arm), ['closed', 'open'], 'closed first, then open');
  for (const arm of ['closed', 'open'] as const) {
    t.equal(result.arms[arm].rounds, 1);
    t.ok((result.arms[arm].jobsPerSec?.median ?? 0) > 0, `${arm}: jobs ran`);
  }
  t.equal(result.rounds[0]!.client, null, 'no client in a closed round');
  t.ok((result.rounds[1]!.client?.snapshots ?? 0) > 0, 'the client read snapshots in the open round');
  t.type(result.ratios.jobsPerSec, 'number');
  t.equal(result.violations, 0);
  t.ok(Array.isArray(result.warnings));
});
