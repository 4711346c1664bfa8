/**
 * `cpuhp demo`: the command, its flags and its exit status. The run itself is in
 * demo-run.ts, its output in demo-report.ts, its kthreads in demo-kthreads.ts.
 */

import { availableParallelism } from 'node:os';
import type { Command } from 'commander';
import { defaultCpuCount, MAX_CPUS, MAX_KTHREADS } from '../controller/options.js';
import { ExitCode, runCommand, type ExitCodeValue } from './exit.js';
import { integerIn } from './flags.js';
import type { Interruption } from './interrupt.js';
import { addOutputOptions, OutputFiles, type OutputFlags } from './output.js';
import { MAX_SEED } from '../common/random.js';
import { formatCount } from '../common/format.js';
import { kthreadSlotsFor, runDemo, singleParksFor, type DemoSettings } from './demo-run.js';
import { addDashboardOptions, checkDashboardFlags, dashboardOptions, serveForCommand, type DashboardFlags } from './dashboard-flags.js';
import { renderFailures, renderHeader, renderJson, renderText, repeatCommand, type DemoPlan } from './demo-report.js';

/** Enough cycles for a median and a p99 that mean something, in a few seconds. */
const DEFAULT_CYCLES = 50;
const DEFAULT_THREADS_PER_CPU = 2;
const MAX_THREADS_PER_CPU = 1000;
const MAX_CYCLES = 1_000_000;
/** A long demo says where it is on stderr this often; the default run ends before the first line. */
const PROGRESS_EVERY_MS = 5000;

interface DemoFlags extends OutputFlags, DashboardFlags {
  readonly cpus: number;
  readonly threads: number;
  readonly cycles: number;
  readonly seed?: number;
}

export function registerDemo(program: Command): void {
  const command = program
    .command('demo')
    .description('start CPUs with running kthreads, take random CPUs down and up, park single threads, check that every thread parks, stays still and resumes, and print the figures')
    .option('--cpus <n>', `CPUs (worker threads) to start, 2 to ${MAX_CPUS}`, integerIn(2, MAX_CPUS, 'the demo takes one CPU down while the others keep running'), Math.min(defaultCpuCount(), MAX_CPUS))
    .option('--threads <k>', 'spinner kthreads per CPU (each CPU also runs one per-CPU kworker)', integerIn(1, MAX_THREADS_PER_CPU), DEFAULT_THREADS_PER_CPU)
    .option('--cycles <c>', 'CPU down/up cycles', integerIn(1, MAX_CYCLES), DEFAULT_CYCLES)
    .option('--seed <s>', `seed of the random choices, 0 to ${MAX_SEED} (default: a random one, printed)`, integerIn(0, MAX_SEED));
  addDashboardOptions(addOutputOptions(command))
    .addHelpText(
      'after',
      '\nExit status: 0 when every check passed; 1 when a check failed (a thread ran while its CPU was down,\n' +
        'a CPU was not dormant, an invariant violation); 2 when the run could not be done (bad flags, runtime error,\n' +
        'an output file that could not be written); 130 (Ctrl-C) or 143 (SIGTERM) when it was stopped: it stops\n' +
        'after the cycle under way, makes its end checks, and prints the figures so far, the seed and the repeat command.',
    )
    .action((flags: DemoFlags, cmd: Command) => runCommand('demo', (interruption) => demo(flags, cmd, interruption)));
}

async function demo(flags: DemoFlags, command: Command, interruption: Interruption): Promise<ExitCodeValue> {
  const settings: DemoSettings = {
    cpus: flags.cpus,
    threadsPerCpu: flags.threads,
    cycles: flags.cycles,
    seed: flags.seed ?? randomSeed(),
  };
  if (kthreadSlotsFor(settings) > MAX_KTHREADS) {
    command.error(
      `error: ${settings.cpus} CPUs with ${settings.threadsPerCpu} spinners and a kworker each need ${kthreadSlotsFor(settings)} kthreads; the runtime has at most ${MAX_KTHREADS}: lower --cpus or --threads`,
      { exitCode: ExitCode.ERROR },
    );
  }
  checkDashboardFlags(command, flags);
  const served = dashboardOptions(flags);
  const files = new OutputFiles('demo');
  files.check(command, '--out', flags.out);
  interruption.setLastWords(() => `seed: ${settings.seed}\nto repeat it: ${repeatCommand(settings)}`);
  const plan: DemoPlan = { settings, cores: availableParallelism(), singleParks: singleParksFor(settings.cycles) };
  if (!flags.json) process.stdout.write(`${renderHeader(plan)}\n\n`);

  const started = performance.now();
  let nextLine = PROGRESS_EVERY_MS;
  const report = await runDemo(settings, interruption.signal, (done) => {
    const elapsed = performance.now() - started;
    if (elapsed < nextLine) return;
    nextLine = elapsed + PROGRESS_EVERY_MS;
    process.stderr.write(`cpuhp demo: ${(elapsed / 1000).toFixed(1)} s, ${formatCount(done)} of ${formatCount(settings.cycles)} cycles\n`);
  }, served === undefined ? undefined : async (rt) => {
    await serveForCommand(rt, 'demo', served, '--dashboard');
  });

  const json = renderJson(report, plan);
  if (flags.out !== undefined) await files.write('--out', flags.out, `${json}\n`);
  process.stdout.write(`${flags.json ? json : renderText(report)}\n`);
  if (report.failures.length > 0) process.stderr.write(`${renderFailures(report)}\n`);
  if (files.failed) return ExitCode.ERROR;
  return report.failures.length > 0 ? ExitCode.CHECK_FAILED : ExitCode.OK;
}

function randomSeed(): number {
  return Math.floor(Math.random() * (MAX_SEED + 1));
}
