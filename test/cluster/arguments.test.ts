/**
 * Every public call of cpuhp/cluster with bad input: each is refused with a ConfigError
 * (ERR_CPUHP_INVALID_ARG) that names the argument, before anything connects or starts. A
 * Redis that is not there is REDIS_UNREACHABLE, saying how to start one; a redis-server that
 * is not installed is REDIS_MISSING.
 */

import t, { type Test } from 'tap';
import { ClusterNode, ClusterQueue, ClusterError, startLocalRedis } from '../../src/cluster/index.js';
import { ConfigError } from '../../src/index.js';
import { freeLoopbackPort } from '../../src/cluster/redis-server.js';
import { freshQueue, redisUrl } from './helpers.js';

const REDIS = 'redis://127.0.0.1:1';
const QUEUE = 'jobs';

/** Values a hostile caller passes where a string, a number or an object belongs. */
const HOSTILE: ReadonlyArray<[string, unknown]> = [
  ['null', null],
  ['a Symbol', Symbol('s')],
  ['NaN', Number.NaN],
  ['Infinity', Infinity],
  ['-1', -1],
  ['a huge number', 2 ** 60],
  ['1.5', 1.5],
  ['a string', 'ten'],
  ['an array', [1]],
  ['a function', () => 1],
];

async function refused(t: Test, promise: Promise<unknown>, names: RegExp, label: string): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  t.ok(error instanceof ConfigError, `${label}: a ConfigError`);
  t.equal((error as ConfigError | undefined)?.code, 'ERR_CPUHP_INVALID_ARG', `${label}: ERR_CPUHP_INVALID_ARG`);
  t.match((error as Error | undefined)?.message ?? '', names, `${label}: the message names the argument`);
}

