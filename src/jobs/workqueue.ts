/**
 * The controller's side of the job runtime: per-CPU work queues that survive CPUs going
 * down and workers dying, after the kernel's workqueues and the seed's rule for CPU_DEAD:
 * "take it away and give it to someone else".
 *
 * Where a job is, from queueWork() until its promise settles:
 *
 *   queued   in a controller FIFO: `shared` (any online CPU may run it) or `local[cpu]`
 *            (preferred while that CPU is online, or strict to it). Nothing on a CPU knows it.
 *   handed   posted to one CPU in one of its claim slots (job-claim.ts), at most `window`
 *            per CPU, so each CPU holds about TARGET_HANDED_US of work and no more.
 *   taken    the CPU's kworker took the claim: the job runs there, exactly once, and its
 *            outcome comes back on the CPU's job port before the kworker takes another.
 *
 * A handed job that has not been taken can always be revoked (one compareExchange that
 * the kworker's take races against), which is what aborts it, moves it off a CPU that goes
 * down (at DYING, once the CPU's kworker has parked, so no job of it is running), and
 * recovers it from a worker that died. Revoked jobs go back to a FIFO, at its front.
 *
 * Everything here runs on the controller's one thread; the only other writer it meets is
 * the kworker, through the claim words.
 */

import type { TraceSink } from '../trace/events.js';
import type { MessagePort, TransferListItem } from 'node:worker_threads';
import { ConfigError, CpuhpError, JobError, type JobFailure } from '../errors.js';
import { allKeys, cpuNumber, describeValue, knownName, oneOf, readOptions, timeoutMs as timeoutArgument, transferList } from '../controller/arguments.js';
import { setLongTimeout } from '../controller/timer.js';
import { Latency, type LatencySummary } from '../controller/latency.js';
import { CpuState, mayRunBound } from '../protocol/cpu-state.js';
import { AbortReason, isTaken, offerClaim, releaseClaim, requestAbort, revokeClaim, type AbortReasonValue } from '../protocol/job-claim.js';
import type { JobBatch, JobOutcome, JobRequest, ReturnedJob } from '../protocol/jobs.js';
import { claimWord, cpuBase, CPU_STATE, type Layout } from '../protocol/layout.js';
import { Fifo } from './fifo.js';
import { Job, type QueueWorkOptions } from './job.js';

/** Job.handedTo of a job revoked from a CPU going down, while its transferables come back. */
const MOVING = -2;
/** Hand each CPU about this much work (by its recent job times): enough to cover a round trip. */
const TARGET_HANDED_US = 2000;
const MIN_WINDOW = 2;
/** Weight of the newest job time in a CPU's running average. */
const EWMA_WEIGHT = 0.1;
const QUEUE_WORK = 'queueWork(name, args, options)';
/** Every key of QueueWorkOptions: any other key of a queueWork options object is refused. */
const QUEUE_WORK_KEYS = allKeys<QueueWorkOptions>()(['cpu', 'affinity', 'whenOffline', 'signal', 'timeoutMs', 'transfer']);

/** A queueWork request's name and options, each checked and read once. */
interface CheckedRequest {
  readonly name: string;
  readonly cpu: number | undefined;
  readonly strict: boolean;
  readonly waitOffline: boolean;
  readonly signal: AbortSignal | undefined;
  /** Undefined or Infinity: no timeout. */
  readonly timeoutMs: number | undefined;
  readonly transfer: readonly TransferListItem[] | undefined;
}

export interface WorkqueueHost {
  readonly words: Int32Array;
  readonly layout: Layout;
  /** The defineJob exports of the runtime's modules. */
  readonly jobNames: ReadonlySet<string>;
  /** Jobs that may wait in the controller's queues (not yet handed to a CPU). */
  readonly maxQueue: number;
  /** Takes back the arguments of revoked jobs that carried transferables, from a live worker. */
  takeBack(cpu: number, ids: readonly number[]): Promise<readonly ReturnedJob[]>;
  trace: TraceSink;
}

