/**
 * The public API's argument checks: every call, given hostile input in any argument, fails
 * with a ConfigError that names the call and the argument, changes nothing, and (if it
 * returns a promise) rejects rather than throws. Plus the long timers, the resourceLimits
 * minimums, and the command line's flags.
 */

import { execFile } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import t, { type Test } from 'tap';
import {
  ConfigError,
  CpuhpError,
  defineCpuCallback,
  defineJob,
  defineKthread,
  definePerCpuThread,
  ERROR_CODES,
  KthreadError,
  Runtime,
  transfer,
} from '../src/index.js';
import { describeValue } from '../src/controller/arguments.js';
import { RESOURCE_LIMITS, resolveOptions } from '../src/controller/options.js';
import { chainTimeout, setLongTimeout } from '../src/controller/timer.js';
import { Gate, JOB_FIXTURES, PATIENCE_MS, startJobRuntime } from './helpers.js';

/** Every code a cpuhp error may carry. */
const KNOWN_CODES: ReadonlySet<string> = new Set(Object.values(ERROR_CODES));

// ------------------------------------------------------------------ hostile values

const thrower = (): never => {
  throw new Error('trap');
};
/** A Proxy every one of whose traps throws. */
const trapped = new Proxy({}, { get: thrower, has: thrower, ownKeys: thrower, getPrototypeOf: thrower, getOwnPropertyDescriptor: thrower });
const revoked = (() => {
  const { proxy, revoke } = Proxy.revocable({}, {});
  revoke();
  return proxy;
})();
const cyclic: { self?: unknown } = {};
cyclic.self = cyclic;
const badToString = { toString: thrower, valueOf: thrower, [Symbol.toPrimitive]: thrower };
const hugeString = 'x'.repeat(1_000_000);

/** Values no argument of the API takes (except where a row says otherwise). */
const JUNK: ReadonlyArray<readonly [string, unknown]> = [
  ['NaN', Number.NaN],
  ['Infinity', Infinity],
  ['-Infinity', -Infinity],
  ['-1', -1],
  ['1.5', 1.5],
  ['2 ** 53', 2 ** 53],
  ['1e300', 1e300],
  ["'1'", '1'],
  ["''", ''],
  ['a huge string', hugeString],
  ['null', null],
  ['true', true],
  ['a Symbol', Symbol('junk')],
  ['10n', 10n],
  ['[]', []],
  ['[1]', [1]],
  ['a function', () => 1],
  ['a throwing toString', badToString],
  ['a Proxy whose traps throw', trapped],
  ['a revoked Proxy', revoked],
  ['a cyclic object', cyclic],
];
const junkExcept = (...valid: string[]): ReadonlyArray<readonly [string, unknown]> => JUNK.filter(([label]) => !valid.includes(label));
/** Hostile options objects (besides the non-objects in JUNK): read, they must not be trusted. */
const BAD_OBJECTS = (knownKey: string): ReadonlyArray<readonly [string, unknown]> => [
  ['an unknown key', { bogusKey: 1 }],
  ['a Symbol key', { [Symbol('key')]: 1 }],
  [`a throwing getter for ${knownKey}`, Object.defineProperty({}, knownKey, { enumerable: true, get: thrower })],
];
/** Every value of JUNK is a bad options object too: not an object, an array, or one with unknown keys. */
const OPTIONS_JUNK = (knownKey: string): ReadonlyArray<readonly [string, unknown]> => [...JUNK, ...BAD_OBJECTS(knownKey)];

// ------------------------------------------------------------------ helpers

