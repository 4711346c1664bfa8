/**
 * RuntimeOptions.workerOptions reaches every CPU worker, fresh ones included; what the runtime
 * owns, unknown keys and bad values are refused with a ConfigError naming the key; and a
 * TypeScript module is refused before any worker starts, saying what to do.
 */

import { fileURLToPath } from 'node:url';
import { SHARE_ENV } from 'node:worker_threads';
import t from 'tap';
import { ConfigError, Runtime, type RuntimeOptions } from '../src/index.js';
import { PATIENCE_MS } from './helpers.js';

const FIXTURES = fileURLToPath(new URL('./fixtures/lifecycle.js', import.meta.url));
const start = (options: RuntimeOptions): Promise<Runtime> => Runtime.start({ cpus: 2, modules: [FIXTURES], hotplugTimeoutMs: PATIENCE_MS, ...options });

t.test('env, execArgv and argv reach the jobs on every CPU, and the fresh worker of a cpuUp', async (t) => {
  const rt = await start({
    strategy: 'recreate', // cpuDown ends the worker; cpuUp starts a fresh one
    workerOptions: { env: { CPUHP_WORKER_TEST: 'from workerOptions' }, execArgv: ['--no-deprecation'], argv: ['--the-argument'] },
  });
  t.teardown(() => rt.shutdown());
  const onEveryCpu = async (): Promise<void> => {
    for (const cpu of [0, 1]) {
      t.equal(await rt.queueWork('envOf', 'CPUHP_WORKER_TEST', { cpu }), 'from workerOptions', `CPU ${cpu} has the env`);
      t.equal(await rt.queueWork('envOf', 'PATH', { cpu }), null, `CPU ${cpu} has that env only, not the process's`);
      t.same(await rt.queueWork('workerFlags', undefined, { cpu }), { execArgv: ['--no-deprecation'], argv: ['--the-argument'] }, `CPU ${cpu} has the flags and argv`);
    }
  };
  await onEveryCpu();
  await rt.cpuDown(1);
  t.equal(rt.hasWorker(1), false, 'the worker of CPU 1 is gone');
  await rt.cpuUp(1);
  await onEveryCpu();
});

t.test('env is copied at start; SHARE_ENV shares the process environment', async (t) => {
  const env: Record<string, string> = { CPUHP_COPIED: 'at start' };
  const copied = await start({ cpus: 1, workerOptions: { env } });
  t.teardown(() => copied.shutdown());
  env.CPUHP_COPIED = 'changed later';
  t.equal(await copied.queueWork('envOf', 'CPUHP_COPIED'), 'at start', 'a later change to the object reaches no worker');

  const shared = await start({ cpus: 1, workerOptions: { env: SHARE_ENV } });
  t.teardown(() => shared.shutdown());
  process.env.CPUHP_SHARED = 'set after start';
  t.teardown(() => delete process.env.CPUHP_SHARED);
  t.equal(await shared.queueWork('envOf', 'CPUHP_SHARED'), 'set after start', 'the worker sees the process environment as it is now');
});

