/**
 * The torture run's job actor: it queues jobs of every placement (any CPU, a preferred CPU,
 * a strict CPU that waits or fails), aborts some and gives some a timeout, and, with faults
 * injected, kills CPU workers with a job that exits, throws from a timer, or runs out of
 * memory. It checks invariant 4 as each job settles and once more at the end: every job ran
 * exactly once, or was rejected as never started and never ran.
 *
 * Its other faults are jobs the runtime must survive (fault-jobs.ts): jobs with hostile
 * results, jobs that spin forever (for the watchdog), and jobs longer than the hotplug
 * timeout whose CPU is taken down while they run.
 */

import { setTimeout as sleep } from 'node:timers/promises';
import { JobError, type JobFailure, type QueueWorkOptions, type Runtime } from '../index.js';
import type { Random } from '../common/random.js';
import type { TortureCounts } from './stats.js';
import type { KillHow, TortureJobArgs, TrackedJobArgs } from './kthreads.js';
import type { OpKind } from './bounds.js';
import type { FaultName } from './faults.js';
import type { ProgressClock } from './progress-clock.js';
import { FaultJobs, type Expectation } from './fault-jobs.js';
import { KWORKER_EXPORT } from '../protocol/control-plane.js';
import { waitForWord } from '../protocol/wait.js';

/** What the job actor needs of the run it is part of. */
export interface ActorContext {
  readonly counts: TortureCounts;
  readonly failRate: number;
  readonly pauseMs: number;
  readonly hotplugTimeoutMs: number;
  /** The runtime's watchdog, when the run started it with one. */
  readonly watchdogMs: number | undefined;
  /** How long a job that started may take to settle, beyond what it is meant to take (progress ms). */
  readonly windowMs: number;
  readonly clock: ProgressClock;
  injects(fault: FaultName): boolean;
  budgetLeft(): boolean;
  violation(what: string): void;
  operate(rt: Runtime, actor: string, op: string, body: () => Promise<string>, kind: OpKind): Promise<void>;
  /** A cpuDown of `cpu` in its own turn, checked as the onoff actor's are; `before` runs first, in the same turn. */
  cpuDownInTurn(rt: Runtime, cpu: number, actor: string, op: string, before: () => Promise<string | undefined>): Promise<void>;
}

/** Room for this many jobs in one run; the actor stops queueing when it is full. */
const MAX_JOBS = 1 << 20;
const MAX_BATCH = 16;
/** Per operation, per unit of failRate: the chance of killing a worker instead of queueing jobs. */
const KILL_CHANCE_PER_FAIL_RATE = 0.02;
/** Per operation, per unit of failRate: the chances of the fault jobs of fault-jobs.ts. */
const SPIN_CHANCE_PER_FAIL_RATE = 0.02;
const HOSTILE_CHANCE_PER_FAIL_RATE = 0.3;
const LONG_CHANCE_PER_FAIL_RATE = 0.05;
const ABORT_CHANCE = 0.05;
const TIMEOUT_CHANCE = 0.05;
/** Rejections the API promises for jobs like these, by reason; any other is a violation (a shutdown, too, before the run is over). */
const PROMISED = new Set<JobFailure>(['aborted', 'timeout', 'cpu-offline']);

type Placement = { readonly what: string; readonly options: QueueWorkOptions };

export class JobActor {
  private readonly runs = new Int32Array(new SharedArrayBuffer(MAX_JOBS * Int32Array.BYTES_PER_ELEMENT));
  /** For the fault jobs: the CPU each ran on, + 1. */
  private readonly cpus = new Int32Array(new SharedArrayBuffer(MAX_JOBS * Int32Array.BYTES_PER_ELEMENT));
  private next = 0;
  private readonly settled: Array<Promise<void>> = [];
  /** Jobs rejected as never started: each must have run 0 times, at the end too. */
  private readonly neverStarted: number[] = [];
  /**
   * Jobs rejected once started (aborted or timed out while taken): each must have run once
   * by the end. Not sooner: the kworker may have taken the job and not yet reached its first line.
   */
  private readonly startedThenRejected: number[] = [];
  /** Set once the run is over: the runtime's shutdown then rejects what is left, as it promises. */
  private closed = false;
  /** CPUs a kill job was sent to and whose outcome has not come back. */
  private readonly killsUnderWay = new Set<number>();

