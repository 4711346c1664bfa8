/**
 * `cpuhp torture-cluster`: the cluster torture (src/torture/cluster/): machine processes on a
 * real Redis, an on/off actor that takes their CPUs down and up, takes machines down and up
 * gracefully, and SIGKILLs and restarts them, while a producer keeps jobs flowing; at the end
 * a ledger of every run says whether every job ran as the rules allow.
 */

import { InvalidArgumentError, Option, type Command } from 'commander';
import { MAX_CPUS } from '../controller/options.js';
import { STRATEGIES, type StrategyName } from '../hotplug/strategies/strategy.js';
import { MAX_SEED } from '../common/random.js';
import { runClusterTorture } from '../torture/cluster/run.js';
import type { ClusterTortureSettings } from '../torture/cluster/settings.js';
import { redisLabel, renderDuplicates, renderHeader, renderJson, renderStatistics, renderVerdict, repeatCommand } from '../torture/cluster/report.js';
import { ExitCode, runCommand, type ExitCodeValue } from './exit.js';
import { integerIn } from './flags.js';
import { durationIn } from './duration.js';
import type { Interruption } from './interrupt.js';
import { addOutputOptions, OutputFiles, type OutputFlags } from './output.js';

const HOUR_MS = 3_600_000;
const WEEK_MS = 7 * 24 * HOUR_MS;
/** Machines are processes, each with its CPUs' threads: a bound that keeps a laptop usable. */
const MAX_MACHINES = 32;

interface TortureClusterFlags extends OutputFlags {
  readonly machines: number;
  readonly cpus: number;
  readonly strategy: StrategyName;
  readonly duration: number;
  readonly onoffInterval: number;
  readonly seed?: number;
  readonly kills: boolean;
  readonly redis?: string;
  readonly lockDuration: number;
  readonly maxStalled: number;
}

function redisUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidArgumentError(`expected a redis:// URL such as redis://127.0.0.1:6379, got '${value}'.`);
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') throw new InvalidArgumentError(`expected a redis:// URL such as redis://127.0.0.1:6379, got '${value}'.`);
  return value;
}

export function registerTortureCluster(program: Command): void {
  const command = program
    .command('torture-cluster')
    .description(
      'cluster torture: machine processes on a real Redis (BullMQ), an on/off actor that takes their CPUs down and up, takes machines down and up, ' +
        'and SIGKILLs and restarts them while jobs flow; a ledger of every run checks that every job ran once, or again only because a kill cut it',
    )
    .option('--machines <n>', `machine processes, 2 to ${MAX_MACHINES}`, integerIn(2, MAX_MACHINES, 'one machine stays up while another goes away'), 3)
    .option('--cpus <n>', `CPUs of each machine, 1 to ${MAX_CPUS}`, integerIn(1, MAX_CPUS), 2)
    .addOption(new Option('--strategy <name>', 'how bound threads are quiesced at cpuDown, passed to every machine').choices(STRATEGIES).default('park'))
    .addOption(new Option('--duration <time>', 'how long the actor and producer run, before the drain and the checks').argParser(durationIn(1, WEEK_MS, 's')).default(60_000, '60s'))
    .addOption(new Option('--onoff-interval <time>', 'pause between two on/off actions (onoff_interval)').argParser(durationIn(0, HOUR_MS, 'ms')).default(200, '200ms'))
    .option('--seed <s>', `seed of the random choices, 0 to ${MAX_SEED} (default: a random one, printed)`, integerIn(0, MAX_SEED))
    .option('--no-kills', 'never SIGKILL a machine (CPU and graceful machine down/up only)')
    .option('--redis <url>', 'use this Redis rather than a throw-away local redis-server (the run uses a queue of its own on it)', redisUrl)
    .addOption(new Option('--lock-duration <time>', "BullMQ's job lock: a killed machine's jobs run again once it expires").argParser(durationIn(100, HOUR_MS, 'ms')).default(2_000, '2s'))
    .option('--max-stalled <n>', "BullMQ's maxStalledCount: a job runs at most 1 + this many times", integerIn(0, 100), 1);
  addOutputOptions(command)
    .addHelpText(
      'after',
      '\nNeeds redis-server on PATH (Debian/Ubuntu: `sudo apt-get install redis-server`) unless --redis is given.\n' +
        '\nExit status: 0 when every job ran as the rules allow; 1 on a violation (each is printed, with the seed and the\n' +
        'command that repeats the run); 2 when the run could not be done (bad flags, no redis-server, a machine that would not\n' +
        'start, an output file that could not be written); 130 (Ctrl-C) or 143 (SIGTERM) when it was stopped: it drains, checks\n' +
        'and prints what it did first.',
    )
    .action((flags: TortureClusterFlags, cmd: Command) => runCommand('torture-cluster', (interruption) => tortureCluster(flags, cmd, interruption)));
}

async function tortureCluster(flags: TortureClusterFlags, command: Command, interruption: Interruption): Promise<ExitCodeValue> {
  const settings: ClusterTortureSettings = {
    seed: flags.seed ?? Math.floor(Math.random() * (MAX_SEED + 1)),
    machines: flags.machines,
    cpusPerMachine: flags.cpus,
    strategy: flags.strategy,
    durationMs: flags.duration,
    onoffIntervalMs: flags.onoffInterval,
    kills: flags.kills,
    redisUrl: flags.redis,
    lockDurationMs: flags.lockDuration,
    maxStalledCount: flags.maxStalled,
  };
  const files = new OutputFiles('torture-cluster');
  files.check(command, '--out', flags.out);
  interruption.setLastWords(() => `seed: ${settings.seed}\nto repeat it: ${repeatCommand(settings)}`);

  const result = await runClusterTorture(settings, interruption.signal, {
    say: (line) => process.stderr.write(`torture-cluster: ${line}\n`),
    broker: (url, port) => {
      if (!flags.json) process.stdout.write(`${renderHeader(settings, port === null ? url : redisLabel(settings, port))}\n\n`);
    },
  });
  const json = renderJson(result);
  if (flags.out !== undefined) await files.write('--out', flags.out, `${json}\n`);
  if (flags.json) process.stdout.write(`${json}\n`);
  else process.stdout.write(`${renderStatistics(result)}\n\n${renderDuplicates(result)}\n\n${renderVerdict(result)}\n`);
  if (files.failed) return ExitCode.ERROR;
  return result.ok ? ExitCode.OK : ExitCode.CHECK_FAILED;
}
