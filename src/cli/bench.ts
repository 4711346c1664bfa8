/**
 * `cpuhp bench`: the strategy benchmark's command, flags, output files and exit status. The
 * benchmark itself is in bench/strategies.ts, its tables in bench/report.ts, its chart in
 * bench/chart.ts. Those are loaded when the command runs, so that other subcommands do not
 * pay for loading vega; only the settings (defaults and sizes, no dependencies) are loaded up front.
 */

import { availableParallelism } from 'node:os';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { MAX_CPUS } from '../controller/options.js';
import { STRATEGIES, type StrategyName } from '../hotplug/strategies/strategy.js';
import { ExitCode, runCommand, type ExitCodeValue } from './exit.js';
import { integerIn } from './flags.js';
import type { Interruption } from './interrupt.js';
import { addOutputOptions, OutputFiles, renderNotDone, type OutputFlags } from './output.js';
// The settings only (defaults and sizes, no dependencies); the benchmark itself is loaded when the command runs.
import { benchSettings, DEFAULT_CPUS, DEFAULT_THREADS_PER_CPU, FULL, QUICK } from '../../bench/settings.js';

const MAX_CYCLES = 1_000_000;
const MAX_ROUNDS = 1000;
/** Threads per CPU of the hotplug rows by thread count: a bound on a run's length, not the runtime's (it holds up to 65,536 kthreads). */
const MAX_THREADS_PER_CPU = 1024;

interface BenchFlags extends OutputFlags {
  readonly cpus: readonly number[];
  readonly strategies?: readonly StrategyName[];
  readonly quick?: boolean;
  readonly cycles?: number;
  readonly rounds?: number;
  readonly threadsPerCpu: readonly number[];
  readonly startCpus?: readonly number[];
  /** A file name; true (the default) or false (--no-svg, kept as a no-op for older scripts): no chart. */
  readonly svg?: string | boolean;
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
  const command = program
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
    );
  addOutputOptions(command)
    .option('--svg <file>', 'also write the chart (SVG) to this file (none is written without it)')
    // Once the default was a chart in the current directory, and --no-svg turned it off: still accepted, and now what happens anyway.
    .addOption(new Option('--no-svg', 'write no chart (the default)').hideHelp())
    .addHelpText(
      'after',
      '\nPerformance is measured and reported, never asserted. Exit status: 0 when every measurement was done;\n' +
        '1 when one could not be done (a hotplug operation timed out, a thread did not run) or the CPU workers\n' +
        'counted invariant violations; 2 when the run could not start (bad flags, an output file not writable) or\n' +
        'a file could not be written at its end (the results are printed); 130 (Ctrl-C) or 143 (SIGTERM) when it\n' +
        'was stopped: the measurements done so far are printed and written.',
    )
    .action((flags: BenchFlags, cmd: Command) => runCommand('bench', (interruption) => bench(flags, cmd, interruption)));
}


async function bench(flags: BenchFlags, command: Command, interruption: Interruption): Promise<ExitCodeValue> {
  const svgFile = typeof flags.svg === 'string' ? flags.svg : undefined;
  const files = new OutputFiles('bench');
  files.check(command, '--out', flags.out);
  files.check(command, '--svg', svgFile);

  const { oversubscriptionWarnings, runStrategyBench } = await import('../../bench/strategies.js');
  const { renderHeader, renderJson, renderProblems, renderText } = await import('../../bench/report.js');
  const { benchProgress } = await import('../../bench/progress.js');
  const { loadWarningsNow } = await import('../../bench/load.js');

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
  if (!flags.json) process.stdout.write(`${renderHeader(settings, cores, [...oversubscriptionWarnings(settings.cpus, cores), ...loadWarningsNow(cores, 'started')])}\n\n`);

  const result = await runStrategyBench(settings, progress, interruption.signal);

  let svg: string | null = null;
  if (svgFile !== undefined) {
    // Loaded only when asked for: vega is large. Without it (a devDependency) the run says so in
    // one line and goes on, the figures being the point; a file that cannot be written is reported.
    const [{ chartSpec }, { renderSvgOrSay }] = await Promise.all([import('../../bench/chart.js'), import('../../bench/svg.js')]);
    const picture = await renderSvgOrSay(svgFile, chartSpec(result), { command: 'cpuhp bench' });
    if (picture !== undefined && (await files.write('--svg', svgFile, picture))) svg = svgFile;
  }
  const json = renderJson(result, { svg });
  const out = flags.out !== undefined && (await files.write('--out', flags.out, `${json}\n`)) ? flags.out : undefined;

  if (flags.json) {
    process.stdout.write(`${json}\n`);
  } else {
    const written = [svg === null ? undefined : `chart: ${svg}`, out === undefined ? undefined : `JSON: ${out}`].filter((s) => s !== undefined);
    process.stdout.write(`${renderText(result)}\n${written.length > 0 ? `${written.join('; ')}\n` : ''}${renderNotDone(result.notDone)}`);
  }
  const problems = renderProblems(result);
  if (problems !== '') process.stderr.write(`${problems}\n`);
  if (files.failed) return ExitCode.ERROR;
  return problems === '' ? ExitCode.OK : ExitCode.CHECK_FAILED;
}

