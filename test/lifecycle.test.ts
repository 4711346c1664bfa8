/**
 * The runtime and the process: a program that forgets shutdown() still ends once its work is
 * done, a job in flight is finished first, ref() and unref() change that as Node's timers'
 * and workers' do, and `await using` shuts the runtime down at the end of its scope.
 *
 * Each program runs in a child node process: what is under test is whether that process ends
 * by itself. "Ends by itself" is bounded only by a generous kill timer; nothing here asserts
 * how fast anything is.
 */

import { execFile, spawn } from 'node:child_process';
import t from 'tap';
import { Runtime } from '../src/index.js';
import { fileURLToPath } from 'node:url';
import { FIXTURES, JOB_FIXTURES, PATIENCE_MS } from './helpers.js';

const INDEX = new URL('../src/index.js', import.meta.url).href;
const LIFECYCLE_FIXTURES = fileURLToPath(new URL('./fixtures/lifecycle.js', import.meta.url));
/** A child that has not ended by itself after this long is killed, and its test fails. */
const ENDS_WITHIN_MS = 3 * PATIENCE_MS;

/**
 * The head of every child program: a started runtime `rt` with the job and kthread fixtures.
 * The child runs with --input-type=module -e, a flag Node refuses in a worker: the runtime
 * leaves it out of the flags its workers inherit (worker-options.ts), or no CPU would start.
 */
const START = `
import { Runtime } from ${JSON.stringify(INDEX)};
process.removeAllListeners('warning'); // the CPUs-share-cores warning is not under test
const rt = await Runtime.start({ cpus: 2, modules: ${JSON.stringify([JOB_FIXTURES, FIXTURES, LIFECYCLE_FIXTURES])}, hotplugTimeoutMs: ${PATIENCE_MS} });
`;

interface Ended {
  readonly code: number | null;
  readonly killed: boolean;
  readonly lines: readonly string[];
  readonly stderr: string;
}

/** Runs `body` after `head` (START) in a child process and waits for it to end (or kills it late). */
function run(body: string, head = START): Promise<Ended> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['--input-type=module', '-e', head + body], { timeout: ENDS_WITHIN_MS }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
      resolve({ code, killed: error?.killed === true, lines: stdout.split('\n').filter((l) => l !== ''), stderr });
    });
  });
}

t.test('a program that never calls shutdown() ends once its work is done', async (t) => {
  const ended = await run(`
    console.log('job', await rt.queueWork('increment', 1));
    const spinner = await rt.kthreadCreateOnCpu(1, 'spinner');
    await rt.kthreadCreateOnCpu(0, 'spinner');
    console.log('iterated', await rt.waitForIterations(spinner, 3, ${PATIENCE_MS}));
    await rt.cpuDown(1); // CPU 1 is left dormant, its spinner parked; CPU 0's spinner runs on
    console.log('dormant', rt.isDormant(1));
  `);
  t.notOk(ended.killed, 'it ended by itself');
  t.equal(ended.code, 0, `it exited with code 0 (not 13: no awaited call was left pending) ${ended.stderr}`);
  t.same(ended.lines, ['job 2', 'iterated true', 'dormant true'], 'every awaited call settled first');
});

t.test('a start that fails rejects with its error, and the process then ends by itself', async (t) => {
  const broken = fileURLToPath(new URL('./fixtures/broken-module.js', import.meta.url));
  const ended = await run(
    `try {
      await Runtime.start({ cpus: 2, modules: [${JSON.stringify(broken)}] });
    } catch (error) {
      console.log('rejected', error.code);
    }`,
    `import { Runtime } from ${JSON.stringify(INDEX)};\n`,
  );
  t.notOk(ended.killed, 'it ended by itself');
  t.equal(ended.code, 0, `start() settled: not exit code 13 ${ended.stderr}`);
  t.same(ended.lines, ['rejected ERR_CPUHP_MODULE_LOAD']);
});

t.test('jobs in flight are finished before the process ends, even when nobody awaits them', async (t) => {
  const ended = await run(`
    for (let i = 0; i < 4; i++) rt.queueWork('spin', { ms: 200 }).then(() => console.log('job done'));
    console.log('submitted');
  `);
  t.notOk(ended.killed, 'it ended by itself');
  t.equal(ended.code, 0, ended.stderr);
  t.same(ended.lines, ['submitted', 'job done', 'job done', 'job done', 'job done'], 'all four jobs, two of them queued behind the others, ran to the end');
});

t.test('a job that is still running after its abort is finished before the process ends', async (t) => {
  const ended = await run(`
    const mark = new Int32Array(new SharedArrayBuffer(8));
    const abort = new AbortController();
    rt.queueWork('spinThenMark', { ms: 300, mark }, { signal: abort.signal }).catch((error) => console.log('rejected', error.code));
    await Atomics.waitAsync(mark, 1, 0, ${PATIENCE_MS}).value; // the job holds the process meanwhile
    abort.abort();
    process.on('exit', () => console.log('finished', Atomics.load(mark, 0)));
  `);
  t.notOk(ended.killed, 'it ended by itself');
  t.equal(ended.code, 0, ended.stderr);
  t.same(ended.lines, ['rejected ABORT_ERR', 'finished 1'], 'the job rejected at its abort, and its kworker ran it to the end before the process ended');
});

/**
 * The program prints 'idle' with nothing in flight, then arms an unref'd timer, which holds
 * nothing: it prints 'later' only if something else holds the process open.
 */
const IDLE_THEN_LATER = `
  console.log('idle');
  setTimeout(() => console.log('later'), 500).unref();
`;