export interface JobCounts {
  /** Accepted by queueWork(). */
  submitted: number;
  /** Ran and returned a result. */
  completed: number;
  /** Ran and threw. */
  threw: number;
  aborted: number;
  timedOut: number;
  /** Refused by queueWork(): the queue was full, or a strict job's CPU was offline. */
  refused: number;
  /** Moved off a CPU that went down or died, before they started. */
  migrated: number;
  /** Running when their CPU's worker died: rejected, the only jobs a death costs. */
  diedRunning: number;
  /** Running when the watchdog failed their CPU as stuck (reason 'soft-lockup'). */
  lockedUp: number;
  /** Transferred arguments lost with a worker that died before the job started. */
  argsLost: number;
  /** Rejected by shutdown(). */
  shutdown: number;
}

export interface JobStats extends JobCounts {
  /** Waiting in the controller's queues now. */
  readonly queued: number;
  /** Handed to a CPU now (taken or not yet). */
  readonly handed: number;
  /** From queueWork() to the promise settling, for the jobs that ran to an outcome. */
  readonly latency: LatencySummary;
}

export interface CpuJobStats {
  /** Jobs whose outcome came back from this CPU. */
  readonly ran: number;
  /** Handed to this CPU now: the one running, if any, and those waiting there to start. */
  readonly handed: number;
  /** Of those, taken by the CPU's kworker and not yet reported: 0 or 1, the job running. */
  readonly running: number;
  /** Waiting for this CPU in particular (preferred or strict affinity). */
  readonly queued: number;
}

export class Workqueue {
  private readonly shared = new Fifo<Job>();
  private readonly local: Fifo<Job>[];
  private readonly handed: Array<Array<Job | undefined>>;
  private readonly free: number[][];
  private readonly ports: Array<MessagePort | undefined>;
  private readonly avgUs: number[];
  private readonly ran: number[];
  private readonly byId = new Map<number, Job>();
  private readonly counts: JobCounts = { submitted: 0, completed: 0, threw: 0, aborted: 0, timedOut: 0, refused: 0, migrated: 0, diedRunning: 0, lockedUp: 0, argsLost: 0, shutdown: 0 };
  private readonly latency = new Latency();
  private readonly ncpus: number;
  /** Unsettled jobs in the FIFOs (settled ones are dropped lazily when reached). */
  private waiting = 0;
  /** Of those, per FIFO: index `cpu` is local[cpu], index `ncpus` the shared FIFO. */
  private readonly waitingIn: number[];
  /** CPUs a failed rollback left between online and offline: not up for placement. */
  private readonly partWay: boolean[];
  private unsettled = 0;
  private occupied = 0;
  private nextId = 1;
  private pumpScheduled = false;
  private closed = false;
  private drainers: Array<() => void> = [];

  constructor(private readonly host: WorkqueueHost) {
    const { ncpus, jobSlots } = host.layout;
    this.ncpus = ncpus;
    this.local = Array.from({ length: ncpus }, () => new Fifo<Job>());
    this.waitingIn = new Array<number>(ncpus + 1).fill(0);
    this.partWay = new Array<boolean>(ncpus).fill(false);
    this.handed = Array.from({ length: ncpus }, () => new Array<Job | undefined>(jobSlots).fill(undefined));
    this.free = Array.from({ length: ncpus }, () => freeSlots(jobSlots));
    this.ports = new Array<MessagePort | undefined>(ncpus).fill(undefined);
    this.avgUs = new Array<number>(ncpus).fill(TARGET_HANDED_US / 4);
    this.ran = new Array<number>(ncpus).fill(0);
  }

  // ------------------------------------------------------------------ submission

