/**
 * queueWork()'s name and options, each checked and read exactly once before anything is
 * queued: a bad one throws a ConfigError that names the call and the argument, and the job
 * runtime is left as it was. Reading each option once matters for a getter or a Proxy: the
 * value checked is the value used.
 */

import type { TransferListItem } from 'node:worker_threads';
import { ConfigError } from '../errors.js';
import { allKeys, cpuNumber, describeValue, knownName, oneOf, readOptions, timeoutMs as timeoutArgument, transferList } from '../controller/arguments.js';
import type { QueueWorkOptions } from './job.js';

export const QUEUE_WORK = 'queueWork(name, args, options)';
/** Every key of QueueWorkOptions: any other key of a queueWork options object is refused. */
const QUEUE_WORK_KEYS = allKeys<QueueWorkOptions>()(['cpu', 'affinity', 'whenOffline', 'signal', 'timeoutMs', 'transfer', 'transferList']);

/** A queueWork request's name and options, each checked and read once. */
export interface CheckedRequest {
  readonly name: string;
  readonly cpu: number | undefined;
  readonly strict: boolean;
  readonly waitOffline: boolean;
  readonly signal: AbortSignal | undefined;
  /** Undefined or Infinity: no timeout. */
  readonly timeoutMs: number | undefined;
  readonly transfer: readonly TransferListItem[] | undefined;
}

/** Checks a queueWork request against the runtime's job names and CPU count; throws a ConfigError. */
export function checkQueueWork(name: unknown, options: unknown, jobNames: ReadonlySet<string>, ncpus: number): CheckedRequest {
  const job = knownName(QUEUE_WORK, 'name', name, [...jobNames], 'job', ' (define them with defineJob and pass the module in Runtime.start({ modules }))');
  const o = readOptions(QUEUE_WORK, 'options', options, QUEUE_WORK_KEYS);
  const cpu = o.cpu === undefined ? undefined : cpuNumber(QUEUE_WORK, 'options.cpu', o.cpu, ncpus);
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
    transfer: transferOption(o.transfer, o.transferList),
  };
}

/**
 * options.transfer, or options.transferList: Node's name for it (worker.postMessage, piscina's
 * run), accepted so that code written for either reads the same. One list, named once: both
 * given is refused, as two lists could disagree about what moves.
 */
function transferOption(transfer: unknown, list: unknown): readonly TransferListItem[] | undefined {
  if (transfer !== undefined && list !== undefined) {
    throw new ConfigError(`${QUEUE_WORK}: options.transfer and options.transferList are the same option under two names (transferList is Node's); pass one of them`);
  }
  if (list !== undefined) return transferList(QUEUE_WORK, 'options.transferList', list, 'args');
  return transfer === undefined ? undefined : transferList(QUEUE_WORK, 'options.transfer', transfer, 'args');
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