t.test('ClusterNode.start refuses bad options before it connects', async (t) => {
  await refused(t, ClusterNode.start(undefined as never), /options are required/, 'no options');
  await refused(t, ClusterNode.start(null as never), /options must be an object/, 'null');
  await refused(t, ClusterNode.start({ redis: REDIS, queue: QUEUE, colour: 'red' } as never), /unknown option 'colour'/, 'an unknown key');
  await refused(t, ClusterNode.start({ redis: REDIS, queue: QUEUE, [Symbol('x')]: 1 } as never), /unknown option \[/, 'a Symbol key');
  await refused(t, ClusterNode.start({ redis: REDIS, queue: QUEUE, jobsPerCPU: 2 } as never), /did you mean 'jobsPerCpu'/, 'a near miss');
  for (const [label, value] of HOSTILE) {
    await refused(t, ClusterNode.start({ redis: value, queue: QUEUE } as never), /options\.redis/, `redis as ${label}`);
    if (typeof value !== 'string') await refused(t, ClusterNode.start({ redis: REDIS, queue: value } as never), /options\.queue/, `queue as ${label}`);
    for (const key of ['jobsPerCpu', 'lockDurationMs', 'stalledIntervalMs', 'maxStalledCount']) {
      if (key === 'maxStalledCount' && value === 1.5) continue;
      await refused(t, ClusterNode.start({ redis: REDIS, queue: QUEUE, [key]: value } as never), new RegExp(`options\\.${key}`), `${key} as ${label}`);
    }
  }
  await refused(t, ClusterNode.start({ redis: 'http://127.0.0.1:6379', queue: QUEUE }), /redis:\/\/ URL/, 'an http URL');
  await refused(t, ClusterNode.start({ redis: 'redis://127.0.0.1:6379/99', queue: QUEUE }), /database/, 'database 99');
  await refused(t, ClusterNode.start({ redis: REDIS, queue: 'a:b' }), /without ':'/, "a queue name with ':'");
  await refused(t, ClusterNode.start({ redis: REDIS, queue: '' }), /options\.queue/, 'an empty queue name');
  await refused(t, ClusterNode.start({ redis: REDIS, queue: QUEUE, downTimeoutMs: -5 }), /options\.downTimeoutMs/, 'a negative downTimeoutMs');
  await refused(t, ClusterNode.start({ redis: REDIS, queue: QUEUE, exitOnSignal: 'yes' as never }), /options\.exitOnSignal/, 'exitOnSignal as a string');
  await refused(t, ClusterNode.start({ redis: REDIS, queue: QUEUE, runtime: 4 as never }), /options\.runtime/, 'runtime as a number');
  await refused(t, ClusterNode.start({ redis: REDIS, queue: QUEUE, name: '' }), /options\.name/, 'an empty name');
  await refused(t, ClusterNode.start({ redis: REDIS, queue: QUEUE, runtime: { cpus: Number.NaN } }), /options\.cpus/, "the runtime's cpus as NaN, before Redis is tried");
  await refused(t, ClusterNode.start({ redis: REDIS, queue: QUEUE, runtime: { colour: 1 } as never }), /unknown option 'colour'/, "an unknown runtime option, before Redis is tried");
});

t.test('ClusterQueue.connect refuses bad options before it connects', async (t) => {
  await refused(t, ClusterQueue.connect(undefined as never), /options are required/, 'no options');
  await refused(t, ClusterQueue.connect({ redis: REDIS, queue: QUEUE, keepFinishedS: Number.NaN }), /options\.keepFinishedS/, 'keepFinishedS NaN');
  await refused(t, ClusterQueue.connect({ redis: REDIS, queue: QUEUE, keepFinishedS: 0 }), /options\.keepFinishedS/, 'keepFinishedS 0');
  await refused(t, ClusterQueue.connect({ redis: Symbol('r'), queue: QUEUE } as never), /options\.redis/, 'redis as a Symbol');
});

t.test('a Redis that is not there: REDIS_UNREACHABLE, saying how to start one; nothing is left running', async (t) => {
  const port = await freeLoopbackPort();
  for (const start of [() => ClusterNode.start({ redis: `redis://127.0.0.1:${port}`, queue: QUEUE, exitOnSignal: false }), () => ClusterQueue.connect({ redis: `redis://127.0.0.1:${port}`, queue: QUEUE })]) {
    const error = (await start().catch((e: unknown) => e)) as ClusterError;
    t.ok(error instanceof ClusterError);
    t.equal(error.code, 'ERR_CPUHP_REDIS_UNREACHABLE');
    t.match(error.message, /apt-get install redis-server/, 'the message says how to get a Redis');
  }
});

t.test('a redis-server program that is not installed: REDIS_MISSING, saying how to install it', async (t) => {
  const error = (await startLocalRedis('/nonexistent/redis-server').catch((e: unknown) => e)) as ClusterError;
  t.equal(error.code, 'ERR_CPUHP_REDIS_MISSING');
  t.match(error.message, /apt-get install redis-server/);
});

t.test('add, result and job refuse bad arguments, and add nothing', async (t) => {
  const queue = freshQueue('arguments');
  const q = await ClusterQueue.connect({ redis: await redisUrl(), queue });
  t.teardown(() => q.close());
  for (const [label, value] of HOSTILE.filter(([, v]) => typeof v !== 'string')) {
    await refused(t, q.add(value as never, {}), /name must be/, `name as ${label}`);
    await refused(t, q.add('echo', {}, { jobId: value } as never), /options\.jobId/, `jobId as ${label}`);
    await refused(t, q.add('echo', {}, value as never), /options/, `options as ${label}`);
  }
  await refused(t, q.add('echo', {}, 'fast' as never), /options/, 'options as a string');
  await refused(t, q.add('echo', {}, { jobId: '1042' }), /not only digits/, 'an all-digit jobId');
  await refused(t, q.add('echo', {}, { jobId: 'a:b' }), /options\.jobId/, "a jobId with ':'");
  await refused(t, q.add('echo', {}, { priority: 1 } as never), /unknown option 'priority'/, 'an unknown add option');
  const job = await q.add('echo', { value: 1 });
  t.equal(job.id, '1', 'the refused adds added nothing: the first job on the queue is job 1');
  await refused(t, job.result({ timeoutMs: Number.NaN }), /options\.timeoutMs/, 'timeoutMs NaN');
  await refused(t, job.result({ timeoutMs: -1 }), /options\.timeoutMs/, 'timeoutMs -1');
  await refused(t, job.result({ wait: 1 } as never), /unknown option 'wait'/, 'an unknown result option');
  t.throws(() => q.job(Symbol('id') as never), { code: 'ERR_CPUHP_INVALID_ARG' }, 'job() with a Symbol');
  t.throws(() => q.job('' as never), { code: 'ERR_CPUHP_INVALID_ARG' }, 'job() with an empty id');
  await job.cancel();
});
