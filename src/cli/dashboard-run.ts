/**
 * What `cpuhp dashboard` runs behind its page: the demo's CPUs and kthreads (two spinners and
 * a kworker per CPU, demo-kthreads.ts), a steady flow of small jobs through queueWork with a
 * burst now and then, so that queues, jobs per second and job latencies show, and with
 * `churnMs` a random CPU taken down and brought back up every so often. Otherwise the person
 * at the page drives hotplug. It runs until `until` resolves (Ctrl-C, SIGTERM, --duration),
 * then stops feeding, lets the jobs in flight settle (bounded) and shuts the runtime down,
 * which closes the page.
 *
 * The workload takes no part in what the page does: a CPU the person took down is simply not
 * chosen (jobs go to the CPUs online; churn picks among them), and an operation of the churn
 * that the person's own made fail (both took the same CPU down) is counted, not reported as a
 * problem.
 */

import { setTimeout as sleep } from 'node:timers/promises';
import { Runtime, type RuntimeStats } from '../index.js';
import { settledWithin } from '../common/abort.js';
import { mulberry32, type Random } from '../common/random.js';
import type { BusyArgs } from './dashboard-jobs.js';
import { kthreadSlotsFor } from './demo-run.js';
import type { SpinnerData } from './demo-kthreads.js';

const KTHREAD_MODULE = new URL('./demo-kthreads.js', import.meta.url);
const JOB_MODULE = new URL('./dashboard-jobs.js', import.meta.url);
/** The runtime's default kthread slots; more only when the threads need them. */
const DEFAULT_KTHREAD_SLOTS = 256;

/** One job every this often: about 200 a second, as the timers allow. */
const FEED_EVERY_MS = 5;
/** A burst of jobs this often, so that queue depth and wait time show and not only a trickle. */
const BURST_EVERY_MS = 3000;
const BURST_JOBS = 40;
/** Jobs in flight at most: a bound, so a CPU taken down only lengthens the queues for a while. */
const MAX_IN_FLIGHT = 64;
/** Each job keeps its CPU busy this long, ms: a small request's worth. */
const JOB_MS = { min: 0.2, max: 2 } as const;
/** With churn, how long a CPU stays down: half the period, at most this. */
const MAX_CHURN_DWELL_MS = 1000;
/** Once stopped, how long the jobs in flight may take to settle, and then the runtime to shut down. */
const SETTLE_BOUND_MS = 5000;
const SHUTDOWN_BOUND_MS = 10_000;

export interface DashboardRunSettings {
  readonly cpus: number;
  readonly threadsPerCpu: number;
  /** Take a random CPU down and up every this many ms; undefined: never. */
  readonly churnMs: number | undefined;
  readonly seed: number;
}

export interface DashboardRunSummary {
  readonly elapsedMs: number;
  readonly jobsSettled: number;
  /** Jobs that did not complete (a CPU died under one, the runtime shut down, ...): shown on the page too. */
  readonly jobsFailed: number;
  readonly churnCycles: number;
  /** Churn operations refused or failed, usually because the person at the page had just changed the same CPU. */
  readonly churnRefused: number;
  readonly stats: RuntimeStats;
}

/**
 * Starts the runtime, gives it to `serve` (which serves the page and says where), runs the
 * workload until `until` resolves, and shuts down. If `serve` throws (a port in use), the
 * runtime is shut down and this rejects with its error.
 */
export async function runDashboardWorkload(settings: DashboardRunSettings, serve: (rt: Runtime) => Promise<void>, until: Promise<void>): Promise<DashboardRunSummary> {
  const started = performance.now();
  const rt = await Runtime.start({
    cpus: settings.cpus,
    strategy: 'park',
    modules: [KTHREAD_MODULE, JOB_MODULE],
    maxKthreads: Math.max(DEFAULT_KTHREAD_SLOTS, kthreadSlotsFor(settings)),
  });
  // The page's socket never holds the process (server.ts); the runtime does, until shutdown.
  rt.ref();
  try {
    await serve(rt);
    await createThreads(rt, settings);
    const halt = new AbortController();
    const random = mulberry32(settings.seed);
    const feeder = new JobFeeder(rt, random, halt.signal);
    const churn = new Churn(rt, random, halt.signal);
    const running = Promise.all([feeder.run(), settings.churnMs === undefined ? Promise.resolve() : churn.run(settings.churnMs)]);
    await until;
    halt.abort();
    await running;
    await settledWithin(feeder.inFlight(), SETTLE_BOUND_MS);
    return {
      elapsedMs: performance.now() - started,
      jobsSettled: feeder.settled,
      jobsFailed: feeder.failed,
      churnCycles: churn.cycles,
      churnRefused: churn.refused,
      stats: rt.stats(),
    };
  } finally {
    await settledWithin(rt.shutdown(), SHUTDOWN_BOUND_MS);
  }
}

