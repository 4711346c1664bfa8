/**
 * A cluster node in this process, against a real Redis: jobs run through the machine's
 * runtime and their results come back; a job that throws is reported once with its error;
 * CPU down/up inside the machine changes its concurrency and loses nothing; down() with jobs
 * in flight loses and repeats nothing; cancel, idempotent ids, timeouts, closed handles.
 */

import t, { type Test } from 'tap';
import { ClusterNode, ClusterQueue, ClusterError, type ClusterNodeOptions } from '../../src/cluster/index.js';
import type * as Jobs from '../fixtures/cluster-jobs.js';
import { CLUSTER_JOBS, freshQueue, newLedger, readLedger, redisUrl, startsByKey } from './helpers.js';

async function startNode(t: Test, queue: string, options: Partial<ClusterNodeOptions> = {}): Promise<ClusterNode> {
  const node = await ClusterNode.start({ redis: await redisUrl(), queue, runtime: { cpus: 2, modules: [CLUSTER_JOBS] }, exitOnSignal: false, ...options });
  t.teardown(() => node.close());
  return node;
}

async function connect(t: Test, queue: string): Promise<ClusterQueue<typeof Jobs>> {
  const q = await ClusterQueue.connect<typeof Jobs>({ redis: await redisUrl(), queue });
  t.teardown(() => q.close());
  return q;
}

t.test('jobs run through the machine and their results come back, typed', async (t) => {
  const queue = freshQueue('results');
  const node = await startNode(t, queue);
  const q = await connect(t, queue);
  const jobs = await Promise.all(Array.from({ length: 50 }, (_, i) => q.add('echo', { value: { i, s: `v${i}` } })));
  const results = await Promise.all(jobs.map((job) => job.result()));
  t.same(results, Array.from({ length: 50 }, (_, i) => ({ i, s: `v${i}` })), 'each job answered with its own value');
  t.equal(await q.run('echo', { value: 'direct' }), 'direct', 'run() adds and waits');
  t.equal(node.stats().completed, 51, 'the machine counted every job it completed');
  t.equal(node.stats().failed, 0);
});

t.test('a job that throws is reported once, with its error, and is not run again', async (t) => {
  const queue = freshQueue('throws');
  const node = await startNode(t, queue);
  const q = await connect(t, queue);
  const job = await q.add('fail', { message: 'the disk is full' });
  const error = await job.result().catch((e: unknown) => e);
  t.ok(error instanceof ClusterError, 'a ClusterError');
  t.equal((error as ClusterError).code, 'ERR_CPUHP_CLUSTER_JOB_FAILED');
  t.equal((error as ClusterError).jobId, job.id, 'it names the job');
  t.equal((error as ClusterError).reason, 'threw', 'and says the job threw');
  t.match((error as ClusterError).message, /RangeError: the disk is full/, 'with the error the job threw');
  const again = await job.result().catch((e: unknown) => e);
  t.equal((again as ClusterError).code, 'ERR_CPUHP_CLUSTER_JOB_FAILED', 'asked again, the same failure (it is kept)');
  t.equal(node.stats().failed, 1, 'the machine ran it once and counted one failure');
  t.equal(node.stats().completed, 0);
});

t.test('a job name the machine does not have fails once, naming it', async (t) => {
  const queue = freshQueue('unknown');
  await startNode(t, queue);
  const q = await connect(t, queue);
  const job = await q.add('resize' as never, {});
  const error = (await job.result().catch((e: unknown) => e)) as ClusterError;
  t.equal(error.code, 'ERR_CPUHP_CLUSTER_JOB_FAILED');
  t.match(error.message, /resize/, 'the message names the unknown job');
  t.equal(error.reason, 'machine', 'the machine could not run it');
});

