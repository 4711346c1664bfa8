/**
 * The dashboard on the command line: the `--dashboard [port]` and `--dashboard-host <host>`
 * flags that `demo` and `torture` share, the value parsers `cpuhp dashboard` uses too, and
 * serving the page for a command's runtime with the line that tells its user where it is.
 *
 * The page closes with the runtime (rt.shutdown() shuts down every dashboard it serves), so a
 * command does nothing at its end beyond what it already does.
 */

import { InvalidArgumentError, Option, type Command } from 'commander';
import { ConfigError, CpuhpError, ERROR_CODES } from '../errors.js';
import type { Dashboard, DashboardOptions, Runtime } from '../index.js';
import { isLoopback } from '../dashboard/access.js';
import { resolveDashboardOptions } from '../dashboard/options.js';
import { ExitCode } from './exit.js';
import { integerIn } from './flags.js';

/** The port `--dashboard` and `cpuhp dashboard` take when given none. */
export const DEFAULT_DASHBOARD_PORT = 8484;

/** A TCP port, 0 to 65535; 0 takes any free one. */
export const portNumber = integerIn(0, 65535, '0 takes any free port');

/**
 * A host to bind, checked as serveDashboard checks it (options.ts), so that a bad one is a
 * usage error naming the flag before anything starts, not a runtime error after.
 */
export function hostName(value: string): string {
  try {
    resolveDashboardOptions({ host: value, token: 'x'.repeat(16) });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    throw new InvalidArgumentError(`expected a host name or IP address to bind, such as 127.0.0.1 (this machine only) or 0.0.0.0 (every interface), got '${value}'.`);
  }
  return value;
}

/** The warning a dashboard bound beyond loopback gives on stderr. */
export function exposureWarning(name: string, host: string): string {
  return (
    `cpuhp ${name}: warning: the dashboard listens on ${host}, not on loopback: anyone who can reach this machine on its port can read the page's view ` +
    'if it is public, and anyone who has the token can take CPUs down, park and stop threads and inject failures; the connection is plain HTTP, ' +
    'so the token crosses the network in the clear'
  );
}

export interface DashboardFlags {
  /** The port, when --dashboard was given (8484 without a value). */
  readonly dashboard?: number;
  readonly dashboardHost?: string;
}

/** Adds `--dashboard [port]` and `--dashboard-host <host>`, worded alike on demo and torture. */
export function addDashboardOptions(command: Command): Command {
  return command
    .addOption(
      new Option('--dashboard [port]', `serve a live page of the run on this port (${DEFAULT_DASHBOARD_PORT} without a value, 0 for any free port); its address, with the token, is printed on stderr`)
        .preset(String(DEFAULT_DASHBOARD_PORT))
        .argParser(portNumber),
    )
    .addOption(new Option('--dashboard-host <host>', "with --dashboard, the address to bind (default 127.0.0.1: this machine only)").argParser(hostName));
}

/** Refuses --dashboard-host without --dashboard (exit 2): a host alone serves nothing, and silently so. */
export function checkDashboardFlags(command: Command, flags: DashboardFlags): void {
  if (flags.dashboardHost !== undefined && flags.dashboard === undefined) {
    command.error('error: --dashboard-host names where to serve the page, which only --dashboard serves; add --dashboard [port]', { exitCode: ExitCode.ERROR });
  }
}

/** The options serveDashboard gets from the flags, or undefined without --dashboard. */
export function dashboardOptions(flags: DashboardFlags): DashboardOptions | undefined {
  if (flags.dashboard === undefined) return undefined;
  return { port: flags.dashboard, ...(flags.dashboardHost === undefined ? {} : { host: flags.dashboardHost }) };
}

/**
 * Serves the page for `rt` and says where on stderr (stdout carries the command's report, or
 * its JSON): "dashboard: URL?token=...", and a warning first when it is not bound to loopback.
 * A port in use is a CpuhpError (ERR_CPUHP_DASHBOARD_LISTEN) that says what to do, here
 * naming the command's `flag`; the command prints it and exits 2. `announce: false` leaves the
 * address to the caller (`cpuhp dashboard` prints it on stdout); the warning is given anyway.
 */
export async function serveForCommand(rt: Runtime, name: string, options: DashboardOptions, flag: string, announce = true): Promise<Dashboard> {
  let dashboard: Dashboard;
  try {
    dashboard = await rt.serveDashboard(options);
  } catch (error) {
    if (error instanceof CpuhpError && error.code === ERROR_CODES.DASHBOARD_LISTEN) {
      throw new CpuhpError(`${flag}: ${error.message.replace(/^serveDashboard: /, '')}`, { code: error.code, cause: error.cause });
    }
    throw error;
  }
  if (!isLoopback(dashboard.host)) process.stderr.write(`${exposureWarning(name, dashboard.host)}\n`);
  if (announce) process.stderr.write(`dashboard: ${dashboard.urlWithToken}\n`);
  return dashboard;
}
