/**
 * The package as an app developer installs it: `npm pack`, a fresh app that `npm install`s the
 * tarball, then (a) a strict TypeScript app (NodeNext, exactOptionalPropertyTypes, declarations)
 * with a job module and a kthread module, compiled and run; (b) require() of both entry points
 * from CommonJS; (c) a moduleResolution node10 type-check of both; (d) what the install brought:
 * one command, and none of the benchmarks' libraries; (e) cpuhp/cluster without its optional
 * peers says what to install; (f) with them installed, a machine and a producer run the app's
 * jobs on a real Redis; (g) the dashboard serves its page, script, style and uPlot from the
 * installed package (no CDN, no network), and `cpuhp dashboard` runs from the install. The app's
 * sources are test/package/app/.
 *
 * Slow (an npm install, two compiles, two runtimes), and it needs the npm registry or npm's
 * cache for cpuhp's dependencies. Every wait has its own bound; nothing here measures time.
 */

import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import t from 'tap';
import { redisUrl } from '../cluster/helpers.js';

const run = promisify(execFile);

/** The repository: this file runs as dist/test/package/install.test.js. */
const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const APP_SOURCES = join(ROOT, 'test', 'package', 'app');
const TSC = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
const TYPE_ROOTS = join(ROOT, 'node_modules', '@types');
/** A bound on each command against a hang; a loaded 2-core machine with a cold npm cache stays far inside it. */
const COMMAND_TIMEOUT_MS = 300_000;

/**
 * The environment of an app developer's shell: without the npm_* variables of the `npm test`
 * that may be running this (npm_config_local_prefix would point npm at this repository) and
 * without NODE_OPTIONS (tap's loaders).
 */
const userEnv: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^npm_/i.test(key) && key !== 'NODE_OPTIONS'));

async function sh(file: string, args: readonly string[], cwd: string): Promise<{ stdout: string; stderr: string }> {
  try {
    return await run(file, args, { cwd, env: userEnv, timeout: COMMAND_TIMEOUT_MS, maxBuffer: 64 * 1024 * 1024 });
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    throw new Error(`${file} ${args.join(' ')} (in ${cwd}) failed: ${String(error)}\n${stdout ?? ''}\n${stderr ?? ''}`);
  }
}

/** Whether a node_modules directory above `dir` would let the app find packages it did not install. */
function hasNodeModulesAbove(dir: string): boolean {
  for (let d = dir; ; d = dirname(d)) {
    if (existsSync(join(d, 'node_modules'))) return true;
    if (dirname(d) === d) return false;
  }
}

/**
 * A temporary directory with no node_modules above it: Node and TypeScript look for packages
 * in every parent directory, so a dependency missing from the package would otherwise be found
 * there and the test would pass for the wrong reason.
 */
function isolatedTempDir(): string {
  const bases = [tmpdir(), '/var/tmp'].filter((base) => existsSync(base));
  const base = bases.map((b) => realpathSync(b)).find((b) => !hasNodeModulesAbove(b));
  if (base === undefined) throw new Error(`no temporary directory without a node_modules above it among ${bases.join(', ')}: set TMPDIR to one`);
  return mkdtempSync(join(base, 'cpuhp-install-test-'));
}

const work = isolatedTempDir();
t.teardown(() => rmSync(work, { recursive: true, force: true }));
const app = join(work, 'app');

// --ignore-scripts: `npm test` built dist/ already, and the `prepare` build would delete and
// rewrite dist/ under the test files running beside this one.
const packed = JSON.parse((await sh('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', work], ROOT)).stdout) as Array<{
  filename: string;
  files: Array<{ path: string }>;
}>;
const tarball = join(work, packed[0]!.filename);
const packedFiles = packed[0]!.files.map((f) => f.path);

mkdirSync(join(app, 'src'), { recursive: true });
mkdirSync(join(app, 'node10'));
writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'cpuhp-install-test-app', version: '1.0.0', private: true, type: 'module' }, null, 2));
await sh('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', tarball], app);

