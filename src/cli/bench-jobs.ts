/**
 * `cpuhp bench-jobs`: the job-runtime benchmark's command, flags, output file and exit
 * status. The benchmark itself is in bench/jobs/run.ts, its tables in bench/jobs/report.ts.
 * Those are loaded when the command runs, so that other subcommands do not pay for loading
 * piscina; only the settings (defaults and sizes, no dependencies) are loaded up front.
 * poolifier and tinypool, devDependencies, are loaded by dynamic import when the run starts
 * (bench/jobs/peers.ts); a missing one is a note in its rows' place, not a failure.
 */

import { writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { Option, type Command } from 'commander';
import { DEFAULT_CHURN_INTERVAL_MS, DEFAULT_CONCURRENCY, FULL, jobBenchSettings, QUICK } from '../../bench/jobs/settings.js';
import { defaultCpuCount, MAX_CPUS } from '../controller/options.js';
import { formatCount } from '../common/format.js';
import { ExitCode, runCommand, type ExitCodeValue } from './exit.js';
import { assertWritable, integerIn } from './flags.js';

const MAX_CONCURRENCY = 10_000;
const MAX_JOBS = 100_000_000;
const MAX_INTERVAL_MS = 60_000;

interface BenchJobsFlags {
  readonly threads: number;
  readonly concurrency: number;
  readonly trivialJobs?: number;
  readonly cpuJobs?: number;
  readonly churnInterval: number;
  readonly quick?: boolean;
  readonly json?: boolean;
  readonly out?: string;
  readonly svg?: string;
}

export function registerBenchJobs(program: Command): void {
  program
    .command('bench-jobs')
    .description(
      'benchmark the job runtime (rt.queueWork) against piscina, poolifier and tinypool at the same thread count, in one run: throughput and latency of a trivial and a 1 ms CPU-bound job, ' +
        'the same under churn (cpuhp: a CPU down and up; piscina: its pool replaced), jobs lost, and the dispatch paths a runtime could use; ' +
        'poolifier and tinypool are devDependencies, measured when installed',
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
      new Option('--churn-interval <ms>', `ms between churn operations, 1 to ${MAX_INTERVAL_MS}`).argParser(integerIn(1, MAX_INTERVAL_MS, 'milliseconds')).default(DEFAULT_CHURN_INTERVAL_MS),
    )
    .option('--quick', 'a smoke run of about 30 s, for CI; its figures are not for comparison')
    .option('--json', 'print one JSON object instead of tables (progress lines go to stderr)')
    .option('--out <file>', 'also write the JSON object to this file')
    .option('--svg <file>', 'write a chart (SVG) of throughput and p99 latency by job size to this file')
    .addHelpText(
      'after',
      '\nPerformance is measured and reported, never asserted. Exit status: 0 when every measurement was done and\n' +
        'cpuhp lost no job; 1 when cpuhp lost a job, a measurement could not be done, or the CPU workers counted\n' +
        'invariant violations (the results are still printed and written); 2 when the run could not be done\n' +
        '(bad flags, an output file not writable, a crash).',
    )
    .action((flags: BenchJobsFlags, command: Command) => runCommand('bench-jobs', () => benchJobs(flags, command)));
}

async function benchJobs(flags: BenchJobsFlags, command: Command): Promise<ExitCodeValue> {
  if (flags.out !== undefined) assertWritable(command, '--out', flags.out);
  if (flags.svg !== undefined) assertWritable(command, '--svg', flags.svg);

  const { jobBenchWarnings, peerInfo, runJobBench } = await import('../../bench/jobs/run.js');
  const { renderHeader, renderJson, renderProblems, renderText } = await import('../../bench/jobs/report.js');
  const { benchProgress } = await import('../../bench/progress.js');
  const { version: piscinaVersion } = await import('piscina');
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
  // poolifier and tinypool are devDependencies: each loaded if installed, a note in its rows' place if not.
  const peers = await loadPeers();
  if (!flags.json) process.stdout.write(`${renderHeader(settings, cores, piscinaVersion, peers.map(peerInfo), jobBenchWarnings(settings, cores))}\n\n`);

  const result = await runJobBench(settings, peers, progress);

  const json = renderJson(result);
  if (flags.out !== undefined) writeFileSync(flags.out, `${json}\n`);
  let svg: string | undefined;
  if (flags.svg !== undefined) {
    const [{ jobChartSpec }, { writeSvg }] = await Promise.all([import('../../bench/jobs/chart.js'), import('../../bench/svg.js')]);
    if (await writeSvg(flags.svg, jobChartSpec(result), { command: 'cpuhp bench-jobs' })) svg = flags.svg;
  }
  if (flags.json) process.stdout.write(`${json}\n`);
  else process.stdout.write(`${renderText(result)}\n${[flags.out === undefined ? '' : `JSON: ${flags.out}\n`, svg === undefined ? '' : `chart: ${svg}\n`].join('')}`);

  const problems = renderProblems(result);
  if (problems !== '') {
    process.stderr.write(`${problems}\n`);
    return ExitCode.CHECK_FAILED;
  }
  return ExitCode.OK;
}