  /** Throws a ConfigError for a bad name or options; every other refusal is a rejected promise. */
  submit(rawName: unknown, args: unknown, options: unknown): Promise<unknown> {
    if (this.closed) {
      const shown = typeof rawName === 'string' ? rawName : describeValue(rawName);
      return Promise.reject(new JobError(`job '${shown}' refused: the runtime is shutting down and takes no new jobs`, { job: shown, reason: 'shutdown', started: false }));
    }
    const checked = this.check(rawName, options);
    const { name, cpu, strict, waitOffline, signal } = checked;
    if (signal?.aborted) {
      return Promise.reject(new JobError(`job '${name}' was not queued: its AbortSignal had fired already`, { job: name, reason: 'aborted', started: false, cpu, cause: signal.reason }));
    }
    const online = cpu !== undefined && this.isUp(cpu);
    if (strict && !online && !waitOffline) {
      this.counts.refused++;
      return Promise.reject(
        new JobError(
          `job '${name}' needs CPU ${cpu} (affinity 'strict'), which is ${this.stateName(cpu!)}; bring it up (rt.cpuUp(${cpu})), or pass whenOffline: 'wait' to queue the job until it is, or affinity: 'preferred' to run it elsewhere`,
          { job: name, reason: 'cpu-offline', started: false, cpu },
        ),
      );
    }
    if (this.waiting >= this.host.maxQueue && this.waiting >= this.host.maxQueue + this.handOverRoom()) {
      this.counts.refused++;
      return Promise.reject(
        new JobError(
          `job '${name}' refused: ${this.waiting} jobs wait already (maxQueue ${this.host.maxQueue}); wait for some to finish (await rt.drain()), or start the runtime with a larger maxQueue`,
          { job: name, reason: 'queue-full', started: false },
        ),
      );
    }
    return new Promise((resolve, reject) => {
      const job = new Job(this.nextId++, name, args, checked.transfer, cpu, strict, waitOffline, resolve, reject);
      this.unsettled++;
      this.counts.submitted++;
      this.enqueue(job, cpu !== undefined && (strict || online) ? cpu : this.ncpus, false);
      this.arm(job, checked);
      this.schedulePump();
    });
  }

  private check(name: unknown, options: unknown): CheckedRequest {
    const job = knownName(QUEUE_WORK, 'name', name, [...this.host.jobNames], 'job', ' (define them with defineJob and pass the module in Runtime.start({ modules }))');
    const o = readOptions(QUEUE_WORK, 'options', options, QUEUE_WORK_KEYS);
    const cpu = o.cpu === undefined ? undefined : cpuNumber(QUEUE_WORK, 'options.cpu', o.cpu, this.ncpus);
    const affinity = o.affinity === undefined ? 'preferred' : oneOf(QUEUE_WORK, 'options.affinity', o.affinity, ['preferred', 'strict']);
    if (affinity === 'strict' && cpu === undefined) throw new ConfigError(`${QUEUE_WORK}: affinity 'strict' needs a cpu: name the CPU the job must run on (options.cpu)`);
    const whenOffline = o.whenOffline === undefined ? 'fail' : oneOf(QUEUE_WORK, 'options.whenOffline', o.whenOffline, ['fail', 'wait']);
    return {
      name: job,
      cpu,
      strict: affinity === 'strict',
      waitOffline: whenOffline === 'wait',
      signal: abortSignal(o.signal),
      timeoutMs: o.timeoutMs === undefined ? undefined : timeoutArgument(QUEUE_WORK, 'options.timeoutMs', o.timeoutMs, false),
      transfer: o.transfer === undefined ? undefined : transferList(QUEUE_WORK, 'options.transfer', o.transfer, 'args'),
    };
  }

  /** Arms the job's timeout and abort listener, disarmed when it settles. */
  private arm(job: Job, { signal, timeoutMs }: CheckedRequest): void {
    const timed = timeoutMs !== undefined && timeoutMs !== Infinity;
    if (signal === undefined && !timed) return;
    const onAbort = (): void => this.cancel(job, AbortReason.ABORTED, signal?.reason);
    const timer = timed ? setLongTimeout(() => this.cancel(job, AbortReason.TIMED_OUT, undefined), timeoutMs) : undefined;
    signal?.addEventListener('abort', onAbort, { once: true });
    job.arm(() => {
      timer?.clear();
      signal?.removeEventListener('abort', onAbort);
    });
  }

  /** The FIFO at `where`: local[where] for a CPU, or the shared one at index ncpus. */
  private fifo(where: number): Fifo<Job> {
    return where === this.ncpus ? this.shared : this.local[where]!;
  }

  private enqueue(job: Job, where: number, front: boolean): void {
    job.handedTo = -1;
    job.slot = -1;
    job.queuedIn = where;
    this.waiting++;
    this.waitingIn[where]!++;
    if (front) this.fifo(where).unshift(job);
    else this.fifo(where).push(job);
  }

  /** A queued job leaves its FIFO's count: it was taken from it, or settled (aborted) in it. */
  private unqueue(job: Job): void {
    if (job.queuedIn < 0) return;
    this.waiting--;
    this.waitingIn[job.queuedIn]!--;
    job.queuedIn = -1;
  }

