/**
 * DashboardSnapshot (protocol.ts) from rt.stats(): the counters as they are, and per-second
 * rates and per-interval utilisation from the difference with the previous snapshot the
 * stream took. A CPU is coloured 'lockup' while the watchdog's latest soft-lockup on it is
 * newer than its latest cpu-state change and its heartbeat has not moved since (observe()
 * keeps the stamps and that heartbeat from the trace stream): with onLockup 'fail' the CPU
 * turns 'failed' at once; with 'warn' it shows 'lockup' until the stuck job lets it tick again.
 *
 * next() is the stream's: it advances the previous figures and takes the operations completed
 * since. peek() (GET /api/snapshot, a page that just connected) compares with the same
 * previous figures but changes nothing, so one-off reads never disturb the stream's rates.
 */

import type { RuntimeStats } from '../runtime-types.js';
import type { KthreadInfo } from '../kthread/registry.js';
import type { TraceEvent } from '../trace/events.js';
import type { TimeSummary } from '../jobs/times.js';
import type { OperationTracker } from './operations.js';
import type { CpuView, DashboardSnapshot, JobsView, ThreadView, TortureView } from './protocol.js';
import type { DashboardHost } from './types.js';

/** What the previous snapshot saw, for the rates of the next one. */
interface Previous {
  readonly ts: number;
  readonly heartbeat: readonly number[];
  readonly activeMs: readonly number[];
  readonly idleMs: readonly number[];
  readonly ran: readonly number[];
  readonly iterations: ReadonlyMap<number, number>;
  readonly settled: number;
}

export class SnapshotMaker {
  private seq = 0;
  private previous: Previous | undefined;
  /** The trace stamps of each CPU's latest soft-lockup and latest cpu-state change. */
  private readonly lockupAt = new Map<number, number>();
  private readonly stateAt = new Map<number, number>();
  /** Each CPU's heartbeat when its latest soft-lockup was heard (one Atomics.load). */
  private readonly lockupHeartbeat = new Map<number, number>();
  /** Set by showTorture (torture-view.ts): what a torture run adds to every snapshot. */
  torture: (() => TortureView) | undefined;

  /**
   * @param seen each stream snapshot's stats, for what else keeps track of threads (the
   *   metrics' parks of threads that exit)
   */
  constructor(
    private readonly host: DashboardHost,
    private readonly operations: OperationTracker,
    private readonly seen: (stats: RuntimeStats) => void = () => undefined,
  ) {}

  /** From the always-on trace listener: O(1). */
  readonly observe = (event: TraceEvent): void => {
    if (event.type === 'soft-lockup') {
      this.lockupAt.set(event.cpu, event.ts);
      this.lockupHeartbeat.set(event.cpu, this.host.rt.heartbeat(event.cpu));
    } else if (event.type === 'cpu-state') this.stateAt.set(event.cpu, event.ts);
  };

  /** The stream's snapshot: rates since the previous one, the operations since, and it becomes the previous. */
  next(closed = false): DashboardSnapshot {
    const stats = this.host.rt.stats();
    const snapshot = this.make(stats, this.operations.take(), closed);
    this.previous = remember(snapshot.ts, stats);
    this.seen(stats);
    return snapshot;
  }

  /** A snapshot that changes nothing: for one-off reads. */
  peek(): DashboardSnapshot {
    return this.make(this.host.rt.stats(), [...this.operations.peek()], false);
  }

