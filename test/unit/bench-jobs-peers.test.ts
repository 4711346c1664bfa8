/**
 * The job benchmark's peers (bench/jobs/optional.ts, compare.ts, report.ts): a peer that is
 * not installed is a note, not a failure; cpuhp is compared with every peer that was
 * measured; the report and the JSON show both. Made-up figures, no timing.
 */

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import t from 'tap';
import type { LoopResult } from '../../bench/jobs/closed-loop.js';
import { compareRuntimes } from '../../bench/jobs/compare.js';
import { installedVersion, loadOptional, missingNote } from '../../bench/jobs/optional.js';
import { jobBenchOk, renderHeader, renderJson, renderText } from '../../bench/jobs/report.js';
import { peerInfo, type JobBenchResult, type JobRow } from '../../bench/jobs/run.js';
import { jobBenchSettings } from '../../bench/jobs/settings.js';
import { loadPeers } from '../../bench/jobs/peers.js';
import { madeUpLoop } from './made-up-loop.js';

const run = promisify(execFile);

const loop = (jobsPerSecond: number, median: number): LoopResult => madeUpLoop(jobsPerSecond, median);

t.test('a peer that is not installed is reported missing; any other load error is thrown', async (t) => {
  const notFound = Object.assign(new Error("Cannot find package 'cpuhp-no-such-package'"), { code: 'ERR_MODULE_NOT_FOUND' });
  const missing = await loadOptional('cpuhp-no-such-package', () => Promise.reject(notFound));
  t.same(missing, { missing: missingNote('cpuhp-no-such-package') });
  t.match(missingNote('poolifier'), /devDependency/);
  await t.rejects(
    loadOptional('broken', () => Promise.reject(new TypeError('not a missing module'))),
    TypeError,
  );
  const present = await loadOptional('node:os', () => import('node:os'));
  t.ok('module' in present && typeof present.module.cpus === 'function');
});

t.test('a real dynamic import of a package that is not installed is reported missing (plain node, no test loader)', async (t) => {
  // tap's import hooks drop the error's code, so this runs where a user runs it: in plain node.
  const optional = new URL('../../bench/jobs/optional.js', import.meta.url).href;
  const script = `const { loadOptional } = await import(${JSON.stringify(optional)}); console.log(JSON.stringify(await loadOptional('cpuhp-no-such-package', () => import('cpuhp-no-such-package'))));`;
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script]);
  t.same(JSON.parse(stdout), { missing: missingNote('cpuhp-no-such-package') });
});

t.test('the installed peers load with their versions', async (t) => {
  const peers = await loadPeers();
  t.same(
    peers.map((p) => p.name),
    ['poolifier', 'tinypool'],
  );
  for (const p of peers) {
    // A development checkout has the devDependencies; their versions come from their package.json.
    if ('peer' in p) t.match(p.peer.version, /^\d+\.\d+\.\d+/, `${p.name} ${p.peer.version}`);
    else t.fail(`${p.name} is a devDependency and should be installed here: ${p.missing}`);
  }
  t.match(installedVersion('piscina'), /^\d+\.\d+\.\d+/);
});

function row(runtime: JobRow['runtime'], jobsPerSecond: number | null, skipped: string | null = null): JobRow {
  return { workload: 'trivial', runtime, churn: false, loop: jobsPerSecond === null ? null : loop(jobsPerSecond, 1000 / jobsPerSecond), churnDetail: null, skipped, notes: [] };
}

t.test('cpuhp is compared with every peer measured at the same workload and churn, and with none that was skipped', async (t) => {
  const rows = [row('cpuhp', 2000), row('piscina', 1000), row('poolifier', null), row('tinypool', null, missingNote('tinypool'))];
  const ratios = compareRuntimes(rows);
  t.same(
    ratios.map((r) => [r.peer, r.throughput]),
    [
      ['piscina', 2],
      ['poolifier', null],
    ],
    'a failed peer gives n/a, a skipped one no ratio',
  );
  t.same(ratios[0]!.lost, { cpuhp: 0, peer: 0 });
});

t.test('the report names each peer, says which is not installed, and stays ok without it', async (t) => {
  const settings = jobBenchSettings({ quick: true, threads: 2 });
  const rows = [row('cpuhp', 2000), row('piscina', 1000), row('poolifier', 1500), row('tinypool', null, missingNote('tinypool'))];
  const peers = [
    { name: 'poolifier' as const, version: '5.3.2', options: 'new FixedThreadPool(threads, workerFile) with its defaults' },
    { name: 'tinypool' as const, missing: missingNote('tinypool') },
  ];
  const result: JobBenchResult = {
    command: 'bench-jobs',
    settings,
    cores: 2,
    node: process.version,
    piscina: { version: '5.3.2', options: { minThreads: 2, maxThreads: 2 } },
    peers,
    warnings: [],
    rows: [{ ...rows[2]!, notes: ["poolifier's destroy() had not resolved 2000 ms after the loop; the run went on without it"] }, ...rows.filter((r) => r.runtime !== 'poolifier')],
    ratios: compareRuntimes(rows),
    dispatchPaths: [],
    cloneCost: null,
    cpuhpLost: 0,
    violations: 0,
    failures: [],
    elapsedMs: 1000,
  };
  t.ok(jobBenchOk(result), 'a missing peer is not a failure');
  const text = renderText(result);
  t.match(text, /tinypool\s+not installed/);
  t.match(text, /tinypool is not installed \(a devDependency/);
  t.match(text, /poolifier, trivial: poolifier's destroy\(\) had not resolved/);
  t.match(text, /trivial \(x \+ 1\)\s+none\s+poolifier\s+1\.33/, 'the ratio to poolifier');
  const header = renderHeader(settings, 2, '5.3.2', peers, []);
  t.match(header, /and poolifier 5\.3\.2: new FixedThreadPool/);
  t.match(header, /and tinypool: tinypool is not installed/);
  const json = JSON.parse(renderJson(result)) as { rows: unknown[]; peers: unknown[]; ratios: Array<{ peer: string }>; ok: boolean };
  t.ok(json.rows.length > 0 && json.ok);
  t.same(json.peers, peers);
  t.same(
    json.ratios.map((r) => r.peer),
    ['piscina', 'poolifier'],
  );
  t.same(peerInfo({ name: 'tinypool', missing: 'gone' }), { name: 'tinypool', missing: 'gone' });
});