t.test('the keys the runtime owns, unknown keys and bad values: a ConfigError naming the key', async (t) => {
  const invalid = { name: 'ConfigError', code: 'ERR_CPUHP_INVALID_ARG' };
  const cases: Array<[unknown, RegExp]> = [
    [null, /options\.workerOptions must be an object/],
    [5, /options\.workerOptions must be an object/],
    [[], /options\.workerOptions must be an object/],
    [{ eval: true }, /options\.workerOptions\.eval is the runtime's own.*options\.modules/],
    [{ workerData: {} }, /options\.workerOptions\.workerData is the runtime's own.*data/],
    [{ transferList: [] }, /options\.workerOptions\.transferList is the runtime's own.*transfer\(\)/],
    [{ name: 'mine' }, /options\.workerOptions\.name is the runtime's own.*cpu0/],
    [{ stdout: true }, /options\.workerOptions\.stdout is the runtime's own.*streams/],
    [{ stdin: false }, /options\.workerOptions\.stdin is the runtime's own/],
    [{ stderr: true }, /options\.workerOptions\.stderr is the runtime's own/],
    [{ execArg: [] }, /unknown option 'execArg' in options\.workerOptions; did you mean 'execArgv'\?/],
    [{ [Symbol('x')]: 1 }, /unknown option \[a Symbol \('x'\)\] in options\.workerOptions/],
    [{ env: 5 }, /options\.workerOptions\.env must be an object of string values, or SHARE_ENV/],
    [{ env: null }, /options\.workerOptions\.env must be/],
    [{ env: ['A=1'] }, /options\.workerOptions\.env must be/],
    [{ env: { A: 1 } }, /options\.workerOptions\.env\.A must be a string, got 1/],
    [{ env: { A: undefined } }, /options\.workerOptions\.env\.A must be a string/],
    [{ env: { [Symbol('k')]: 'v' } }, /options\.workerOptions\.env has a Symbol key/],
    [{ execArgv: '--no-deprecation' }, /options\.workerOptions\.execArgv must be an array of Node's command-line flags/],
    [{ execArgv: [1] }, /options\.workerOptions\.execArgv\[0\] must be a non-empty string, got 1/],
    [{ execArgv: ['--no-deprecation', ''] }, /options\.workerOptions\.execArgv\[1\] must be a non-empty string/],
    [{ argv: [Number.NaN] }, /options\.workerOptions\.argv\[0\] must be a non-empty string, got NaN/],
    [{ argv: 'x' }, /options\.workerOptions\.argv must be an array of strings/],
    [{ trackUnmanagedFds: 'yes' }, /options\.workerOptions\.trackUnmanagedFds must be true or false/],
    [{ resourceLimits: { stackSizeMb: Infinity } }, /options\.workerOptions\.resourceLimits\.stackSizeMb must be a number of MB/],
    [{ resourceLimits: { stackSize: 4 } }, /unknown option 'stackSize' in options\.workerOptions\.resourceLimits/],
  ];
  for (const [workerOptions, message] of cases) {
    await t.rejects(start({ workerOptions } as RuntimeOptions), { ...invalid, message }, `refused: ${message.source}`);
  }
  const trap = new Proxy({}, { ownKeys: () => { throw new Error('trap'); } });
  await t.rejects(start({ workerOptions: trap } as RuntimeOptions), { ...invalid, message: /options\.workerOptions could not be listed|keys of options\.workerOptions could not be listed/ }, 'a Proxy whose keys throw');
  await t.rejects(
    start({ resourceLimits: { stackSizeMb: 4 }, workerOptions: { resourceLimits: { stackSizeMb: 4 } } }),
    { ...invalid, message: /options\.resourceLimits and options\.workerOptions\.resourceLimits are the same limits; pass one of them/ },
    'resourceLimits in both places',
  );
});

t.test('a flag Node refuses in a worker: a ConfigError naming execArgv, and no runtime', async (t) => {
  const error = await start({ workerOptions: { execArgv: ['--max-old-space-size=128'] } }).then(
    async (rt) => {
      await rt.shutdown();
      return undefined;
    },
    (e: unknown) => e,
  );
  t.type(error, ConfigError);
  t.match(error, { code: 'ERR_CPUHP_INVALID_ARG', message: /options\.workerOptions\.execArgv.*--max-old-space-size=128.*per-process flags/ });
  t.match((error as ConfigError).cause, { code: 'ERR_WORKER_INVALID_EXEC_ARGV' }, "its cause is Node's own error");
});

t.test('workerOptions.resourceLimits is the resourceLimits option by another name', async (t) => {
  const rt = await start({ cpus: 1, workerOptions: { resourceLimits: { maxOldGenerationSizeMb: 256 } } });
  t.teardown(() => rt.shutdown());
  t.equal(await rt.queueWork('envOf', 'NO_SUCH_VARIABLE_HERE'), null, 'a worker with the limits runs jobs');
});

t.test('a TypeScript module is refused before any worker starts, saying what to do', async (t) => {
  const invalid = { name: 'ConfigError', code: 'ERR_CPUHP_INVALID_ARG' };
  const source = fileURLToPath(new URL('../../test/fixtures/lifecycle.ts', import.meta.url));
  await t.rejects(start({ modules: [source] }), {
    ...invalid,
    message: /options\.modules\[0\]: .*lifecycle\.ts is TypeScript, which Node 20's worker threads cannot load; compile it with tsc and pass the \.js file it emits, or on Node 22\.6 and later run with --experimental-strip-types/,
  });
  await t.rejects(start({ modules: [FIXTURES, '/nowhere/a.mts'] }), { ...invalid, message: /options\.modules\[1\]: .*a\.mts is TypeScript.*pass the \.mjs file/ }, 'by its index, whether it exists or not');
  await t.rejects(start({ modules: [new URL('file:///nowhere/b.CTS')] }), { ...invalid, message: /options\.modules\[0\]: .*b\.CTS is TypeScript.*pass the \.cjs file/ }, 'a file: URL, in any case');
});
