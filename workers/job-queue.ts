/**
 * A CPU's job queue as its worker holds it: the jobs handed over on the CPU's job port, in
 * order, and the built-in kworker that runs them one at a time (a per-CPU smpboot thread,
 * so it parks with its CPU and, under refcount and percpu-rwsem, runs each job inside the
 * hotplug read lock like any per-CPU thread).
 *
 * A hand-over is not a promise to run: before it starts a job, the kworker takes the job's
 * claim word (job-claim.ts). If the controller revoked the claim first (the job was aborted,
 * or moved to another CPU while this one went down), the kworker drops the hand-over.
 */

import { receiveMessageOnPort, type MessagePort, type TransferListItem } from 'node:worker_threads';
import type { JobFn, PerCpuThreadHooks } from '../src/kthread/define.js';
import { asTransfer, DEFINITION, type Definition } from '../src/kthread/definition.js';
import { takeClaim } from '../src/protocol/job-claim.js';
import type { JobBatch, JobOutcome, JobRequest, ReturnedJob } from '../src/protocol/jobs.js';
import { claimWord, cpuBase, CPU_JOBS_RUN, type Layout } from '../src/protocol/layout.js';
import { RunningJob } from './job-context.js';
import type { KthreadTask } from './kthread-task.js';

/** Compact the hand-over array once this many entries at its head are consumed. */
const COMPACT_AT = 1024;
/** The kworker lets its worker's event loop run at least this often (scheduler.ts's slice). */
const TURN_EVERY_MS = 1;

export class JobQueue {
  private entries: JobRequest[] = [];
  private head = 0;
  private kworker: KthreadTask | undefined;
  private readonly base: number;
  /** When the kworker last let the event loop run (performance.now()). */
  private turnAt = performance.now();

  constructor(
    private readonly port: MessagePort,
    private readonly words: Int32Array,
    private readonly layout: Layout,
    private readonly cpu: number,
    private readonly definitions: () => ReadonlyMap<string, Definition> | undefined,
  ) {
    this.base = cpuBase(layout, cpu);
    port.on('message', (batch: JobBatch) => this.receive(batch.jobs));
  }

  private receive(jobs: readonly JobRequest[]): void {
    const wasIdle = !this.hasWork();
    for (const job of jobs) this.entries.push(job);
    // queue_work() wakes the worker: a kworker that found the queue empty sleeps on its
    // flags word, and WAKE is sticky, so one set between its check and its sleep is not lost.
    if (wasIdle) this.kworker?.wake();
  }

  hasWork(): boolean {
    return this.head < this.entries.length;
  }

  /**
   * Takes the hand-overs that have reached the job port but not yet its 'message' listener.
   * The kworker runs job after job on microtask yields, with an event-loop turn only once a
   * scheduler slice is used up (scheduler.ts), so a hand-over posted while a job ran would
   * otherwise wait for the kworker to find its queue empty and sleep, and the CPU would idle
   * for that round trip. receiveMessageOnPort takes from the head of the same queue the
   * listener reads, so the hand-overs keep their order whichever of the two takes them.
   */
  private pull(): void {
    for (let message = receiveMessageOnPort(this.port); message !== undefined; message = receiveMessageOnPort(this.port)) {
      for (const job of (message.message as JobBatch).jobs) this.entries.push(job);
    }
  }

  /** thread_should_run of the kworker: a hand-over held, or one waiting on the port. */
  private shouldRun(): boolean {
    if (this.hasWork()) return true;
    this.pull();
    return this.hasWork();
  }

  private shift(): JobRequest | undefined {
    if (!this.hasWork()) return undefined;
    const job = this.entries[this.head]!;
    this.entries[this.head++] = undefined as unknown as JobRequest;
    if (this.head >= COMPACT_AT && this.head * 2 >= this.entries.length) {
      this.entries = this.entries.slice(this.head);
      this.head = 0;
    }
    return job;
  }

  /** The hooks of this CPU's kworker thread (smpboot_thread_fn runs them). */
  kworkerHooks(task: KthreadTask): PerCpuThreadHooks {
    return {
      setup: () => {
        this.kworker = task;
      },
      shouldRun: () => this.shouldRun(),
      run: () => {
        const pending = this.runNext(task);
        return pending === undefined ? this.turnIfDue() : pending.then(() => this.turnIfDue());
      },
      cleanup: () => {
        if (this.kworker === task) this.kworker = undefined;
      },
    };
  }