  /** The next unsettled job of a FIFO; jobs settled while queued (aborted) are dropped here. */
  private next(where: number): Job | undefined {
    const fifo = this.fifo(where);
    for (let job = fifo.shift(); job !== undefined; job = fifo.shift()) {
      if (!job.settled) {
        this.unqueue(job);
        return job;
      }
    }
    return undefined;
  }

  /** Empties a FIFO, returning its unsettled jobs in order. */
  private takeAll(where: number): Job[] {
    const jobs = this.fifo(where)
      .takeAll()
      .filter((job) => !job.settled);
    for (const job of jobs) this.unqueue(job);
    return jobs;
  }

  // ------------------------------------------------------------------ hand-over

  private state(cpu: number): number {
    return Atomics.load(this.host.words, cpuBase(this.host.layout, cpu) + CPU_STATE);
  }

  /**
   * Up for a job's placement: its bound threads may run (ONLINE, or DOWN_PREPARE while a
   * cpuDown is under way, which may yet roll back), and a failed rollback did not leave it
   * part-way (DOWN_PREPARE then too, but no operation is under way to finish it). partWay is
   * never set on an ONLINE CPU: cpuUnavailable sets it on a CPU left DOWN_PREPARE or DEAD,
   * and cpuOnline clears it in the turn the runtime makes the CPU ONLINE.
   */
  private isUp(cpu: number): boolean {
    return mayRunBound(this.state(cpu)) && !this.partWay[cpu];
  }

  private stateName(cpu: number): string {
    return this.state(cpu) === CpuState.FAILED ? 'failed (its worker died)' : 'offline';
  }

  /** Jobs go only to CPUs that are ONLINE (not already going down) and have a worker. */
  private accepting(cpu: number): boolean {
    return this.ports[cpu] !== undefined && this.state(cpu) === CpuState.ONLINE;
  }

  private window(cpu: number): number {
    const wanted = Math.max(MIN_WINDOW, Math.ceil(TARGET_HANDED_US / Math.max(1, this.avgUs[cpu]!)));
    return Math.min(this.host.layout.jobSlots, wanted);
  }

  private inflight(cpu: number): number {
    return this.host.layout.jobSlots - this.free[cpu]!.length;
  }

  /**
   * A CPU is refilled once it has run down to half its window (or is idle), so hand-overs go
   * in batches rather than one message per finished job.
   */
  private wantsMore(cpu: number): boolean {
    const inflight = this.inflight(cpu);
    return inflight === 0 || inflight * 2 <= this.window(cpu);
  }

  private handOverRoom(): number {
    let room = 0;
    for (let cpu = 0; cpu < this.ncpus; cpu++) if (this.accepting(cpu)) room += Math.max(0, this.window(cpu) - this.inflight(cpu));
    return room;
  }

  private schedulePump(): void {
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    queueMicrotask(this.pump);
  }

  /**
   * Hands queued jobs to the CPUs that want more: each CPU its own local jobs first, then
   * shared jobs, one at a time to the least loaded CPU with room, which spreads a burst
   * evenly. Runs once per turn of the event loop at most, so each CPU gets one batch.
   */
  private readonly pump = (): void => {
    this.pumpScheduled = false;
    const batches = new Map<number, JobRequest[]>();
    const open: number[] = [];
    for (let cpu = 0; cpu < this.ncpus; cpu++) {
      if (!this.accepting(cpu) || !this.wantsMore(cpu)) continue;
      const window = this.window(cpu);
      while (this.inflight(cpu) < window) {
        const job = this.next(cpu);
        if (job === undefined) break;
        this.handOver(cpu, job, batches);
      }
      if (this.inflight(cpu) < window) open.push(cpu);
    }
    if (open.length > 0 && this.shared.size > 0) {
      const load = (cpu: number): number => this.inflight(cpu) + this.waitingIn[cpu]!;
      open.sort((a, b) => load(a) - load(b));
      for (let progress = true; progress; ) {
        progress = false;
        for (const cpu of open) {
          if (this.inflight(cpu) >= this.window(cpu)) continue;
          const job = this.next(this.ncpus);
          if (job === undefined) break;
          this.handOver(cpu, job, batches);
          progress = true;
        }
      }
    }
    for (const [cpu, batch] of batches) this.post(cpu, batch);
  };