t.test('the tarball carries the library, its workers, the CLI and the benchmarks it runs, and nothing of the development', async (t) => {
  for (const file of ['LICENSE', 'README.md', 'package.json', 'dist/src/index.js', 'dist/src/index.d.ts', 'dist/src/kthread/define.d.ts', 'dist/src/cli.js', 'dist/workers/cpu.js', 'dist/bench/jobs/run.js', 'dashboard/index.html', 'dashboard/style.css', 'dist/page/dashboard/src/main.js']) {
    t.ok(packedFiles.includes(file), file);
  }
  const development = packedFiles.filter((f) => /^(src|test|bench|workers|examples|dist\/test|dist\/examples|\.ci|scripts)\//.test(f) || /\.map$|^\.taprc$|^tsconfig\.json$/.test(f));
  t.same(development, [], 'no sources, tests, examples, CI files or source maps');
});

t.test('(a) a strict TypeScript app with a job module and a kthread module compiles against the installed package and runs', async (t) => {
  for (const file of ['main.ts', 'jobs.ts', 'kthreads.ts']) copyFileSync(join(APP_SOURCES, file), join(app, 'src', file));
  const compilerOptions = {
    strict: true,
    exactOptionalPropertyTypes: true,
    noUncheckedIndexedAccess: true,
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    target: 'ES2022',
    lib: ['ES2023'],
    // The repository's @types/node, by path: the app installs nothing but cpuhp.
    types: ['node'],
    typeRoots: [TYPE_ROOTS],
    // Declarations too: an export whose type cpuhp/kthread does not name would fail here (TS2742).
    declaration: true,
    skipLibCheck: false,
    rootDir: 'src',
    outDir: 'dist',
  };
  writeFileSync(join(app, 'tsconfig.json'), JSON.stringify({ compilerOptions, include: ['src'] }, null, 2));
  await sh(process.execPath, [TSC, '-p', '.'], app);

  const { stdout } = await sh(process.execPath, [join(app, 'dist', 'main.js')], app);
  const seen = JSON.parse(stdout) as Record<string, unknown>;
  t.same(seen.squares, [1, 4, 9, 16, 25, 36], 'every typed job resolved with its own result');
  t.equal(seen.ticked, true, 'the kthread ran');
  t.same(seen.down, { cpu: 'offline', online: [0], thread: 'parked' }, 'cpuDown parked the bound thread');
  t.equal(seen.up, 'online');
  t.same(seen.afterUp, { n: 9, square: 81, cpu: 1 }, 'the CPU runs jobs again after cpuUp');
  t.ok(typeof seen.ticks === 'number' && seen.ticks >= 1, `kthreadStop returned the thread's count (${String(seen.ticks)})`);
  t.equal(seen.violations, 0);
});

t.test('(b) require() of cpuhp and cpuhp/kthread from CommonJS', async (t) => {
  t.ok(existsSync(join(app, 'dist', 'jobs.js')), 'the job module (a) compiled is there');
  copyFileSync(join(APP_SOURCES, 'check.cjs'), join(app, 'check.cjs'));
  const { stdout } = await sh(process.execPath, [join(app, 'check.cjs')], app);
  const seen = JSON.parse(stdout) as { kthreadExports: string[]; runtime: string; refused: unknown; square: number; version: string };
  t.equal(seen.runtime, 'function');
  t.same(seen.refused, { configError: true, code: 'ERR_CPUHP_INVALID_ARG' }, 'one module graph: cpuhp/kthread throws cpuhp.ConfigError');
  t.equal(seen.square, 144);
  t.match(seen.version, /^\d+\.\d+\.\d+/);
  for (const name of ['defineCpuCallback', 'defineJob', 'defineKthread', 'definePerCpuThread', 'transfer']) t.ok(seen.kthreadExports.includes(name), `cpuhp/kthread exports ${name}`);
  for (const name of ['DEFINITION', 'TRANSFER', 'asTransfer', 'definitionKind']) t.notOk(seen.kthreadExports.includes(name), `cpuhp/kthread does not export the internal ${name}`);
});

t.test('(c) moduleResolution node10 resolves the types of both entry points', async (t) => {
  copyFileSync(join(APP_SOURCES, 'node10.ts'), join(app, 'node10', 'check.ts'));
  const compilerOptions = { strict: true, module: 'commonjs', moduleResolution: 'node10', target: 'ES2022', types: ['node'], typeRoots: [TYPE_ROOTS], noEmit: true };
  writeFileSync(join(app, 'tsconfig.node10.json'), JSON.stringify({ compilerOptions, files: ['node10/check.ts'] }, null, 2));
  const { stdout } = await sh(process.execPath, [TSC, '-p', 'tsconfig.node10.json', '--listFiles'], app);
  const installed = realpathSync(join(app, 'node_modules', 'cpuhp'));
  for (const file of ['dist/src/index.d.ts', 'dist/src/kthread/define.d.ts']) t.ok(stdout.includes(join(installed, file)), `resolved to the installed ${file}`);
});

t.test('(d) the install brings one command and none of the benchmarks’ libraries', async (t) => {
  t.same(readdirSync(join(app, 'node_modules', '.bin')), ['cpuhp']);
  const installed = readdirSync(join(app, 'node_modules'));
  const unwanted = installed.filter((name) => /^(vega|vega-.*|piscina|d3|d3-.*|poolifier|tinypool|typescript|tap|playwright-core)$/.test(name));
  t.same(unwanted, [], `installed: ${installed.join(', ')}`);
  const { stdout } = await sh(join(app, 'node_modules', '.bin', 'cpuhp'), ['--version'], app);
  t.match(stdout.trim(), /^\d+\.\d+\.\d+/, 'the cpuhp command runs from the install');
});

t.test('(e) cpuhp/cluster without bullmq and ioredis: the import works, a queue says what to install', async (t) => {
  const installed = readdirSync(join(app, 'node_modules'));
  t.notOk(installed.includes('bullmq') || installed.includes('ioredis'), 'the optional peers are not installed with cpuhp');
  copyFileSync(join(APP_SOURCES, 'no-broker.mjs'), join(app, 'no-broker.mjs'));
  const { stdout } = await sh(process.execPath, [join(app, 'no-broker.mjs')], app);
  const seen = JSON.parse(stdout) as { name: string; code: string; message: string };
  t.equal(seen.name, 'ClusterError');
  t.equal(seen.code, 'ERR_CPUHP_BROKER_MISSING');
  t.match(seen.message, /npm install bullmq@6 ioredis@6/, 'the message says what to install');
  const cpuhp = join(app, 'node_modules', '.bin', 'cpuhp');
  for (const args of [['cluster-node', '--redis', 'redis://127.0.0.1:6379', '--modules', join(app, 'dist', 'jobs.js')], ['torture-cluster', '--duration', '1s']]) {
    const outcome = await run(cpuhp, args, { cwd: app, env: userEnv, timeout: COMMAND_TIMEOUT_MS }).then(
      () => ({ code: 0, stderr: '' }),
      (error: { code?: number; stderr?: string }) => ({ code: error.code, stderr: error.stderr ?? '' }),
    );
    t.equal(outcome.code, 2, `cpuhp ${args[0]} exits 2: it could not run`);
    t.match(outcome.stderr, /npm install bullmq@6 ioredis@6/, `cpuhp ${args[0]} says what to install`);
  }
});

t.test('(f) with bullmq and ioredis installed, a machine and a producer run the app\'s jobs on Redis', async (t) => {
  t.ok(existsSync(join(app, 'dist', 'jobs.js')), 'the job module (a) compiled is there');
  const versions = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> };
  await sh('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', `bullmq@${versions.devDependencies.bullmq}`, `ioredis@${versions.devDependencies.ioredis}`], app);
  copyFileSync(join(APP_SOURCES, 'cluster.mjs'), join(app, 'cluster.mjs'));
  const { stdout } = await sh(process.execPath, [join(app, 'cluster.mjs'), await redisUrl(), `install-test-${process.pid}`], app);
  t.same(JSON.parse(stdout), { squares: [1, 4, 9], afterDown: 16, state: 'closed' }, 'every job ran, before and after a CPU went down');
});

