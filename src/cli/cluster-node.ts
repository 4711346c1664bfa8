/**
 * `cpuhp cluster-node`: run one machine of a cluster (a ClusterNode) until SIGTERM or Ctrl-C,
 * which drain it (down()) and exit 143 or 130. Forked with an IPC channel, it also takes the
 * node's calls from its parent (cluster/machine.ts): the cluster torture and benchmark run
 * their machines this way.
 */

import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
import { MAX_CPUS } from '../controller/options.js';
import { STRATEGIES } from '../hotplug/strategies/strategy.js';
import { runMachine } from '../cluster/machine.js';
import { ExitCode } from './exit.js';
import { integerIn } from './flags.js';
import { durationIn } from './duration.js';
import { errorText } from '../controller/arguments.js';

interface ClusterNodeFlags {
  readonly redis: string;
  readonly queue: string;
  readonly modules: readonly string[];
  readonly cpus?: number;
  readonly strategy?: string;
  readonly name?: string;
  readonly jobsPerCpu?: number;
  readonly lockDuration?: number;
  readonly stalledInterval?: number;
  readonly maxStalled?: number;
  readonly downTimeout?: number;
}

const MAX_MS = 2 ** 31 - 1;

export function registerClusterNode(program: Command): void {
  program
    .command('cluster-node')
    .description('run one machine of a cluster: a cpuhp runtime taking jobs from a BullMQ queue on Redis, until SIGTERM or Ctrl-C drains it (needs the packages bullmq and ioredis, and a Redis)')
    .requiredOption('--redis <url>', 'the Redis to take jobs from, such as redis://127.0.0.1:6379')
    .option('--queue <name>', 'the BullMQ queue', 'cpuhp')
    .requiredOption('--modules <paths...>', 'the compiled job modules (.js) the machine loads; every cluster job names one of their defineJob exports')
    .option('--cpus <n>', `CPUs (worker threads), 1 to ${MAX_CPUS} (default: the cores less one, at least 2)`, integerIn(1, MAX_CPUS))
    .addOption(new Option('--strategy <name>', 'how bound threads are quiesced at cpuDown').choices(STRATEGIES))
    .option('--name <name>', "the machine's name in stats (default: <hostname>/<pid>)")
    .option('--jobs-per-cpu <n>', 'jobs taken from the broker per online CPU (default 2)', integerIn(1, 1024))
    .option('--lock-duration <duration>', "BullMQ's job lock: a machine silent this long loses its jobs to the others (default 30s)", durationIn(100, MAX_MS, 'ms'))
    .option('--stalled-interval <duration>', 'how often the machine looks for jobs whose lock expired (default 30s)', durationIn(100, MAX_MS, 'ms'))
    .option('--max-stalled <n>', 'times a job may be found stalled and run again before it fails (default 1)', integerIn(0, 100))
    .option('--down-timeout <duration>', 'how long draining waits for running jobs before it hands them back to the queue (default 30s)', durationIn(0, MAX_MS, 'ms'))
    .addHelpText('after', '\nExit status: 143 after SIGTERM and 130 after Ctrl-C, once drained; 2 when it could not start (bad flags, no Redis, bullmq not installed).')
    .action(async (flags: ClusterNodeFlags) => {
      try {
        await runMachine(
          {
            redis: flags.redis,
            queue: flags.queue,
            ...(flags.name === undefined ? {} : { name: flags.name }),
            runtime: {
              modules: flags.modules.map((m) => resolve(m)),
              ...(flags.cpus === undefined ? {} : { cpus: flags.cpus }),
              ...(flags.strategy === undefined ? {} : { strategy: flags.strategy as (typeof STRATEGIES)[number] }),
            },
            ...(flags.jobsPerCpu === undefined ? {} : { jobsPerCpu: flags.jobsPerCpu }),
            ...(flags.lockDuration === undefined ? {} : { lockDurationMs: flags.lockDuration }),
            ...(flags.stalledInterval === undefined ? {} : { stalledIntervalMs: flags.stalledInterval }),
            ...(flags.maxStalled === undefined ? {} : { maxStalledCount: flags.maxStalled }),
            ...(flags.downTimeout === undefined ? {} : { downTimeoutMs: flags.downTimeout }),
          },
          (line) => process.stdout.write(`${line}\n`),
        );
      } catch (error) {
        process.stderr.write(`cpuhp cluster-node: ${error instanceof Error && 'code' in error ? String(error.message) : errorText(error)}\n`);
        process.exit(ExitCode.ERROR);
      }
    });
}
