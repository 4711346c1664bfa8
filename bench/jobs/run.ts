/**
 * The job-runtime benchmark: cpuhp's queueWork against piscina's run, and without churn
 * against poolifier's and tinypool's too (each when installed: they are devDependencies), at
 * the same thread count, in one run: each workload
 * without churn and under churn, then the dispatch paths.
 *
 * Each measurement gets a fresh runtime or pool, warmed up before it is measured, so nothing
 * one leaves behind colours the next. A measurement that fails is reported and the run goes
 * on; a failure, a cpuhp job lost, or an invariant violation makes the run's verdict a failure.
 */

import { availableParallelism } from 'node:os';
import { runTasks, type BenchProgress, type Task } from '../task.js';
import type { LoopResult } from './closed-loop.js';
import { compareRuntimes, type CpuhpVersusPeer } from './compare.js';
import { measureCpuhp } from './cpuhp-target.js';
import { measureCloneCost, type CloneCost } from './dispatch/clone-cost.js';
import { DISPATCH_PATHS, measureDispatchPath, type DispatchPathName } from './dispatch/paths.js';
import type { CpuhpChurn, MeasurePlan, Measurement, PiscinaChurn, RuntimeName } from './measurement.js';
import { measurePeer } from './peer-target.js';
import type { PeerName, PeerStatus } from './peers.js';
import { measurePiscina, piscinaInfo, type PiscinaInfo, type PiscinaStatus } from './piscina-target.js';
import { jobsFor, oversubscriptionWarning, type JobBenchSettings } from './settings.js';
import { loadWarningsNow } from '../load.js';
import { TRIVIAL, WORKLOADS, type WorkloadName } from './workloads.js';

export interface JobRow {
  readonly workload: WorkloadName;
  readonly runtime: RuntimeName;
  readonly churn: boolean;
  /** Null when the measurement failed (listed in failures) or was skipped. */
  readonly loop: LoopResult | null;
  readonly churnDetail: CpuhpChurn | PiscinaChurn | null;
  /** Why the row was not measured (a peer that is not installed); null when it was tried. */
  readonly skipped: string | null;
  /** What the row says besides its figures. */
  readonly notes: readonly string[];
}

/** A peer as the result names it: its version and how its pools were started, or why it was not measured. */
export type PeerInfo = { readonly name: PeerName; readonly version: string; readonly options: string } | { readonly name: PeerName; readonly missing: string };

export interface DispatchRow {
  readonly path: DispatchPathName;
  readonly requests: string;
  readonly results: string;
  readonly loop: LoopResult | null;
}

export interface JobBenchResult {
  readonly command: 'bench-jobs';
  readonly settings: JobBenchSettings;
  /** os.availableParallelism() */
  readonly cores: number;
  readonly node: string;
  /** piscina's version and pool options, or why it was not measured (not installed). */
  readonly piscina: PiscinaInfo;
  /** poolifier and tinypool: measured without churn beside piscina, when installed. */
  readonly peers: readonly PeerInfo[];
  readonly warnings: readonly string[];
  readonly rows: readonly JobRow[];
  /** cpuhp against each peer measured at the same workload and churn. */
  readonly ratios: readonly CpuhpVersusPeer[];
  readonly dispatchPaths: readonly DispatchRow[];
  /** What copying one request costs each way the dispatch paths copy; null if it failed. */
  readonly cloneCost: CloneCost | null;
  /** Jobs cpuhp did not bring back, over every row: must be 0. */
  readonly cpuhpLost: number;
  /** Invariant violations the cpuhp CPU workers counted: must be 0. */
  readonly violations: number;
  /** One sentence per measurement that could not be done. */
  readonly failures: readonly string[];
  /** The run was stopped early (Ctrl-C): the rows hold what was measured until then. */
  readonly interrupted: boolean;
  /** The measurements not done because the run was stopped, the one under way first. */
  readonly notDone: readonly string[];
  readonly elapsedMs: number;
}

export function peerInfo(status: PeerStatus): PeerInfo {
  return 'peer' in status ? { name: status.name, version: status.peer.version, options: status.peer.options } : status;
}

/** What to know of the figures before the run starts: the threads against the cores, and the machine's load. */
export function jobBenchWarnings(settings: JobBenchSettings, cores: number): string[] {
  const oversubscribed = oversubscriptionWarning(settings.threads, cores);
  return [...(oversubscribed === undefined ? [] : [oversubscribed]), ...loadWarningsNow(cores, 'started')];
}

