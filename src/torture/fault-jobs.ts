/**
 * Jobs the run injects as faults, each with the outcome the runtime promises for it:
 *
 * - hostile: a job that returns, throws or rejects with a hostile value (hostile.ts). It
 *   must be rejected with a JobError, reason 'threw', started, having run exactly once, and
 *   its CPU's kworker must keep running jobs (the per-CPU thread check sees to that);
 * - spin: a job that never yields. The runtime's watchdog must reject it as 'soft-lockup'
 *   (started, run once) and fail its CPU like a worker death; the other jobs handed to that
 *   CPU move elsewhere, as on any worker death. Half of them are aborted once they run: the
 *   promise must reject at once (ABORT_ERR, started), the job spins on regardless, and the
 *   watchdog must still fail the CPU, which frees the job's slot (so the run's final drain
 *   resolves only if the runtime notices that);
 * - long: a job that awaits 1.5 × the hotplug timeout, strictly on one CPU, and a cpuDown of
 *   that CPU while it runs. The cpuDown must time out and roll back (or succeed, if the job
 *   ended first), and the job must resolve, having run once.
 *
 * A hostile or spinning job that started and does not settle in time is reported as soon as
 * that is clear, naming the job, rather than only by the end-of-run check that every job
 * settles.
 */

import { JobError, type QueueWorkOptions, type Runtime } from '../index.js';
import type { Random } from '../common/random.js';
import { HOSTILE_KINDS, type HostileKind } from './hostile.js';
import type { ActorContext } from './job-actor.js';
import { describeError } from '../describe-value.js';

/** How long a spinning job spins when nothing stops it: long past any watchdog, short enough that a broken run ends. */
const SPIN_CAP_MS = 60_000;
/** How often the started-but-unsettled jobs are looked at. */
const WATCH_MS = 100;

export type Expectation =
  | { readonly kind: 'hostile'; readonly job: 'hostileJob'; readonly args: { readonly kind: HostileKind }; readonly what: string }
  | { readonly kind: 'spin'; readonly job: 'spinJob'; readonly args: { readonly capMs: number }; readonly what: string; readonly cpu: number; readonly abort: boolean }
  | { readonly kind: 'long'; readonly job: 'longJob'; readonly args: { readonly ms: number }; readonly what: string; readonly cpu: number };

export type Outcome = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: unknown };

/** What the fault jobs need of the job actor, which owns the job table. */
export interface FaultJobsHost {
  /** Queues one fault job; its outcome comes back through `settled`. Undefined when the job table is full. */
  submit(expectation: Expectation, options: QueueWorkOptions): { index: number; settled: Promise<void> } | undefined;
  /** Whether the job at `index` has started: its first line counts its run. */
  started(index: number): boolean;
  /** Resolves true once the job at `index` has started (tracked jobs notify their run word), false after `timeoutMs`. */
  waitStarted(index: number, timeoutMs: number): Promise<boolean>;
  /** The CPU the job at `index` ran on, or -1. */
  ranOn(index: number): number;
  /** How the kworker of `cpu` is, for a report. */
  kworker(cpu: number): string;
}

interface Watched {
  readonly index: number;
  /** How long it may run once started (progress ms). */
  readonly limitMs: number;
  readonly late: (ranMs: number, cpu: number) => string;
  startedAt?: number;
}

export class FaultJobs {
  /** Spinning jobs not settled yet: their CPU, and their settling. */
  /**
   * Spinning jobs whose CPU is still held: until they settle or, for one aborted while it ran
   * (it spins on), until its CPU has failed (`released`).
   */
  private readonly spins = new Map<number, { cpu: number; settled: Promise<void>; released: (() => boolean) | undefined }>();
  private readonly watched = new Map<number, Watched>();
  private watcher: NodeJS.Timeout | undefined;

  constructor(
    private readonly run: ActorContext,
    private readonly jobs: FaultJobsHost,
  ) {}

  /** Whether a spinning job was queued on `cpu` and has not settled. */
  spinning(cpu: number): boolean {
    for (const [index, spin] of this.spins) {
      if (spin.released?.() === true) this.spins.delete(index);
      else if (spin.cpu === cpu) return true;
    }
    return false;
  }

