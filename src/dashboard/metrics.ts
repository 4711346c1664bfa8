/**
 * GET /metrics: the runtime in Prometheus text format, by prom-client. Each dashboard has a
 * Registry of its own (never prom-client's global one: an embedder's own metrics, or two
 * runtimes' dashboards, never meet). The counters and gauges are read from rt.stats() by
 * collect() callbacks when /metrics is scraped, one stats() per scrape; the latency
 * histograms are fed as operations complete (operations.ts), so they count what was done
 * since the dashboard started serving.
 */

import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { RuntimeStats } from '../runtime-types.js';
import type { CpuStateName } from '../protocol/cpu-state.js';
import type { JobCounts } from '../jobs/stats.js';
import type { OperationCounts } from './operations.js';
import type { OperationSample, TortureView } from './protocol.js';

const CPU_STATES: readonly CpuStateName[] = ['offline', 'bringup', 'online', 'down-prepare', 'dying', 'dead', 'failed'];
/** Each job is counted under exactly one of these once it has an outcome (stats().jobs). */
const JOB_OUTCOMES: readonly (keyof JobCounts)[] = ['completed', 'threw', 'aborted', 'timedOut', 'refused', 'diedRunning', 'lockedUp', 'argsLost', 'shutdown'];
/** Seconds: hotplug operations take from a fraction of a millisecond to the hotplug timeout. */
const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export interface MetricsHost {
  stats(): RuntimeStats;
  readonly operations: OperationCounts;
  torture(): TortureView | null;
}

export class DashboardMetrics {
  readonly registry = new Registry();
  private readonly hotplugLatency: Histogram<'op'>;
  private readonly parkLatency: Histogram;
  /** Parks of threads no longer listed: the last count seen of each (cpuhp_kthread_parks_total). */
  private goneParks = 0;
  private lastParks = new Map<number, number>();
  /** The stats() of the scrape under way, read once by the first collect() that needs it. */
  private scrape: RuntimeStats | undefined;

