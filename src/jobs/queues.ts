/**
 * The controller's job FIFOs: one per CPU for the jobs that wait for that CPU in
 * particular, and one shared by every CPU, at index `ncpus` (`shared`). A queued job is in
 * exactly one of them, and Job.queuedIn says which (job.ts says where else a job can be).
 *
 * A job settled while queued (aborted, timed out, shut down) is not searched for: it leaves
 * the counts at once (unqueue) and stays in its FIFO until it is reached, where it is
 * dropped. So `waiting` counts the unsettled jobs only, which is what maxQueue bounds.
 */

import { Fifo } from './fifo.js';
import { NOT_HANDED, type Job } from './job.js';

export class JobQueues {
  /** The index of the shared FIFO, after the CPUs' own. */
  readonly shared: number;
  private readonly fifos: Fifo<Job>[];
  /** Unsettled jobs in the FIFOs. */
  private count = 0;
  /** Of those, per FIFO. */
  private readonly counts: number[];

  constructor(ncpus: number) {
    this.shared = ncpus;
    this.fifos = Array.from({ length: ncpus + 1 }, () => new Fifo<Job>());
    this.counts = new Array<number>(ncpus + 1).fill(0);
  }

  /** Unsettled jobs waiting in all the FIFOs. */
  get waiting(): number {
    return this.count;
  }

  /** Unsettled jobs waiting in the FIFO at `where` (a CPU, or `shared`). */
  waitingIn(where: number): number {
    return this.counts[where]!;
  }

  /** Jobs in the FIFO at `where`, settled ones not yet dropped included: a bound, not a count. */
  held(where: number): number {
    return this.fifos[where]!.size;
  }

  /** Queues a job at the back of a FIFO, or at its front (a job that was revoked, so older). */
  enqueue(job: Job, where: number, front: boolean): void {
    job.handedTo = NOT_HANDED;
    job.slot = -1;
    job.queuedIn = where;
    this.count++;
    this.counts[where]!++;
    if (front) this.fifos[where]!.unshift(job);
    else this.fifos[where]!.push(job);
  }

  /** A queued job leaves its FIFO's count: it was taken from it, or settled (aborted) in it. */
  unqueue(job: Job): void {
    if (job.queuedIn < 0) return;
    this.count--;
    this.counts[job.queuedIn]!--;
    job.queuedIn = -1;
  }

  /** The next unsettled job of a FIFO; jobs settled while queued (aborted) are dropped here. */
  next(where: number): Job | undefined {
    const fifo = this.fifos[where]!;
    for (let job = fifo.shift(); job !== undefined; job = fifo.shift()) {
      if (!job.settled) {
        this.unqueue(job);
        return job;
      }
    }
    return undefined;
  }

  /** Empties a FIFO, returning its unsettled jobs in order. */
  takeAll(where: number): Job[] {
    const jobs = this.fifos[where]!.takeAll().filter((job) => !job.settled);
    for (const job of jobs) this.unqueue(job);
    return jobs;
  }
}