/** What a refused call must leave as it was. */
function snapshot(rt: Runtime): string {
  const { cpus, jobs } = rt.stats();
  const { latency: _latency, ...counts } = jobs;
  return JSON.stringify({
    cpus: cpus.map((c) => [c.cpu, c.state, c.step, c.ups, c.downs, c.rollbacks, c.threads, c.jobs.handed, c.jobs.queued]),
    online: rt.onlineCpus(),
    threads: rt.kthreadList().length,
    counts,
  });
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Calls `run` and returns what it threw or rejected with (undefined if it succeeded). A
 * promise-returning call that throws synchronously fails the test: it must reject.
 */
async function outcome(t: Test, label: string, returnsPromise: boolean, run: () => unknown): Promise<unknown> {
  let result: unknown;
  try {
    result = run();
  } catch (error) {
    if (returnsPromise) t.fail(`${label}: threw synchronously instead of rejecting (${describeValue(error)})`);
    return error;
  }
  if (!returnsPromise) return undefined;
  t.ok(result instanceof Promise, `${label}: returns a promise`);
  try {
    await result;
  } catch (error) {
    return error;
  }
  return undefined;
}

interface Row {
  /** The call's signature as its messages name it. */
  readonly call: string;
  /** The argument the values go in, as messages name it ("cpu", "options"). */
  readonly arg: string;
  readonly returnsPromise: boolean;
  readonly values: ReadonlyArray<readonly [string, unknown]>;
  readonly run: (value: unknown) => unknown;
}

async function refusesAll(t: Test, rt: Runtime | undefined, rows: readonly Row[]): Promise<void> {
  for (const row of rows) {
    for (const [label, value] of row.values) {
      const name = `${row.call} with ${row.arg} = ${label}`;
      const before = rt === undefined ? '' : snapshot(rt);
      const error = await outcome(t, name, row.returnsPromise, () => row.run(value));
      if (!(error instanceof ConfigError) || !(error instanceof CpuhpError) || error.code !== 'ERR_CPUHP_INVALID_ARG') {
        const code = error instanceof CpuhpError ? ` (code ${error.code})` : '';
        t.fail(`${name}: expected a ConfigError with code ERR_CPUHP_INVALID_ARG, got ${error === undefined ? 'success' : describeValue(error)}${code}`);
        continue;
      }
      // The message starts with the call and names the argument.
      const names = new RegExp(`^${escape(row.call)}: .*\\b${escape(row.arg)}\\b`, 's');
      if (!names.test(error.message)) t.fail(`${name}: the message does not name the call and ${row.arg}: ${error.message}`);
      if (error.message.length > 1000) t.fail(`${name}: a message of ${error.message.length} characters`);
      if (rt !== undefined && snapshot(rt) !== before) t.fail(`${name}: the refused call changed the runtime`);
    }
  }
  t.pass(`${rows.reduce((n, row) => n + row.values.length, 0)} hostile calls refused`);
}

/**
 * One job runtime for the tables, the long timeouts and the property, in that order (the
 * property changes it: states, threads, CPUs down): a start costs seconds under tap.
 */
const rt = await startJobRuntime(t);
const sleeper = await rt.kthreadCreateOnCpu(0, 'sleeper');

// ------------------------------------------------------------------ describeValue and timers

t.test('describeValue never throws and keeps descriptions short', async (t) => {
  for (const [label, value] of JUNK) {
    const text = describeValue(value);
    t.type(text, 'string', label);
    t.ok(text.length < 200, `${label}: ${text}`);
  }
  t.equal(describeValue(Number.NaN), 'NaN');
  t.equal(describeValue(-0), '-0');
  t.equal(describeValue('it\'s'), "'it\\'s'");
  t.match(describeValue(hugeString), /a string of 1000000 characters/);
  t.match(describeValue(Symbol('s')), /Symbol.*'s'/);
  t.match(describeValue(revoked), /cannot be inspected/);
  t.match(describeValue(new AbortController().signal), /^an AbortSignal/);
});

t.test('long timers: chained past the longest setTimeout, never armed for Infinity', async (t) => {
  const started = performance.now();
  // 3 slices of at most 20 ms, as 2^31 - 1 ms slices chain for longer timeouts.
  await new Promise<void>((resolve) => chainTimeout(resolve, 50, 20));
  t.ok(performance.now() - started >= 49, 'a chained timer fires at its deadline, not at the first slice');
  let fired = false;
  const long = setLongTimeout(() => (fired = true), 2 ** 31);
  const never = setLongTimeout(() => (fired = true), Infinity);
  await new Promise((resolve) => setTimeout(resolve, 50));
  t.notOk(fired, 'neither 2 ** 31 ms nor Infinity fire early (setTimeout would clamp 2 ** 31 to 1 ms)');
  long.clear();
  never.clear();
});

// ------------------------------------------------------------------ Runtime.start

t.test('Runtime.start refuses hostile options before any worker starts', async (t) => {
  const start = (options: unknown): Promise<Runtime> => Runtime.start(options as never);
  const call = 'Runtime.start(options)';
  const key = (k: string, values: ReadonlyArray<readonly [string, unknown]>): Row => ({
    call,
    arg: `options.${k}`,
    returnsPromise: true,
    values,
    run: (v) => start({ [k]: v }),
  });
  await refusesAll(t, undefined, [
    { call, arg: 'options', returnsPromise: true, values: [...OPTIONS_JUNK('cpus'), ["'x'", 'x']], run: start },
    key('cpus', [...junkExcept(), ['0', 0], ['129', 129]]),
    key('strategy', [...junkExcept(), ["'prak'", 'prak']]),
    key('modules', [...junkExcept('[]'), ['[a Symbol]', [Symbol('m')]], ['[a directory]', [tmpdir()]], ['[a Proxy]', [trapped]]]),
    key('hotplugTimeoutMs', junkExcept('Infinity')),
    key('maxKthreads', junkExcept()),
    key('maxQueue', junkExcept('Infinity')),
    key('jobSlots', junkExcept()),
    key('watchdogMs', [...junkExcept('Infinity'), ['50', 50], ['3_600_001', 3_600_001]]),
    key('onLockup', [...junkExcept(), ["'panic'", 'panic']]),
    key('controllerPriority', [...junkExcept(), ["'realtime'", 'realtime'], ['-20', -20]]),
    key('plantedRace', junkExcept()),
    key('resourceLimits', OPTIONS_JUNK('stackSizeMb')),
    ...Object.entries(RESOURCE_LIMITS).map(([limit, { min, max }]) => ({
      call,
      arg: `options.resourceLimits.${limit}`,
      returnsPromise: true,
      // The heap limits have no maximum: huge values are harmless there. 1.5 MB is enough for some.
      values: JUNK.filter(([label]) => !(max === Number.MAX_VALUE && (label === '2 ** 53' || label === '1e300')) && !(min <= 1.5 && label === '1.5')),
      run: (v: unknown) => start({ resourceLimits: { [limit]: v } }),
    })),
  ]);
  const invalid = { name: 'ConfigError', code: 'ERR_CPUHP_INVALID_ARG' };
  await t.rejects(start({ cpu: 2 }), { ...invalid, message: /unknown option 'cpu' in Runtime\.start options; did you mean 'cpus'\?/ });
  await t.rejects(start({ resourceLimits: { stackSize: 4 } }), { ...invalid, message: /unknown option 'stackSize' in options\.resourceLimits; did you mean 'stackSizeMb'\?/ });
  await t.rejects(start({ strategy: 'prak' }), { ...invalid, message: /did you mean 'park'\?/ });
  for (const [limit, { min }] of Object.entries(RESOURCE_LIMITS)) {
    await t.rejects(start({ resourceLimits: { [limit]: min / 2 } }), { ...invalid, message: new RegExp(`${limit} must be .*from ${min}.*at least ${min} MB`) }, `${limit} below ${min} MB`);
  }
  await t.rejects(start({ resourceLimits: { stackSizeMb: 0.1 } }), invalid, 'the stack size that aborted the whole process is refused');
  await t.rejects(start({ resourceLimits: { stackSizeMb: 1e15 } }), invalid, 'a stack size the OS cannot give is refused');
  await t.rejects(start({ resourceLimits: { codeRangeSizeMb: 1e9 } }), ConfigError, 'a code range that kills the process is refused');
});

t.test('every resourceLimits minimum starts a CPU worker that runs a job; hotplugTimeoutMs Infinity is no bound', async (t) => {
  const minimums = Object.fromEntries(Object.entries(RESOURCE_LIMITS).map(([limit, { min }]) => [limit, min]));
  const rt = await Runtime.start({ cpus: 2, modules: [JOB_FIXTURES], resourceLimits: minimums, hotplugTimeoutMs: Infinity });
  t.teardown(() => rt.shutdown());
  t.equal(await rt.queueWork('increment', 41, { cpu: 1, affinity: 'strict' }), 42, 'a job ran under the minimum limits');
  await rt.cpuDown(1);
  await rt.cpuUp(1);
  t.same(rt.onlineCpus(), [0, 1], 'hotplug works with no timeout');
  t.equal(rt.stats().cpus[1]!.failures, 0, 'no worker ran out of memory');
});

// ------------------------------------------------------------------ the runtime's calls

t.test('every runtime call refuses hostile arguments with a ConfigError, and changes nothing', async (t) => {
  const any = rt as unknown as Record<string, (...args: unknown[]) => unknown>;
  const cpuRow = (method: string, call: string, returnsPromise: boolean, extra: unknown[] = []): Row => ({
    call,
    arg: 'cpu',
    returnsPromise,
    values: [...JUNK, ['undefined', undefined], ['2', 2]],
    run: (v) => any[method]!.call(rt, v, ...extra),
  });
  const qw = 'queueWork(name, args, options)';
  const queueOption = (key: string, values: ReadonlyArray<readonly [string, unknown]>): Row => ({
    call: qw,
    arg: `options.${key}`,
    returnsPromise: true,
    values,
    run: (v) => rt.queueWork('increment', 1, { [key]: v } as never),
  });
  const wfi = 'waitForIterations(thread, atLeast, timeoutMs)';
  const wfh = 'waitForHeartbeat(cpu, ticks, timeoutMs)';
  const timeouts = junkExcept('Infinity', '2 ** 53', '1e300', '1.5');
  await refusesAll(t, rt, [
    cpuRow('cpuDown', 'cpuDown(cpu)', true),
    cpuRow('cpuUp', 'cpuUp(cpu)', true),
    cpuRow('cpuState', 'cpuState(cpu)', false),
    cpuRow('heartbeat', 'heartbeat(cpu)', false),
    cpuRow('isDormant', 'isDormant(cpu)', false),
    cpuRow('hasWorker', 'hasWorker(cpu)', false),
    { ...cpuRow('kthreadList', 'kthreadList(cpu)', false), values: [...JUNK, ['2', 2]] },
    cpuRow('injectFailure', 'injectFailure(cpu, step)', false, ['smpboot:threads']),
    { call: 'injectFailure(cpu, step)', arg: 'step', returnsPromise: false, values: [...JUNK, ['undefined', undefined]], run: (v) => rt.injectFailure(0, v as string) },
    { call: 'setupState(name, callbacks)', arg: 'name', returnsPromise: true, values: [...junkExcept("'1'", 'a huge string'), ["'cpuhp:mine'", 'cpuhp:mine'], ["'smpboot:x'", 'smpboot:x']], run: (v) => rt.setupState(v as string) },
    { call: 'setupState(name, callbacks)', arg: 'callbacks', returnsPromise: true, values: OPTIONS_JUNK('startup'), run: (v) => rt.setupState('app:test', v as never) },
    { call: 'setupState(name, callbacks)', arg: 'callbacks.startup', returnsPromise: true, values: junkExcept('a function'), run: (v) => rt.setupState('app:test', { startup: v as never }) },
    { call: 'setupState(name, callbacks)', arg: 'callbacks.teardown', returnsPromise: true, values: [["'onlineOnCpus'", 'onlineOnCpus']], run: (v) => rt.setupState('app:test', { teardown: v as never }) },
    { call: 'removeState(name)', arg: 'name', returnsPromise: true, values: [...JUNK, ["'smpboot:threads'", 'smpboot:threads'], ["'app:none'", 'app:none']], run: (v) => rt.removeState(v as string) },
    cpuRow('kthreadCreateOnCpu', 'kthreadCreateOnCpu(cpu, fn, options)', true, ['sleeper']),
    { call: 'kthreadCreateOnCpu(cpu, fn, options)', arg: 'fn', returnsPromise: true, values: [...JUNK, ['undefined', undefined], ["'increment'", 'increment']], run: (v) => rt.kthreadCreateOnCpu(0, v as string) },
    { call: 'kthreadCreateOnCpu(cpu, fn, options)', arg: 'options', returnsPromise: true, values: OPTIONS_JUNK('name'), run: (v) => rt.kthreadCreateOnCpu(0, 'sleeper', v as never) },
    { call: 'kthreadCreateOnCpu(cpu, fn, options)', arg: 'options.name', returnsPromise: true, values: junkExcept('a huge string', "'1'"), run: (v) => rt.kthreadCreateOnCpu(0, 'sleeper', { name: v as string }) },
    { call: 'registerPerCpuThread(fn, options)', arg: 'fn', returnsPromise: true, values: [...JUNK, ['undefined', undefined]], run: (v) => rt.registerPerCpuThread(v as string) },
    { call: 'registerPerCpuThread(fn, options)', arg: 'options', returnsPromise: true, values: OPTIONS_JUNK('data'), run: (v) => rt.registerPerCpuThread('sleeper', v as never) },
    { call: 'registerPerCpuThread(fn, options)', arg: 'options.name', returnsPromise: true, values: junkExcept('a huge string', "'1'"), run: (v) => rt.registerPerCpuThread('sleeper', { name: v as string }) },
    { call: qw, arg: 'name', returnsPromise: true, values: [...JUNK, ['undefined', undefined], ["'sleeper'", 'sleeper']], run: (v) => rt.queueWork(v as string, 1) },
    { call: qw, arg: 'options', returnsPromise: true, values: OPTIONS_JUNK('cpu'), run: (v) => rt.queueWork('increment', 1, v as never) },
    queueOption('cpu', [...JUNK, ['2', 2]]),
    queueOption('affinity', JUNK),
    queueOption('whenOffline', JUNK),
    queueOption('timeoutMs', [...junkExcept('Infinity', '2 ** 53', '1e300', '1.5'), ['0', 0]]),
    queueOption('signal', [...JUNK, ['a look-alike', Object.create(AbortSignal.prototype) as unknown]]),
    queueOption('transfer', [...junkExcept('[]'), ['[null]', [null]]]),
    queueOption('transferList', [...junkExcept('[]'), ['[null]', [null]]]),
    { call: qw, arg: 'options.transferList', returnsPromise: true, values: [['[] beside transfer: []', []]], run: (v) => rt.queueWork('increment', 1, { transfer: [], transferList: v as [] }) },
    { call: 'drain(options)', arg: 'options', returnsPromise: true, values: OPTIONS_JUNK('timeoutMs'), run: (v) => rt.drain(v as never) },
    { call: 'drain(options)', arg: 'options.timeoutMs', returnsPromise: true, values: [...timeouts, ['0', 0]], run: (v) => rt.drain({ timeoutMs: v as number }) },
    { call: wfi, arg: 'atLeast', returnsPromise: true, values: [...JUNK, ['undefined', undefined], ['2 ** 31', 2 ** 31]], run: (v) => rt.waitForIterations(sleeper, v as number, 10) },
    { call: wfi, arg: 'timeoutMs', returnsPromise: true, values: [...timeouts, ['undefined', undefined]], run: (v) => rt.waitForIterations(sleeper, 1, v as number) },
    { ...cpuRow('waitForHeartbeat', wfh, true, [1, 10]) },
    { call: wfh, arg: 'ticks', returnsPromise: true, values: [...JUNK, ['undefined', undefined], ['2 ** 31', 2 ** 31]], run: (v) => rt.waitForHeartbeat(0, v as number, 10) },
    { call: wfh, arg: 'timeoutMs', returnsPromise: true, values: [...timeouts, ['undefined', undefined]], run: (v) => rt.waitForHeartbeat(0, 1, v as number) },
  ]);

  // A typo names the option it was probably meant to be.
  const typos: Array<[() => Promise<unknown>, RegExp]> = [
    [() => rt.queueWork('increment', 1, { affinty: 'strict' } as never), /unknown option 'affinty' in queueWork options; did you mean 'affinity'\?/],
    [() => rt.queueWork('incremnt', 1), /no job named 'incremnt'; did you mean 'increment'\?/],
    [() => rt.kthreadCreateOnCpu(0, 'sleeper', { nmae: 'x' } as never), /unknown option 'nmae' in kthreadCreateOnCpu options; did you mean 'name'\?/],
    [() => rt.registerPerCpuThread('sleeper', { dta: 1 } as never), /unknown option 'dta' in registerPerCpuThread options; did you mean 'data'\?/],
    [() => rt.setupState('app:test', { startpu: () => undefined } as never), /unknown option 'startpu' in setupState callbacks; did you mean 'startup'\?/],
    [() => rt.setupState('app:test', { startup: 'onlineOnCpus' }), /no defineCpuCallback export named 'onlineOnCpus'; did you mean 'onlineOnCpu'\?/],
    [() => rt.drain({ timeout: 5 } as never), /unknown option 'timeout' in drain options; did you mean 'timeoutMs'\?/],
  ];
  for (const [run, message] of typos) await t.rejects(run(), { name: 'ConfigError', code: 'ERR_CPUHP_INVALID_ARG', message });
  t.throws(() => rt.injectFailure(0, 'smpboot:thread'), { name: 'ConfigError', code: 'ERR_CPUHP_INVALID_ARG', message: /did you mean 'smpboot:threads'\?/ });
  // Handles are checked by the kthread registry, not here; a bad one still rejects rather than throws.
  const nullHandle = await outcome(t, 'waitForIterations with a null handle', true, () => rt.waitForIterations(null as never, 1, 10));
  t.type(nullHandle, KthreadError);
  t.equal((nullHandle as KthreadError).code, 'ERR_CPUHP_NOT_A_HANDLE', 'a null handle is not a handle of this runtime');
  t.ok(await outcome(t, 'waitForIterations with a trapping handle', true, () => rt.waitForIterations(trapped as never, 1, 10)), 'a handle whose traps throw is refused by a rejection');

  // Values at the edges that are valid.
  t.equal(await rt.waitForHeartbeat(0, 2 ** 31 - 1, 0), false, 'timeoutMs 0 checks once');
  t.equal(await rt.waitForIterations(sleeper, 0, 0), true, 'atLeast 0 holds at once');
  t.equal(rt.cpuState(-0), 'online', '-0 is CPU 0');
  t.equal(await rt.queueWork('increment', 1, { timeoutMs: Infinity }), 2, 'timeoutMs Infinity is no timeout');
  await rt.drain({ timeoutMs: Infinity });
  t.equal(rt.stats().violations, 0);
});

t.test('long timeouts are honoured, not clamped to 1 ms', async (t) => {
  const gate = new Gate();
  let settled = false;
  const job = rt.queueWork('gate', gate.args, { timeoutMs: 2 ** 31 }).finally(() => (settled = true));
  t.ok(await gate.started(), 'the gate job runs');
  const drained = rt.drain({ timeoutMs: Infinity }).finally(() => (settled = true));
  await new Promise((resolve) => setTimeout(resolve, 1000));
  t.notOk(settled, 'a job with timeoutMs 2 ** 31 has not timed out after a second, and drain({ timeoutMs: Infinity }) waits for it');
  gate.open();
  t.type(await job, 'number', 'the job ran to its result');
  await drained;

  await rt.cpuDown(1);
  let ticked: boolean | undefined;
  const heartbeat = rt.waitForHeartbeat(1, 1, 2 ** 31).then((v) => (ticked = v));
  await new Promise((resolve) => setTimeout(resolve, 300));
  t.equal(ticked, undefined, 'a heartbeat wait of 2 ** 31 ms on a dormant CPU neither ticks nor times out');
  await rt.cpuUp(1);
  await heartbeat;
  t.equal(ticked, true, 'it resolves once the CPU is up and its timer ticks');
});

// ------------------------------------------------------------------ the module helpers

t.test('the definition helpers throw a ConfigError for hostile arguments', async (t) => {
  const yes = (): boolean => true;
  const hook = (): void => undefined;
  await refusesAll(t, undefined, [
    { call: 'defineKthread(fn)', arg: 'fn', returnsPromise: false, values: junkExcept('a function'), run: (v) => defineKthread(v as never) },
    { call: 'defineCpuCallback(fn)', arg: 'fn', returnsPromise: false, values: junkExcept('a function'), run: (v) => defineCpuCallback(v as never) },
    { call: 'defineJob(fn)', arg: 'fn', returnsPromise: false, values: junkExcept('a function'), run: (v) => defineJob(v as never) },
    { call: 'definePerCpuThread(hooks)', arg: 'hooks', returnsPromise: false, values: [...OPTIONS_JUNK('run'), ['undefined', undefined], ['{}', {}]], run: (v) => definePerCpuThread(v as never) },
    { call: 'definePerCpuThread(hooks)', arg: 'hooks.park', returnsPromise: false, values: junkExcept('a function'), run: (v) => definePerCpuThread({ shouldRun: yes, run: hook, park: v as never }) },
    { call: 'transfer(value, transferables)', arg: 'transferables', returnsPromise: false, values: [...junkExcept('[]'), ['[1]', [1]]], run: (v) => transfer({}, v as never) },
  ]);
  t.throws(() => definePerCpuThread({ shouldRun: yes, run: hook, cleanUp: hook } as never), { name: 'ConfigError', code: 'ERR_CPUHP_INVALID_ARG', message: /unknown option 'cleanUp'.*did you mean 'cleanup'\?/ });
  t.doesNotThrow(() => definePerCpuThread({ shouldRun: yes, run: hook, cleanup: undefined }), 'a hook left undefined is fine');
});

// ------------------------------------------------------------------ any junk, anywhere

t.test('property: any junk in any argument of any call is a CpuhpError or a success, never another error or a hang', async (t) => {
  /**
   * Junk, with the odd valid value in the mix so that successes happen too. The hostile
   * values of JUNK travel as their index, resolved in the property: fast-check inspects the
   * values it generates, and a Proxy whose traps throw would break fast-check itself.
   */
  const POOL: readonly unknown[] = [...JUNK.map(([, v]) => v), undefined, 0, 1, -0, 'increment', 'sleeper', {}];
  const junk = fc.oneof(
    { weight: 3, arbitrary: fc.anything({ withBigInt: true, withBoxedValues: true, withMap: true, withSet: true, withTypedArray: true, withSparseArray: true, withNullPrototype: true }).map((value) => ({ value })) },
    { weight: 2, arbitrary: fc.nat({ max: POOL.length - 1 }).map((pool) => ({ pool })) },
  );
  /** `mayWait`: a wait that may rightly outlast the check (a valid timeout), so pending is fine. */
  type Call = { readonly name: string; readonly arity: number; readonly promise: boolean; readonly run: (args: unknown[]) => unknown; readonly mayWait?: (args: unknown[]) => boolean };
  const method = (name: string, arity: number, promise: boolean, mayWait?: (args: unknown[]) => boolean): Call => ({
    name,
    arity,
    promise,
    run: (args) => (rt as unknown as Record<string, (...a: unknown[]) => unknown>)[name]!.apply(rt, args),
    ...(mayWait ? { mayWait } : {}),
  });
  const longWait = (timeout: unknown): boolean => typeof timeout === 'number' && timeout >= WAIT_CHECK_MS;
  const calls: Call[] = [
    method('cpuDown', 1, true),
    method('cpuUp', 1, true),
    method('cpuState', 1, false),
    method('onlineCpus', 0, false),
    method('injectFailure', 2, false),
    method('setupState', 2, true),
    method('removeState', 1, true),
    method('kthreadCreateOnCpu', 3, true),
    method('registerPerCpuThread', 2, true),
    method('kthreadList', 1, false),
    method('queueWork', 3, true),
    method('drain', 1, true),
    method('waitForHeartbeat', 3, true, (args) => longWait(args[2])),
    method('heartbeat', 1, false),
    method('isDormant', 1, false),
    method('hasWorker', 1, false),
    method('stats', 0, false),
    { name: 'waitForIterations', arity: 2, promise: true, run: (args) => rt.waitForIterations(sleeper, args[0] as number, args[1] as number), mayWait: (args) => longWait(args[1]) },
    // Runtime.start's checks, without starting workers for the junk that happens to be valid
    // options ({}, undefined): each start takes seconds under tap. Its promise is tested above.
    { name: 'resolveOptions', arity: 1, promise: false, run: (args) => resolveOptions(args[0]) },
    { name: 'defineKthread', arity: 1, promise: false, run: (args) => defineKthread(args[0] as never) },
    { name: 'definePerCpuThread', arity: 1, promise: false, run: (args) => definePerCpuThread(args[0] as never) },
    { name: 'defineCpuCallback', arity: 1, promise: false, run: (args) => defineCpuCallback(args[0] as never) },
    { name: 'defineJob', arity: 1, promise: false, run: (args) => defineJob(args[0] as never) },
    { name: 'transfer', arity: 2, promise: false, run: (args) => transfer(args[0], args[1] as never) },
  ];
  // Anything else must settle within PATIENCE_MS: a start or a hotplug is slow on a loaded machine.
  const WAIT_CHECK_MS = 200;
  const tally = { succeeded: 0, refused: 0, waiting: 0 };
  await fc.assert(
    fc.asyncProperty(fc.nat({ max: calls.length - 1 }), fc.array(junk, { minLength: 3, maxLength: 3 }), async (which, all) => {
      const call = calls[which]!;
      const args = all.slice(0, call.arity).map((junk) => ('pool' in junk ? POOL[junk.pool] : junk.value));
      const label = `${call.name}(${args.map(describeValue).join(', ')})`;
      let result: unknown;
      try {
        result = call.run(args);
      } catch (error) {
        if (call.promise) throw new Error(`${label} threw synchronously: ${describeValue(error)}`);
        if (!(error instanceof CpuhpError)) throw new Error(`${label} threw ${describeValue(error)}, not a CpuhpError`);
        if (!KNOWN_CODES.has(error.code)) throw new Error(`${label} threw a CpuhpError with code ${describeValue(error.code)}, not one of ERROR_CODES`);
        tally.refused++;
        return;
      }
      if (!call.promise) {
        tally.succeeded++;
        return;
      }
      if (!(result instanceof Promise)) throw new Error(`${label} did not return a promise`);
      let timer: NodeJS.Timeout | undefined;
      const checkMs = call.mayWait === undefined ? PATIENCE_MS : WAIT_CHECK_MS;
      const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), checkMs)));
      const settled = await Promise.race([result.then(() => 'ok', (error: unknown) => error), late]);
      clearTimeout(timer);
      if (settled === 'late') {
        tally.waiting++;
        if (call.mayWait?.(args)) return;
        throw new Error(`${label} did not settle within ${checkMs} ms`);
      }
      if (settled !== 'ok' && !(settled instanceof CpuhpError)) throw new Error(`${label} rejected with ${describeValue(settled)}, not a CpuhpError`);
      if (settled instanceof CpuhpError && !KNOWN_CODES.has(settled.code)) throw new Error(`${label} rejected with code ${describeValue(settled.code)}, not one of ERROR_CODES`);
      tally[settled === 'ok' ? 'succeeded' : 'refused']++;
    }),
    { numRuns: 1000 },
  );
  t.comment(`calls: ${tally.succeeded} succeeded, ${tally.refused} refused, ${tally.waiting} still waiting within a valid timeout`);
  t.ok(tally.succeeded > 0 && tally.refused > 0, 'the junk made some calls succeed and others refused');
  for (const cpu of [0, 1]) await rt.cpuUp(cpu);
  t.same(rt.onlineCpus(), [0, 1], 'every CPU comes back up');
  t.equal(rt.stats().violations, 0);
});