/** The demo's threads: spinners bound to each CPU, then the per-CPU kworkers. */
async function createThreads(rt: Runtime, settings: DashboardRunSettings): Promise<void> {
  for (let cpu = 0; cpu < settings.cpus; cpu++) {
    for (let k = 0; k < settings.threadsPerCpu; k++) {
      const data: SpinnerData = { units: 0 };
      await rt.kthreadCreateOnCpu(cpu, 'spinner', { name: `spinner/${cpu}.${k}`, data });
    }
  }
  // Not 'kworker/%u': the runtime's own job kworkers (queueWork's) have that name.
  await rt.registerPerCpuThread('kworker', { name: 'demo-kworker/%u' });
}

/** Sleeps `ms`, or less if `signal` aborts first; never rejects. */
async function pause(ms: number, signal: AbortSignal): Promise<void> {
  try {
    await sleep(ms, undefined, { signal });
  } catch {
    // Aborted: the caller checks the signal.
  }
}

/** Queues the small jobs: one every FEED_EVERY_MS and a burst every BURST_EVERY_MS, never more than MAX_IN_FLIGHT at once. */
class JobFeeder {
  settled = 0;
  failed = 0;
  private readonly pending = new Set<Promise<unknown>>();

  constructor(
    private readonly rt: Runtime,
    private readonly random: Random,
    private readonly halt: AbortSignal,
  ) {}

  async run(): Promise<void> {
    let nextBurst = performance.now() + BURST_EVERY_MS;
    while (!this.halt.aborted) {
      const now = performance.now();
      const burst = now >= nextBurst;
      if (burst) nextBurst = now + BURST_EVERY_MS;
      for (let i = burst ? BURST_JOBS : 1; i > 0 && this.pending.size < MAX_IN_FLIGHT; i--) this.submit();
      await pause(FEED_EVERY_MS, this.halt);
    }
  }

  /** Resolves when every job queued so far has settled. */
  inFlight(): Promise<unknown> {
    return Promise.allSettled([...this.pending]);
  }

  private submit(): void {
    const args: BusyArgs = { ms: JOB_MS.min + this.random.next() * (JOB_MS.max - JOB_MS.min) };
    const job = this.rt.queueWork('busy', args).then(
      () => {
        this.settled++;
      },
      () => {
        this.settled++;
        this.failed++;
      },
    );
    this.pending.add(job);
    void job.finally(() => this.pending.delete(job));
  }
}

/** With --churn: a random online CPU down, a while, and up again, every period; never the last one online. */
class Churn {
  cycles = 0;
  refused = 0;

  constructor(
    private readonly rt: Runtime,
    private readonly random: Random,
    private readonly halt: AbortSignal,
  ) {}

  async run(everyMs: number): Promise<void> {
    const dwellMs = Math.min(MAX_CHURN_DWELL_MS, Math.max(1, Math.floor(everyMs / 2)));
    while (!this.halt.aborted) {
      await pause(everyMs, this.halt);
      if (this.halt.aborted) return;
      const online = this.rt.onlineCpus();
      if (online.length < 2) continue;
      const cpu = this.random.pick(online);
      if (!(await this.attempt(() => this.rt.cpuDown(cpu)))) continue;
      await pause(dwellMs, this.halt);
      // Brought back even when stopping: the runtime shuts down next either way, but a CPU left down would read as the churn's doing on the page's last snapshot.
      if (await this.attempt(() => this.rt.cpuUp(cpu))) this.cycles++;
    }
  }

  private async attempt(operation: () => Promise<void>): Promise<boolean> {
    try {
      await operation();
      return true;
    } catch {
      this.refused++;
      return false;
    }
  }
}