t.test('CPU down and up inside a machine change its concurrency and lose nothing', async (t) => {
  const queue = freshQueue('cpu-hotplug');
  const node = await startNode(t, queue, { runtime: { cpus: 3, modules: [CLUSTER_JOBS] }, jobsPerCpu: 2 });
  const q = await connect(t, queue);
  const ledger = newLedger();
  t.equal(node.stats().concurrency, 6, '3 online CPUs × 2 jobs each');
  const jobs = await Promise.all(Array.from({ length: 60 }, (_, i) => q.add('ledgered', { key: `k${i}`, ledger, ms: 5 })));
  const seen: number[] = [];
  for (const cpu of [2, 1, 1, 2]) {
    if (node.runtime.cpuState(cpu) === 'online') await node.cpuDown(cpu);
    else await node.cpuUp(cpu);
    seen.push(node.stats().concurrency);
  }
  t.same(seen, [4, 2, 4, 6], 'concurrency followed the online CPUs: 2, 1, 2, 3 of them');
  const results = await Promise.all(jobs.map((job) => job.result()));
  t.same(results, jobs.map((_, i) => `k${i}`), 'every job completed with its result');
  const starts = startsByKey(readLedger(ledger));
  t.equal(starts.size, 60, 'every job ran');
  t.ok([...starts.values()].every((n) => n === 1), 'and each ran exactly once');
});

t.test('down() with jobs in flight lets them finish, loses and repeats nothing; up() takes jobs again', async (t) => {
  const queue = freshQueue('down');
  const node = await startNode(t, queue, { jobsPerCpu: 2 });
  const q = await connect(t, queue);
  const ledger = newLedger();
  const jobs = await Promise.all(Array.from({ length: 12 }, (_, i) => q.add('ledgered', { key: `k${i}`, ledger, ms: 150 })));
  // Wait until the machine runs some of them, then take it down under them.
  while (node.stats().running === 0) await new Promise((resolve) => setImmediate(resolve));
  await node.down();
  const stats = node.stats();
  t.equal(stats.state, 'down');
  t.equal(stats.running, 0, 'no job runs on a machine that is down');
  t.same(stats.onlineCpus, [0], 'every CPU but the lowest is down');
  const lines = readLedger(ledger);
  t.equal(lines.filter((l) => l.at === 'start').length, lines.filter((l) => l.at === 'end').length, 'every job that started before down() finished');
  await node.up();
  t.same(node.stats().onlineCpus, [0, 1], 'up() brought the CPUs back');
  const results = await Promise.all(jobs.map((job) => job.result()));
  t.same(results, jobs.map((_, i) => `k${i}`), 'every job completed');
  const starts = startsByKey(readLedger(ledger));
  t.ok(starts.size === 12 && [...starts.values()].every((n) => n === 1), 'each ran exactly once across the down and up');
});

t.test("down()'s bound hands a job that outlives it back to the queue, where it runs again", async (t) => {
  const queue = freshQueue('down-bound');
  const node = await startNode(t, queue, { downTimeoutMs: 100 });
  const q = await connect(t, queue);
  const job = await q.add('untilAborted', { maxMs: 30_000 });
  while (node.stats().running === 0) await new Promise((resolve) => setImmediate(resolve));
  await node.down();
  t.equal(node.stats().handedBack, 1, 'the job was handed back at the bound');
  await node.up();
  // Handed back, it runs again from the start; cancel it there to end the test.
  while (node.stats().running === 0) await new Promise((resolve) => setImmediate(resolve));
  t.equal(await job.cancel(), 'cancelled');
  const error = (await job.result().catch((e: unknown) => e)) as ClusterError;
  t.equal(error.code, 'ABORT_ERR', 'and its second run was cancelled');
});

t.test('cancel: a waiting job is removed and never runs; a running one is aborted through ctx.signal', async (t) => {
  const queue = freshQueue('cancel');
  const node = await startNode(t, queue, { runtime: { cpus: 1, modules: [CLUSTER_JOBS] }, jobsPerCpu: 1 });
  const q = await connect(t, queue);
  const running = await q.add('untilAborted', { maxMs: 30_000 });
  while (node.stats().running === 0) await new Promise((resolve) => setImmediate(resolve));
  const waiting = await q.add('echo', { value: 'never' });
  t.equal(await waiting.cancel(), 'cancelled', 'the waiting job');
  t.equal(await running.cancel(), 'cancelled', 'the running job');
  const runningError = (await running.result().catch((e: unknown) => e)) as ClusterError;
  t.equal(runningError.name, 'AbortError');
  t.equal(runningError.code, 'ABORT_ERR', "a cancelled job rejects as Node's aborts do");
  const waitingError = (await waiting.result().catch((e: unknown) => e)) as ClusterError;
  t.equal(waitingError.code, 'ABORT_ERR', 'the removed job too');
  const done = await q.add('echo', { value: 1 });
  t.equal(await done.result(), 1, 'the machine goes on');
  t.equal(await done.cancel(), 'finished', 'a finished job cannot be cancelled, and says so');
  t.equal(node.stats().completed, 1, 'the cancelled jobs did not complete');
});

