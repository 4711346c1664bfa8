/**
 * The controller's record of each CPU's claim slots (job-claim.ts): which job each slot holds,
 * which slots are free, how fast the CPU has been running jobs and how far ahead of it the
 * controller must hand them, which size its window (placement.ts). A job is in a slot from the moment it is handed to the CPU until its outcome
 * comes back, the controller revokes it, or the CPU's worker is gone.
 *
 * The controller writes a claim word only through here, and only as job-claim.ts allows:
 * offer into an EMPTY slot, revoke QUEUED(t) back to EMPTY, release once it is not QUEUED.
 * The CPU's kworker is the only other party, and it only ever takes QUEUED(t).
 */

import { isTaken, offerClaim, releaseClaim, revokeClaim } from '../protocol/job-claim.js';
import { claimWord, type Layout } from '../protocol/layout.js';
import { NOT_HANDED, type Job } from './job.js';
import { INITIAL_AVERAGE_US, nextAverageUs, nextLeadUs, TARGET_HANDED_US, windowFor } from './placement.js';

export interface SlotsHost {
  readonly words: Int32Array;
  readonly layout: Layout;
  /** A slot was freed: the hand-over may fill it (it runs later, never inside this call). */
  freed(): void;
}

export class CpuSlots {
  /** handed[cpu][slot]: the job in that claim slot, taken or not. */
  private readonly handed: Array<Array<Job | undefined>>;
  /** Free slots of each CPU, popped from the end. */
  private readonly free: number[][];
  private readonly byId = new Map<number, Job>();
  private readonly averageUs: number[];
  /** How much work to hand each CPU ahead (placement.ts nextLeadUs). */
  private readonly leadUs: number[];
  /**
   * Whether the CPU's last refill gave it all its window would take. Only such a CPU that
   * runs out of jobs while others wait ran dry for want of a timely refill; one that was
   * short because the queues were empty just had nothing more to do.
   */
  private readonly fed: boolean[];
  private readonly ran: number[];
  private inSlots = 0;

  constructor(private readonly host: SlotsHost) {
    const { ncpus, jobSlots } = host.layout;
    this.handed = Array.from({ length: ncpus }, () => new Array<Job | undefined>(jobSlots).fill(undefined));
    this.free = Array.from({ length: ncpus }, () => freeSlots(jobSlots));
    this.averageUs = new Array<number>(ncpus).fill(INITIAL_AVERAGE_US);
    this.leadUs = new Array<number>(ncpus).fill(TARGET_HANDED_US);
    this.fed = new Array<boolean>(ncpus).fill(false);
    this.ran = new Array<number>(ncpus).fill(0);
  }

  /** Jobs in the slots of every CPU. */
  get occupied(): number {
    return this.inSlots;
  }

  /** Jobs in the slots of `cpu`: handed to it, taken or not. */
  inflight(cpu: number): number {
    return this.host.layout.jobSlots - this.free[cpu]!.length;
  }

  /** How many jobs `cpu` may hold at once, by its running average and its lead. */
  window(cpu: number): number {
    return windowFor(this.averageUs[cpu]!, this.host.layout.jobSlots, this.leadUs[cpu]!);
  }

  /**
   * The hand-over is about to refill `cpu` (placement's wantsMore) while jobs wait for it:
   * adjust its lead by whether it ran dry first (placement's nextLeadUs).
   */
  refilling(cpu: number): void {
    const ranDry = this.fed[cpu]! && this.inflight(cpu) === 0;
    this.leadUs[cpu] = nextLeadUs(this.leadUs[cpu]!, ranDry);
  }

  /** The hand-over round is over: record whether it gave `cpu` all its window would take. */
  refilled(cpu: number): void {
    this.fed[cpu] = this.inflight(cpu) >= this.window(cpu);
  }

  /** Jobs whose outcome came back from `cpu`. */
  ranOn(cpu: number): number {
    return this.ran[cpu]!;
  }

  /** The handed job with this id, if it is in a slot. */
  job(id: number): Job | undefined {
    return this.byId.get(id);
  }

  /**
   * Puts the job in a free slot of `cpu`, which must have one (inflight below the window),
   * and offers its claim: QUEUED before the hand-over is posted, so the kworker can take it
   * as soon as it reads the hand-over.
   */
  offer(cpu: number, job: Job): number {
    const slot = this.free[cpu]!.pop()!;
    job.handedTo = cpu;
    job.slot = slot;
    this.handed[cpu]![slot] = job;
    this.byId.set(job.id, job);
    this.inSlots++;
    offerClaim(this.host.words, this.word(job), job.ticket);
    return slot;
  }

  /** Takes the job back if its kworker has not taken it: true if it will never run there. */
  revoke(job: Job): boolean {
    return revokeClaim(this.host.words, this.word(job), job.ticket);
  }

  /** Frees the job's claim slot; its claim word must no longer be QUEUED for the kworker. */
  release(job: Job): void {
    const cpu = job.handedTo;
    releaseClaim(this.host.words, this.word(job));
    this.handed[cpu]![job.slot] = undefined;
    this.free[cpu]!.push(job.slot);
    this.byId.delete(job.id);
    this.inSlots--;
    job.handedTo = NOT_HANDED;
    job.slot = -1;
    this.host.freed();
  }

  /** A job's outcome came back from `cpu` after `us` of running: the CPU's counters. */
  ranFor(cpu: number, us: number): void {
    this.ran[cpu]!++;
    this.averageUs[cpu] = nextAverageUs(this.averageUs[cpu]!, us);
  }

  /**
   * Revokes every untaken job in the slots of `cpu` (freeing their slots); returns those, in
   * the order they were submitted, and the taken ones, still in their slots.
   */
  revokeAll(cpu: number): { unstarted: Job[]; taken: Job[] } {
    // Emptied on purpose (down, dead, shut down), not run dry: its next refill must not grow its lead.
    this.fed[cpu] = false;
    const unstarted: Job[] = [];
    const taken: Job[] = [];
    for (const job of this.handed[cpu]!) {
      if (job === undefined) continue;
      if (this.revoke(job)) {
        this.release(job);
        unstarted.push(job);
      } else {
        taken.push(job);
      }
    }
    unstarted.sort((a, b) => a.id - b.id);
    return { unstarted, taken };
  }

  /** The jobs of `cpu` its kworker has taken and not reported, in slot order: the one running, if any. */
  taken(cpu: number): Job[] {
    return this.handed[cpu]!.filter((job): job is Job => job !== undefined && isTaken(this.host.words, this.word(job)));
  }

  private word(job: Job): number {
    return claimWord(this.host.layout, job.handedTo, job.slot);
  }
}

function freeSlots(count: number): number[] {
  // Popped from the end: slot 0 is handed out first.
  return Array.from({ length: count }, (_, i) => count - 1 - i);
}
