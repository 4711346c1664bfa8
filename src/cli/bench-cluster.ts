/**
 * `cpuhp bench-cluster`: the cluster benchmark's command, flags, output file and exit status.
 * The benchmark itself is in bench/cluster/run.ts, its tables in bench/cluster/report.ts.
 * Those (and through them bullmq and ioredis, optional peer dependencies) are loaded when the
 * command runs, so that `cpuhp --help` and the other commands work in an install without them;
 * only the settings (no dependencies) are loaded up front.
 */

import { availableParallelism } from 'node:os';
import { Option, type Command } from 'commander';
import { DEFAULT_CPUS_PER_MACHINE, DEFAULT_JOBS_PER_CPU, DEFAULT_WINDOW, FULL, MACHINE_COUNTS, QUICK, clusterBenchSettings } from '../../bench/cluster/settings.js';
import { formatCount } from '../common/format.js';
import { ExitCode, runCommand, type ExitCodeValue } from './exit.js';
import { integerIn } from './flags.js';
import type { Interruption } from './interrupt.js';
import { addOutputOptions, OutputFiles, renderNotDone, type OutputFlags } from './output.js';

const MAX_JOBS = 10_000_000;
const MAX_WINDOW = 10_000;

interface BenchClusterFlags extends OutputFlags {
  readonly machineCpus: number;
  readonly jobsPerCpu: number;
  readonly window: number;
  readonly trivialJobs?: number;
  readonly cpuJobs?: number;
  readonly quick?: boolean;
}

export function registerBenchCluster(program: Command): void {
  const command = program
    .command('bench-cluster')
    .description(
      `benchmark cpuhp/cluster on a local Redis: jobs/s and p50/p99 latency of a trivial and a 1 ms CPU-bound job for ${MACHINE_COUNTS.map((n) => `${n}`).join(', ')} cpuhp machine processes, ` +
        'against plain BullMQ worker processes of the same total concurrency and against in-process queueWork (no broker); what each job costs Redis, ' +
        "and Redis's own limit (redis-benchmark): the ceiling the broker puts on more machines. Needs redis-server, bullmq and ioredis",
    )
    .addOption(new Option('--machine-cpus <n>', 'CPUs of each cpuhp machine (and of the in-process runtime), 1 to 8').argParser(integerIn(1, 8)).default(DEFAULT_CPUS_PER_MACHINE))
    .addOption(
      new Option('--jobs-per-cpu <n>', "jobs a machine takes from the broker per CPU, 1 to 64; each plain BullMQ worker's concurrency is a machine's (CPUs × this)").argParser(integerIn(1, 64)).default(DEFAULT_JOBS_PER_CPU),
    )
    .addOption(new Option('--window <n>', `jobs the producer keeps outstanding, 1 to ${MAX_WINDOW}`).argParser(integerIn(1, MAX_WINDOW)).default(DEFAULT_WINDOW))
    .option('--trivial-jobs <n>', `trivial jobs per row (default ${formatCount(FULL.trivialJobs)}, or ${formatCount(QUICK.trivialJobs)} with --quick)`, integerIn(1, MAX_JOBS))
    .option('--cpu-jobs <n>', `1 ms jobs per row (default ${formatCount(FULL.cpuJobs)}, or ${formatCount(QUICK.cpuJobs)} with --quick)`, integerIn(1, MAX_JOBS))
    .option('--quick', 'a smoke run of about 30 s, for CI; its figures are not for comparison');
  addOutputOptions(command)
    .addHelpText(
      'after',
      '\nPerformance is measured and reported, never asserted. Exit status: 0 when every row was measured and no\n' +
        'job was lost; 1 when a job was lost or a measurement could not be done (the results are still printed and\n' +
        'written); 2 when the run could not be done (bad flags, an output file not writable, no redis-server,\n' +
        'bullmq or ioredis not installed, a crash) or a file could not be written at its end; 130 (Ctrl-C) or 143\n' +
        '(SIGTERM) when it was stopped: the rows measured so far are printed and written.',
    )
    .action((flags: BenchClusterFlags, cmd: Command) => runCommand('bench-cluster', (interruption) => benchCluster(flags, cmd, interruption)));
}

async function benchCluster(flags: BenchClusterFlags, command: Command, interruption: Interruption): Promise<ExitCodeValue> {
  const files = new OutputFiles('bench-cluster');
  files.check(command, '--out', flags.out);

  const { loadBroker } = await import('../cluster/broker.js');
  const { describeError } = await import('../../bench/errors.js');
  try {
    await loadBroker();
  } catch (error) {
    process.stderr.write(`cpuhp bench-cluster: ${describeError(error)}\n`);
    return ExitCode.ERROR;
  }
  const { clusterBenchWarnings, runClusterBench, startRunRedis } = await import('../../bench/cluster/run.js');
  const { renderHeader, renderJson, renderProblems, renderText } = await import('../../bench/cluster/report.js');
  const { installedVersion } = await import('../../bench/jobs/optional.js');
  const { benchProgress } = await import('../../bench/progress.js');

  const settings = clusterBenchSettings({
    cpusPerMachine: flags.machineCpus,
    jobsPerCpu: flags.jobsPerCpu,
    window: flags.window,
    quick: flags.quick ?? false,
    ...(flags.trivialJobs === undefined ? {} : { trivialJobs: flags.trivialJobs }),
    ...(flags.cpuJobs === undefined ? {} : { cpuJobs: flags.cpuJobs }),
  });
  const cores = availableParallelism();
  if (!flags.json) process.stdout.write(`${renderHeader(settings, cores, installedVersion('bullmq'), clusterBenchWarnings(settings, cores))}\n\n`);

  let redis;
  try {
    redis = await startRunRedis();
  } catch (error) {
    process.stderr.write(`cpuhp bench-cluster: ${describeError(error)}\n`);
    return ExitCode.ERROR;
  }
  let result;
  try {
    result = await runClusterBench(settings, redis, benchProgress(flags.json ?? false, 'cpuhp bench-cluster'), interruption.signal);
  } finally {
    await redis.stop();
  }

  const json = renderJson(result);
  const out = flags.out !== undefined && (await files.write('--out', flags.out, `${json}\n`)) ? flags.out : undefined;
  if (flags.json) process.stdout.write(`${json}\n`);
  else process.stdout.write(`${renderText(result)}\n${out === undefined ? '' : `JSON: ${out}\n`}${renderNotDone(result.notDone)}`);

  const problems = renderProblems(result);
  if (problems !== '') process.stderr.write(`${problems}\n`);
  if (files.failed) return ExitCode.ERROR;
  return problems === '' ? ExitCode.OK : ExitCode.CHECK_FAILED;
}