  private handOver(cpu: number, job: Job, batches: Map<number, JobRequest[]>): void {
    const slot = this.free[cpu]!.pop()!;
    job.handedTo = cpu;
    job.slot = slot;
    this.handed[cpu]![slot] = job;
    this.byId.set(job.id, job);
    this.occupied++;
    // The claim is offered before the hand-over is posted: the kworker reads it when it runs the job.
    offerClaim(this.host.words, claimWord(this.host.layout, cpu, slot), job.ticket);
    const request: JobRequest = { id: job.id, ticket: job.ticket, slot, name: job.name, args: job.args, ...(job.transfer ? { transfer: job.transfer } : {}) };
    if (job.transfer === undefined) {
      let batch = batches.get(cpu);
      if (batch === undefined) batches.set(cpu, (batch = []));
      batch.push(request);
      return;
    }
    // A job with transferables travels alone, after whatever was batched for the CPU before it.
    const before = batches.get(cpu);
    if (before !== undefined) this.post(cpu, before);
    batches.delete(cpu);
    this.post(cpu, [request], job.transfer);
  }

  /**
   * Posts a batch. A job whose arguments cannot be cloned fails the whole postMessage before
   * anything is sent; then each job is posted alone, and the ones that cannot be are revoked
   * and rejected: they never ran, and the rest are unaffected.
   */
  private post(cpu: number, jobs: JobRequest[], transfer?: readonly TransferListItem[]): void {
    const port = this.ports[cpu]!;
    try {
      port.postMessage({ type: 'cpuhp:jobs', jobs } satisfies JobBatch, transfer as TransferListItem[] | undefined);
      return;
    } catch (error) {
      if (jobs.length > 1) {
        for (const request of jobs) this.post(cpu, [request]);
        return;
      }
      const job = this.byId.get(jobs[0]!.id)!;
      revokeClaim(this.host.words, claimWord(this.host.layout, cpu, job.slot), job.ticket);
      this.release(job);
      this.counts.refused++;
      this.settle(
        job,
        new ConfigError(
          `the arguments of job '${job.name}' cannot be sent to a worker (${error instanceof Error ? error.message : String(error)}); pass structured-cloneable data: plain objects, arrays, numbers, strings, typed arrays, and list only ArrayBuffers or ports in transfer`,
        ),
      );
    }
  }

  /** Frees the job's claim slot; its claim word must no longer be QUEUED for the kworker. */
  private release(job: Job): void {
    const cpu = job.handedTo;
    releaseClaim(this.host.words, claimWord(this.host.layout, cpu, job.slot));
    this.handed[cpu]![job.slot] = undefined;
    this.free[cpu]!.push(job.slot);
    this.byId.delete(job.id);
    this.occupied--;
    job.handedTo = -1;
    job.slot = -1;
    this.schedulePump();
  }

  // ------------------------------------------------------------------ outcomes

  /** A job's outcome from the job port of `cpu`. */
  outcome(cpu: number, outcome: JobOutcome): void {
    const job = this.byId.get(outcome.id);
    if (job === undefined || job.handedTo !== cpu) return;
    this.release(job);
    this.ran[cpu]!++;
    this.avgUs[cpu] = this.avgUs[cpu]! * (1 - EWMA_WEIGHT) + outcome.us * EWMA_WEIGHT;
    if (job.settled) {
      this.checkIdle(); // it was aborted while running: only its slot was outstanding
      return;
    }
    this.latency.record(performance.now() - job.submitted);
    if (outcome.ok) {
      this.counts.completed++;
      this.settle(job, undefined, outcome.value);
      return;
    }
    this.counts.threw++;
    const message = outcome.error instanceof Error ? outcome.error.message : String(outcome.error);
    this.settle(job, new JobError(`job '${job.name}' (id ${job.id}) threw on CPU ${cpu}: ${message}`, { job: job.name, reason: 'threw', started: true, id: job.id, cpu, cause: outcome.error }));
  }

  private settle(job: Job, error: unknown, value?: unknown): void {
    if (job.settled) return;
    this.unsettled--;
    if (error === undefined) job.resolve(value);
    else job.reject(error);
    this.checkIdle();
  }

