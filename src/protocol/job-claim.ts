/**
 * The job claim protocol: how the controller hands a job to a CPU and can still take it
 * back, so that every job runs exactly once whatever happens to the CPU meanwhile.
 *
 * A job travels to a CPU's worker by structured clone over the CPU's job port (jobs.ts),
 * but whether it runs is decided in shared memory, by one claim word per job slot of the
 * CPU (layout.ts claimWord(), each on its own line). A slot's word is
 *
 *   EMPTY                   no job; the controller may hand one over in this slot.
 *   ticket << 2 | QUEUED    the controller handed over the job with this ticket.
 *   ticket << 2 | TAKEN     the CPU's kworker took it: it runs, or ran, exactly there.
 *
 *   EMPTY --controller--> QUEUED(t) --worker CAS--> TAKEN(t) --controller--> EMPTY
 *                            |                                 (its result came back, or
 *                            +-----controller CAS-----> EMPTY   the worker died with it)
 *                                  (revoked: aborted, moved to another CPU, or reclaimed
 *                                   from a dead worker; the job never ran here)
 *
 * Who writes: the controller stores QUEUED(t) into an EMPTY slot and stores EMPTY over
 * TAKEN(t); the CPU's worker only ever compareExchanges QUEUED(t) to TAKEN(t); the
 * controller only ever compareExchanges QUEUED(t) to EMPTY. The two compareExchanges race
 * on the same expected value, so exactly one wins: a job is either taken by the worker or
 * revoked by the controller, never both and never neither. A worker that finds its
 * compareExchange failed skips the job: it belongs to someone else now.
 *
 * The ticket is the job id modulo 2^29, so a worker holding a stale hand-over of a revoked
 * job cannot take a later job given the same slot, unless 2^29 jobs passed between the two.
 *
 * CPU_JOB_ABORT and CPU_JOB_ABORT_REASON (controller only): to stop a job that is TAKEN,
 * the controller stores the reason, then the job's id, and notifies CPU_JOB_ABORT. The
 * running job's `ctx.signal` reads the word synchronously (a CPU-bound loop sees it at
 * once) and, while the job awaits, a waitAsync on it fires the signal's abort event.
 */

export const Claim = {
  EMPTY: 0,
  QUEUED: 1,
  TAKEN: 2,
  STATE_MASK: 3,
} as const;

const TICKET_BITS = 29;

export function ticketOf(jobId: number): number {
  return jobId & ((1 << TICKET_BITS) - 1);
}

export function queuedClaim(ticket: number): number {
  return (ticket << 2) | Claim.QUEUED;
}

export function takenClaim(ticket: number): number {
  return (ticket << 2) | Claim.TAKEN;
}

/** The worker's side: take the job if it is still queued for this CPU. */
export function takeClaim(words: Int32Array, index: number, ticket: number): boolean {
  const queued = queuedClaim(ticket);
  return Atomics.compareExchange(words, index, queued, takenClaim(ticket)) === queued;
}

/** The controller's side: take the job back if the worker has not taken it. */
export function revokeClaim(words: Int32Array, index: number, ticket: number): boolean {
  const queued = queuedClaim(ticket);
  return Atomics.compareExchange(words, index, queued, Claim.EMPTY) === queued;
}

export function offerClaim(words: Int32Array, index: number, ticket: number): void {
  Atomics.store(words, index, queuedClaim(ticket));
}

export function releaseClaim(words: Int32Array, index: number): void {
  Atomics.store(words, index, Claim.EMPTY);
}

/** Why the controller asks a running job to stop: CPU_JOB_ABORT_REASON. */
export const AbortReason = {
  ABORTED: 1,
  TIMED_OUT: 2,
} as const;
export type AbortReasonValue = (typeof AbortReason)[keyof typeof AbortReason];
