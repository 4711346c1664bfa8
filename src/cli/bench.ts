/**
 * `cpuhp bench`: the strategy benchmark's command, flags, output files and exit status. The
 * benchmark itself is in bench/strategies.ts, its tables in bench/report.ts, its chart in
 * bench/chart.ts. Those are loaded when the command runs, so that other subcommands do not
 * pay for loading vega; only the settings (defaults and sizes, no dependencies) are loaded up front.
 */

import { writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { MAX_CPUS } from '../controller/options.js';
import { STRATEGIES, type StrategyName } from '../hotplug/strategies/strategy.js';
import { ExitCode, runCommand, type ExitCodeValue } from './exit.js';
import { assertWritable, integerIn } from './flags.js';
// The settings only (defaults and sizes, no dependencies); the benchmark itself is loaded when the command runs.
import { benchSettings, DEFAULT_CPUS, DEFAULT_THREADS_PER_CPU, FULL, QUICK } from '../../bench/settings.js';

const DEFAULT_SVG = 'bench-results.svg';
const MAX_CYCLES = 1_000_000;
const MAX_ROUNDS = 1000;
/** Threads per CPU of the hotplug rows by thread count: a bound on a run's length, not the runtime's (it holds up to 65,536 kthreads). */
const MAX_THREADS_PER_CPU = 1024;

interface BenchFlags {
  readonly cpus: readonly number[];
  readonly strategies?: readonly StrategyName[];
  readonly quick?: boolean;
  readonly cycles?: number;
  readonly rounds?: number;
  readonly threadsPerCpu: readonly number[];
  readonly startCpus?: readonly number[];
  readonly json?: boolean;
  readonly out?: string;
  /** A file name, or false for --no-svg. */
  readonly svg: string | false;
}

/** "1,2,4" → [1, 2, 4]; each a whole number `parse` accepts. */
function listOf(parse: (value: string) => number): (value: string) => number[] {
  return (value) => value.split(',').map((part) => parse(part.trim()));
}

/** Each a CPU count the runtime accepts. */
const cpuList = listOf(integerIn(1, MAX_CPUS, 'each CPU is one worker thread'));

function strategyList(value: string): StrategyName[] {
  return value.split(',').map((part) => {
    const name = part.trim();
    const known = STRATEGIES.find((s) => s === name);
    if (known === undefined) throw new InvalidArgumentError(`unknown strategy '${name}'; choose from: ${STRATEGIES.join(', ')}.`);
    return known;
  });
}

export function registerBench(program: Command): void {
  program
    .command('bench')
    .description(
      'benchmark the hotplug strategies on the same per-CPU thread code, in one run: fast-path cost (decided against its goals from per-round ratios), ' +
        'cpuDown/cpuUp latency (idle and busy, and by threads per CPU, beside the wake-up round-trip floor), disruption of the CPUs that stay online, churn, ' +
        'and Runtime.start against bare workers; each strategy as ratios against park',
    )
    .addOption(new Option('--cpus <list>', `CPU counts to measure, comma-separated, each 1 to ${MAX_CPUS}`).argParser(cpuList).default([...DEFAULT_CPUS], DEFAULT_CPUS.join(',')))
    .option('--strategies <list>', `strategies to measure, comma-separated (default: all of ${STRATEGIES.join(', ')}); park is always measured, as the reference`, strategyList)
    .option('--quick', 'a smoke run of about a minute (20 cycles per latency row, 3 fast-path rounds, short windows), for CI; its figures are not for comparison')
    .option('--cycles <n>', `cpuDown/cpuUp cycles per latency row (default ${FULL.hotplugCycles}, or ${QUICK.hotplugCycles} with --quick and ${QUICK.threadsCycles} for its threads-per-CPU rows)`, integerIn(1, MAX_CYCLES))
    .option(
      '--rounds <n>',
      `fast-path rounds, every series once per round, taking turns; each ratio is decided from its spread over the rounds (default ${FULL.rounds}, or ${QUICK.rounds} with --quick)`,
      integerIn(1, MAX_ROUNDS),
    )
    .addOption(
      new Option('--threads-per-cpu <list>', `idle threads per CPU of the hotplug rows by thread count, at 2 CPUs, comma-separated, each 1 to ${MAX_THREADS_PER_CPU}`)
        .argParser(listOf(integerIn(1, MAX_THREADS_PER_CPU)))
        .default([...DEFAULT_THREADS_PER_CPU], DEFAULT_THREADS_PER_CPU.join(',')),
    )
    .option(
      '--start-cpus <list>',
      `CPU counts of the start-time rows (Runtime.start against as many bare workers), comma-separated (default ${FULL.startCpus.join(',')}, or ${QUICK.startCpus.join(',')} with --quick)`,
      cpuList,
    )
    .option('--json', 'print one JSON object instead of tables (progress lines go to stderr)')
    .option('--out <file>', 'also write the JSON object to this file')
    .option('--svg <file>', 'write the chart (SVG) to this file', DEFAULT_SVG)
    .option('--no-svg', 'write no chart')
    .addHelpText(
      'after',
      '\nPerformance is measured and reported, never asserted. Exit status: 0 when every measurement was done;\n' +
        '1 when one could not be done (a hotplug operation timed out, a thread did not run) or the CPU workers\n' +
        'counted invariant violations; 2 when the run could not start (bad flags, an output file not writable).',
    )
    .action((flags: BenchFlags, command: Command) => runCommand('bench', () => bench(flags, command)));
}


async function bench(flags: BenchFlags, command: Command): Promise<ExitCodeValue> {
  if (flags.out !== undefined) assertWritable(command, '--out', flags.out);
  if (flags.svg !== false) assertWritable(command, '--svg', flags.svg);

  const { oversubscriptionWarnings, runStrategyBench } = await import('../../bench/strategies.js');
  const { renderHeader, renderJson, renderProblems, renderText } = await import('../../bench/report.js');
  const { benchProgress } = await import('../../bench/progress.js');

  const settings = benchSettings({
    cpus: flags.cpus,
    quick: flags.quick ?? false,
    ...(flags.strategies === undefined ? {} : { strategies: flags.strategies }),
    ...(flags.cycles === undefined ? {} : { hotplugCycles: flags.cycles }),
    ...(flags.rounds === undefined ? {} : { rounds: flags.rounds }),
    threadsPerCpu: flags.threadsPerCpu,
    ...(flags.startCpus === undefined ? {} : { startCpus: flags.startCpus }),
  });
  const cores = availableParallelism();
  const progress = benchProgress(flags.json ?? false);
  if (!flags.json) process.stdout.write(`${renderHeader(settings, cores, oversubscriptionWarnings(settings.cpus, cores))}\n\n`);

  const result = await runStrategyBench(settings, progress);

  let svg: string | null = null;
  if (flags.svg !== false) {
    const [{ chartSpec }, { writeSvg }] = await Promise.all([import('../../bench/chart.js'), import('../../bench/svg.js')]);
    // Without vega (a devDependency) it says so in one line and the run goes on: the figures are the point.
    if (await writeSvg(flags.svg, chartSpec(result), { command: 'cpuhp bench' })) svg = flags.svg;
  }
  const json = renderJson(result, { svg });
  if (flags.out !== undefined) writeFileSync(flags.out, `${json}\n`);

  if (flags.json) {
    process.stdout.write(`${json}\n`);
  } else {
    const written = [svg === null ? undefined : `chart: ${svg}`, flags.out === undefined ? undefined : `JSON: ${flags.out}`].filter((s) => s !== undefined);
    process.stdout.write(`${renderText(result)}\n${written.length > 0 ? `${written.join('; ')}\n` : ''}`);
  }
  const problems = renderProblems(result);
  if (problems !== '') {
    process.stderr.write(`${problems}\n`);
    return ExitCode.CHECK_FAILED;
  }
  return ExitCode.OK;
}