  /**
   * An event-loop turn once the kworker has held the worker for TURN_EVERY_MS. pull() keeps it
   * fed without one, and scheduler.ts reads the clock only every 32nd yield, so jobs of a few
   * ms each would otherwise keep the CPU's control plane (thread creation, CPU callbacks,
   * timers) waiting for 32 of them.
   */
  private turnIfDue(): Promise<void> | undefined {
    if (performance.now() - this.turnAt < TURN_EVERY_MS) return undefined;
    return new Promise((resolve) =>
      setImmediate(() => {
        this.turnAt = performance.now();
        resolve();
      }),
    );
  }

  /** One unit of the kworker: take the next job still queued for this CPU, run it, post its outcome. */
  private runNext(task: KthreadTask): void | Promise<void> {
    const job = this.shift();
    if (job === undefined || !takeClaim(this.words, claimWord(this.layout, this.cpu, job.slot), job.ticket)) return;
    Atomics.add(this.words, this.base + CPU_JOBS_RUN, 1);
    task.checkBound();
    const fn = this.jobFn(job.name);
    const ctx = new RunningJob(job.id, job.name, this.cpu, this.words, this.base);
    const started = performance.now();
    // Everything that touches what the job returned is inside its error handling: a result
    // whose `then` getter throws, or a Proxy whose traps throw, is the job throwing (its
    // outcome), never the kworker. The kworker's run() therefore never throws or rejects.
    let value: unknown;
    let thenable: boolean;
    try {
      value = fn(job.args, ctx);
      thenable = isThenable(value);
    } catch (error) {
      return this.finish(ctx, { id: job.id, ok: false, error, us: elapsedUs(started), startedAt: performance.timeOrigin + started });
    }
    if (!thenable) return this.finish(ctx, { id: job.id, ok: true, value, us: elapsedUs(started), startedAt: performance.timeOrigin + started });
    // new Promise(resolve => resolve(value)) reads `then` once more, inside the promise: a
    // getter that throws now rejects it instead of throwing here.
    return new Promise<unknown>((resolve) => resolve(value)).then(
      (result: unknown) => this.finish(ctx, { id: job.id, ok: true, value: result, us: elapsedUs(started), startedAt: performance.timeOrigin + started }),
      (error: unknown) => this.finish(ctx, { id: job.id, ok: false, error, us: elapsedUs(started), startedAt: performance.timeOrigin + started }),
    );
  }

  private jobFn(name: string): JobFn {
    const definition = this.definitions()?.get(name);
    if (definition?.[DEFINITION] === 'job') return definition.fn;
    return () => {
      throw new Error(`CPU ${this.cpu} has no defineJob export named '${name}'`);
    };
  }

  /**
   * Posts the outcome before the kworker can take another job: that order is what lets the
   * controller tell, when this worker dies, the one job that was running from those done.
   */
  private finish(ctx: RunningJob, outcome: JobOutcome): void {
    ctx.end();
    try {
      const moved = outcome.ok ? asTransfer(outcome.value) : undefined;
      if (moved !== undefined) this.port.postMessage({ ...outcome, value: moved.value }, [...moved.transfer] as never);
      else this.port.postMessage(outcome);
    } catch (error) {
      // The result (or the error thrown) cannot be cloned, or inspecting it threw: report
      // that, still as this job's outcome.
      const what = outcome.ok ? 'returned a value' : 'threw a value';
      this.port.postMessage({
        id: outcome.id,
        ok: false,
        error: new Error(`job '${ctx.name}' ${what} that cannot be sent back to the controller (${describe(error)}); return structured-cloneable data`),
        us: outcome.us,
        startedAt: outcome.startedAt,
      } satisfies JobOutcome);
    }
  }

  /**
   * Hands back the arguments of jobs the controller revoked and will run elsewhere, moving
   * their transferables back with them. Only asked for jobs that carried transferables:
   * the controller still holds its own copy of every other job's arguments.
   */
  takeBack(ids: readonly number[]): { jobs: ReturnedJob[]; transfer: TransferListItem[] } {
    // A hand-over still on the port holds its job's transferables too.
    this.pull();
    const wanted = new Set(ids);
    const jobs: ReturnedJob[] = [];
    const transfer: TransferListItem[] = [];
    for (let i = this.head; i < this.entries.length; i++) {
      const job = this.entries[i]!;
      if (!wanted.has(job.id)) continue;
      jobs.push({ id: job.id, args: job.args });
      transfer.push(...(job.transfer ?? []));
    }
    this.entries = this.entries.slice(this.head).filter((job) => !wanted.has(job.id));
    this.head = 0;
    return { jobs, transfer };
  }
}

/** A thrown value's message; never throws itself, whatever was thrown. */
function describe(error: unknown): string {
  try {
    return error instanceof Error ? error.message : String(error);
  } catch {
    return 'a value that cannot be described';
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

function elapsedUs(started: number): number {
  return Math.round((performance.now() - started) * 1000);
}
