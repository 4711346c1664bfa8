/**
 * `cpuhp dashboard`: the demo workload (dashboard-run.ts) with its live page, until Ctrl-C or
 * SIGTERM (exit 130 or 143, once the runtime has shut down and the page closed) or, for tests
 * and scripts, until --duration has passed (exit 0). The page is the runtime's own
 * (rt.serveDashboard); this command only chooses its port, host and token and says where it is.
 */

import { availableParallelism } from 'node:os';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { ConfigError } from '../errors.js';
import { defaultCpuCount, MAX_CPUS, MAX_KTHREADS } from '../controller/options.js';
import { resolveDashboardOptions } from '../dashboard/options.js';
import type { Dashboard, DashboardOptions, Runtime } from '../index.js';
import { aborted } from '../common/abort.js';
import { formatCount, plural } from '../common/format.js';
import { MAX_SEED } from '../common/random.js';
import { DEFAULT_DASHBOARD_PORT, hostName, portNumber, serveForCommand } from './dashboard-flags.js';
import { runDashboardWorkload, type DashboardRunSettings } from './dashboard-run.js';
import { kthreadSlotsFor } from './demo-run.js';
import { durationIn } from './duration.js';
import { ExitCode, runCommand, type ExitCodeValue } from './exit.js';
import { integerIn } from './flags.js';
import type { Interruption } from './interrupt.js';

const DEFAULT_THREADS_PER_CPU = 2;
const MAX_THREADS_PER_CPU = 1000;
const HOUR_MS = 3_600_000;
const WEEK_MS = 7 * 24 * HOUR_MS;

interface DashboardCommandFlags {
  readonly cpus: number;
  readonly threads: number;
  readonly churn?: number;
  readonly port: number;
  readonly host: string;
  readonly token?: string;
  readonly publicView?: boolean;
  readonly duration?: number;
  readonly json?: boolean;
}

/** A token as serveDashboard takes it (options.ts), checked before anything starts. */
function tokenText(value: string): string {
  try {
    resolveDashboardOptions({ token: value });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    throw new InvalidArgumentError(`expected 16 to 256 characters of A-Z, a-z, 0-9, '_' and '-' (or leave it out for a random one), got ${value.length} characters.`);
  }
  return value;
}

export function registerDashboard(program: Command): void {
  program
    .command('dashboard')
    .description(
      'run the demo workload (spinner kthreads and a kworker on every CPU, a steady flow of small jobs) with a live page that shows the CPUs, ' +
        'threads, jobs, hotplug latencies and trace, and from which CPUs go down and up, threads park, unpark and stop, and failures are injected; until Ctrl-C',
    )
    .addOption(
      new Option('--cpus <n>', `CPUs (worker threads) to start, 1 to ${MAX_CPUS}`)
        .argParser(integerIn(1, MAX_CPUS, 'each CPU is one worker thread'))
        .default(Math.min(defaultCpuCount(), MAX_CPUS), `${defaultCpuCount()}, the cores available less one, at least 2`),
    )
    .option('--threads <k>', 'spinner kthreads per CPU (each CPU also runs one per-CPU kworker)', integerIn(1, MAX_THREADS_PER_CPU), DEFAULT_THREADS_PER_CPU)
    .option('--churn <time>', 'take a random CPU down and up again this often: 500ms, 2s, or a number of ms (default: never; you drive hotplug from the page)', durationIn(10, HOUR_MS, 'ms'))
    .addOption(new Option('--port <port>', 'the port to serve the page on, 0 for any free one').argParser(portNumber).default(DEFAULT_DASHBOARD_PORT))
    .addOption(new Option('--host <host>', 'the address to bind; anything but loopback lets other machines reach the page').argParser(hostName).default('127.0.0.1', '127.0.0.1, this machine only'))
    .option('--token <token>', 'the token for the controls (and reads), 16 to 256 characters of A-Z a-z 0-9 _ - (default: a random one, printed)', tokenText)
    .option('--public-view', 'let anyone who reaches the port read the page and /metrics without the token; the controls still need it')
    .option('--duration <time>', 'stop after this long and exit 0 (default: run until Ctrl-C): 30s, 5m, or a number of seconds', durationIn(1, WEEK_MS, 's'))
    .option('--json', 'print one JSON line {url, token, port} on stdout at start instead of the text')
    .addHelpText(
      'after',
      '\nOpen the printed address (it carries the token) in a browser on this machine. The page is plain HTTP;\n' +
        'with --host other than loopback, anyone who can reach the port and has the token can control the runtime.\n' +
        '\nExit status: 130 (Ctrl-C) or 143 (SIGTERM) after a clean shutdown; 0 when --duration ran out; 1 when\n' +
        'the CPU workers counted an invariant violation; 2 when it could not run (bad flags, the port in use).',
    )
    .action((flags: DashboardCommandFlags, cmd: Command) => runCommand('dashboard', (interruption) => dashboard(flags, cmd, interruption)));
}