  constructor(private readonly host: MetricsHost) {
    const registers = [this.registry];
    const stats = (): RuntimeStats => (this.scrape ??= host.stats());
    new Gauge({
      name: 'cpuhp_cpu_state',
      help: 'Whether each CPU is in each hotplug state now (1) or not (0)',
      labelNames: ['cpu', 'state'],
      registers,
      collect() {
        this.reset();
        for (const c of stats().cpus) for (const state of CPU_STATES) this.set({ cpu: String(c.cpu), state }, c.state === state ? 1 : 0);
      },
    });
    const operations = host.operations;
    new Counter({
      name: 'cpuhp_hotplug_operations_total',
      help: 'cpuDown and cpuUp operations completed since the dashboard started serving, by outcome (ok, or failed: rolled back or the worker died)',
      labelNames: ['op', 'outcome'],
      registers,
      collect() {
        this.reset();
        for (const op of ['cpuDown', 'cpuUp'] as const) {
          this.inc({ op, outcome: 'ok' }, operations[op].ok);
          this.inc({ op, outcome: 'failed' }, operations[op].failed);
        }
      },
    });
    this.hotplugLatency = new Histogram({
      name: 'cpuhp_hotplug_latency_seconds',
      help: 'Time of each cpuDown and cpuUp that succeeded, since the dashboard started serving (from its hotplug-begin trace event to its last step)',
      labelNames: ['op'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.parkLatency = new Histogram({
      name: 'cpuhp_kthread_park_latency_seconds',
      help: 'Time of each kthreadPark, from the park request to the thread acknowledging it, since the dashboard started serving',
      buckets: LATENCY_BUCKETS,
      registers,
    });
    const perCpu = (name: string, help: string, read: (c: RuntimeStats['cpus'][number]) => number, kind: 'counter' | 'gauge'): void => {
      const collect = function (this: Counter<'cpu'> | Gauge<'cpu'>): void {
        this.reset();
        for (const c of stats().cpus) (this as Counter<'cpu'>).inc({ cpu: String(c.cpu) }, read(c));
      };
      if (kind === 'counter') new Counter({ name, help, labelNames: ['cpu'], registers, collect });
      else new Gauge({ name, help, labelNames: ['cpu'], registers, collect });
    };
    perCpu('cpuhp_rollbacks_total', 'cpuDown and cpuUp operations that failed at a step and were rolled back, per CPU, since the runtime started', (c) => c.rollbacks, 'counter');
    perCpu('cpuhp_cpu_failures_total', "Times each CPU's worker died (or the watchdog failed it), since the runtime started", (c) => c.failures, 'counter');
    perCpu('cpuhp_watchdog_lockups_total', 'Soft lockups the watchdog found, per CPU, since the runtime started', (c) => c.lockups, 'counter');
    perCpu('cpuhp_heartbeat_ticks', "Ticks of each CPU worker's own 5 ms timer (it stands still while the CPU is dormant)", (c) => c.heartbeat, 'gauge');
    const self = this;
    new Counter({
      name: 'cpuhp_kthread_parks_total',
      help: 'Parks of kthreads (KthreadInfo.parks, each park of a thread by kthreadPark or with its CPU going down): the sum over the threads listed now, plus, for each thread that has exited since the dashboard started, the last count the dashboard saw of it',
      registers,
      collect() {
        this.reset();
        this.inc(self.parks(stats()));
      },
    });
    new Counter({
      name: 'cpuhp_jobs_total',
      help: 'Jobs by outcome (the names of stats().jobs: completed, threw, aborted, timedOut, refused, diedRunning, lockedUp, argsLost, shutdown), since the runtime started',
      labelNames: ['outcome'],
      registers,
      collect() {
        this.reset();
        const jobs = stats().jobs;
        for (const outcome of JOB_OUTCOMES) this.inc({ outcome }, jobs[outcome]);
      },
    });
    new Counter({
      name: 'cpuhp_jobs_submitted_total',
      help: 'Jobs accepted by queueWork, since the runtime started',
      registers,
      collect() {
        this.reset();
        this.inc(stats().jobs.submitted);
      },
    });
    new Gauge({
      name: 'cpuhp_job_queue_depth',
      help: 'Jobs waiting in the controller\'s queues now: for one CPU in particular (cpu="N"), or for any CPU (cpu="shared")',
      labelNames: ['cpu'],
      registers,
      collect() {
        this.reset();
        const s = stats();
        let perCpuTotal = 0;
        for (const c of s.cpus) {
          perCpuTotal += c.jobs.queued;
          this.set({ cpu: String(c.cpu) }, c.jobs.queued);
        }
        this.set({ cpu: 'shared' }, Math.max(0, s.jobs.queued - perCpuTotal));
      },
    });
    new Gauge({
      name: 'cpuhp_jobs_handed',
      help: 'Jobs handed to each CPU now (the one running and those waiting there to start)',
      labelNames: ['cpu'],
      registers,
      collect() {
        this.reset();
        for (const c of stats().cpus) this.set({ cpu: String(c.cpu) }, c.jobs.handed);
      },
    });
    new Counter({
      name: 'cpuhp_violations_total',
      help: 'Invariant violations the CPU workers counted (a bound thread seen running on a CPU that is down): must be 0',
      registers,
      collect() {
        this.reset();
        this.inc(stats().violations);
      },
    });
  }

  /** A torture is shown (torture-view.ts): its violations become a metric too, from then on. */
  showTorture(): void {
    if (this.registry.getSingleMetric('cpuhp_torture_violations') !== undefined) return;
    const host = this.host;
    new Gauge({
      name: 'cpuhp_torture_violations',
      help: 'Violations the torture run shown by this dashboard has found: must be 0',
      registers: [this.registry],
      collect() {
        this.set(host.torture()?.violations ?? 0);
      },
    });
  }

  /** An operation completed (operations.ts): into its histogram when it succeeded. */
  readonly observe = (sample: OperationSample): void => {
    if (!sample.ok) return;
    if (sample.op === 'park') this.parkLatency.observe(sample.ms / 1000);
    else this.hotplugLatency.observe({ op: sample.op }, sample.ms / 1000);
  };

  /** The parks count, noting the threads that have gone since the last look (also fed by snapshots). */
  parks(stats: RuntimeStats): number {
    const now = new Map<number, number>();
    let live = 0;
    for (const t of stats.kthreads) {
      now.set(t.id, t.parks);
      live += t.parks;
    }
    for (const [id, parks] of this.lastParks) if (!now.has(id)) this.goneParks += parks;
    this.lastParks = now;
    return live + this.goneParks;
  }

  /** The text of one scrape (one stats() for all its metrics). */
  async text(): Promise<{ readonly contentType: string; readonly text: string }> {
    this.scrape = undefined;
    try {
      return { contentType: this.registry.contentType, text: await this.registry.metrics() };
    } finally {
      this.scrape = undefined;
    }
  }
}
