/**
 * serveDashboard's options (every bad one a ConfigError, and nothing listens), what it
 * says when it cannot listen, and its end: dashboard.shutdown() and rt.shutdown() close the
 * socket and end open streams; the dashboard never holds the process open.
 */

import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { ConfigError, CpuhpError } from '../../src/index.js';
import { PATIENCE_MS, startJobRuntime } from '../helpers.js';
import { EventStream, refused, request } from './http-client.js';
import type { DashboardSnapshot } from '../../src/dashboard/protocol.js';

/** A port nothing listens on (it was free a moment ago). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0));
    });
  });
}

t.test('bad options: a ConfigError naming the option, and nothing listens', async (t) => {
  const rt = await startJobRuntime(t);
  const port = await freePort();
  const revoked = Proxy.revocable({}, {});
  revoked.revoke();
  const cases: Array<[string, unknown, RegExp]> = [
    ['port NaN', { port: NaN }, /options\.port must be a whole number from 0 to 65535.*got NaN/],
    ['port -1', { port: -1 }, /options\.port must be/],
    ['port 65536', { port: 65536 }, /options\.port must be.*got 65536/],
    ['port 1.5', { port: 1.5 }, /options\.port/],
    ['port Infinity', { port: Infinity }, /options\.port.*Infinity/],
    ['port "8080"', { port: '8080' }, /options\.port.*'8080'/],
    ['port null', { port: null }, /options\.port.*null/],
    ['host ""', { port, host: '' }, /options\.host must be a host name or IP address/],
    ['host 127', { port, host: 127 }, /options\.host/],
    ['host with a space', { port, host: 'local host' }, /options\.host/],
    ['host null', { port, host: null }, /options\.host.*null/],
    ['host a URL', { port, host: 'http://127.0.0.1/' }, /options\.host/],
    ['token too short', { port, token: 'short' }, /options\.token must be 16 to 256 characters.*a string of 5 characters/],
    ['token too long', { port, token: 'x'.repeat(257) }, /options\.token.*257 characters/],
    ['token with other characters', { port, token: 'a token with spaces in it' }, /options\.token.*with others among them/],
    ['token a number', { port, token: 1234567890123456 }, /options\.token/],
    ['token null', { port, token: null }, /options\.token.*null/],
    ['publicView "yes"', { port, publicView: 'yes' }, /options\.publicView must be true .* or false/],
    ['publicView 1', { port, publicView: 1 }, /options\.publicView/],
    ['publicView null', { port, publicView: null }, /options\.publicView/],
    ['intervalMs 49', { port, intervalMs: 49 }, /options\.intervalMs must be a whole number from 50 to 10000/],
    ['intervalMs 10001', { port, intervalMs: 10_001 }, /options\.intervalMs/],
    ['intervalMs 100.5', { port, intervalMs: 100.5 }, /options\.intervalMs/],
    ['intervalMs NaN', { port, intervalMs: NaN }, /options\.intervalMs.*NaN/],
    ['an unknown key', { port, prot: 8080 }, /unknown option 'prot'.*did you mean 'port'/],
    ['a Symbol key', { port, [Symbol('x')]: 1 }, /unknown option \[a Symbol \('x'\)\]/],
    ['options null', null, /options must be an object/],
    ['options a number', 8080, /options must be an object/],
    ['options a string', '127.0.0.1', /options must be an object/],
    ['options an array', [port], /options must be an object/],
    ['a Proxy whose ownKeys throws', new Proxy({}, { ownKeys: () => { throw new Error('trap'); } }), /could not be listed/],
    ['a Proxy whose get throws', new Proxy({ port }, { get: () => { throw new Error('trap'); } }), /options\.port could not be read/],
    ['a revoked Proxy', revoked.proxy, /cannot be inspected/],
  ];
  for (const [what, options, message] of cases) {
    const error = await rt.serveDashboard(options as never).then(
      () => undefined,
      (e: unknown) => e,
    );
    t.ok(error instanceof ConfigError, `${what}: a ConfigError`);
    t.match(error, { code: 'ERR_CPUHP_INVALID_ARG', message }, `${what}: its code and message`);
    t.match((error as Error).message, /^serveDashboard\(options\): /, `${what}: the message names the call`);
    t.ok(await refused(port), `${what}: nothing listens on ${port}`);
  }
  const secret = 'a secret token that has spaces';
  const leaked = await rt.serveDashboard({ token: secret }).catch((e: Error) => e.message);
  t.notMatch(leaked, /secret/, 'a bad token is not repeated in the message');
});

t.test('a port in use, a host not of this machine: ERR_CPUHP_DASHBOARD_LISTEN, with the cause', async (t) => {
  const rt = await startJobRuntime(t);
  const first = await rt.serveDashboard();
  const inUse = await rt.serveDashboard({ port: first.port }).catch((e: unknown) => e);
  t.ok(inUse instanceof CpuhpError, 'a CpuhpError');
  t.match(inUse, { name: 'CpuhpError', code: 'ERR_CPUHP_DASHBOARD_LISTEN', message: new RegExp(`port ${first.port} is in use; pass another port, or 0 for any free one`) });
  t.match((inUse as Error).cause, { code: 'EADDRINUSE' }, "the cause is Node's error");
  t.equal(rt.listenerCount('trace'), 1, 'the one that failed left no trace listener');
  const foreign = await rt.serveDashboard({ host: '192.0.2.1' }).catch((e: unknown) => e);
  t.match(foreign, { code: 'ERR_CPUHP_DASHBOARD_LISTEN', message: /192\.0\.2\.1 is not an address of this machine/ });
  t.match((foreign as Error).cause, { code: 'EADDRNOTAVAIL' });
  t.equal((await request(first.port, '/api/snapshot', { headers: { 'x-cpuhp-token': first.token } })).status, 200, 'the first dashboard still serves');
});

t.test('dashboard.shutdown(): the socket closes, open streams end, the runtime goes on', async (t) => {
  const rt = await startJobRuntime(t);
  const d = await rt.serveDashboard({ intervalMs: 50 });
  const stream = await EventStream.open(d.port, { 'x-cpuhp-token': d.token });
  await stream.next(() => true);
  t.equal(rt.listenerCount('trace'), 2);
  await d.shutdown();
  await stream.closed();
  const last = stream.events.filter((e) => e.name === 'snapshot').at(-1)!.data as DashboardSnapshot;
  t.equal(last.closed, true, 'the stream\'s last snapshot says closed');
  t.ok(await refused(d.port), 'a new connection is refused');
  t.equal(rt.listenerCount('trace'), 0, 'no trace listener is left on the runtime');
  await d.shutdown();
  t.pass('a second shutdown() resolves too');
  await rt.cpuDown(1);
  t.equal(rt.cpuState(1), 'offline', 'the runtime goes on');
  const again = await rt.serveDashboard({ port: d.port });
  t.equal(again.port, d.port, 'the port can be served again');
});

t.test('rt.shutdown() shuts down every dashboard it serves', async (t) => {
  const rt = await startJobRuntime(t);
  const a = await rt.serveDashboard({ intervalMs: 50 });
  const b = await rt.serveDashboard({ publicView: true });
  const stream = await EventStream.open(a.port, { 'x-cpuhp-token': a.token });
  await stream.next(() => true);
  await rt.shutdown();
  await stream.closed();
  const last = stream.events.filter((e) => e.name === 'snapshot').at(-1)!.data as DashboardSnapshot;
  t.equal(last.closed, true, 'the last snapshot says closed');
  t.ok(last.cpus.every((c) => c.state === 'offline'), 'and shows the runtime as shutdown left it');
  t.ok(await refused(a.port), 'the first dashboard is closed');
  t.ok(await refused(b.port), 'and the second');
});

t.test('the dashboard does not hold the process open, even with a page open', async (t) => {
  const child = spawn(process.execPath, [fileURLToPath(new URL('./http-unref-child.js', import.meta.url))], { stdio: ['pipe', 'pipe', 'inherit'] });
  t.teardown(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });
  const [port, token] = await new Promise<[number, string]>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const [p, tok] = out.trim().split(' ');
      if (out.includes('\n')) resolve([Number(p), tok!]);
    });
    child.on('exit', (code) => reject(new Error(`the child exited (${code}) before it printed its port`)));
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const page = await EventStream.open(port, { 'x-cpuhp-token': token });
  t.equal((await page.next(() => true)).name, 'snapshot', 'a page is open on the child');
  child.stdin.end('connected\n');
  const code = await Promise.race([exited, new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), PATIENCE_MS))]);
  t.equal(code, 0, 'the process ended by itself with a page open');
  page.close();
});