t.test('(g) the dashboard of the installed package: page, script, style and uPlot from the package, its data with the token, no control without it', async (t) => {
  t.ok(existsSync(join(app, 'dist', 'jobs.js')), 'the job module (a) compiled is there');
  t.notOk(packedFiles.some((f) => f.startsWith('dashboard/src/') || f.startsWith('dist/page/src/')), 'the page ships compiled, without its sources or a second copy of the server files');
  copyFileSync(join(APP_SOURCES, 'dashboard.mjs'), join(app, 'dashboard.mjs'));
  const { stdout } = await sh(process.execPath, [join(app, 'dashboard.mjs')], app);
  const seen = JSON.parse(stdout) as Record<string, unknown>;
  t.match(seen.url, /^http:\/\/127\.0\.0\.1:\d+\/$/, 'bound to loopback by default');
  t.same(seen.page, [200, 'text/html', true], 'the page, which loads its script from the package');
  t.same(seen.script, [200, 'text/javascript']);
  t.same(seen.style, [200, 'text/css']);
  t.same(seen.uplot, [200, true], 'uPlot, served from the installed dependency');
  t.equal(seen.cpus, 2, 'a snapshot with both CPUs');
  t.same(seen.metrics, [200, true], 'Prometheus metrics');
  t.equal(seen.refused, 403, 'a control without the token is refused');
  t.equal(seen.cpu1, 'online', 'and changed nothing');

  const cpuhp = join(app, 'node_modules', '.bin', 'cpuhp');
  const { stdout: line } = await sh(cpuhp, ['dashboard', '--port', '0', '--json', '--duration', '2s'], app);
  const started = JSON.parse(line.trim().split('\n')[0]!) as { url: string; port: number; token: string };
  t.match(started.url, /^http:\/\/127\.0\.0\.1:\d+\//, '`cpuhp dashboard` runs from the install and says where its page is');
  t.ok(started.port > 0 && started.token.length >= 16);
});