  async hostile(rt: Runtime, random: Random): Promise<void> {
    const kind = random.pick(HOSTILE_KINDS);
    const cpu = random.below(rt.cpuCount);
    const preferred = random.next() < 0.5;
    const where = preferred ? `preferring CPU ${cpu}` : 'on any CPU';
    await this.run.operate(
      rt,
      'jobs',
      `queue a job that ${kind}, ${where}`,
      async () => {
        const queued = this.jobs.submit({ kind: 'hostile', job: 'hostileJob', args: { kind }, what: `a job that ${kind}` }, preferred ? { cpu } : {});
        if (queued === undefined) return "not queued: the run's job table is full";
        this.watch(queued.index, this.run.windowMs, (ranMs, ranOn) =>
          `job ${queued.index} (a job that ${kind}) started on CPU ${ranOn} ${Math.round(ranMs)} ms (of controller progress) ago and has not settled, and ${this.jobs.kworker(ranOn)}; the kworker must turn whatever a job hands back into a JobError (reason 'threw') and go on with the next job`,
        );
        return `queued as job ${queued.index}`;
      },
      'queue',
    );
  }

  async spin(rt: Runtime, cpu: number, abort: boolean): Promise<void> {
    const watchdogMs = this.run.watchdogMs!;
    await this.run.operate(
      rt,
      'jobs',
      `queue a job that spins without yielding on CPU ${cpu}, for the watchdog${abort ? ', and abort it once it runs' : ''}`,
      async () => {
        const controller = new AbortController();
        const failuresBefore = rt.stats().cpus[cpu]!.failures;
        const queued = this.jobs.submit(
          { kind: 'spin', job: 'spinJob', args: { capMs: SPIN_CAP_MS }, what: `a job that spins on CPU ${cpu}${abort ? ', aborted once it runs' : ''}`, cpu, abort },
          { cpu, affinity: 'strict', whenOffline: 'fail', ...(abort ? { signal: controller.signal } : {}) },
        );
        if (queued === undefined) return "not queued: the run's job table is full";
        // An aborted spinning job holds its CPU until the watchdog fails it (or, were nothing
        // to stop it, until it ends on its own after SPIN_CAP_MS).
        const until = this.run.clock.now() + SPIN_CAP_MS;
        const released = abort ? (): boolean => rt.stats().cpus[cpu]!.failures > failuresBefore || this.run.clock.now() > until : undefined;
        this.spins.set(queued.index, { cpu, settled: queued.settled, released });
        if (abort) void this.abortOnceStarted(queued.index, queued.settled, controller);
        this.watch(queued.index, watchdogMs + this.run.windowMs, (ranMs) =>
          `job ${queued.index} has spun without yielding on CPU ${cpu} for ${Math.round(ranMs)} ms (of controller progress) and nothing stopped it; with watchdogMs ${watchdogMs} and onLockup 'fail', the runtime must reject it as a 'soft-lockup' and fail the CPU`,
        );
        return `queued as job ${queued.index}`;
      },
      'queue',
    );
  }

  /** Aborts the job at `index` once it has started (it spins on: abort cannot stop a loop that never awaits). */
  private async abortOnceStarted(index: number, settled: Promise<void>, controller: AbortController): Promise<void> {
    // Started, or settled without starting (its CPU went away), or never: at most until the spin's own cap.
    const started = await Promise.race([this.jobs.waitStarted(index, SPIN_CAP_MS), settled.then(() => false)]);
    if (started) controller.abort();
  }

  /** A job longer than the hotplug timeout, strictly on `cpu`, and a cpuDown of `cpu` once it runs. */
  async long(rt: Runtime, cpu: number): Promise<void> {
    const ms = Math.round(1.5 * this.run.hotplugTimeoutMs);
    await this.run.cpuDownInTurn(rt, cpu, 'jobs', `cpuDown(${cpu}) while a ${ms} ms job runs on it (longer than the hotplug timeout)`, async () => {
      const queued = this.jobs.submit({ kind: 'long', job: 'longJob', args: { ms }, what: `a ${ms} ms job on CPU ${cpu}`, cpu }, { cpu, affinity: 'strict', whenOffline: 'fail' });
      if (queued === undefined) return "not queued: the run's job table is full";
      this.run.counts.longJobs++;
      // Jobs ahead of it on its CPU (a spinning one, until the watchdog) may delay its start.
      const patience = 4 * this.run.hotplugTimeoutMs + (this.run.watchdogMs ?? 0);
      let settled = false;
      void queued.settled.then(() => (settled = true));
      await Promise.race([this.jobs.waitStarted(queued.index, patience), queued.settled]);
      if (this.jobs.started(queued.index)) return undefined;
      return settled ? `job ${queued.index} settled before it started (its CPU failed meanwhile); no cpuDown` : `job ${queued.index} did not start within ${patience} ms; no cpuDown`;
    });
  }

