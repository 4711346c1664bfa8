/**
 * Every error has a stable code: one per situation, unique, documented (README or docs/), and
 * carried by the live failures a caller meets. Callers (and torture) decide by code and
 * class, never by message text.
 */

import { readdirSync, readFileSync } from 'node:fs';
import t from 'tap';
import {
  ConfigError,
  CpuhpError,
  ERROR_CODES,
  HotplugError,
  JobError,
  KthreadError,
  Runtime,
  type JobFailure,
  type KthreadHandle,
  CPUHP_AP_SMPBOOT_THREADS,
  CPUHP_BRINGUP_CPU,
} from '../src/index.js';
import { JOB_FAILURE_CODES } from '../src/errors.js';
import { FIXTURES, PATIENCE_MS, startJobRuntime, startRuntime } from './helpers.js';

const CODES = Object.values(ERROR_CODES) as string[];
const ROOT = new URL('../../', import.meta.url);

t.test('codes are unique, and each has the stable form', async (t) => {
  t.equal(new Set(CODES).size, CODES.length, 'no two situations share a code');
  for (const [key, code] of Object.entries(ERROR_CODES)) {
    if (key === 'JOB_ABORTED') t.equal(code, 'ABORT_ERR', "an aborted job has Node's code for an abort");
    else t.match(code, new RegExp(`^ERR_CPUHP_${key}$`), `${key} is ERR_CPUHP_${key}`);
  }
});

t.test('every error class carries a code', async (t) => {
  const errors: Array<[string, CpuhpError]> = [
    ['CpuhpError', new CpuhpError('m', { code: 'ERR_CPUHP_SHUT_DOWN' })],
    ['ConfigError', new ConfigError('m')],
    ['ConfigError', new ConfigError('m', { code: 'ERR_CPUHP_MODULE_LOAD' })],
    ['HotplugError', new HotplugError('m', { code: 'ERR_CPUHP_LAST_CPU', cpu: 0 })],
    ['KthreadError', new KthreadError('m', { code: 'ERR_CPUHP_NOT_A_HANDLE' })],
    ['JobError', new JobError('m', { job: 'j', reason: 'threw', started: true })],
  ];
  for (const [name, error] of errors) {
    t.type(error, CpuhpError);
    t.equal(error.name, name);
    t.ok(CODES.includes(error.code), `${name}: ${error.code} is one of ERROR_CODES`);
    t.ok(Object.keys(error).includes('code'), `${name}: code is an own, enumerable property, as on Node's errors`);
  }
  t.equal(new ConfigError('m').code, 'ERR_CPUHP_INVALID_ARG', 'a ConfigError is a bad argument unless it says otherwise');
  const cause = new Error('inner');
  const hotplug = new HotplugError('m', { code: 'ERR_CPUHP_STEP_FAILED', cpu: 1, step: 's', unresponsive: ['x'], cause });
  t.same([hotplug.cpu, hotplug.step, hotplug.unresponsive, hotplug.cause], [1, 's', ['x'], cause], 'the fields and cause are kept');
  t.same(new HotplugError('m', { code: 'ERR_CPUHP_LAST_CPU', cpu: 0 }).unresponsive, [], 'unresponsive defaults to none');
  t.notOk('cause' in new KthreadError('m', { code: 'ERR_CPUHP_THREAD_GONE' }), 'no cause unless one is given');
  t.ok('cause' in new KthreadError('m', { code: 'ERR_CPUHP_THREAD_GONE', cause: undefined }), 'a cause given as undefined is kept, as Error does');
});

t.test("a JobError's code follows its reason: a cancellation is Node's AbortError, every failure has a code of its own", async (t) => {
  const reasons = Object.keys(JOB_FAILURE_CODES) as JobFailure[];
  t.same(
    reasons.sort(),
    ['aborted', 'args-lost', 'cpu-offline', 'queue-full', 'shutdown', 'soft-lockup', 'threw', 'timeout', 'worker-died'],
    'every JobFailure has a code',
  );
  const cancellations: readonly JobFailure[] = ['aborted', 'shutdown', 'timeout'];
  const failures = reasons.filter((reason) => !cancellations.includes(reason));
  t.equal(new Set(failures.map((reason) => JOB_FAILURE_CODES[reason])).size, failures.length, 'no two failures share a code');
  for (const reason of reasons) {
    const error = new JobError('m', { job: 'j', reason, started: false, id: 3, cpu: 1 });
    const cancelled = cancellations.includes(reason);
    t.equal(error.code, JOB_FAILURE_CODES[reason], `${reason}: ${error.code}`);
    t.same([error.name, error.code === 'ABORT_ERR'], cancelled ? ['AbortError', true] : ['JobError', false], `${reason}: ${cancelled ? "an AbortError, code 'ABORT_ERR'" : 'a JobError with a code of its own'}`);
    t.type(error, JobError);
    t.same([error.job, error.reason, error.started, error.id, error.cpu], ['j', reason, false, 3, 1], `${reason}: the fields are kept`);
  }
});

t.test('the docs document every code', async (t) => {
  // The README and every page of docs/: the codes' table lives in docs/design.md.
  const docs = ['README.md', ...readdirSync(new URL('docs/', ROOT)).filter((name) => name.endsWith('.md')).map((name) => `docs/${name}`)];
  const text = docs.map((path) => readFileSync(new URL(path, ROOT), 'utf8')).join('\n');
  for (const code of CODES) t.ok(text.includes(`\`${code}\``), `${code} is in the README or docs/`);
});