  private readonly faults: FaultJobs;
  private runtime: Runtime | undefined;

  constructor(private readonly run: ActorContext) {
    this.faults = new FaultJobs(run, {
      submit: (expectation, options) => this.submitTracked(expectation, options),
      started: (index) => this.started(index),
      waitStarted: (index, timeoutMs) => waitForWord(this.runs, index, (v) => v > 0, timeoutMs),
      ranOn: (index) => this.ran(index).cpu,
      kworker: (cpu) => this.kworker(cpu),
    });
  }

  /** Whether the fault `fault` is injected, and with what chance per operation. */
  private chance(fault: FaultName, perFailRate: number): number {
    return this.run.failRate > 0 && this.run.injects(fault) ? this.run.failRate * perFailRate : 0;
  }

  /**
   * With faults injected, the first operations kill a worker (by process.exit, the quickest),
   * queue a spinning job, a hostile one, and a long one, so that every such run goes through
   * each at least once; later ones are random.
   */
  async actor(rt: Runtime, random: Random): Promise<void> {
    this.runtime = rt;
    const kill = this.chance('kills', KILL_CHANCE_PER_FAIL_RATE);
    const spin = this.run.watchdogMs === undefined ? 0 : this.chance('lockups', SPIN_CHANCE_PER_FAIL_RATE);
    const hostile = this.chance('hostile', HOSTILE_CHANCE_PER_FAIL_RATE);
    const long = this.chance('long-jobs', LONG_CHANCE_PER_FAIL_RATE);
    // Each fault's first operation, in this order; 0 is a normal batch of jobs.
    const firsts = [kill, spin, hostile, long].map((p, i) => (p > 0 ? i + 1 : 0)).filter((n) => n > 0);
    let op = 0;
    while (this.run.budgetLeft()) {
      const online = rt.onlineCpus();
      if (online.length === 0) {
        await sleep(this.run.pauseMs); // every CPU failed (injected): nothing to run jobs on until one is up
        continue;
      }
      const due = firsts[op] ?? 0;
      op++;
      if (due === 1 || (due === 0 && random.next() < kill)) {
        const cpu = random.pick(online);
        const how = due === 1 ? 'exit' : random.pick<KillHow>(['exit', 'uncaught', 'oom']);
        await this.run.operate(rt, 'jobs', `kill the worker of CPU ${cpu} (${how})`, () => this.kill(rt, cpu, how), 'job');
      } else if (due === 2 || (due === 0 && random.next() < spin)) {
        await this.faults.spin(rt, random.pick(online), random.next() < 0.5);
      } else if (due === 3 || (due === 0 && random.next() < hostile)) {
        await this.faults.hostile(rt, random);
      } else if (due === 4 || (due === 0 && random.next() < long)) {
        await this.faults.long(rt, random.pick(online));
      } else {
        const count = 1 + random.below(MAX_BATCH);
        const placement = this.placement(rt, random);
        await this.run.operate(rt, 'jobs', `queue ${count} jobs ${placement.what}`, async () => this.queue(rt, random, count, placement), 'queue');
      }
      await sleep(this.run.pauseMs);
    }
  }

