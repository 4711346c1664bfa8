/**
 * `cpuhp bench-dashboard`: the dashboard-cost benchmark's command, flags, output file and exit
 * status. The benchmark is in bench/dashboard/run.ts, its tables in bench/dashboard/report.ts.
 */

import { availableParallelism } from 'node:os';
import { Option, type Command } from 'commander';
import { MAX_CPUS } from '../controller/options.js';
import { DEFAULT_CPUS, DEFAULT_HOTPLUG_EVERY_MS, DEFAULT_WINDOW, FULL, QUICK, dashboardBenchSettings } from '../../bench/dashboard/settings.js';
import { dashboardBenchWarnings, runDashboardBench } from '../../bench/dashboard/run.js';
import { renderHeader, renderJson, renderProblems, renderText } from '../../bench/dashboard/report.js';
import { benchProgress } from '../../bench/progress.js';
import { durationIn, formatDuration } from './duration.js';
import { ExitCode, runCommand, type ExitCodeValue } from './exit.js';
import { integerIn } from './flags.js';
import type { Interruption } from './interrupt.js';
import { addOutputOptions, OutputFiles, type OutputFlags } from './output.js';

const MAX_ROUNDS = 1000;
const MAX_WINDOW = 10_000;
const HOUR_MS = 3_600_000;

interface BenchDashboardFlags extends OutputFlags {
  readonly cpus: number;
  readonly rounds?: number;
  readonly round?: number;
  readonly window: number;
  readonly hotplugEvery: number;
  readonly quick?: boolean;
}

export function registerBenchDashboard(program: Command): void {
  const command = program
    .command('bench-dashboard')
    .description(
      'measure what the live page costs the runtime it shows: rounds of the same workload (jobs through queueWork at full rate, a CPU down and up periodically) ' +
        'alternating with no dashboard and with the dashboard served and read (a client on /events and a /metrics scrape every second); jobs/s and cpuDown/cpuUp p50/p99 per arm and open/closed',
    )
    .addOption(new Option('--cpus <n>', `CPUs (worker threads), 2 to ${MAX_CPUS}`).argParser(integerIn(2, MAX_CPUS, 'a CPU goes down while another keeps running')).default(DEFAULT_CPUS))
    .option('--rounds <n>', `rounds per arm (default ${FULL.rounds}, or ${QUICK.rounds} with --quick)`, integerIn(1, MAX_ROUNDS))
    .option('--round <time>', `how long each round runs: 10s, 1m, or a number of seconds (default ${formatDuration(FULL.roundMs)}, or ${formatDuration(QUICK.roundMs)} with --quick)`, durationIn(500, HOUR_MS, 's'))
    .addOption(new Option('--window <n>', `jobs in flight, 1 to ${MAX_WINDOW}`).argParser(integerIn(1, MAX_WINDOW)).default(DEFAULT_WINDOW))
    .addOption(new Option('--hotplug-every <time>', 'a CPU down and up this often: 250ms, 1s, or a number of ms').argParser(durationIn(10, HOUR_MS, 'ms')).default(DEFAULT_HOTPLUG_EVERY_MS, formatDuration(DEFAULT_HOTPLUG_EVERY_MS)))
    .option('--quick', 'a smoke run of about 15 s, for CI; its figures are not for comparison');
  addOutputOptions(command)
    .addHelpText(
      'after',
      '\nPerformance is measured and reported, never asserted. Exit status: 0 when every round was measured with no\n' +
        'job failed and no violation; 1 when a job failed, a round could not be measured or a violation was counted\n' +
        '(the results are still printed and written); 2 when the run could not be done (bad flags, an output file not\n' +
        'writable) or a file could not be written at its end; 130 (Ctrl-C) or 143 (SIGTERM) when it was stopped: the\n' +
        'rounds measured so far are printed and written.',
    )
    .action((flags: BenchDashboardFlags, cmd: Command) => runCommand('bench-dashboard', (interruption) => benchDashboard(flags, cmd, interruption)));
}

async function benchDashboard(flags: BenchDashboardFlags, command: Command, interruption: Interruption): Promise<ExitCodeValue> {
  const files = new OutputFiles('bench-dashboard');
  files.check(command, '--out', flags.out);
  const settings = dashboardBenchSettings({
    cpus: flags.cpus,
    window: flags.window,
    hotplugEveryMs: flags.hotplugEvery,
    quick: flags.quick ?? false,
    ...(flags.rounds === undefined ? {} : { rounds: flags.rounds }),
    ...(flags.round === undefined ? {} : { roundMs: flags.round }),
  });
  const cores = availableParallelism();
  if (!flags.json) process.stdout.write(`${renderHeader(settings, cores, dashboardBenchWarnings(settings, cores))}\n\n`);

  const result = await runDashboardBench(settings, benchProgress(flags.json ?? false, 'cpuhp bench-dashboard'), interruption.signal);

  const json = renderJson(result);
  const out = flags.out !== undefined && (await files.write('--out', flags.out, `${json}\n`)) ? flags.out : undefined;
  if (flags.json) process.stdout.write(`${json}\n`);
  else process.stdout.write(`${renderText(result)}\n${out === undefined ? '' : `JSON: ${out}\n`}`);

  const problems = renderProblems(result);
  if (problems !== '') process.stderr.write(`${problems}\n`);
  if (files.failed) return ExitCode.ERROR;
  return problems === '' ? ExitCode.OK : ExitCode.CHECK_FAILED;
}