/** Every .ts file below `dir`, recursively. */
function sources(dir: URL): URL[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sources(new URL(`${entry.name}/`, dir)) : entry.name.endsWith('.ts') ? [new URL(entry.name, dir)] : [],
  );
}

t.test('nothing in cpuhp decides by an error message', async (t) => {
  // What decides by a message: a pattern tested against it, or a comparison of it.
  const decides = /\.test\([^)]*\.message\)|\.message\.(?:startsWith|endsWith|includes|match)\(|\.message\s*[!=]==/;
  // The one exception, documented there: piscina gives this error no code or class of its own.
  const allowed = new Set(['bench/errors.ts']);
  for (const file of [...sources(new URL('src/', ROOT)), ...sources(new URL('workers/', ROOT)), ...sources(new URL('bench/', ROOT))]) {
    const name = file.pathname.slice(new URL(ROOT).pathname.length);
    if (allowed.has(name)) continue;
    t.notMatch(readFileSync(file, 'utf8'), decides, `${name} decides nothing by a message`);
  }
});

// ------------------------------------------------------------------ live failures

t.test('refusing to take the last online CPU down: ERR_CPUHP_LAST_CPU', async (t) => {
  const rt = await startRuntime(t, { cpus: 1 });
  await t.rejects(rt.cpuDown(0), { name: 'HotplugError', code: 'ERR_CPUHP_LAST_CPU', cpu: 0 });
  t.equal(rt.cpuState(0), 'online');
});

t.test('a handle the runtime did not issue: ERR_CPUHP_NOT_A_HANDLE', async (t) => {
  const rt = await startRuntime(t, { cpus: 2 });
  const thread = await rt.kthreadCreateOnCpu(1, 'spinner');
  const forged = { ...thread } as KthreadHandle;
  await t.rejects(rt.kthreadPark(forged), { name: 'KthreadError', code: 'ERR_CPUHP_NOT_A_HANDLE' });
  t.throws(() => rt.kthreadInfo({ id: thread.id } as KthreadHandle), { name: 'KthreadError', code: 'ERR_CPUHP_NOT_A_HANDLE' });
  await rt.kthreadStop(thread);
  await t.rejects(rt.kthreadPark(thread), { name: 'KthreadError', code: 'ERR_CPUHP_THREAD_GONE', thread: thread.name }, 'the real handle, once stopped, is gone');
});

t.test('a thread that does not park in time: ERR_CPUHP_PARK_TIMEOUT, by hand and as the cause of a cpuDown', async (t) => {
  const rt = await startRuntime(t, { cpus: 2, hotplugTimeoutMs: 300 });
  const deaf = await rt.kthreadCreateOnCpu(1, 'deaf', { name: 'deaf/1' });
  await t.rejects(rt.kthreadPark(deaf), { name: 'KthreadError', code: 'ERR_CPUHP_PARK_TIMEOUT', thread: 'deaf/1' });
  const error = await rt.cpuDown(1).then(() => undefined, (e: unknown) => e);
  t.type(error, HotplugError);
  const failure = error as HotplugError;
  t.same([failure.code, failure.step, failure.cpu], ['ERR_CPUHP_STEP_FAILED', CPUHP_AP_SMPBOOT_THREADS, 1], 'the step failed, and the CPU was rolled back');
  t.match(failure.cause, { name: 'HotplugError', code: 'ERR_CPUHP_PARK_TIMEOUT', step: CPUHP_AP_SMPBOOT_THREADS }, 'its cause says why');
  t.equal(rt.cpuState(1), 'online');
  t.equal(await rt.kthreadStop(deaf), 'deaf');
});

t.test('a job that throws: ERR_CPUHP_JOB_THREW', async (t) => {
  const rt = await startJobRuntime(t, { cpus: 2, hotplugTimeoutMs: PATIENCE_MS });
  await t.rejects(rt.queueWork('fail', 'broken'), { name: 'JobError', code: 'ERR_CPUHP_JOB_THREW', reason: 'threw', started: true });
});

t.test("an aborted job: name 'AbortError' and code 'ABORT_ERR', as Node's AbortError, while still a JobError", async (t) => {
  const rt = await startJobRuntime(t, { cpus: 2 });
  const controller = new AbortController();
  controller.abort();
  const error = await rt.queueWork('increment', 1, { signal: controller.signal }).then(() => undefined, (e: unknown) => e);
  t.type(error, JobError);
  const aborted = error as JobError;
  t.same([aborted.name, aborted.code, aborted.reason, aborted.started], ['AbortError', 'ABORT_ERR', 'aborted', false]);
  t.match(aborted.cause, { name: 'AbortError' }, "its cause is the signal's reason: the AbortError of controller.abort()");
});

t.test('a call after shutdown: ERR_CPUHP_SHUT_DOWN', async (t) => {
  const rt = await Runtime.start({ cpus: 1, modules: [FIXTURES] });
  await rt.shutdown();
  await t.rejects(rt.cpuUp(0), { name: 'CpuhpError', code: 'ERR_CPUHP_SHUT_DOWN' });
  t.throws(() => rt.injectFailure(0, CPUHP_BRINGUP_CPU), { name: 'CpuhpError', code: 'ERR_CPUHP_SHUT_DOWN' });
});
