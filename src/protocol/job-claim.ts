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
 * The abort line, CPU_JOB_ABORT and CPU_JOB_ABORT_REASON of each CPU (layout.ts): the
 * controller alone writes it, with requestAbort(), to stop a job that is TAKEN there (its
 * caller's AbortSignal fired or its timeoutMs passed after the kworker took it). It stores
 * the reason, then the job's id, then notifies CPU_JOB_ABORT; with sequentially consistent
 * Atomics a reader that sees the id also sees the reason. The CPU's worker only reads it:
 * the running job's `ctx.signal` reads the word synchronously (abortRequested, so a
 * CPU-bound loop sees it at once) and, while the job awaits, waits on it (waitAbortLine) to
 * fire the signal's abort event. The word is never cleared: it names the last job asked to
 * stop, and job ids are never reused, so a later job never mistakes it for its own.
 *
 * Every read and write of the claim words and of the abort line is a function of this
 * file; the controller (src/jobs/) and the worker (workers/job-queue.ts, job-context.ts)
 * only compute the indices, from layout.ts.
 */

import { CPU_JOB_ABORT, CPU_JOB_ABORT_REASON } from './layout.js';

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

/** The controller's side: hand the job with `ticket` over in this slot, which must be EMPTY. */
export function offerClaim(words: Int32Array, index: number, ticket: number): void {
  Atomics.store(words, index, queuedClaim(ticket));
}

/**
 * The controller's side: empty the slot once it is done with the job in it, which is no
 * longer QUEUED (the controller revoked it, or the worker took it and the outcome came back
 * or the worker is gone), so no compareExchange of the worker can race this store.
 */
export function releaseClaim(words: Int32Array, index: number): void {
  Atomics.store(words, index, Claim.EMPTY);
}

/** Anyone's read: has the CPU's kworker taken the job in this slot (it runs, or ran, there)? */
export function isTaken(words: Int32Array, index: number): boolean {
  return (Atomics.load(words, index) & Claim.STATE_MASK) === Claim.TAKEN;
}

/** Why the controller asks a running job to stop: CPU_JOB_ABORT_REASON. */
export const AbortReason = {
  ABORTED: 1,
  TIMED_OUT: 2,
} as const;
export type AbortReasonValue = (typeof AbortReason)[keyof typeof AbortReason];

/**
 * The controller's side of the abort line of the CPU whose block starts at `cpuBase`: ask
 * the job `jobId`, which its kworker has TAKEN, to stop. The reason is stored first, so a
 * worker that reads the id reads this reason with it.
 */
export function requestAbort(words: Int32Array, cpuBase: number, jobId: number, reason: AbortReasonValue): void {
  Atomics.store(words, cpuBase + CPU_JOB_ABORT_REASON, reason);
  Atomics.store(words, cpuBase + CPU_JOB_ABORT, abortTag(jobId));
  Atomics.notify(words, cpuBase + CPU_JOB_ABORT);
}

/** The worker's side: the abort line's word as it is now (the id of the last job asked to stop, or 0). */
export function abortLine(words: Int32Array, cpuBase: number): number {
  return Atomics.load(words, cpuBase + CPU_JOB_ABORT);
}

/** The worker's side: has the controller asked the job `jobId` to stop? */
export function abortRequested(words: Int32Array, cpuBase: number, jobId: number): boolean {
  return abortLine(words, cpuBase) === abortTag(jobId);
}

/**
 * What the abort line holds for the job `jobId`: the id as an Int32 word holds it, so ids
 * past 2^31 - 1 (after that many jobs) still name their job. Two ids 2^32 apart share a tag;
 * only one job runs on a CPU at a time, and the job runtime issues no id whose tag is 0, the
 * line's "no job" (isAbortTagFree).
 */
export function abortTag(jobId: number): number {
  return jobId | 0;
}

/** Whether `jobId` may be issued: its tag is not the abort line's "no job". */
export function isAbortTagFree(jobId: number): boolean {
  return abortTag(jobId) !== 0;
}

/** The worker's side: why the controller asked; read once abortRequested() said it did. */
export function abortReason(words: Int32Array, cpuBase: number): number {
  return Atomics.load(words, cpuBase + CPU_JOB_ABORT_REASON);
}

/**
 * The worker's side: wait, without blocking, for the abort line to leave `seen` (the value
 * abortLine() read), for at most `timeoutMs`. A write between that read and this wait makes
 * it return at once, so no request is missed.
 */
export function waitAbortLine(words: Int32Array, cpuBase: number, seen: number, timeoutMs: number): Promise<'ok' | 'timed-out'> | undefined {
  const wait = Atomics.waitAsync(words, cpuBase + CPU_JOB_ABORT, seen, timeoutMs);
  return wait.async ? wait.value : undefined;
}

/**
 * The worker's side, at the end of a job: wake that job's own waitAbortLine, so its watcher
 * sees the job has ended instead of sleeping out its slice. Writes nothing.
 */
export function wakeAbortWaiters(words: Int32Array, cpuBase: number): void {
  Atomics.notify(words, cpuBase + CPU_JOB_ABORT);
}
