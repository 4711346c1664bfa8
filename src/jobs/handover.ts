/**
 * The hand-over: moving queued jobs to the CPUs that want more, and posting them on each
 * CPU's job port (protocol/jobs.ts). It runs at most once per turn of the controller's event
 * loop (a setImmediate, scheduled by whatever may have made work or room), so each CPU gets one
 * batch, one message, per turn.
 *
 * Jobs go only to CPUs that are ONLINE and have a worker: from DOWN_PREPARE on, a CPU gets
 * nothing new. Each CPU takes its own jobs first, then the shared ones are dealt out by the
 * placement policy (placement.ts) over the CPUs that still have room in their window.
 */

import type { MessagePort, TransferListItem } from 'node:worker_threads';
import { ConfigError } from '../errors.js';
import type { JobBatch, JobRequest } from '../protocol/jobs.js';
import type { JobCpus } from './cpus.js';
import type { Ledger } from './drain.js';
import type { Job } from './job.js';
import { handOverRoom, leastLoadedFirst, wantsMore, type CpuLoad, type SharedPlacement } from './placement.js';
import type { JobQueues } from './queues.js';
import type { CpuSlots } from './slots.js';
import type { JobCounts } from './stats.js';

export interface HandoverHost {
  readonly cpus: JobCpus;
  readonly queues: JobQueues;
  readonly slots: CpuSlots;
  /** Settles a job whose arguments cannot be sent (it never ran). */
  readonly ledger: Ledger;
  readonly counts: JobCounts;
  /** A hand-over ran: the queues and the CPUs' room have changed (backpressure.ts). */
  pumped(): void;
}

export class Handover {
  private readonly ports: Array<MessagePort | undefined>;
  private scheduled = false;

  constructor(
    private readonly host: HandoverHost,
    private readonly placeShared: SharedPlacement = leastLoadedFirst,
  ) {
    this.ports = new Array<MessagePort | undefined>(host.cpus.count).fill(undefined);
  }

  /** A CPU's worker (new, or replacing one) and its job port. */
  attach(cpu: number, port: MessagePort): void {
    this.ports[cpu] = port;
  }

  /** The CPU's worker is gone: nothing more is posted to it. */
  detach(cpu: number): void {
    this.ports[cpu] = undefined;
  }

  /** Jobs go only to CPUs that are ONLINE (not already going down) and have a worker. */
  private accepting(cpu: number): boolean {
    return this.ports[cpu] !== undefined && this.host.cpus.isOnline(cpu);
  }

  private load(cpu: number): CpuLoad {
    const { slots, queues } = this.host;
    return { cpu, handed: slots.inflight(cpu), window: slots.window(cpu), waiting: queues.waitingIn(cpu) };
  }

  /** Jobs the accepting CPUs could still be handed now: maxQueue does not count them. */
  room(): number {
    const loads: CpuLoad[] = [];
    for (let cpu = 0; cpu < this.host.cpus.count; cpu++) if (this.accepting(cpu)) loads.push(this.load(cpu));
    return handOverRoom(loads);
  }

  /**
   * Runs the hand-over once, in this turn's check phase, however often it is asked for
   * before then. Not on a microtask: Node runs microtasks after each message, so a hand-over
   * there would see a CPU's outcomes one at a time. After every outcome that reached the
   * controller this turn, a CPU's count of jobs handed is how many it has not finished, so
   * one that ran dry while the controller was off its core is seen as such (slots.refilling),
   * and each CPU is refilled once, in one batch.
   */
  schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(this.pump);
  }

  /**
   * Hands queued jobs to the CPUs that want more: each CPU its own jobs first, then the
   * shared jobs, in the order the placement policy deals them to the CPUs with room. A CPU
   * refilled while jobs wait has its lead adjusted first (slots.refilling), and afterwards
   * is recorded as given its full window or not (slots.refilled).
   */
  private readonly pump = (): void => {
    this.scheduled = false;
    const { slots, queues } = this.host;
    const batches = new Map<number, JobRequest[]>();
    const open: CpuLoad[] = [];
    const refilled: number[] = [];
    for (let cpu = 0; cpu < this.host.cpus.count; cpu++) {
      if (!this.accepting(cpu) || !wantsMore(slots.inflight(cpu), slots.window(cpu))) continue;
      // A CPU with nothing waiting for it is idle, not dry: its lead stays as it is.
      if (queues.waitingIn(cpu) + queues.waitingIn(queues.shared) > 0) {
        slots.refilling(cpu);
        refilled.push(cpu);
      }
      const window = slots.window(cpu);
      while (slots.inflight(cpu) < window) {
        const job = queues.next(cpu);
        if (job === undefined) break;
        this.handOver(cpu, job, batches);
      }
      if (slots.inflight(cpu) < window) open.push(this.load(cpu));
    }
    const shared = queues.held(queues.shared);
    if (open.length > 0 && shared > 0) {
      for (const cpu of this.placeShared(open, shared)) {
        const job = queues.next(queues.shared);
        if (job === undefined) break;
        this.handOver(cpu, job, batches);
      }
    }
    for (const cpu of refilled) slots.refilled(cpu);
    for (const [cpu, batch] of batches) this.post(cpu, batch);
    this.host.pumped();
  };

  private handOver(cpu: number, job: Job, batches: Map<number, JobRequest[]>): void {
    const slot = this.host.slots.offer(cpu, job);
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
      const { slots, counts, ledger } = this.host;
      const job = slots.job(jobs[0]!.id)!;
      slots.revoke(job);
      slots.release(job);
      counts.refused++;
      ledger.settle(
        job,
        new ConfigError(
          `the arguments of job '${job.name}' cannot be sent to a worker (${error instanceof Error ? error.message : String(error)}); pass structured-cloneable data: plain objects, arrays, numbers, strings, typed arrays, and list only ArrayBuffers or ports in transfer`,
        ),
      );
    }
  }
}
