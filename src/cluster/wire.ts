/**
 * What a cluster job is on the broker, written by ClusterQueue and read by ClusterNode:
 *
 *   BullMQ job name   the cpuhp job to run: a defineJob export of the node's modules
 *   BullMQ job data   { args }: its arguments, as JSON (BullMQ stores data and results as JSON)
 *   BullMQ job id     the caller's id, or BullMQ's own: the idempotency key
 *
 * and the keys cpuhp adds beside BullMQ's own, under the same prefix and queue name:
 *
 *   <prefix>:<queue>:cpuhp:cancelled:<id>   set by cancel() (expires after keepFinishedS): a
 *                                            node that takes the job afterwards does not run it
 *   <prefix>:<queue>:cpuhp:cancel           pub/sub channel: cancel() publishes the id; the
 *                                            node running it aborts it (its ctx.signal fires)
 */

/** BullMQ's default key prefix, which cpuhp keeps. */
export const PREFIX = 'bull';

export interface WireData {
  readonly args: unknown;
}

export function cancelledKey(queue: string, id: string): string {
  return `${PREFIX}:${queue}:cpuhp:cancelled:${id}`;
}

export function cancelChannel(queue: string): string {
  return `${PREFIX}:${queue}:cpuhp:cancel`;
}

/**
 * How a failed job's reason (BullMQ's failedReason, a string) starts, as a node writes it, so
 * that the producer tells a cancellation (an AbortError) from a job that threw, and both from
 * a machine that could not run it. A reason with none of these prefixes is BullMQ's own.
 */
export const CANCELLED_REASON = 'cancelled: ';
export const THREW_REASON = 'threw: ';
export const MACHINE_REASON = 'machine: ';

/**
 * BullMQ's failedReason for a job found stalled more than maxStalledCount times. BullMQ gives
 * it no code of its own, so this text, written by its moveStalledJobsToWait script, is the
 * one way to tell it (checked against BullMQ 6.7 in test/cluster/machines.test.ts).
 */
export const STALLED_REASON = /stalled more than allowable limit/;

/** The arguments of a job's data as stored, or undefined when the data is not cpuhp's. */
export function readWireData(data: unknown): { readonly args: unknown } | undefined {
  if (typeof data !== 'object' || data === null || !Object.hasOwn(data, 'args')) return undefined;
  return { args: (data as WireData).args };
}