async function dashboard(flags: DashboardCommandFlags, command: Command, interruption: Interruption): Promise<ExitCodeValue> {
  const settings: DashboardRunSettings = {
    cpus: flags.cpus,
    threadsPerCpu: flags.threads,
    churnMs: flags.churn,
    seed: Math.floor(Math.random() * (MAX_SEED + 1)),
  };
  if (kthreadSlotsFor(settings) > MAX_KTHREADS) {
    command.error(
      `error: ${settings.cpus} CPUs with ${settings.threadsPerCpu} spinners and a kworker each need ${kthreadSlotsFor(settings)} kthreads; the runtime has at most ${MAX_KTHREADS}: lower --cpus or --threads`,
      { exitCode: ExitCode.ERROR },
    );
  }
  if (settings.churnMs !== undefined && settings.cpus < 2) {
    command.error('error: --churn takes a CPU down while another keeps running, so it needs --cpus 2 or more', { exitCode: ExitCode.ERROR });
  }
  const options: DashboardOptions = {
    port: flags.port,
    host: flags.host,
    ...(flags.token === undefined ? {} : { token: flags.token }),
    ...(flags.publicView === true ? { publicView: true } : {}),
  };
  const until = Promise.race([
    aborted(interruption.signal),
    ...(flags.duration === undefined ? [] : [new Promise<void>((resolve) => setTimeout(resolve, flags.duration).unref())]),
  ]);
  const serve = async (rt: Runtime): Promise<void> => {
    const page = await serveForCommand(rt, 'dashboard', options, '--port', false);
    process.stdout.write(flags.json === true ? `${JSON.stringify({ url: page.urlWithToken, token: page.token, port: page.port })}\n` : banner(page, settings, flags));
  };
  const summary = await runDashboardWorkload(settings, serve, until);

  const { stats } = summary;
  const downs = stats.cpus.reduce((sum, cpu) => sum + cpu.downs, 0);
  const line =
    `stopped after ${(summary.elapsedMs / 1000).toFixed(1)} s: ${plural(summary.jobsSettled, 'job')} settled (${formatCount(summary.jobsFailed)} did not complete), ` +
    `${plural(downs, 'CPU down')}${settings.churnMs === undefined ? '' : ` (${plural(summary.churnCycles, 'churn cycle')})`}; violations: ${stats.violations}\n`;
  // In --json mode stdout holds the one JSON line only.
  (flags.json === true ? process.stderr : process.stdout).write(line);
  return stats.violations > 0 ? ExitCode.CHECK_FAILED : ExitCode.OK;
}

function banner(page: Dashboard, settings: DashboardRunSettings, flags: DashboardCommandFlags): string {
  const churn = settings.churnMs === undefined ? 'no CPU goes down unless you take it down from the page' : `a random CPU goes down and up every ${settings.churnMs} ms`;
  return (
    `cpuhp dashboard: ${plural(settings.cpus, 'CPU')} on ${plural(availableParallelism(), 'core')}, ${plural(settings.threadsPerCpu, 'spinner kthread')} and a kworker on each, ` +
    `small jobs queued steadily; ${churn}\n\n` +
    `open ${page.urlWithToken}\n` +
    (flags.publicView === true ? `(read-only without the token: ${page.url})\n` : '') +
    '\nCtrl-C to stop\n'
  );
}
