/**
 * The dashboard-cost benchmark: what serving the page costs the runtime it shows, measured
 * side by side in one run. One runtime; an unmeasured warm-up round; then rounds alternating
 * closed (no dashboard) and open (rt.serveDashboard, and a client process reading /events as
 * the page does and scraping /metrics every second as Prometheus would), closed first, the
 * same workload in each (round.ts). Per arm: the median of the rounds' jobs/s, and cpuDown and
 * cpuUp latency p50/p99 over all its rounds' operations; then the ratios open/closed.
 *
 * The page is served only during an open round and shut down after it (with its client), so
 * a closed round pays nothing for it: no listener, no timer, no socket (server.ts).
 */

import { availableParallelism, loadavg } from 'node:os';
import { aborted } from '../../src/common/abort.js';
import { mulberry32, type Random } from '../../src/common/random.js';
import { WholeHistogram, type WholeSummary } from '../../src/controller/latency.js';
import type { Runtime } from '../../src/index.js';
import { describeError } from '../errors.js';
import { loadWarningsNow } from '../load.js';
import { shutDownRuntime, startRuntime } from '../runtime-session.js';
import type { BenchProgress } from '../task.js';
import type { ClientTally } from './client.js';
import { Reader } from './reader.js';
import { measureRound, type RoundMeasure } from './round.js';
import { coresNote, type DashboardBenchSettings } from './settings.js';

const JOB_MODULE = new URL('../jobs/cpuhp-jobs.js', import.meta.url);
const MAX_US = 60_000_000;
const SEED = 14;

export type Arm = 'closed' | 'open';