t.test('without ref(), an idle runtime does not hold the process: an unref\'d timer never fires', async (t) => {
  const ended = await run(`console.log('job', await rt.queueWork('increment', 1));` + IDLE_THEN_LATER);
  t.notOk(ended.killed, 'it ended by itself');
  t.equal(ended.code, 0, ended.stderr);
  t.same(ended.lines, ['job 2', 'idle'], "it ended before the unref'd timer could fire");
});

t.test('ref() holds the process open while idle, until shutdown()', async (t) => {
  const child = spawn(process.execPath, ['--input-type=module', '-e', `${START} if (rt.ref() !== rt) throw new Error('ref() returns the runtime'); ${IDLE_THEN_LATER}`], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const kill = setTimeout(() => child.kill(), ENDS_WITHIN_MS);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let output = '';
  const later = new Promise<boolean>((resolve) => {
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('later')) resolve(true);
    });
    void exited.then(() => resolve(false));
  });
  t.ok(await later, `the unref'd timer fired: the runtime held the process past idle (output: ${JSON.stringify(output)})`);
  t.equal(child.exitCode, null, 'and the process is still running');
  t.ok(output.startsWith('idle'), 'it was idle first');
  child.kill();
  await exited;
  clearTimeout(kill);
});

t.test('ref() ends with shutdown(): the process then ends by itself', async (t) => {
  const ended = await run(`rt.ref(); console.log('held', rt.hasRef()); await rt.shutdown(); console.log('after shutdown', rt.hasRef());`);
  t.notOk(ended.killed, 'it ended by itself');
  t.equal(ended.code, 0, ended.stderr);
  t.same(ended.lines, ['held true', 'after shutdown false']);
});

t.test('unref(): the process ends even with a job in flight, which never finishes', async (t) => {
  const ended = await run(`
    if (rt.unref() !== rt) throw new Error('unref() returns the runtime');
    rt.queueWork('spin', { ms: ${ENDS_WITHIN_MS * 2} }).then(() => console.log('job done'));
    console.log('submitted', rt.hasRef());
  `);
  t.notOk(ended.killed, 'it ended by itself, long before the job could have finished');
  t.equal(ended.code, 0, ended.stderr);
  t.same(ended.lines, ['submitted false'], 'the job never reported back');
});

t.test('hasRef(): whether the runtime holds the process now', async (t) => {
  const rt = await Runtime.start({ cpus: 2, modules: [JOB_FIXTURES, FIXTURES], hotplugTimeoutMs: PATIENCE_MS });
  t.equal(rt.hasRef(), false, 'idle: not held');
  const job = rt.queueWork('increment', 1);
  t.equal(rt.hasRef(), true, 'a job in flight holds it');
  await job;
  t.equal(rt.hasRef(), false, 'and lets go once it settled');
  const failed = rt.queueWork('fail', 'boom');
  t.equal(rt.hasRef(), true);
  await t.rejects(failed, { code: 'ERR_CPUHP_JOB_THREW' });
  t.equal(rt.hasRef(), false, 'a job that failed lets go too');
  const down = rt.cpuDown(1);
  t.equal(rt.hasRef(), true, 'a hotplug operation holds it from the call on');
  await down;
  t.equal(rt.hasRef(), false);
  await t.rejects(rt.cpuDown(0), { code: 'ERR_CPUHP_LAST_CPU' });
  t.equal(rt.hasRef(), false, 'a refused operation lets go');
  t.equal(rt.ref().hasRef(), true, 'ref(): held while idle');
  t.equal(rt.unref().hasRef(), false, 'unref(): not held');
  const unheld = rt.queueWork('increment', 2);
  t.equal(rt.hasRef(), false, 'unref(): not held even with a job in flight');
  // Nothing holds this process for the job, nor for the shutdown, now: a timer of the test's own does.
  const alive = setInterval(() => undefined, 1000);
  t.equal(await unheld, 3, 'the job still runs while something else holds the process');
  await rt.shutdown();
  clearInterval(alive);
  t.equal(rt.hasRef(), false, 'after shutdown: not held');
});

t.test('await using: the runtime shuts down at the end of the scope', async (t) => {
  let outside: Runtime | undefined;
  {
    await using rt = await Runtime.start({ cpus: 2, modules: [JOB_FIXTURES], hotplugTimeoutMs: PATIENCE_MS });
    outside = rt;
    t.equal(await rt.queueWork('increment', 41), 42);
  }
  t.same(outside.onlineCpus(), [], 'every CPU is offline after the scope');
  t.same([outside.hasWorker(0), outside.hasWorker(1)], [false, false], 'and every worker is gone');
  await t.rejects(outside.queueWork('increment', 1), { name: 'CpuhpError', code: 'ERR_CPUHP_SHUT_DOWN' }, 'calls are refused as after shutdown()');
  await t.resolves(outside[Symbol.asyncDispose](), 'disposing again is a no-op');
});

t.test('await using after an explicit shutdown(): idempotent', async (t) => {
  {
    await using rt = await Runtime.start({ cpus: 1, modules: [FIXTURES], hotplugTimeoutMs: PATIENCE_MS });
    await rt.shutdown();
    t.same(rt.onlineCpus(), [], 'shut down inside the scope');
  }
  t.pass('the scope ended without an error');
});

t.test('a block that throws still disposes of the runtime, and the error is the one thrown', async (t) => {
  let outside: Runtime | undefined;
  const thrown = new Error('the body failed');
  const error = await (async () => {
    await using rt = await Runtime.start({ cpus: 1, modules: [FIXTURES], hotplugTimeoutMs: PATIENCE_MS });
    outside = rt;
    throw thrown;
  })().then(
    () => undefined,
    (e: unknown) => e,
  );
  t.equal(error, thrown);
  t.same(outside?.onlineCpus(), [], 'the runtime was shut down on the way out');
});
