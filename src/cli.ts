#!/usr/bin/env node
/**
 * The cpuhp command line. Each subcommand lives in its own file under src/cli/ and
 * registers itself on the program here; shared pieces are cli/flags.ts (flag parsing) and
 * cli/exit.ts (exit status), and, below the command line, common/format.ts (output) and
 * common/random.ts (the seeded PRNG).
 */

import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { registerBench } from './cli/bench.js';
import { registerBenchJobs } from './cli/bench-jobs.js';
import { registerDemo } from './cli/demo.js';
import { registerDashboard } from './cli/dashboard.js';
import { registerTorture } from './cli/torture.js';
import { registerClusterNode } from './cli/cluster-node.js';
import { registerBenchCluster } from './cli/bench-cluster.js';
import { registerBenchDashboard } from './cli/bench-dashboard.js';
import { registerTortureCluster } from './cli/torture-cluster.js';
import { ExitCode } from './cli/exit.js';
import { coreSharingReportedElsewhere } from './controller/priority.js';

/** The package's version, from package.json two levels above dist/src/cli.js. */
function packageVersion(): string {
  const manifest: unknown = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
  const version = typeof manifest === 'object' && manifest !== null ? (manifest as { version?: unknown }).version : undefined;
  return typeof version === 'string' ? version : 'unknown';
}

const program = new Command('cpuhp')
  .description('Linux CPU hotplug and kthread parking, for real: worker threads as CPUs, bound kthreads parked over SharedArrayBuffer and Atomics')
  .version(packageVersion())
  .showHelpAfterError('(add --help for usage)')
  // Settings made before .command() are inherited by every subcommand. A usage error exits
  // with ExitCode.ERROR, keeping 1 for "the run found a problem"; --help and --version exit 0.
  .exitOverride((error) => process.exit(error.exitCode === 0 ? ExitCode.OK : ExitCode.ERROR));

// Every command's report states its CPUs against the cores, with what it means.
coreSharingReportedElsewhere();
registerDemo(program);
registerDashboard(program);
registerBench(program);
registerBenchJobs(program);
registerTorture(program);
registerClusterNode(program);
registerBenchCluster(program);
registerBenchDashboard(program);
registerTortureCluster(program);

await program.parseAsync(process.argv);