// ------------------------------------------------------------------ the command line

const CLI = fileURLToPath(new URL('../src/cli.js', import.meta.url));

function cli(args: readonly string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { timeout: PATIENCE_MS }, (error, _stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : null, stderr });
    });
  });
}

t.test('every bad flag value is a usage error naming the flag: exit 2, no stack trace', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'cpuhp-cli-'));
  // One or two of each kind of bad value per subcommand: each process takes a second or two under tap.
  const cases: Array<[string[], string]> = [
    [['demo', '--cpus', 'NaN'], '--cpus'],
    [['demo', '--cycles', '-1'], '--cycles'],
    [['demo', '--threads'], '--threads'],
    [['demo', '--cpsu', '2'], '--cpsu'],
    [['torture', '--duration', '1e400'], '--duration'],
    [['torture', '--trace', dir], '--trace'],
    [['bench', '--cpus', '0x10'], '--cpus'],
    [['bench-jobs', '--out', ''], '--out'],
  ];
  // Two at a time: the machine has two cores.
  for (let i = 0; i < cases.length; i += 2) {
    await Promise.all(
      cases.slice(i, i + 2).map(async ([args, flag]) => {
        const { code, stderr } = await cli(args);
        const label = `cpuhp ${args.map((a) => (a === '' ? "''" : a)).join(' ')}`;
        t.equal(code, 2, `${label} exits 2`);
        t.match(stderr, flag, `${label} names ${flag}`);
        t.notMatch(stderr, /\n\s+at /, `${label} prints no stack trace`);
      }),
    );
  }
});
