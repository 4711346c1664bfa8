/**
 * `cpuhp bench-jobs`: the job-runtime benchmark's command, flags, output file and exit
 * status. The benchmark itself is in bench/jobs/run.ts, its tables in bench/jobs/report.ts.
 * Those are loaded when the command runs, so that other subcommands do not pay for loading
 * them; only the settings (defaults and sizes, no dependencies) are loaded up front.
 * piscina, poolifier and tinypool, devDependencies, are loaded by dynamic import when the run
 * starts (bench/jobs/piscina-target.ts, peers.ts); a missing one is a note in its rows' place,
 * not a failure.
 */

import { availableParallelism } from 'node:os';
import { Option, type Command } from 'commander';
import { DEFAULT_CHURN_INTERVAL_MS, DEFAULT_CONCURRENCY, FULL, jobBenchSettings, QUICK } from '../../bench/jobs/settings.js';
import { defaultCpuCount, MAX_CPUS } from '../controller/options.js';
import { formatCount } from '../common/format.js';
import { ExitCode, runCommand, type ExitCodeValue } from './exit.js';
import { integerIn } from './flags.js';
import { durationIn } from './duration.js';
import type { Interruption } from './interrupt.js';
import { addOutputOptions, OutputFiles, renderNotDone, type OutputFlags } from './output.js';

const MAX_CONCURRENCY = 10_000;
const MAX_JOBS = 100_000_000;
const MAX_INTERVAL_MS = 60_000;

interface BenchJobsFlags extends OutputFlags {
  readonly threads: number;
  readonly concurrency: number;
  readonly trivialJobs?: number;
  readonly cpuJobs?: number;
  readonly churnInterval: number;
  readonly quick?: boolean;
  readonly svg?: string;
}

export function registerBenchJobs(program: Command): void {
  const command = program
    .command('bench-jobs')
    .description(
      'benchmark the job runtime (rt.queueWork) against piscina, poolifier and tinypool at the same thread count, in one run: throughput and latency of a trivial and a 1 ms CPU-bound job, ' +
        'the same under churn (cpuhp: a CPU down and up; piscina: its pool replaced), jobs lost, and the dispatch paths a runtime could use; ' +
        'piscina, poolifier and tinypool are devDependencies, measured when installed',
    )
    .addOption(
      new Option('--threads <n>', `cpuhp CPUs and piscina threads alike, 2 to ${MAX_CPUS} (one must be able to go down while another runs jobs)`)
        .argParser(integerIn(2, MAX_CPUS, 'one thread goes down during churn while the others run jobs'))
        .default(defaultCpuCount(), `${defaultCpuCount()}: the cores available less one, at least 2`),
    )
    .addOption(new Option('--concurrency <n>', `jobs kept in flight by the closed loop, 1 to ${MAX_CONCURRENCY}`).argParser(integerIn(1, MAX_CONCURRENCY)).default(DEFAULT_CONCURRENCY))
    .option('--trivial-jobs <n>', `trivial jobs per row (default ${formatCount(FULL.trivialJobs)}, or ${formatCount(QUICK.trivialJobs)} with --quick)`, integerIn(1, MAX_JOBS))
    .option('--cpu-jobs <n>', `CPU-bound (1 ms) jobs per row (default ${formatCount(FULL.cpuJobs)}, or ${formatCount(QUICK.cpuJobs)} with --quick)`, integerIn(1, MAX_JOBS))
    .addOption(
      new Option('--churn-interval <time>', 'time between churn operations, 1ms to 1m: 20ms, 1s; a bare number is in milliseconds')
        .argParser(durationIn(1, MAX_INTERVAL_MS, 'ms'))
        .default(DEFAULT_CHURN_INTERVAL_MS, `${DEFAULT_CHURN_INTERVAL_MS}ms`),
    )
    .option('--quick', 'a smoke run of about 30 s, for CI; its figures are not for comparison')
    .option('--svg <file>', 'write a chart (SVG) of throughput and p99 latency by job size to this file');
  addOutputOptions(command)
    .addHelpText(
      'after',
      '\nPerformance is measured and reported, never asserted. Exit status: 0 when every measurement was done and\n' +
        'cpuhp lost no job; 1 when cpuhp lost a job, a measurement could not be done, or the CPU workers counted\n' +
        'invariant violations (the results are still printed and written); 2 when the run could not be done\n' +
        '(bad flags, an output file not writable, a crash) or a file could not be written at its end (the results\n' +
        'are printed); 130 (Ctrl-C) or 143 (SIGTERM) when it was stopped: the measurements done so far are\n' +
        'printed and written.',
    )
    .action((flags: BenchJobsFlags, cmd: Command) => runCommand('bench-jobs', (interruption) => benchJobs(flags, cmd, interruption)));
}

async function benchJobs(flags: BenchJobsFlags, command: Command, interruption: Interruption): Promise<ExitCodeValue> {
  const files = new OutputFiles('bench-jobs');
  files.check(command, '--out', flags.out);
  files.check(command, '--svg', flags.svg);

  const { jobBenchWarnings, peerInfo, runJobBench } = await import('../../bench/jobs/run.js');
  const { renderHeader, renderJson, renderProblems, renderText } = await import('../../bench/jobs/report.js');
  const { benchProgress } = await import('../../bench/progress.js');
  const { loadPiscina, piscinaInfo } = await import('../../bench/jobs/piscina-target.js');
  const { loadPeers } = await import('../../bench/jobs/peers.js');

  const settings = jobBenchSettings({
    threads: flags.threads,
    concurrency: flags.concurrency,
    churnIntervalMs: flags.churnInterval,
    quick: flags.quick ?? false,
    ...(flags.trivialJobs === undefined ? {} : { trivialJobs: flags.trivialJobs }),
    ...(flags.cpuJobs === undefined ? {} : { cpuJobs: flags.cpuJobs }),
  });
  const cores = availableParallelism();
  const progress = benchProgress(flags.json ?? false, 'cpuhp bench-jobs');
  // piscina, poolifier and tinypool are devDependencies: each loaded if installed, a note in its rows' place if not.
  const piscina = await loadPiscina();
  const peers = await loadPeers();
  if (!flags.json) process.stdout.write(`${renderHeader(settings, cores, piscinaInfo(piscina, settings.threads), peers.map(peerInfo), jobBenchWarnings(settings, cores))}\n\n`);

  const result = await runJobBench(settings, piscina, peers, progress, interruption.signal);

  const json = renderJson(result);
  const out = flags.out !== undefined && (await files.write('--out', flags.out, `${json}\n`)) ? flags.out : undefined;
  let svg: string | undefined;
  if (flags.svg !== undefined) {
    // Loaded only when asked for; without vega the run says so in one line and goes on.
    const [{ jobChartSpec }, { renderSvgOrSay }] = await Promise.all([import('../../bench/jobs/chart.js'), import('../../bench/svg.js')]);
    const picture = await renderSvgOrSay(flags.svg, jobChartSpec(result), { command: 'cpuhp bench-jobs' });
    if (picture !== undefined && (await files.write('--svg', flags.svg, picture))) svg = flags.svg;
  }
  if (flags.json) process.stdout.write(`${json}\n`);
  else process.stdout.write(`${renderText(result)}\n${out === undefined ? '' : `JSON: ${out}\n`}${svg === undefined ? '' : `chart: ${svg}\n`}${renderNotDone(result.notDone)}`);

  const problems = renderProblems(result);
  if (problems !== '') process.stderr.write(`${problems}\n`);
  if (files.failed) return ExitCode.ERROR;
  return problems === '' ? ExitCode.OK : ExitCode.CHECK_FAILED;
}