  /**
   * Abort or timeout: a queued job is dropped and never runs; a handed one is revoked if the
   * kworker has not taken it; a taken one is asked to stop through the CPU's abort line.
   */
  private cancel(job: Job, reason: AbortReasonValue, cause: unknown): void {
    if (job.settled) return;
    const timedOut = reason === AbortReason.TIMED_OUT;
    const failure: JobFailure = timedOut ? 'timeout' : 'aborted';
    const why = timedOut ? 'ran past its timeoutMs' : 'was aborted by its AbortSignal';
    if (timedOut) this.counts.timedOut++;
    else this.counts.aborted++;
    const { words, layout } = this.host;
    const cpu = job.handedTo;
    const notStarted = (on: number | undefined): JobError =>
      new JobError(`job '${job.name}' (id ${job.id}) ${why} before it started; it did not run`, { job: job.name, reason: failure, started: false, id: job.id, cpu: on, cause });
    if (cpu < 0) {
      this.unqueue(job);
      this.settle(job, notStarted(undefined));
      return;
    }
    if (revokeClaim(words, claimWord(layout, cpu, job.slot), job.ticket)) {
      this.release(job);
      this.settle(job, notStarted(cpu));
      return;
    }
    requestAbort(words, cpuBase(layout, cpu), job.id, reason);
    this.settle(
      job,
      new JobError(`job '${job.name}' (id ${job.id}) ${why} while running on CPU ${cpu}; it has been asked to stop (ctx.signal)`, {
        job: job.name,
        reason: failure,
        started: true,
        id: job.id,
        cpu,
        cause,
      }),
    );
  }

  // ------------------------------------------------------------------ hotplug and workers

  /** A CPU's worker (new, or replacing one) and its job port: every claim slot starts empty. */
  attach(cpu: number, port: MessagePort): void {
    this.ports[cpu] = port;
  }

  /** A CPU is ONLINE (up, or rolled back to online): hand it work. */
  cpuOnline(cpu: number): void {
    this.partWay[cpu] = false;
    this.schedulePump();
  }

  /**
   * A CPU was left between online and offline by a rollback that failed part-way: it takes
   * no jobs until an operation completes it. The jobs handed to it run there (its kworker
   * runs while its threads do); the ones waiting for it are treated as for a CPU that went
   * down: those that may run elsewhere go to the front of the shared queue, strict ones wait
   * for it or fail, as their caller chose.
   */
  cpuUnavailable(cpu: number): void {
    this.partWay[cpu] = true;
    this.requeue(cpu, [], 'was left part-way by a failed rollback');
  }

  /**
   * CPU_DEAD of the seed: the CPU's kworker has parked (or, under recreate, exited) after
   * finishing the job it was running, so every job still handed to the CPU is untaken.
   * Revoke them all and queue them again, with the jobs that waited for this CPU: the ones
   * that may run elsewhere go to the front of the shared queue, strict ones wait for the
   * CPU or fail, as their caller chose.
   */
  async cpuDead(cpu: number): Promise<void> {
    const unstarted = this.revokeHanded(cpu).unstarted;
    const withTransfer = unstarted.filter((job) => job.transfer !== undefined);
    if (withTransfer.length > 0) {
      // In transit while their arguments come back: an abort meanwhile just settles them.
      for (const job of unstarted) job.handedTo = MOVING;
      const returned = await this.host.takeBack(cpu, withTransfer.map((job) => job.id)).catch(() => [] as readonly ReturnedJob[]);
      const args = new Map(returned.map((r) => [r.id, r.args]));
      for (const job of withTransfer) {
        if (args.has(job.id)) job.args = args.get(job.id);
        else this.argsLost(job, cpu);
      }
    }
    this.requeue(cpu, unstarted.filter((job) => !job.settled), 'went down');
  }

