/**
 * The pictures' common ground (bench/svg.ts, bench/text-width.ts, bench/picture.ts) and the
 * job benchmark's chart (bench/jobs/chart.ts), over made-up results: vega is loaded only
 * when a picture is drawn, a missing vega is one line and no picture, and the job chart
 * shows what was measured and says what was not. No figure is measured here.
 */

import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import t from 'tap';
import { jobChartSpec, renderJobSvg } from '../../bench/jobs/chart.js';
import type { LoopResult } from '../../bench/jobs/closed-loop.js';
import { compareRuntimes } from '../../bench/jobs/compare.js';
import { missingNote } from '../../bench/jobs/optional.js';
import type { JobBenchResult, JobRow } from '../../bench/jobs/run.js';
import { jobBenchSettings } from '../../bench/jobs/settings.js';
import { main, pictureSpec } from '../../bench/picture.js';
import { renderSpec, VEGA_HINT, VegaMissingError, writeSvg, type VegaLoader } from '../../bench/svg.js';
import { textWidth, wrapLines } from '../../bench/text-width.js';
import { madeUpLoop } from './made-up-loop.js';
import { placedItems } from './scenegraph.js';

const run = promisify(execFile);
const DIST = new URL('../../', import.meta.url);
const WITHOUT_VEGA = new URL('test/fixtures/without-vega.js', DIST).pathname;
const PICTURE = new URL('bench/picture.js', DIST).pathname;

/** A loader that fails as a dynamic import of a package that is not installed does. */
const notInstalled: VegaLoader = () => Promise.reject(Object.assign(new Error("Cannot find package 'vega'"), { code: 'ERR_MODULE_NOT_FOUND' }));

const loop = (jobsPerSecond: number, p99: number): LoopResult => madeUpLoop(jobsPerSecond, p99 / 4, p99);

function row(workload: JobRow['workload'], runtime: JobRow['runtime'], churn: boolean, measured: LoopResult | null, skipped: string | null = null): JobRow {
  return { workload, runtime, churn, loop: measured, churnDetail: null, skipped, notes: [] };
}

/** cpuhp, piscina and poolifier measured; tinypool not installed; piscina's CPU-bound churn row failed. */
function madeUpJobs(): JobBenchResult {
  const rows: JobRow[] = [
    row('trivial', 'cpuhp', false, loop(40_000, 3)),
    row('trivial', 'piscina', false, loop(30_000, 4)),
    row('trivial', 'poolifier', false, loop(35_000, 5)),
    row('trivial', 'tinypool', false, null, missingNote('tinypool')),
    row('cpu', 'cpuhp', false, loop(900, 70)),
    row('cpu', 'piscina', false, loop(880, 80)),
    row('cpu', 'poolifier', false, loop(870, 90)),
    row('cpu', 'tinypool', false, null, missingNote('tinypool')),
    row('trivial', 'cpuhp', true, loop(38_000, 6)),
    row('trivial', 'piscina', true, loop(10_000, 60)),
    row('cpu', 'cpuhp', true, loop(850, 75)),
    row('cpu', 'piscina', true, null),
  ];
  return {
    command: 'bench-jobs',
    settings: jobBenchSettings({ quick: true, threads: 2 }),
    cores: 2,
    node: process.version,
    piscina: { version: '5.3.2', options: { minThreads: 2, maxThreads: 2 } },
    peers: [
      { name: 'poolifier', version: '5.3.2', options: 'new FixedThreadPool(threads, workerFile) with its defaults' },
      { name: 'tinypool', missing: missingNote('tinypool') },
    ],
    warnings: ['warning: a made-up warning long enough that the chart has to wrap it rather than grow as wide as the sentence is long'],
    rows,
    ratios: compareRuntimes(rows),
    dispatchPaths: [],
    cloneCost: null,
    cpuhpLost: 0,
    violations: 0,
    failures: ['cpu, piscina, churn every 100 ms: made up'],
    interrupted: false,
    notDone: [],
    elapsedMs: 1000,
  };
}

