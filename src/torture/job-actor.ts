/**
 * The torture run's job actor: it queues jobs of every placement (any CPU, a preferred CPU,
 * a strict CPU that waits or fails), aborts some and gives some a timeout, and, with faults
 * injected, kills CPU workers with a job that exits, throws from a timer, or runs out of
 * memory. It checks invariant 4 as each job settles and once more at the end: every job ran
 * exactly once, or was rejected as never started and never ran.
 */

import { setTimeout as sleep } from 'node:timers/promises';
import { JobError, type QueueWorkOptions, type Runtime } from '../index.js';
import type { Random } from '../cli/random.js';
import type { TortureCounts } from './stats.js';
import type { KillHow, TortureJobArgs } from './kthreads.js';

/** What the job actor needs of the run it is part of. */
export interface ActorContext {
  readonly counts: TortureCounts;
  readonly failRate: number;
  readonly pauseMs: number;
  budgetLeft(): boolean;
  violation(what: string): void;
  operate(rt: Runtime, actor: string, op: string, body: () => Promise<string>): Promise<void>;
}

/** Room for this many jobs in one run; the actor stops queueing when it is full. */
const MAX_JOBS = 1 << 20;
const MAX_BATCH = 16;
/** Per operation, per unit of failRate: the chance of killing a worker instead of queueing jobs. */
const KILL_CHANCE_PER_FAIL_RATE = 0.02;
const ABORT_CHANCE = 0.05;
const TIMEOUT_CHANCE = 0.05;
/** Rejections the API promises for jobs like these; any other is a violation. */
const PROMISED = new Set(['aborted', 'timeout', 'cpu-offline']);

type Placement = { readonly what: string; readonly options: QueueWorkOptions };

export class JobActor {
  private readonly runs = new Int32Array(new SharedArrayBuffer(MAX_JOBS * Int32Array.BYTES_PER_ELEMENT));
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

  constructor(private readonly run: ActorContext) {}

  /**
   * With faults injected, the first operation kills a worker (by process.exit, the quickest),
   * so that every such run goes through a worker death at least once; later kills are random.
   */
  async actor(rt: Runtime, random: Random): Promise<void> {
    let first = true;
    while (this.run.budgetLeft()) {
      const online = rt.onlineCpus();
      const kill = this.run.failRate > 0 && (first || random.next() < this.run.failRate * KILL_CHANCE_PER_FAIL_RATE);
      if (online.length > 0 && kill) {
        const cpu = random.pick(online);
        const how = first ? 'exit' : random.pick<KillHow>(['exit', 'uncaught', 'oom']);
        await this.run.operate(rt, 'jobs', `kill the worker of CPU ${cpu} (${how})`, () => this.kill(rt, cpu, how));
      } else {
        const count = 1 + random.below(MAX_BATCH);
        const placement = this.placement(rt, random);
        await this.run.operate(rt, 'jobs', `queue ${count} jobs ${placement.what}`, async () => this.queue(rt, random, count, placement));
      }
      first = false;
      await sleep(this.run.pauseMs);
    }
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

  /** Whether a kill job was sent to `cpu` and has not yet killed its worker (or been refused). */
  killing(cpu: number): boolean {
    return this.killsUnderWay.has(cpu);
  }

  private async kill(rt: Runtime, cpu: number, how: KillHow): Promise<string> {
    this.killsUnderWay.add(cpu);
    try {
      await rt.queueWork('killWorker', { how }, { cpu, affinity: 'strict' });
    } catch (error) {
      if (error instanceof JobError && error.reason === 'worker-died') {
        this.run.counts.workerDeaths++;
        this.run.counts.faultsSurvived++;
        return `the worker died; CPU ${cpu} is ${rt.cpuState(cpu)}`;
      }
      if (error instanceof JobError && error.reason === 'cpu-offline') {
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
    await rt.drain({ timeoutMs: patienceMs });
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