  /**
   * The CPU's worker is gone. `died` says why if it died (else it was ended on purpose, and
   * nothing of it should be left). Every outcome it posted has been taken already, so a job
   * it had taken without an outcome was running when it died: that one alone is rejected.
   */
  workerGone(cpu: number, died: string | undefined, failure: 'worker-died' | 'soft-lockup' = 'worker-died'): void {
    this.ports[cpu] = undefined;
    const { unstarted, taken } = this.revokeHanded(cpu);
    for (const job of taken) {
      this.release(job);
      if (job.settled) continue;
      if (died !== undefined && failure === 'soft-lockup') {
        this.counts.lockedUp++;
        this.settle(
          job,
          new JobError(
            `job '${job.name}' (id ${job.id}) was running on CPU ${cpu} when the watchdog found the CPU stuck (${died}); it may have run in part. A job must await now and then (a loop that never awaits holds its CPU), or start the runtime with a larger watchdogMs. The CPU is marked failed; rt.cpuUp(${cpu}) starts a fresh worker`,
            { job: job.name, reason: 'soft-lockup', started: true, id: job.id, cpu },
          ),
        );
      } else if (died !== undefined) {
        this.counts.diedRunning++;
        this.settle(
          job,
          new JobError(`job '${job.name}' (id ${job.id}) was running on CPU ${cpu} when its worker died (${died}); it may have run in part. The CPU is marked failed; rt.cpuUp(${cpu}) starts a fresh worker`, { job: job.name, reason: 'worker-died', started: true, id: job.id, cpu }),
        );
      } else {
        this.counts.shutdown++;
        this.settle(job, new JobError(`job '${job.name}' (id ${job.id}) did not finish before the runtime shut down; its worker was ended`, { job: job.name, reason: 'shutdown', started: true, id: job.id, cpu }));
      }
    }
    for (const job of unstarted) if (job.transfer !== undefined) this.argsLost(job, cpu);
    this.requeue(cpu, unstarted.filter((job) => !job.settled), died === undefined ? 'stopped' : 'died');
    if (died !== undefined) this.host.trace({ type: 'jobs-worker-died', cpu, error: died });
  }

  private argsLost(job: Job, cpu: number): void {
    this.counts.argsLost++;
    this.settle(
      job,
      new JobError(
        `job '${job.name}' (id ${job.id}) had its arguments transferred to CPU ${cpu}, whose worker was lost before the job started; it did not run. Submit it again`,
        { job: job.name, reason: 'args-lost', started: false, id: job.id, cpu },
      ),
    );
  }

  /** Revokes every untaken job handed to `cpu` (freeing its slot); returns those and the taken ones. */
  private revokeHanded(cpu: number): { unstarted: Job[]; taken: Job[] } {
    const unstarted: Job[] = [];
    const taken: Job[] = [];
    for (const job of this.handed[cpu]!) {
      if (job === undefined) continue;
      if (revokeClaim(this.host.words, claimWord(this.host.layout, cpu, job.slot), job.ticket)) {
        this.release(job);
        unstarted.push(job);
      } else {
        taken.push(job);
      }
    }
    unstarted.sort((a, b) => a.id - b.id);
    return { unstarted, taken };
  }

  /** Queues revoked jobs of `cpu` again, ahead of the rest, with the jobs that waited for it. */
  private requeue(cpu: number, revoked: Job[], what: string): void {
    const waitingHere = this.takeAll(cpu);
    const jobs = [...revoked, ...waitingHere];
    const elsewhere: Job[] = [];
    const stay: Job[] = [];
    for (const job of jobs) {
      if (!job.strict) elsewhere.push(job);
      else if (job.waitOffline) stay.push(job);
      else {
        this.counts.refused++;
        this.settle(
          job,
          new JobError(`job '${job.name}' (id ${job.id}) needs CPU ${cpu} (affinity 'strict', whenOffline 'fail'), which ${what} before the job started; it did not run`, { job: job.name, reason: 'cpu-offline', started: false, id: job.id, cpu }),
        );
      }
    }
    for (let i = stay.length - 1; i >= 0; i--) this.enqueue(stay[i]!, cpu, true);
    for (let i = elsewhere.length - 1; i >= 0; i--) this.enqueue(elsewhere[i]!, this.ncpus, true);
    this.counts.migrated += elsewhere.length;
    if (jobs.length > 0) this.host.trace({ type: 'jobs-moved', cpu, toAnyCpu: elsewhere.length, waitingForCpu: stay.length });
    this.schedulePump();
  }

  // ------------------------------------------------------------------ drain and shutdown

  private idle(): boolean {
    return this.unsettled === 0 && this.occupied === 0;
  }

  private checkIdle(): void {
    if (!this.idle() || this.drainers.length === 0) return;
    const drainers = this.drainers;
    this.drainers = [];
    for (const resolve of drainers) resolve();
  }