/**
 * `piscina`: as loaded (piscina-target.ts); missing, its rows are skipped. `peers`: poolifier
 * and tinypool as loaded (peers.ts); an empty list measures cpuhp and piscina only. `stop` ends
 * the run early (Ctrl-C): the result holds what was measured until then.
 */
export async function runJobBench(
  settings: JobBenchSettings,
  piscina: PiscinaStatus,
  peers: readonly PeerStatus[],
  progress?: BenchProgress,
  stop?: AbortSignal,
): Promise<JobBenchResult> {
  const started = performance.now();
  const cores = availableParallelism();
  const warnings = jobBenchWarnings(settings, cores);
  const rows: JobRow[] = [];
  const dispatchPaths: DispatchRow[] = [];
  const tasks: Task[] = [];
  // A runtime with no measure (piscina not installed) gets rows that say so, and no task.
  const measure: Readonly<Record<'cpuhp' | 'piscina', ((plan: MeasurePlan) => Promise<Measurement>) | null>> = {
    cpuhp: measureCpuhp,
    piscina: 'missing' in piscina ? null : (plan) => measurePiscina(piscina.Piscina, plan),
  };

  for (const churn of [false, true]) {
    for (const workload of WORKLOADS) {
      const plan: MeasurePlan = { workload, settings, jobs: jobsFor(settings, workload), churn };
      const label = (runtime: RuntimeName): string => `${workload.name}, ${runtime}${churn ? `, churn every ${settings.churnIntervalMs} ms` : ''}`;
      for (const runtime of ['cpuhp', 'piscina'] as const) {
        const run = measure[runtime];
        const skipped = run === null && 'missing' in piscina ? piscina.missing : null;
        const index = rows.push({ workload: workload.name, runtime, churn, loop: null, churnDetail: null, skipped, notes: [] }) - 1;
        if (run === null) continue;
        tasks.push({
          label: label(runtime),
          run: async () => {
            const measured = await run(plan);
            rows[index] = { ...rows[index]!, loop: measured.loop, churnDetail: measured.churn };
            // A cpuDown or cpuUp that failed is cpuhp's failure; piscina's close() troubles are what is measured.
            const failed = measured.churn?.runtime === 'cpuhp' ? Object.entries(measured.churn.errors) : [];
            if (failed.length > 0) throw new Error(`hotplug operations failed during the churn: ${failed.map(([m, n]) => `${n}× ${m}`).join('; ')}`);
            return measured.violations;
          },
        });
      }
      // The peers have no churn rows (peer-target.ts).
      if (churn) continue;
      for (const status of peers) {
        const index = rows.push({ workload: workload.name, runtime: status.name, churn, loop: null, churnDetail: null, skipped: 'missing' in status ? status.missing : null, notes: [] }) - 1;
        if (!('peer' in status)) continue;
        const { peer } = status;
        tasks.push({
          label: label(peer.name),
          run: async () => {
            const measured = await measurePeer(peer, plan);
            rows[index] = { ...rows[index]!, loop: measured.loop, notes: measured.notes };
            return 0;
          },
        });
      }
    }
  }
  for (const path of DISPATCH_PATHS) {
    const index = dispatchPaths.push({ path: path.name, requests: path.requests, results: path.results, loop: null }) - 1;
    const plan: MeasurePlan = { workload: TRIVIAL, settings, jobs: settings.dispatchJobs, churn: false };
    tasks.push({
      label: `dispatch path ${path.name}`,
      run: async () => {
        dispatchPaths[index] = { ...dispatchPaths[index]!, loop: await measureDispatchPath(path, plan) };
        return 0;
      },
    });
  }

  let cloneCost: CloneCost | null = null;
  tasks.push({
    label: 'copy cost of one request: v8.serialize against structuredClone',
    run: async () => {
      cloneCost = measureCloneCost(settings.dispatchJobs);
      return 0;
    },
  });

  const { violations, failures, notDone } = await runTasks(tasks, progress, stop);
  return {
    command: 'bench-jobs',
    settings,
    cores,
    node: process.version,
    piscina: piscinaInfo(piscina, settings.threads),
    peers: peers.map(peerInfo),
    warnings: [...warnings, ...loadWarningsNow(cores, 'ended')],
    rows,
    ratios: compareRuntimes(rows),
    dispatchPaths,
    cloneCost,
    cpuhpLost: rows.filter((r) => r.runtime === 'cpuhp').reduce((sum, r) => sum + (r.loop?.lost ?? 0), 0),
    violations,
    failures,
    interrupted: notDone.length > 0,
    notDone,
    elapsedMs: performance.now() - started,
  };
}
