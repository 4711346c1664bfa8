/**
 * Machines as processes (`cpuhp cluster-node`, forked): a graceful machine down (SIGTERM)
 * with jobs in flight loses and repeats nothing; a SIGKILL with jobs in flight loses nothing
 * either: each of the killed machine's jobs completes on another machine, at most twice in
 * all, and the jobs that ran twice are exactly those that were running on the killed one.
 */

import t, { type Test } from 'tap';
import { ClusterQueue, startLocalRedis, type ClusterError } from '../../src/cluster/index.js';
import { MachineProcess, type MachineSpec } from '../../src/cluster/machine-process.js';
import type * as Jobs from '../fixtures/cluster-jobs.js';
import { CLUSTER_JOBS, FAST_LOCKS, freshQueue, newLedger, readLedger, redisUrl, startedIn, startsByKey } from './helpers.js';

async function machines(t: Test, queue: string, names: readonly string[], extra: Partial<MachineSpec> = {}): Promise<MachineProcess[]> {
  const redis = await redisUrl();
  const started = await Promise.all(names.map((name) => MachineProcess.start({ redis, queue, name, modules: [CLUSTER_JOBS], cpus: 2, ...FAST_LOCKS, ...extra })));
  t.teardown(() => Promise.all(started.map((m) => m.kill())));
  return started;
}

async function connect(t: Test, queue: string): Promise<ClusterQueue<typeof Jobs>> {
  const q = await ClusterQueue.connect<typeof Jobs>({ redis: await redisUrl(), queue });
  t.teardown(() => q.close());
  return q;
}

/** Resolves once `machine` runs at least one job. */
async function runningOn(machine: MachineProcess): Promise<number> {
  for (;;) {
    const { running } = await machine.stats();
    if (running > 0) return running;
  }
}

t.test('SIGTERM drains a machine with jobs in flight: nothing lost, nothing run twice; it exits 143', async (t) => {
  const queue = freshQueue('sigterm');
  const [a, b] = await machines(t, queue, ['a', 'b']);
  const q = await connect(t, queue);
  const ledger = newLedger();
  const jobs = await Promise.all(Array.from({ length: 24 }, (_, i) => q.add('ledgered', { key: `k${i}`, ledger, ms: 100 })));
  await runningOn(a!);
  t.equal(await a!.terminate(), 143, 'the machine drained and exited 143');
  const results = await Promise.all(jobs.map((job) => job.result()));
  t.same(results, jobs.map((_, i) => `k${i}`), 'every job completed');
  const lines = readLedger(ledger);
  const starts = startsByKey(lines);
  t.equal(starts.size, 24);
  t.ok([...starts.values()].every((n) => n === 1), 'each ran exactly once');
  t.ok(lines.some((l) => l.pid === a!.pid && l.at === 'end'), 'the drained machine finished jobs of its own before it exited');
  t.equal(lines.filter((l) => l.pid === a!.pid && l.at === 'start').length, lines.filter((l) => l.pid === a!.pid && l.at === 'end').length, 'every job it started, it finished');
  t.equal((await b!.stats()).state, 'up');
});

t.test('SIGKILL of a machine with jobs in flight: each completes elsewhere, at most twice, and only those ran twice', async (t) => {
  const queue = freshQueue('sigkill');
  const [a, b] = await machines(t, queue, ['a', 'b']);
  const q = await connect(t, queue);
  const ledger = newLedger();
  const jobs = await Promise.all(Array.from({ length: 24 }, (_, i) => q.add('ledgered', { key: `k${i}`, ledger, ms: 300 })));
  await startedIn(ledger, a!.pid, 60_000);
  await a!.kill();
  // What the killed machine had started and not finished: the jobs in flight on it.
  const atKill = readLedger(ledger).filter((l) => l.pid === a!.pid);
  const ended = new Set(atKill.filter((l) => l.at === 'end').map((l) => l.key));
  const inFlight = new Set(atKill.filter((l) => l.at === 'start' && !ended.has(l.key)).map((l) => l.key));
  t.ok(inFlight.size > 0, `the kill caught jobs in flight (${inFlight.size})`);
  const results = await Promise.all(jobs.map((job) => job.result({ timeoutMs: 60_000 })));
  t.same(results, jobs.map((_, i) => `k${i}`), 'every job completed, those of the killed machine too');
  const starts = startsByKey(readLedger(ledger));
  t.equal(starts.size, 24, 'every job ran');
  t.ok([...starts.values()].every((n) => n <= 2), 'none ran more than 1 + maxStalledCount = 2 times');
  const twice = new Set([...starts].filter(([, n]) => n === 2).map(([key]) => key));
  // In flight as the broker sees it: started on the killed machine and not yet acknowledged.
  // A job whose end line was written just before the kill, but whose completion had not
  // reached Redis, is in flight too, and runs again: so the ledger's view is a lower bound.
  const startedOnKilled = new Set(atKill.filter((l) => l.at === 'start').map((l) => l.key));
  t.ok([...inFlight].every((key) => twice.has(key)), 'every job in flight on the killed machine ran again');
  t.ok([...twice].every((key) => startedOnKilled.has(key)), 'and every job that ran twice had started on the killed machine');
  const onB = readLedger(ledger).filter((l) => l.pid === b!.pid && l.at === 'end').map((l) => l.key);
  t.ok([...inFlight].every((key) => onB.includes(key)), 'and each of them completed on the other machine');
});

t.test('a machine whose Redis has gone still exits on SIGTERM: its close is bounded', async (t) => {
  const redis = await startLocalRedis();
  t.teardown(() => redis.stop());
  const machine = await MachineProcess.start({ redis: redis.url, queue: freshQueue('no-redis'), name: 'orphan', modules: [CLUSTER_JOBS], cpus: 2, ...FAST_LOCKS, downTimeoutMs: 200 });
  t.teardown(() => machine.kill());
  await redis.stop();
  t.equal(await machine.terminate(), 143, 'it exited 143, without the Redis it would have handed jobs back to');
});

t.test('a job whose machines are lost more than maxStalledCount times fails with reason stalled', async (t) => {
  const queue = freshQueue('stalled');
  // maxStalledCount 0: the first machine lost under the job is one too many.
  const [a, b] = await machines(t, queue, ['a', 'b'], { maxStalledCount: 0 });
  const q = await connect(t, queue);
  const ledger = newLedger();
  await b!.down();
  const job = await q.add('ledgered', { key: 'only', ledger, ms: 60_000 });
  await startedIn(ledger, a!.pid, 60_000);
  await a!.kill();
  await b!.up();
  const error = (await job.result({ timeoutMs: 60_000 }).catch((e: unknown) => e)) as ClusterError;
  t.equal(error.code, 'ERR_CPUHP_CLUSTER_JOB_FAILED');
  t.equal(error.reason, 'stalled', "BullMQ's stalled failure is told apart from a job that threw");
  t.equal(startsByKey(readLedger(ledger)).get('only'), 1, 'it ran once, on the machine that was killed, and not again');
});
