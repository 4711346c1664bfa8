/**
 * What a dashboard-cost run measures and how much: the same workload in alternating rounds
 * with the page closed and open (ABAB..., so that drift in the machine's load falls on both
 * arms alike), each round a fixed time of jobs at full rate with a CPU taken down and up
 * periodically. The full run has 6 rounds per arm of 10 s (about 2.5 minutes); --quick is a
 * smoke run for CI whose figures are not for comparison.
 */

import { plural } from '../../src/common/format.js';

export interface DashboardBenchSettings {
  /** CPUs (worker threads) of the runtime. */
  readonly cpus: number;
  /** Rounds per arm: closed and open alternate, closed first, after one unmeasured warm-up round. */
  readonly rounds: number;
  /** How long each round runs its workload. */
  readonly roundMs: number;
  /** Jobs in flight: each one that settles is replaced at once (a closed loop at full rate). */
  readonly window: number;
  /** A CPU down and up again (back to back) this often during a round. */
  readonly hotplugEveryMs: number;
  /** The page's snapshot period (serveDashboard's intervalMs). */
  readonly intervalMs: number;
  /** The client's /metrics scrape period, as a Prometheus would. */
  readonly scrapeEveryMs: number;
  readonly quick: boolean;
}

export interface DashboardSettingsRequest {
  readonly cpus?: number;
  readonly rounds?: number;
  readonly roundMs?: number;
  readonly window?: number;
  readonly hotplugEveryMs?: number;
  readonly quick?: boolean;
}

export const DEFAULT_CPUS = 2;
export const DEFAULT_WINDOW = 64;
export const DEFAULT_HOTPLUG_EVERY_MS = 250;
export const DEFAULT_INTERVAL_MS = 250;
export const SCRAPE_EVERY_MS = 1000;
export const FULL = { rounds: 6, roundMs: 10_000 } as const;
export const QUICK = { rounds: 2, roundMs: 2000 } as const;

export function dashboardBenchSettings(request: DashboardSettingsRequest = {}): DashboardBenchSettings {
  const quick = request.quick ?? false;
  const base = quick ? QUICK : FULL;
  return {
    cpus: request.cpus ?? DEFAULT_CPUS,
    rounds: request.rounds ?? base.rounds,
    roundMs: request.roundMs ?? base.roundMs,
    window: request.window ?? DEFAULT_WINDOW,
    hotplugEveryMs: request.hotplugEveryMs ?? DEFAULT_HOTPLUG_EVERY_MS,
    intervalMs: DEFAULT_INTERVAL_MS,
    scrapeEveryMs: SCRAPE_EVERY_MS,
    quick,
  };
}

/**
 * The threads the open arm runs against the cores: the CPU workers, the main thread (the
 * controller, and the dashboard's server with it) and the client process. When they outnumber
 * the cores, the client's work and the server's take cores from the CPUs, which is part of
 * what the page costs on such a machine, and the note says so.
 */
export function coresNote(settings: DashboardBenchSettings, cores: number): string | undefined {
  const threads = settings.cpus + 2;
  if (threads <= cores) return undefined;
  return (
    `note: this machine has ${plural(cores, 'core')}; the open rounds run ${plural(threads, 'thread')} on them (${plural(settings.cpus, 'CPU worker')}, ` +
    'the main thread that runs the controller and the page\'s server, and the client process that reads the stream and scrapes /metrics), ' +
    'so the client and the server take time from the CPUs as well as from the main thread: on more cores the cost would be lower'
  );
}