  /** Checks a fault job's outcome against what the runtime promises for it. */
  settled(expectation: Expectation, index: number, ran: { runs: number; cpu: number }, outcome: Outcome): void {
    this.watched.delete(index);
    // An aborted spinning job stays in `spins` until its CPU has failed (see spinning()).
    if (!(expectation.kind === 'spin' && expectation.abort && !outcome.ok && started_(outcome.error))) this.spins.delete(index);
    const counts = this.run.counts;
    const job = `job ${index} (${expectation.what})`;
    const error = outcome.ok ? undefined : outcome.error;
    // Decided by code; the reason is only said.
    const code = error instanceof JobError ? error.code : undefined;
    const reason = error instanceof JobError ? error.reason : undefined;
    const started = error instanceof JobError ? error.started : undefined;
    const said = outcome.ok ? `resolved with ${preview(outcome.value)}` : `was rejected with ${reason !== undefined ? `reason '${reason}' (${code}), started ${String(started)}: ` : ''}${describeError(error)}`;
    switch (expectation.kind) {
      case 'hostile':
        if (code === 'ERR_CPUHP_JOB_THREW' && started === true && ran.runs === 1) {
          counts.jobsRejected++;
          counts.hostileResults++;
          counts.faultsSurvived++;
          return;
        }
        this.run.violation(`${job} ran ${ran.runs} times and ${said}; it must be rejected with a JobError, reason 'threw', started, having run once`);
        return;
      case 'spin':
        if (code === 'ERR_CPUHP_JOB_SOFT_LOCKUP' && started === true && ran.runs === 1) {
          counts.jobsRejected++;
          counts.lockups++;
          counts.faultsSurvived++;
          return;
        }
        if (code === 'ERR_CPUHP_JOB_CPU_OFFLINE' && started === false && ran.runs === 0) {
          counts.jobsRejected++; // its CPU failed or went down before it started
          return;
        }
        if (expectation.abort && code === 'ABORT_ERR' && started === true && ran.runs === 1) {
          counts.jobsRejected++;
          counts.faultsSurvived++;
          return;
        }
        this.run.violation(
          `${job} ran ${ran.runs} times and ${said}; the watchdog must reject it as a 'soft-lockup', started, having run once${expectation.abort ? ', or the abort reject it (ABORT_ERR, started)' : ''}`,
        );
        return;
      case 'long':
        if (outcome.ok && ran.runs === 1) {
          counts.jobsCompleted++;
          return;
        }
        if (code === 'ERR_CPUHP_JOB_CPU_OFFLINE' && started === false && ran.runs === 0) {
          counts.jobsRejected++;
          return;
        }
        this.run.violation(`${job} ran ${ran.runs} times and ${said}; it must resolve, having run once, whatever the cpuDown of its CPU did`);
        return;
    }
  }

  /** Reports the job at `index` if, once started, it has not settled within `limitMs`. */
  private watch(index: number, limitMs: number, late: (ranMs: number, cpu: number) => string): void {
    this.watched.set(index, { index, limitMs, late });
    this.watcher ??= setInterval(() => this.look(), WATCH_MS).unref();
  }

  private look(): void {
    const now = this.run.clock.now();
    for (const job of this.watched.values()) {
      if (job.startedAt === undefined) {
        if (this.jobs.started(job.index)) job.startedAt = now;
        continue;
      }
      if (now - job.startedAt <= job.limitMs) continue;
      this.watched.delete(job.index);
      this.run.violation(job.late(now - job.startedAt, this.jobs.ranOn(job.index)));
    }
  }

  /**
   * Resolves once every spinning job has settled and every CPU an aborted one held has
   * failed. While an aborted one still holds its CPU, a drain() is asked for first: its
   * job's slot may be the last thing outstanding, so the drain must resolve once the
   * watchdog has failed that CPU, whatever else settles or not meanwhile.
   */
  async quiesce(rt: Runtime): Promise<string> {
    const left = [...this.spins.values()];
    const holding = left.filter((spin) => spin.released !== undefined && !spin.released());
    const drained = holding.length > 0 ? rt.drain() : undefined;
    await Promise.all(left.map((spin) => spin.settled));
    // The watchdog fails the CPU of an aborted spinning job within watchdogMs of its start;
    // the run's hang bounds report it if it never does.
    for (const spin of left) while (spin.released !== undefined && !spin.released()) await this.run.clock.sleep(10);
    if (drained !== undefined) await drained;
    return left.length === 0 ? 'no spinning job under way' : `${left.length} spinning ${left.length === 1 ? 'job' : 'jobs'} settled`;
  }

  close(): void {
    clearInterval(this.watcher);
    this.watched.clear();
  }
}

/** Whether a rejection says the job had started (an abort of a running job does). */
function started_(error: unknown): boolean {
  return error instanceof JobError && error.started;
}

function preview(value: unknown): string {
  try {
    return JSON.stringify(value)?.slice(0, 80) ?? String(value);
  } catch {
    return 'a value';
  }
}
