/**
 * Which jobs cancel() has stopped, as a machine knows it without asking Redis on every job.
 *
 * cancel() sets the job's mark in Redis, removes the job if it waits, and publishes its id;
 * every machine is subscribed before it fetches its first job. A job can reach a machine's
 * processor three ways after a cancel:
 *
 *   it was running here when the id came    BullMQ's cancelJob aborts it (its signal fires)
 *   the id came in the moment between the   the id is in `recent`, which the processor reads
 *   fetch and BullMQ tracking the job       before it runs the job
 *   it was fetched again after a crash or   the machine may have subscribed after the publish:
 *   a hand-back (attemptsStarted > 1)       only then the mark is read from Redis, one round trip
 *
 * A job on its first start that is not in `recent` cannot have been cancelled before this
 * machine subscribed: a waiting job that is cancelled is removed, and never fetched.
 */

/** How long an id heard on the channel is remembered: far longer than a fetch takes. */
const REMEMBER_MS = 10 * 60_000;
/** A bound on the ids remembered, against a flood of cancels. */
const MAX_REMEMBERED = 100_000;

export class CancelledJobs {
  private readonly recent = new Map<string, number>();

  constructor(private readonly markIsSet: (id: string) => Promise<boolean>) {}

  /** An id heard on the cancel channel. */
  heard(id: string): void {
    const now = Date.now();
    this.recent.delete(id);
    this.recent.set(id, now + REMEMBER_MS);
    // The map is in insertion order, so the oldest ids come first.
    for (const [old, until] of this.recent) {
      if (until > now && this.recent.size <= MAX_REMEMBERED) break;
      this.recent.delete(old);
    }
  }

  /** Whether the job was cancelled before it started here. */
  async before(id: string, attemptsStarted: number): Promise<boolean> {
    if (this.recent.has(id)) return true;
    return attemptsStarted > 1 ? this.markIsSet(id) : false;
  }
}