t.test('without vega, a picture is one line and no file, and the caller goes on', async (t) => {
  await t.rejects(renderSpec({ data: { values: [] }, mark: 'point' }, notInstalled), VegaMissingError, 'a module not found is VegaMissingError');
  const broken = new TypeError('vega itself broke');
  await t.rejects(renderSpec({ data: { values: [] }, mark: 'point' }, () => Promise.reject(broken)), broken, 'any other load error is not hidden');

  const dir = mkdtempSync(join(tmpdir(), 'cpuhp-pictures-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'chart.svg');
  const lines: string[] = [];
  const written = await writeSvg(file, jobChartSpec(madeUpJobs()), { command: 'cpuhp bench-jobs', load: notInstalled, warn: (line) => lines.push(line) });
  t.equal(written, false);
  t.equal(lines.length, 1, 'one line');
  t.ok(lines[0]!.startsWith('cpuhp bench-jobs: no chart written to ') && lines[0]!.includes(VEGA_HINT), lines[0]);
  t.match(lines[0]!, /npm install --no-save vega vega-lite/);
  t.notOk(existsSync(file), 'no file written');

  t.equal(await writeSvg(file, jobChartSpec(madeUpJobs()), { command: 'cpuhp bench-jobs', warn: (line) => lines.push(line) }), true, 'with vega the chart is written');
  t.match(readFileSync(file, 'utf8'), /^<svg/);
  t.equal(lines.length, 1, 'and nothing said');
});

t.test('the library, the CLI and the picture modules load without vega; the picture command says it needs them', async (t) => {
  const modules = ['src/index.js', 'src/cli/bench.js', 'src/cli/bench-jobs.js', 'bench/chart.js', 'bench/jobs/chart.js', 'bench/trace-picture.js', 'bench/svg.js', 'bench/picture.js'];
  const script = `${modules.map((m) => `await import(${JSON.stringify(new URL(m, DIST).href)});`).join('\n')}\nawait import('vega').then(() => console.log('vega loaded'), (e) => console.log(e.code));`;
  const { stdout } = await run(process.execPath, ['--import', WITHOUT_VEGA, '--input-type=module', '-e', script]);
  t.equal(stdout.trim(), 'ERR_MODULE_NOT_FOUND', 'every module loaded, and vega is hidden as if not installed');

  const help = await run(process.execPath, ['--import', WITHOUT_VEGA, new URL('src/cli.js', DIST).pathname, 'bench-jobs', '--help']);
  t.match(help.stdout, /--svg <file>/, 'the CLI runs without vega');

  const dir = mkdtempSync(join(tmpdir(), 'cpuhp-pictures-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const input = join(dir, 'jobs.json');
  const output = join(dir, 'jobs.svg');
  writeFileSync(input, JSON.stringify(madeUpJobs()));
  const failed = await run(process.execPath, ['--import', WITHOUT_VEGA, PICTURE, input, output]).then(
    () => undefined,
    (error: { code?: number; stderr?: string }) => error,
  );
  t.equal(failed?.code, 1, 'exit status 1: no picture');
  t.equal(failed?.stderr?.trim().split('\n').length, 1, 'one line');
  t.match(failed?.stderr ?? '', /picture: no picture written to .*npm install --no-save vega vega-lite/);
  t.notOk(existsSync(output));
});

t.test('cpuhp bench without vega: one line instead of the chart, the figures and the exit status all the same', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'cpuhp-pictures-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const svg = join(dir, 'chart.svg');
  const out = join(dir, 'bench.json');
  // The smallest run the flags allow: the point is what happens after it, not its figures.
  const smallest = ['--quick', '--cpus', '2', '--strategies', 'park', '--rounds', '1', '--cycles', '2', '--threads-per-cpu', '1', '--start-cpus', '2'];
  // A measurement may fail on a loaded machine (exit 1): the status must be what the figures say, with or without a chart.
  const { stdout, stderr, code } = await run(process.execPath, ['--import', WITHOUT_VEGA, new URL('src/cli.js', DIST).pathname, 'bench', ...smallest, '--json', '--out', out, '--svg', svg]).then(
    (done) => ({ ...done, code: 0 }),
    (error: { stdout: string; stderr: string; code: number }) => error,
  );
  const said = stderr.split('\n').filter((line) => line.includes('vega'));
  t.equal(said.length, 1, 'one line about it');
  t.match(said[0], /^cpuhp bench: no chart written to .*npm install --no-save vega vega-lite/);
  t.notOk(existsSync(svg), 'no chart');
  const result = JSON.parse(stdout) as { ok: boolean; svg: string | null; rows: unknown[] };
  t.equal(result.svg, null, 'the JSON says no chart was written');
  t.ok(result.rows.length > 0, 'the figures are there');
  t.equal(code, result.ok ? 0 : 1, 'the exit status is what the figures say');
  t.same(JSON.parse(readFileSync(out, 'utf8')), result, 'and written to --out');
});

t.test('picture.js draws from a bench-jobs result, and refuses what cpuhp did not write', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'cpuhp-pictures-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const input = join(dir, 'jobs.json');
  writeFileSync(input, JSON.stringify(madeUpJobs()));
  const output = join(dir, 'jobs.svg');
  const said: string[] = [];
  const io = { say: (line: string) => said.push(line) };
  t.equal(await main([input, output], io), 0);
  t.same(said, [`picture: ${output}`]);
  t.match(readFileSync(output, 'utf8'), /^<svg/);
  await t.rejects(pictureSpec({ command: 'demo' }, 'x.json'), { code: 'ERR_PICTURE_INPUT' });
  await t.rejects(pictureSpec(42, 'x.json'), { code: 'ERR_PICTURE_INPUT' });
  writeFileSync(input, '{ not json');
  t.equal(await main([input, output], io), 2, 'bad JSON is a bad invocation');
  t.equal(await main([join(dir, 'missing.json'), output], io), 2, 'so is a missing file');
  t.equal(await main([input], io), 2, 'and a missing argument');
  t.match(said.join('\n'), /picture: .*JSON[\s\S]*usage: node dist\/bench\/picture\.js/, 'each says what is wrong and how to call it');
});

t.test('the job chart: a bar per runtime measured, none for a peer not installed or a failed row, and says which', async (t) => {
  const result = madeUpJobs();
  const spec = jobChartSpec(result);
  const subtitle = JSON.stringify((spec.title as { subtitle: string[] }).subtitle);
  t.match(subtitle, /tinypool: not measured \(tinypool is not installed/);
  t.match(subtitle, /failed \(no bar\): piscina, churn, cpu/);
  const bars = await placedItems(spec, ['job_bars_marks']);
  const drawn = bars.map((b) => `${String(b.datum.metric).split(' ')[0]} ${String(b.datum.workload).split(' ')[0]} ${String(b.datum.series)}`).sort();
  t.same(
    drawn,
    ['cpuhp', 'cpuhp, churn', 'piscina', 'piscina, churn', 'poolifier'].flatMap((s) => ['trivial', ...(s === 'piscina, churn' ? [] : ['CPU-bound'])].flatMap((w) => [`jobs ${w} ${s}`, `p99 ${w} ${s}`])).sort(),
    'throughput and p99 of every row measured, nothing else',
  );
  const p99 = bars.filter((b) => String(b.datum.metric).startsWith('p99') && b.datum.series === 'piscina, churn');
  t.same(
    p99.map((b) => b.datum.value),
    [60],
    "piscina's trivial churn p99",
  );
  t.match(await renderJobSvg(result), /^<svg/);
});

t.test('text is measured by its characters, and long notes are wrapped at spaces', async (t) => {
  t.ok(textWidth({ fontSize: 10 }, 'iiii') < textWidth({ fontSize: 10 }, 'mmmm'), 'narrow letters are narrower');
  t.ok(textWidth({ fontSize: 10, fontWeight: 'bold' }, 'abc') > textWidth({ fontSize: 10 }, 'abc'), 'bold is wider');
  t.equal(textWidth({ fontSize: 20 }, 'abc'), 2 * textWidth({ fontSize: 10 }, 'abc'), 'in proportion to the size');
  // vega's own guess without a canvas is 0.8 em a character: sans-serif text is about 0.55.
  const sentence = 'throughput the CPUs staying online keep';
  const width = textWidth({ fontSize: 11 }, sentence);
  t.ok(width > 0.45 * 11 * sentence.length && width < 0.7 * 11 * sentence.length, `${width} px for ${sentence.length} characters`);
  t.equal(textWidth({}, '  '), 0, 'blank text is trimmed, as vega trims it');

  const long = 'one two three four five six seven eight nine ten eleven twelve';
  const lines = wrapLines([long, 'short'], 100);
  t.ok(lines.length > 2, 'the long line is broken');
  t.equal(lines[lines.length - 1], 'short');
  t.ok(lines.every((l) => textWidth({}, l) <= 100), 'each line fits');
  t.same(lines.join(' ').split(/\s+/), [...long.split(' '), 'short'], 'no word lost or split');
  t.same(wrapLines(['averyveryverylongwordthatcannotbebroken'], 10), ['averyveryverylongwordthatcannotbebroken'], 'a word longer than the width stays whole');
});
