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
import { peerInfo, type JobBenchResult, type JobRow, type PeerInfo } from '../../bench/jobs/run.js';
import { jobBenchSettings } from '../../bench/jobs/settings.js';
import { loadPeers } from '../../bench/jobs/peers.js';
import { loadPiscina, piscinaInfo, type PiscinaInfo } from '../../bench/jobs/piscina-target.js';
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
  const piscina = await loadPiscina();
  if ('missing' in piscina) t.fail(`piscina is a devDependency and should be installed here: ${piscina.missing}`);
  else {
    t.equal(piscina.version, installedVersion('piscina'));
    t.equal(typeof piscina.Piscina, 'function');
    t.same(piscinaInfo(piscina, 3), { version: piscina.version, options: { minThreads: 3, maxThreads: 3 } });
  }
});

function row(runtime: JobRow['runtime'], jobsPerSecond: number | null, skipped: string | null = null): JobRow {
  return { workload: 'trivial', runtime, churn: false, loop: jobsPerSecond === null ? null : loop(jobsPerSecond, 1000 / jobsPerSecond), churnDetail: null, skipped, notes: [] };
}

/** A quick run at 2 threads of made-up rows in which nothing failed and no job was lost. */
function runOf(piscina: PiscinaInfo, peers: readonly PeerInfo[], rows: readonly JobRow[], ratios = compareRuntimes(rows)): JobBenchResult {
  const settings = jobBenchSettings({ quick: true, threads: 2 });
  return { command: 'bench-jobs', settings, cores: 2, node: process.version, piscina, peers, warnings: [], rows, ratios, dispatchPaths: [], cloneCost: null, cpuhpLost: 0, violations: 0, failures: [], interrupted: false, notDone: [], elapsedMs: 1000 };
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
  const withNote = [{ ...rows[2]!, notes: ["poolifier's destroy() had not resolved 2000 ms after the loop; the run went on without it"] }, ...rows.filter((r) => r.runtime !== 'poolifier')];
  const result = runOf({ version: '5.3.2', options: { minThreads: 2, maxThreads: 2 } }, peers, withNote, compareRuntimes(rows));
  t.ok(jobBenchOk(result), 'a missing peer is not a failure');
  const text = renderText(result);
  t.match(text, /tinypool\s+not installed/);
  t.match(text, /tinypool is not installed \(a devDependency/);
  t.match(text, /poolifier, trivial: poolifier's destroy\(\) had not resolved/);
  t.match(text, /trivial \(x \+ 1\)\s+none\s+poolifier\s+1\.33/, 'the ratio to poolifier');
  const header = renderHeader(settings, 2, { version: '5.3.2', options: { minThreads: 2, maxThreads: 2 } }, peers, []);
  t.match(header, /against piscina 5\.3\.2 run \(2 threads\)/);
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

t.test('without piscina, its rows say not installed, the report says how to compare, and the run stays ok', async (t) => {
  const settings = jobBenchSettings({ quick: true, threads: 2 });
  const missing = missingNote('piscina');
  const piscina = { missing };
  t.same(piscinaInfo(piscina, 2), piscina, 'a missing piscina is reported as it was loaded');
  const rows = [false, true].flatMap((churn) => [
    { ...row('cpuhp', 2000), churn },
    { ...row('piscina', null, missing), churn },
  ]);
  const result = runOf(piscina, [], rows);
  t.same(result.ratios, [], 'no ratio to a runtime that was not measured');
  t.ok(jobBenchOk(result), 'a missing piscina is not a failure');
  t.match(missing, /npm install piscina to compare/);
  const text = renderText(result);
  t.match(text, /none\s+piscina\s+not installed/, 'the throughput row');
  t.match(text, /piscina\s+not installed/, 'the churn row');
  t.match(text, /piscina is not installed \(a devDependency of cpuhp, for this benchmark only: npm install piscina to compare with it\)/);
  t.match(text, /piscina under churn: not measured/);
  t.notMatch(text, /piscina[^\n]*failed/, 'no piscina row reads as a failure');
  const header = renderHeader(settings, 2, piscina, [], []);
  t.notMatch(header, /against piscina/);
  t.match(header, /piscina: piscina is not installed/);
  const json = JSON.parse(renderJson(result)) as { piscina: unknown; ok: boolean };
  t.same(json.piscina, piscina);
  t.ok(json.ok);
});