  /**
   * Resolves once every job submitted so far has settled and no job runs any more; rejects
   * after `timeoutMs` (undefined or Infinity: waits as long as it takes).
   */
  drain(timeoutMs?: number): Promise<void> {
    if (this.idle()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setLongTimeout(() => {
        this.drainers = this.drainers.filter((d) => d !== done);
        reject(new CpuhpError(`drain() timed out after ${timeoutMs} ms: ${this.describeOutstanding()}`, { code: 'ERR_CPUHP_DRAIN_TIMEOUT' }));
      }, timeoutMs ?? Infinity);
      const done = (): void => {
        timer.clear();
        resolve();
      };
      this.drainers.push(done);
    });
  }

  private describeOutstanding(): string {
    const parts = [`${this.waiting} queued (${this.waitingIn[this.ncpus]} for any CPU)`, `${this.occupied} handed to CPUs`];
    for (let cpu = 0; cpu < this.ncpus; cpu++) {
      const { handed, running, queued } = this.cpuStats(cpu);
      if (handed + queued === 0) continue;
      const offline = !this.isUp(cpu);
      parts.push(
        `CPU ${cpu} (${offline ? this.stateName(cpu) : 'online'}): ${handed} handed (${running} running), ${queued} waiting for it` +
          (offline && queued > 0 ? `; bring it up (rt.cpuUp(${cpu})) or abort them` : ''),
      );
    }
    return parts.join('; ');
  }

  /**
   * shutdown(), first half: take no new jobs, and reject every job that has not started.
   * Jobs already taken keep running; their kworkers finish them before they stop.
   */
  close(): void {
    this.closed = true;
    const notStarted: Job[] = [];
    for (let where = 0; where <= this.ncpus; where++) notStarted.push(...this.takeAll(where));
    for (let cpu = 0; cpu < this.ncpus; cpu++) notStarted.push(...this.revokeHanded(cpu).unstarted);
    notStarted.sort((a, b) => a.id - b.id);
    for (const job of notStarted) {
      this.counts.shutdown++;
      this.settle(
        job,
        new JobError(`job '${job.name}' (id ${job.id}) did not start before the runtime shut down; it did not run (await rt.drain() before rt.shutdown() to run every queued job)`, { job: job.name, reason: 'shutdown', started: false, id: job.id }),
      );
    }
  }

  // ------------------------------------------------------------------ observation

  stats(): JobStats {
    return { ...this.counts, queued: this.waiting, handed: this.occupied, latency: this.latency.summary() };
  }

  /** The job CPU `cpu`'s kworker has taken and not reported yet (the one running), if any. */
  runningOn(cpu: number): { readonly name: string; readonly id: number; readonly settled: boolean } | undefined {
    for (const job of this.handed[cpu]!) {
      if (job !== undefined && isTaken(this.host.words, claimWord(this.host.layout, cpu, job.slot))) return job;
    }
    return undefined;
  }

  cpuStats(cpu: number): CpuJobStats {
    let running = 0;
    for (const job of this.handed[cpu]!) {
      if (job !== undefined && isTaken(this.host.words, claimWord(this.host.layout, cpu, job.slot))) running++;
    }
    return { ran: this.ran[cpu]!, handed: this.inflight(cpu), running, queued: this.waitingIn[cpu]! };
  }
}

function freeSlots(count: number): number[] {
  // Popped from the end: slot 0 is handed out first.
  return Array.from({ length: count }, (_, i) => count - 1 - i);
}

/** options.signal: a real AbortSignal, whose `aborted` can be read (a look-alike cannot). */
function abortSignal(value: unknown): AbortSignal | undefined {
  if (value === undefined) return undefined;
  let inherits = false;
  try {
    inherits = value instanceof AbortSignal;
    if (inherits && typeof (value as AbortSignal).aborted === 'boolean') return value as AbortSignal;
  } catch {
    // A Proxy trap, or AbortSignal's own getter refusing an object that only inherits from it.
  }
  const given = inherits ? 'an object that inherits from AbortSignal.prototype but is not an AbortSignal' : describeValue(value);
  throw new ConfigError(`${QUEUE_WORK}: options.signal must be an AbortSignal (new AbortController().signal), got ${given}`);
}