t.test('a job id is an idempotency key: a second add with it adds nothing', async (t) => {
  const queue = freshQueue('idempotent');
  const node = await startNode(t, queue);
  const q = await connect(t, queue);
  const first = await q.add('echo', { value: 'first' }, { jobId: 'order-1042' });
  t.equal(await first.result(), 'first');
  const second = await q.add('echo', { value: 'second' }, { jobId: 'order-1042' });
  t.equal(second.id, 'order-1042');
  t.equal(await second.result(), 'first', 'the handle refers to the job that was there');
  t.equal(node.stats().completed, 1, 'it ran once');
  t.equal(await q.job('order-1042').result(), 'first', 'job(id) finds it by its id');
});

t.test('result() is bounded; a job that is not there is CLUSTER_NO_JOB', async (t) => {
  const queue = freshQueue('bounded');
  const q = await connect(t, queue);
  const job = await q.add('echo', { value: 1 });
  const error = (await job.result({ timeoutMs: 50 }).catch((e: unknown) => e)) as ClusterError;
  t.equal(error.code, 'ERR_CPUHP_CLUSTER_TIMEOUT', 'no machine took it within the bound');
  t.match(error.message, /goes on/, 'and the message says the job is still there');
  const missing = (await q.job('no-such-job').result().catch((e: unknown) => e)) as ClusterError;
  t.equal(missing.code, 'ERR_CPUHP_CLUSTER_NO_JOB');
  const cancelMissing = (await q.job('no-such-job').cancel().catch((e: unknown) => e)) as ClusterError;
  t.equal(cancelMissing.code, 'ERR_CPUHP_CLUSTER_NO_JOB');
});

t.test('a closed node and a closed queue refuse calls with CLUSTER_CLOSED; close() is idempotent', async (t) => {
  const queue = freshQueue('closed');
  const node = await startNode(t, queue);
  const q = await connect(t, queue);
  await node.close();
  await node.close();
  t.equal(node.stats().state, 'closed');
  for (const call of [() => node.cpuDown(1), () => node.cpuUp(1), () => node.down(), () => node.up()]) {
    const error = (await call().catch((e: unknown) => e)) as ClusterError;
    t.equal(error.code, 'ERR_CPUHP_CLUSTER_CLOSED');
  }
  await q.close();
  await q.close();
  const error = (await q.add('echo', { value: 1 }).catch((e: unknown) => e)) as ClusterError;
  t.equal(error.code, 'ERR_CPUHP_CLUSTER_CLOSED');
});

t.test('cpuDown and cpuUp of a machine refuse a bad CPU with a ConfigError naming it, and change nothing', async (t) => {
  const queue = freshQueue('bad-cpu');
  const node = await startNode(t, queue);
  const before = node.stats();
  for (const cpu of [Number.NaN, -1, 2, 1.5, Infinity, '1', null, Symbol('cpu'), 2 ** 53]) {
    for (const call of [() => node.cpuDown(cpu as never), () => node.cpuUp(cpu as never)]) {
      const error = (await call().catch((e: unknown) => e)) as { code?: string; message?: string };
      t.equal(error.code, 'ERR_CPUHP_INVALID_ARG', `${String(typeof cpu === 'symbol' ? 'a Symbol' : cpu)} is refused`);
      t.match(error.message ?? '', /cpu must be/, 'the message names the argument');
    }
  }
  t.same(node.stats(), before, 'the machine is as it was');
  const last = (await node.cpuDown(1).then(() => node.cpuDown(0)).catch((e: unknown) => e)) as { code?: string };
  t.equal(last.code, 'ERR_CPUHP_LAST_CPU', "a machine's last online CPU is refused as the runtime refuses it");
  t.equal(node.stats().concurrency, 2, 'and the concurrency follows the one CPU left');
});