  /**
   * Queues one fault job (fault-jobs.ts) and checks its outcome against what the job
   * expects, as it settles. Returns its index and a promise that settles with it.
   */
  private submitTracked(expectation: Expectation, options: QueueWorkOptions): { index: number; settled: Promise<void> } | undefined {
    if (this.next >= MAX_JOBS) return undefined;
    const index = this.next++;
    const tracked: TrackedJobArgs = { runs: this.runs, cpus: this.cpus, index };
    const job = this.runtime!.queueWork(expectation.job, { ...tracked, ...expectation.args }, options);
    this.run.counts.jobsQueued++;
    const settled = job.then(
      (value: unknown) => {
        if (!this.closed) this.faults.settled(expectation, index, this.ran(index), { ok: true, value });
      },
      (error: unknown) => {
        if (!this.closed) this.faults.settled(expectation, index, this.ran(index), { ok: false, error });
      },
    );
    this.settled.push(settled);
    return { index, settled };
  }

  /** How often the job at `index` ran, and on which CPU (-1 if it did not). */
  private ran(index: number): { runs: number; cpu: number } {
    return { runs: Atomics.load(this.runs, index), cpu: Atomics.load(this.cpus, index) - 1 };
  }

  /** The state of the kworker of `cpu`, for a report. */
  private kworker(cpu: number): string {
    const rt = this.runtime;
    const thread = rt?.kthreadList(cpu).find((t) => t.fn === KWORKER_EXPORT);
    if (rt === undefined || thread === undefined) return `CPU ${cpu} has no kworker`;
    try {
      return `${thread.name} is ${rt.kthreadInfo(thread).state}`;
    } catch {
      return `${thread.name} is gone`;
    }
  }

  /** Whether the job at `index` has started: its first line counts its run. */
  started(index: number): boolean {
    return Atomics.load(this.runs, index) > 0;
  }

  private placement(rt: Runtime, random: Random): Placement {
    const cpu = random.below(rt.cpuCount);
    const roll = random.next();
    if (roll < 0.4) return { what: 'on any CPU', options: {} };
    if (roll < 0.7) return { what: `preferring CPU ${cpu}`, options: { cpu } };
    if (roll < 0.85) return { what: `strictly on CPU ${cpu}, waiting for it`, options: { cpu, affinity: 'strict', whenOffline: 'wait' } };
    return { what: `strictly on CPU ${cpu}, or failing`, options: { cpu, affinity: 'strict', whenOffline: 'fail' } };
  }

  private queue(rt: Runtime, random: Random, count: number, placement: Placement): string {
    let queued = 0;
    for (let i = 0; i < count && this.next < MAX_JOBS; i++) {
      const index = this.next++;
      const args: TortureJobArgs = { runs: this.runs, index, units: random.below(2000), sleepMs: random.next() < 0.2 ? random.below(3) : 0 };
      let abort: AbortController | undefined;
      if (random.next() < ABORT_CHANCE) abort = new AbortController();
      const abortAfter = random.below(5);
      const timeoutMs = random.next() < TIMEOUT_CHANCE ? 1 + random.below(20) : undefined;
      const job = rt.queueWork('tortureJob', args, { ...placement.options, ...(abort ? { signal: abort.signal } : {}), ...(timeoutMs ? { timeoutMs } : {}) });
      if (abort !== undefined) setTimeout(() => abort.abort(), abortAfter);
      this.settled.push(job.then(() => this.resolved(index), (error: unknown) => this.rejected(index, error)));
      this.run.counts.jobsQueued++;
      queued++;
    }
    return queued === count ? `queued ${count}` : `queued ${queued} of ${count}: the run's job table is full`;
  }

  /** The run is over; outcomes from now on (shutdown's rejections) are not the run's. */
  close(): void {
    this.closed = true;
    this.faults.close();
  }

  /** Resolves once no spinning job is left (each is caught by the watchdog, or refused). */
  quiesce(rt: Runtime): Promise<string> {
    return this.faults.quiesce(rt);
  }

  private resolved(index: number): void {
    if (this.closed) return;
    this.run.counts.jobsCompleted++;
    const runs = Atomics.load(this.runs, index);
    if (runs !== 1) this.run.violation(`job ${index} resolved but ran ${runs} times`);
  }

