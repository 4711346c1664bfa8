/**
 * What a torture run is asked to do (TortureSettings), what it reports while it runs
 * (TortureProgress) and what it returns (TortureResult): the shapes the command line and
 * the tests use, apart from the engine that runs them (engine.ts).
 */

import type { Runtime, StrategyName, TraceEvent } from '../index.js';
import type { TortureView } from '../dashboard/protocol.js';
import { FAULT_NAMES, type FaultName } from './faults.js';
import type { OpRecord } from './oplog.js';
import type { MinAvgMax, TortureCounts } from './stats.js';

export interface TortureSettings {
  readonly strategy: StrategyName;
  readonly cpus: number;
  /** Torture kthreads per CPU, besides one per-CPU kworker. */
  readonly threadsPerCpu: number;
  /** Stop after this long (ms), or after `ops` operations, whichever comes first. */
  readonly durationMs: number | undefined;
  readonly ops: number | undefined;
  /** Pause between two CPU up/down operations (onoff_interval). */
  readonly onoffIntervalMs: number;
  /** Wait before the first CPU up/down operation (onoff_holdoff). */
  readonly onoffHoldoffMs: number;
  /** 0 to 1: chance that a hotplug operation gets an injected failure; also scales the other faults. */
  readonly failRate: number;
  readonly seed: number;
  readonly hotplugTimeoutMs: number;
  /** Test-only: run with the runtime's planted race (RuntimeOptions.plantedRace). */
  readonly plantedRace: boolean;
  /** Keep the runtime's trace events for a timeline file. */
  readonly keepTrace: boolean;
  /**
   * Start the runtime with a watchdog (watchdogMs, onLockup 'fail'), and with faults on,
   * queue jobs that spin forever for it to catch. Off: neither.
   */
  readonly watchdog: boolean;
  /** The kinds of fault injected when failRate > 0 (faults.ts); all by default. */
  readonly faults: readonly FaultName[];
  /** Test-only: one operation never settles, to show that a hang is reported with the operation named. */
  readonly plantedHang: boolean;
}

/** The fault kinds, all on: the default of `TortureSettings.faults`. */
export const ALL_FAULTS: readonly FaultName[] = FAULT_NAMES;

export interface Violation {
  /** ms since the run started. */
  readonly at: number;
  readonly what: string;
}

export interface TortureResult {
  readonly settings: TortureSettings;
  readonly cores: number;
  readonly elapsedMs: number;
  readonly operations: number;
  readonly counts: TortureCounts;
  readonly latency: { readonly offline: MinAvgMax; readonly online: MinAvgMax };
  readonly violations: readonly Violation[];
  /** On a violation: the operations since the run last found everything consistent. */
  readonly trace: readonly OpRecord[];
  readonly ok: boolean;
  /**
   * The run was asked to stop early (runTorture's `stop` signal): its counts cover the
   * operations done until then, and the end-of-run checks were not made.
   */
  readonly interrupted: boolean;
  /** The warnings the process emitted during the run (CpuhpWarning and others), as "name: message". */
  readonly warnings: readonly string[];
  /** With keepTrace: the runtime's trace events and the operations, for a timeline. */
  readonly timeline: { readonly events: readonly TraceEvent[]; readonly ops: readonly OpRecord[] } | undefined;
}

export interface TortureProgress {
  readonly elapsedMs: number;
  readonly operations: number;
  readonly counts: Readonly<TortureCounts>;
  readonly violations: number;
}

/**
 * What the caller of runTorture may do with the run besides its progress: reach its runtime
 * (to serve a dashboard for it, `cpuhp torture --dashboard`). A hook does not change what the
 * run does; it must not take CPUs down or stop threads itself, or the run's checks will call
 * what it did a violation.
 */
export interface TortureHooks {
  /**
   * Called once, when the run's runtime has started and before the run sets up its threads and
   * actors; the run waits for its promise. `view` reads the run's live counters (cheap: a few
   * fields and a copy of the counts), valid until the runtime shuts down. If it throws, the run
   * does not happen: the runtime is shut down and runTorture rejects with its error.
   */
  readonly onStart?: (rt: Runtime, view: () => TortureView) => void | Promise<void>;
}

/**
 * The runtime's soft-lockup watchdog: how long a CPU may run JavaScript without yielding
 * before its worker is ended and the CPU failed. Well above anything a torture job or thread
 * does at once, so that a loaded machine that is slow to schedule a worker does not set it off.
 */
export function watchdogMsFor(hotplugTimeoutMs: number): number {
  return Math.max(2000, 3 * hotplugTimeoutMs);
}