/** A latency summary in ms. */
export interface LatencyMs {
  readonly count: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

export interface RoundRow {
  readonly arm: Arm;
  /** 1-based within its arm. */
  readonly index: number;
  readonly elapsedMs: number;
  readonly jobs: number;
  readonly jobsPerSec: number;
  readonly failedJobs: number;
  readonly cpuDown: LatencyMs | null;
  readonly cpuUp: LatencyMs | null;
  /** What the client read (open rounds). */
  readonly client: ClientTally | null;
}

export interface ArmSummary {
  readonly rounds: number;
  /** The median of the rounds' jobs/s, and their smallest and largest. */
  readonly jobsPerSec: { readonly median: number; readonly min: number; readonly max: number } | null;
  readonly cpuDown: LatencyMs | null;
  readonly cpuUp: LatencyMs | null;
}

/** open / closed: above 1 for latency is slower with the page; below 1 for jobs/s is fewer jobs. */
export interface Ratios {
  readonly jobsPerSec: number | null;
  readonly cpuDownP50: number | null;
  readonly cpuDownP99: number | null;
  readonly cpuUpP50: number | null;
  readonly cpuUpP99: number | null;
}

export interface DashboardBenchResult {
  readonly command: 'bench-dashboard';
  readonly settings: DashboardBenchSettings;
  readonly cores: number;
  readonly node: string;
  /** The 1-minute load average when the run started and ended. */
  readonly load: { readonly started: number; readonly ended: number };
  readonly warnings: readonly string[];
  readonly rounds: readonly RoundRow[];
  readonly arms: { readonly closed: ArmSummary; readonly open: ArmSummary };
  readonly ratios: Ratios;
  /** Invariant violations the runtime's CPU workers counted: must be 0. */
  readonly violations: number;
  readonly failures: readonly string[];
  readonly interrupted: boolean;
  readonly elapsedMs: number;
}

export function dashboardBenchWarnings(settings: DashboardBenchSettings, cores: number): string[] {
  const note = coresNote(settings, cores);
  return [...(note === undefined ? [] : [note]), ...loadWarningsNow(cores, 'started')];
}

function latencyMs(summary: WholeSummary | undefined): LatencyMs | null {
  if (summary === undefined) return null;
  return { count: summary.count, p50: summary.median / 1000, p99: summary.p99 / 1000, max: summary.max / 1000 };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function ratio(open: number | undefined, closed: number | undefined): number | null {
  return open === undefined || closed === undefined || closed === 0 ? null : open / closed;
}

/** One arm's figures: latencies over every operation of its rounds, not a median of per-round percentiles. */
class ArmTotals {
  readonly jobsPerSec: number[] = [];
  readonly cpuDownUs = new WholeHistogram(MAX_US);
  readonly cpuUpUs = new WholeHistogram(MAX_US);

  add(measure: RoundMeasure, raw: { readonly down: number[]; readonly up: number[] }): void {
    this.jobsPerSec.push(measure.jobsPerSec);
    for (const us of raw.down) this.cpuDownUs.record(us);
    for (const us of raw.up) this.cpuUpUs.record(us);
  }

  summary(): ArmSummary {
    const n = this.jobsPerSec.length;
    return {
      rounds: n,
      jobsPerSec: n === 0 ? null : { median: median(this.jobsPerSec), min: Math.min(...this.jobsPerSec), max: Math.max(...this.jobsPerSec) },
      cpuDown: latencyMs(this.cpuDownUs.summary()),
      cpuUp: latencyMs(this.cpuUpUs.summary()),
    };
  }
}

/**
 * Runs the rounds; `stop` ends the run after the round under way is abandoned (Ctrl-C), and
 * what was measured until then is returned. Never throws for a failed round: it is listed in
 * `failures` and the run ends there (one runtime serves every round).
 */
export async function runDashboardBench(settings: DashboardBenchSettings, progress?: BenchProgress, stop?: AbortSignal): Promise<DashboardBenchResult> {
  const started = performance.now();
  const cores = availableParallelism();
  const loadStarted = loadavg()[0]!;
  const warnings = dashboardBenchWarnings(settings, cores);
  const rounds: RoundRow[] = [];
  const failures: string[] = [];
  const totals = { closed: new ArmTotals(), open: new ArmTotals() };
  const plan: Array<{ arm: Arm; index: number } | 'warm-up'> = ['warm-up'];
  for (let i = 1; i <= settings.rounds; i++) plan.push({ arm: 'closed', index: i }, { arm: 'open', index: i });

  const random = mulberry32(SEED);
  let violations = 0;
  let interrupted = false;
  let rt: Runtime | undefined;
  let reader: Reader | undefined;
  const stopped = aborted(stop).then(() => 'stopped' as const);
  progress?.start(plan.length);
  try {
    rt = await startRuntime({ cpus: settings.cpus, modules: [JOB_MODULE] });
    for (const step of plan) {
      if (stop?.aborted === true) {
        interrupted = true;
        break;
      }
      progress?.step(step === 'warm-up' ? 'warm-up round (not measured)' : `${step.arm} round ${step.index} of ${settings.rounds}`);
      const round = playRound(rt, settings, random, step === 'warm-up' ? 'closed' : step.arm, (r) => (reader = r), stop);
      const outcome = await Promise.race([round, stopped]);
      if (outcome === 'stopped') {
        // Abandoned: it ends at its next turn, and fails against the runtime shut down below; nobody reads it.
        round.catch(() => undefined);
        interrupted = true;
        break;
      }
      if (step === 'warm-up') continue;
      totals[step.arm].add(outcome.measure, outcome.raw);
      rounds.push({
        arm: step.arm,
        index: step.index,
        elapsedMs: outcome.measure.elapsedMs,
        jobs: outcome.measure.jobs,
        jobsPerSec: outcome.measure.jobsPerSec,
        failedJobs: outcome.measure.failedJobs,
        cpuDown: latencyMs(outcome.measure.cpuDownUs.summary()),
        cpuUp: latencyMs(outcome.measure.cpuUpUs.summary()),
        client: outcome.client,
      });
      if (outcome.measure.failedJobs > 0) failures.push(`${step.arm} round ${step.index}: ${outcome.measure.failedJobs} jobs rejected; none should be`);
      if (outcome.client !== null && outcome.client.snapshots === 0) failures.push(`open round ${step.index}: the client read no snapshot`);
    }
    violations = rt.stats().violations;
  } catch (error) {
    failures.push(describeError(error));
  } finally {
    progress?.stop();
    (reader as Reader | undefined)?.kill();
    if (rt !== undefined) await shutDownRuntime(rt);
  }
  const closed = totals.closed.summary();
  const open = totals.open.summary();
  return {
    command: 'bench-dashboard',
    settings,
    cores,
    node: process.version,
    load: { started: loadStarted, ended: loadavg()[0]! },
    warnings: [...warnings, ...loadWarningsNow(cores, 'ended')],
    rounds,
    arms: { closed, open },
    ratios: {
      jobsPerSec: ratio(open.jobsPerSec?.median, closed.jobsPerSec?.median),
      cpuDownP50: ratio(open.cpuDown?.p50, closed.cpuDown?.p50),
      cpuDownP99: ratio(open.cpuDown?.p99, closed.cpuDown?.p99),
      cpuUpP50: ratio(open.cpuUp?.p50, closed.cpuUp?.p50),
      cpuUpP99: ratio(open.cpuUp?.p99, closed.cpuUp?.p99),
    },
    violations,
    failures,
    interrupted,
    elapsedMs: performance.now() - started,
  };
}

interface RoundOutcome {
  readonly measure: RoundMeasure;
  /** The round's latencies as recorded, µs, for the arm's totals. */
  readonly raw: { readonly down: number[]; readonly up: number[] };
  readonly client: ClientTally | null;
}

/** One round: for an open one, the page served and its client reading first, both closed after. */
async function playRound(
  rt: Runtime,
  settings: DashboardBenchSettings,
  random: Random,
  arm: Arm,
  onReader: (reader: Reader | undefined) => void,
  halt: AbortSignal | undefined,
): Promise<RoundOutcome> {
  if (arm === 'closed') {
    const measure = await measureRound(rt, settings, random, halt);
    return { measure, raw: rawOf(measure), client: null };
  }
  const dashboard = await rt.serveDashboard({ port: 0, intervalMs: settings.intervalMs });
  try {
    const reader = await Reader.start(dashboard.port, dashboard.token, settings.scrapeEveryMs);
    onReader(reader);
    const measure = await measureRound(rt, settings, random, halt);
    const client = await reader.stop();
    onReader(undefined);
    return { measure, raw: rawOf(measure), client };
  } finally {
    await dashboard.shutdown();
  }
}

/** The histograms keep no samples, so the round records them twice: in its own and, here, as a list. */
function rawOf(measure: RoundMeasure): { down: number[]; up: number[] } {
  return { down: measure.cpuDownSamples, up: measure.cpuUpSamples };
}