  private rejected(index: number, error: unknown): void {
    if (this.closed) return;
    if (!(error instanceof JobError) || !PROMISED.has(error.reason)) {
      this.run.violation(`job ${index} was rejected in a way the API does not promise: ${error instanceof Error ? error.message : String(error)}`);
      return;
    }
    this.run.counts.jobsRejected++;
    (error.started ? this.startedThenRejected : this.neverStarted).push(index);
  }

  /**
   * Whether a job the run injected holds `cpu`: a kill job sent to it that has not yet
   * killed its worker (or been refused), or a spinning job queued there. A cooperative CPU
   * runs none of its threads meanwhile.
   */
  holding(cpu: number): boolean {
    return this.killsUnderWay.has(cpu) || this.faults.spinning(cpu);
  }

  private async kill(rt: Runtime, cpu: number, how: KillHow): Promise<string> {
    this.killsUnderWay.add(cpu);
    try {
      await rt.queueWork('killWorker', { how }, { cpu, affinity: 'strict' });
    } catch (error) {
      if (error instanceof JobError && error.code === 'ERR_CPUHP_JOB_WORKER_DIED') {
        this.run.counts.workerDeaths++;
        this.run.counts.faultsSurvived++;
        return `the worker died; CPU ${cpu} is ${rt.cpuState(cpu)}`;
      }
      // Running out of memory holds the CPU without yielding, which the watchdog may see first.
      if (error instanceof JobError && error.code === 'ERR_CPUHP_JOB_SOFT_LOCKUP' && this.run.watchdogMs !== undefined && error.started) {
        this.run.counts.workerDeaths++;
        this.run.counts.faultsSurvived++;
        return `the watchdog ended the worker first; CPU ${cpu} is ${rt.cpuState(cpu)}`;
      }
      if (error instanceof JobError && error.code === 'ERR_CPUHP_JOB_CPU_OFFLINE') {
        this.run.counts.refused++;
        return `refused: ${error.message}`;
      }
      throw error;
    } finally {
      this.killsUnderWay.delete(cpu);
    }
    this.run.violation(`a job that kills its worker (${how}) on CPU ${cpu} resolved`);
    return 'resolved';
  }

  /**
   * With every CPU up: every job must settle, and each must have run exactly as its outcome
   * says. Returns what it found, for the final operation's log line.
   */
  async finish(rt: Runtime, patienceMs: number): Promise<string> {
    // Timed on the progress clock, so a loaded machine does not fake jobs that never settle.
    try {
      await this.run.clock.deadline(rt.drain(), patienceMs, 10 * patienceMs, () => new Error('drain() did not resolve'));
    } catch {
      const outstanding = await rt.drain({ timeoutMs: 1 }).then(
        () => 'they have settled since',
        (error: unknown) => (error instanceof Error ? error.message : String(error)),
      );
      throw new Error(`not every job settled within ${patienceMs} ms of controller progress: ${outstanding}`);
    }
    await Promise.all(this.settled);
    for (const index of this.neverStarted) {
      const runs = Atomics.load(this.runs, index);
      if (runs !== 0) this.run.violation(`job ${index} was rejected as never started but ran ${runs} times`);
    }
    for (const index of this.startedThenRejected) {
      const runs = Atomics.load(this.runs, index);
      if (runs !== 1) this.run.violation(`job ${index} was rejected after it started but ran ${runs} times`);
    }
    for (let index = 0; index < this.next; index++) {
      const runs = Atomics.load(this.runs, index);
      if (runs > 1) this.run.violation(`job ${index} ran ${runs} times`);
    }
    const { jobsCompleted, jobsRejected } = this.run.counts;
    return `${this.next} jobs settled: ${jobsCompleted} completed, ${jobsRejected} rejected as promised`;
  }
}
