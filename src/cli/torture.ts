/**
 * `cpuhp torture`: the command, its flags and its exit status. The run itself is the torture
 * engine (src/torture/engine.ts), modelled on kernel/torture.c's torture_onoff with
 * rcutorture's onoff_interval and onoff_holdoff; its output is in torture-report.ts, its
 * progress in torture-progress.ts, and its timeline file in src/torture/perfetto.ts.
 */

import { availableParallelism } from 'node:os';
import { Option, type Command } from 'commander';
import { defaultCpuCount, MAX_CPUS, MAX_KTHREADS } from '../controller/options.js';
import { STRATEGIES, type StrategyName } from '../hotplug/strategies/strategy.js';
import { runTorture } from '../torture/engine.js';
import type { Runtime } from '../runtime.js';
import type { TortureView } from '../dashboard/protocol.js';
import { ALL_FAULTS, type TortureResult, type TortureSettings } from '../torture/settings.js';
import { FAULT_NAMES, FAULTS, type FaultName } from '../torture/faults.js';
import { toChromeTrace } from '../torture/perfetto.js';
import { ExitCode, runCommand, type ExitCodeValue } from './exit.js';
import { integerIn } from './flags.js';
import { durationIn } from './duration.js';
import type { Interruption } from './interrupt.js';
import { addOutputOptions, OutputFiles, type OutputFlags } from './output.js';
import { MAX_SEED } from '../common/random.js';
import { faultList, probability } from './torture-flags.js';
import { addDashboardOptions, checkDashboardFlags, dashboardOptions, serveForCommand, type DashboardFlags } from './dashboard-flags.js';
import { showTorture } from '../dashboard/torture-view.js';
import { barProgress, lineProgress, type ProgressView } from './torture-progress.js';
import { renderHeader, renderJson, renderRepeat, renderStatistics, renderVerdict, renderViolations, settingsWarnings } from './torture-report.js';

const DEFAULT_DURATION_MS = 60_000;
const DEFAULT_THREADS_PER_CPU = 2;
const MAX_THREADS_PER_CPU = 1000;
const MAX_OPS = 1_000_000_000;
const HOUR_MS = 3_600_000;
const WEEK_MS = 7 * 24 * HOUR_MS;
/** As the engine sizes the runtime: a kworker per CPU besides the torture threads, and room for threads made during the run. */
const SPARE_KTHREAD_SLOTS = 64;

interface TortureFlags extends OutputFlags, DashboardFlags {
  readonly strategy: StrategyName;
  readonly cpus: number;
  readonly threads: number;
  readonly duration?: number;
  readonly ops?: number;
  readonly onoffInterval: number;
  readonly onoffHoldoff: number;
  readonly failRate: number;
  readonly seed?: number;
  readonly timeout: number;
  readonly trace?: string;
  readonly plantRace?: boolean;
  readonly watchdog: boolean;
  readonly faults: readonly FaultName[];
}

export function registerTorture(program: Command): void {
  const command = program
    .command('torture')
    .description(
      'take random CPUs down and up while kthreads run and jobs are queued, park, unpark, stop and create single threads, optionally inject faults, ' +
        'and check the invariants after every operation; print statistics, and on a violation the seed and the operations that led to it',
    )
    .addOption(new Option('--strategy <name>', 'how bound threads are quiesced for CPU down').choices(STRATEGIES).default('park'))
    .addOption(
      new Option('--cpus <n>', `CPUs (worker threads), 2 to ${MAX_CPUS}`)
        .argParser(integerIn(2, MAX_CPUS, 'torture takes CPUs down while another keeps running'))
        .default(defaultCpuCount(), `${defaultCpuCount()}, the cores available less one, at least 2`),
    )
    .option('--threads <k>', 'torture kthreads per CPU (each CPU also runs one per-CPU kworker)', integerIn(1, MAX_THREADS_PER_CPU), DEFAULT_THREADS_PER_CPU)
    .option('--duration <time>', 'how long to run: 500ms, 20s, 2m30s, 1h, or a number of seconds (default 60s, or no limit with --ops)', durationIn(1, WEEK_MS, 's'))
    .option('--ops <n>', 'stop after this many operations (with --duration, whichever comes first)', integerIn(1, MAX_OPS))
    .addOption(new Option('--onoff-interval <time>', 'pause between two CPU down/up operations (onoff_interval)').argParser(durationIn(0, HOUR_MS, 's')).default(100, '100ms'))
    .addOption(new Option('--onoff-holdoff <time>', 'wait before the first CPU down/up operation (onoff_holdoff)').argParser(durationIn(0, HOUR_MS, 's')).default(0, '0s'))
    .option('--fail-rate <p>', 'chance from 0 to 1 that a hotplug operation gets an injected failure; also scales deaf spells, throwing kthreads and jobs that kill their worker', probability, 0)
    .addOption(
      new Option('--faults <kinds>', `with --fail-rate above 0, the kinds of fault to inject, comma-separated: ${FAULT_NAMES.join(', ')}`)
        .argParser(faultList)
        .default(ALL_FAULTS, 'all'),
    )
    .option('--no-watchdog', "start the runtime without its soft-lockup watchdog, and queue no job that spins forever (the 'lockups' fault)")
    .option('--seed <s>', `seed of the random choices, 0 to ${MAX_SEED} (default: a random one, printed)`, integerIn(0, MAX_SEED))
    .addOption(new Option('--timeout <time>', 'bound on every hotplug step and kthread wait (hotplugTimeoutMs)').argParser(durationIn(1, HOUR_MS, 's')).default(1000, '1s'))
    .option('--trace <file>', 'write a timeline (Chrome Trace Event JSON) to open in ui.perfetto.dev or chrome://tracing');
  addDashboardOptions(addOutputOptions(command))
    .option('--plant-race', 'test-only: plant a known race (the CPU is declared dead before its last thread parks) to show that torture catches it')
    .addHelpText(
      'after',
      `\nFault kinds (--faults):\n${FAULT_NAMES.map((name) => `  ${name.padEnd(17)} ${FAULTS[name]}`).join('\n')}\n` +
      '\nTimes take h, m, s and ms, and compounds largest first (2m30s); a bare number is in seconds.\n' +
        '\nExit status: 0 when the run found no violation; 1 when it found one (each is printed with the seed, the\n' +
        'command that repeats the run, and the operations that led to it); 2 when the run could not be done\n' +
        '(bad flags, runtime error, an output file that could not be written); 130 (Ctrl-C) or 143 (SIGTERM) when\n' +
        'it was stopped: the statistics so far, the seed and the command that repeats the run are printed first.',
    )
    .action((flags: TortureFlags, cmd: Command) => runCommand('torture', (interruption) => torture(flags, cmd, interruption)));
}