  private make(stats: RuntimeStats, operations: DashboardSnapshot['operations'], closed: boolean): DashboardSnapshot {
    const ts = this.host.now();
    const prev = this.previous;
    const seconds = prev === undefined ? 0 : (ts - prev.ts) / 1000;
    const rate = (now: number, before: number | undefined): number => (seconds > 0 && before !== undefined && now >= before ? (now - before) / seconds : 0);
    const cpus = stats.cpus.map((c): CpuView => {
      const lockup = this.lockupAt.get(c.cpu);
      const stuck = lockup !== undefined && lockup > (this.stateAt.get(c.cpu) ?? -Infinity) && c.heartbeat <= (this.lockupHeartbeat.get(c.cpu) ?? 0);
      const { activeMs, idleMs, utilization } = c.utilization;
      const dActive = activeMs - (prev?.activeMs[c.cpu] ?? 0);
      const dTotal = dActive + idleMs - (prev?.idleMs[c.cpu] ?? 0);
      return {
        cpu: c.cpu,
        state: stuck ? 'lockup' : c.state,
        step: c.step,
        heartbeat: c.heartbeat,
        heartbeatPerSec: rate(c.heartbeat, prev?.heartbeat[c.cpu]),
        // A fresh worker (after a death, or a recreate up) starts its figures again from 0.
        utilization: prev !== undefined && dActive >= 0 && dTotal > 0 ? Math.min(1, dActive / dTotal) : utilization,
        ups: c.ups,
        downs: c.downs,
        rollbacks: c.rollbacks,
        failures: c.failures,
        lockups: c.lockups,
        violations: c.violations,
        queued: c.jobs.queued,
        handed: c.jobs.handed,
        running: c.jobs.running,
        ran: c.jobs.ran,
        jobsPerSec: rate(c.jobs.ran, prev?.ran[c.cpu]),
      };
    });
    const threads = stats.kthreads.map((t): ThreadView => {
      const before = prev?.iterations.get(t.id);
      return {
        id: t.id,
        name: t.name,
        cpu: t.cpu,
        fn: t.fn,
        state: t.state,
        shown: shown(t, before),
        iterations: t.iterations,
        iterationsPerSec: rate(t.iterations, before),
        parks: t.parks,
        group: t.group ?? null,
      };
    });
    const j = stats.jobs;
    const jobs: JobsView = {
      submitted: j.submitted,
      completed: j.completed,
      threw: j.threw,
      aborted: j.aborted,
      timedOut: j.timedOut,
      refused: j.refused,
      migrated: j.migrated,
      diedRunning: j.diedRunning,
      lockedUp: j.lockedUp,
      shutdown: j.shutdown,
      queued: j.queued,
      handed: j.handed,
      perSec: rate(settled(stats), prev?.settled),
      latency: j.latency,
      waitMs: medianP99(j.waitTime),
      runMs: medianP99(j.runTime),
    };
    let torture: TortureView | null = null;
    try {
      torture = this.torture?.() ?? null;
    } catch {
      // A torture's view that throws shows no torture panel rather than stopping the page.
    }
    return {
      seq: ++this.seq,
      ts,
      strategy: stats.strategy,
      cores: stats.cores,
      cpus,
      threads,
      jobs,
      latency: stats.latency,
      operations,
      violations: stats.violations,
      steps: this.host.steps(),
      controls: false,
      torture,
      closed,
    };
  }
}

/** running (running or created), sleeping (running, no iteration since the previous snapshot), parked, exited. */
function shown(t: KthreadInfo, before: number | undefined): ThreadView['shown'] {
  switch (t.state) {
    case 'parking':
    case 'parked':
      return 'parked';
    case 'stopping':
    case 'exited':
      return 'exited';
    default:
      return before !== undefined && t.iterations === before ? 'sleeping' : 'running';
  }
}

/** Jobs that reached an outcome (each job is counted under exactly one; migrated is not an outcome). */
function settled(stats: RuntimeStats): number {
  const j = stats.jobs;
  return j.completed + j.threw + j.aborted + j.timedOut + j.refused + j.diedRunning + j.lockedUp + j.argsLost + j.shutdown;
}

function medianP99(summary: TimeSummary): { readonly median: number; readonly p99: number } | null {
  return summary.count === 0 ? null : { median: summary.medianMs, p99: summary.p99Ms };
}

function remember(ts: number, stats: RuntimeStats): Previous {
  return {
    ts,
    heartbeat: stats.cpus.map((c) => c.heartbeat),
    activeMs: stats.cpus.map((c) => c.utilization.activeMs),
    idleMs: stats.cpus.map((c) => c.utilization.idleMs),
    ran: stats.cpus.map((c) => c.jobs.ran),
    iterations: new Map(stats.kthreads.map((t) => [t.id, t.iterations])),
    settled: settled(stats),
  };
}