function settingsFrom(flags: TortureFlags, command: Command): TortureSettings {
  const slots = flags.cpus * (flags.threads + 1) + SPARE_KTHREAD_SLOTS;
  if (slots > MAX_KTHREADS) {
    command.error(
      `error: ${flags.cpus} CPUs with ${flags.threads} torture threads and a kworker each need ${slots} kthread slots; the runtime has at most ${MAX_KTHREADS}: lower --cpus or --threads`,
      { exitCode: ExitCode.ERROR },
    );
  }
  if (flags.plantRace && flags.strategy === 'recreate') {
    // The planted race sits in the park path; recreate stops the threads instead of parking them.
    command.error('error: --plant-race plants its race in the park path, which --strategy recreate does not use (it stops threads instead); choose another strategy', {
      exitCode: ExitCode.ERROR,
    });
  }
  return {
    strategy: flags.strategy,
    cpus: flags.cpus,
    threadsPerCpu: flags.threads,
    durationMs: flags.duration ?? (flags.ops === undefined ? DEFAULT_DURATION_MS : undefined),
    ops: flags.ops,
    onoffIntervalMs: flags.onoffInterval,
    onoffHoldoffMs: flags.onoffHoldoff,
    failRate: flags.failRate,
    seed: flags.seed ?? Math.floor(Math.random() * (MAX_SEED + 1)),
    hotplugTimeoutMs: flags.timeout,
    plantedRace: flags.plantRace ?? false,
    keepTrace: flags.trace !== undefined,
    watchdog: flags.watchdog,
    faults: flags.faults,
    plantedHang: false,
  };
}

function timeline(result: TortureResult): string {
  const trace = result.timeline === undefined ? {} : toChromeTrace(result.timeline, { cpus: result.settings.cpus, endMs: result.elapsedMs });
  return `${JSON.stringify(trace)}\n`;
}

async function torture(flags: TortureFlags, command: Command, interruption: Interruption): Promise<ExitCodeValue> {
  const settings = settingsFrom(flags, command);
  checkDashboardFlags(command, flags);
  const served = dashboardOptions(flags);
  const files = new OutputFiles('torture');
  files.check(command, '--trace', flags.trace);
  files.check(command, '--out', flags.out);
  const cores = availableParallelism();
  // Should the run not stop in time once interrupted, what it takes to repeat it is still printed.
  interruption.setLastWords(() => renderRepeat(settings));

  // stdout carries the report; in --json mode nothing but the JSON object may go there.
  const budget = { durationMs: settings.durationMs, ops: settings.ops };
  if (!flags.json) process.stdout.write(`${renderHeader(settings, cores)}\n\n`);
  const progress: ProgressView = !flags.json && process.stdout.isTTY ? barProgress(process.stdout, budget) : lineProgress(process.stderr, budget);
  let result: TortureResult;
  try {
    // The page closes with the run's runtime: runTorture shuts it down at its end.
    const hooks = served === undefined ? undefined : {
      onStart: async (rt: Runtime, view: () => TortureView) => showTorture(await serveForCommand(rt, 'torture', served, '--dashboard'), view),
    };
    result = await runTorture(settings, (p) => progress.update(p), interruption.signal, hooks);
  } finally {
    progress.stop();
  }

  const traceFile = flags.trace !== undefined && (await files.write('--trace', flags.trace, () => timeline(result))) ? flags.trace : null;
  const json = renderJson(result, { traceFile, warnings: settingsWarnings(settings, cores) });
  if (flags.out !== undefined) await files.write('--out', flags.out, `${json}\n`);
  if (flags.json) {
    process.stdout.write(`${json}\n`);
  } else {
    const written = traceFile === null ? '' : `\ntimeline: ${traceFile} (open it at ui.perfetto.dev, "Open trace file", or in chrome://tracing)`;
    const warnings = result.warnings.length === 0 ? '' : `\n\nwarnings the runtime gave during the run:\n${result.warnings.map((w) => `  ${w}`).join('\n')}`;
    process.stdout.write(`${renderStatistics(result)}${warnings}\n\n${renderVerdict(result)}${written}\n`);
  }
  if (!result.ok) process.stderr.write(`\n${renderViolations(result)}\n`);
  if (files.failed) return ExitCode.ERROR;
  return result.ok ? ExitCode.OK : ExitCode.CHECK_FAILED;
}
