/** ClusterNode and ClusterQueue options: defaults and validation, before anything connects. */

import { hostname } from 'node:os';
import { ConfigError } from '../errors.js';
import { allKeys, describeValue, readOptions, timeoutMs, wholeNumber } from '../controller/arguments.js';
import type { RuntimeOptions } from '../controller/options.js';
import { readRedisUrl, type RedisConnection } from './connection.js';

export interface ClusterNodeOptions {
  /** Where Redis is: a redis:// URL. Required. */
  readonly redis: string | URL;
  /** The BullMQ queue this machine takes jobs from. Required. */
  readonly queue: string;
  /** This machine's name, in stats and logs. Default `<hostname>/<pid>`. */
  readonly name?: string;
  /** The Runtime.start options of the machine's runtime (its CPUs, strategy, job modules, ...). */
  readonly runtime?: RuntimeOptions;
  /** Jobs taken from the broker per online CPU: the node's concurrency is this times its online CPUs. Default 2. */
  readonly jobsPerCpu?: number;
  /**
   * BullMQ's lock on a running job, renewed at half of it while the machine lives. A machine
   * that stops renewing it (killed, or stalled longer than this) loses its jobs to the others.
   * Default 30000 (BullMQ's).
   */
  readonly lockDurationMs?: number;
  /** How often this machine looks for jobs whose lock expired (BullMQ's stalledInterval). Default 30000. */
  readonly stalledIntervalMs?: number;
  /** How many times a job may be found stalled and run again before it fails. Default 1 (BullMQ's). */
  readonly maxStalledCount?: number;
  /** How long down() waits for running jobs before it hands them back to the queue. Default 30000; Infinity waits for ever. */
  readonly downTimeoutMs?: number;
  /** On SIGTERM (and SIGINT): down(), close(), then exit 143 (130). Default true. */
  readonly exitOnSignal?: boolean;
}

export interface ResolvedNodeOptions {
  readonly url: string;
  readonly connection: RedisConnection;
  readonly queue: string;
  readonly name: string;
  readonly runtime: RuntimeOptions;
  readonly jobsPerCpu: number;
  readonly lockDurationMs: number;
  readonly stalledIntervalMs: number;
  readonly maxStalledCount: number;
  readonly downTimeoutMs: number;
  readonly exitOnSignal: boolean;
}

export const DEFAULT_DOWN_TIMEOUT_MS = 30_000;

const NODE_KEYS = allKeys<ClusterNodeOptions>()(['redis', 'queue', 'name', 'runtime', 'jobsPerCpu', 'lockDurationMs', 'stalledIntervalMs', 'maxStalledCount', 'downTimeoutMs', 'exitOnSignal']);
const MAX_MS = 2 ** 31 - 1;

export function readNodeOptions(call: string, value: unknown): ResolvedNodeOptions {
  if (value === undefined) throw new ConfigError(`${call}: options are required: pass at least { redis: 'redis://127.0.0.1:6379', queue: 'jobs' }`);
  const o = readOptions(call, 'options', value, NODE_KEYS);
  const { url, connection } = readRedisUrl(call, 'options.redis', o.redis);
  if (o.runtime !== undefined && (typeof o.runtime !== 'object' || o.runtime === null || Array.isArray(o.runtime))) {
    throw new ConfigError(`${call}: options.runtime must be the options of Runtime.start (an object), or left out; got ${describeValue(o.runtime)}`);
  }
  if (o.exitOnSignal !== undefined && typeof o.exitOnSignal !== 'boolean') throw new ConfigError(`${call}: options.exitOnSignal must be true or false, got ${describeValue(o.exitOnSignal)}`);
  return {
    url,
    connection,
    queue: queueName(call, o.queue),
    name: o.name === undefined ? `${hostname()}/${process.pid}` : machineName(call, o.name),
    runtime: (o.runtime ?? {}) as RuntimeOptions,
    jobsPerCpu: o.jobsPerCpu === undefined ? 2 : wholeNumber(call, 'options.jobsPerCpu', o.jobsPerCpu, 1, 1024),
    lockDurationMs: o.lockDurationMs === undefined ? 30_000 : wholeNumber(call, 'options.lockDurationMs', o.lockDurationMs, 100, MAX_MS),
    stalledIntervalMs: o.stalledIntervalMs === undefined ? 30_000 : wholeNumber(call, 'options.stalledIntervalMs', o.stalledIntervalMs, 100, MAX_MS),
    maxStalledCount: o.maxStalledCount === undefined ? 1 : wholeNumber(call, 'options.maxStalledCount', o.maxStalledCount, 0, 100),
    downTimeoutMs: o.downTimeoutMs === undefined ? DEFAULT_DOWN_TIMEOUT_MS : timeoutMs(call, 'options.downTimeoutMs', o.downTimeoutMs, true),
    exitOnSignal: o.exitOnSignal ?? true,
  };
}

export interface ClusterQueueOptions {
  /** Where Redis is: a redis:// URL. Required. */
  readonly redis: string | URL;
  /** The BullMQ queue to add jobs to. Required. */
  readonly queue: string;
  /** How long a finished job (and its result) is kept for result(), in seconds. Default 86400 (a day). */
  readonly keepFinishedS?: number;
}

export interface ResolvedQueueOptions {
  readonly url: string;
  readonly connection: RedisConnection;
  readonly queue: string;
  readonly keepFinishedS: number;
}

const QUEUE_KEYS = allKeys<ClusterQueueOptions>()(['redis', 'queue', 'keepFinishedS']);

export function readQueueOptions(call: string, value: unknown): ResolvedQueueOptions {
  if (value === undefined) throw new ConfigError(`${call}: options are required: pass at least { redis: 'redis://127.0.0.1:6379', queue: 'jobs' }`);
  const o = readOptions(call, 'options', value, QUEUE_KEYS);
  const { url, connection } = readRedisUrl(call, 'options.redis', o.redis);
  return {
    url,
    connection,
    queue: queueName(call, o.queue),
    keepFinishedS: o.keepFinishedS === undefined ? 86_400 : wholeNumber(call, 'options.keepFinishedS', o.keepFinishedS, 1, 10 * 365 * 86_400),
  };
}

/** A BullMQ queue name: non-empty, printable, without ':' (BullMQ's key separator). */
function queueName(call: string, value: unknown): string {
  if (typeof value !== 'string' || !/^[\x21-\x7e]{1,200}$/.test(value) || value.includes(':')) {
    throw new ConfigError(`${call}: options.queue must be a queue name of 1 to 200 printable characters without ':' or spaces, such as "jobs"; got ${describeValue(value)}`);
  }
  return value;
}

function machineName(call: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > 200) throw new ConfigError(`${call}: options.name must be a string of 1 to 200 characters, got ${describeValue(value)}`);
  return value;
}

/** A cluster job id: a string of 1 to 200 printable characters, not only digits (BullMQ keeps those for its own ids) and without ':'. */
export function readJobId(call: string, name: string, value: unknown): string {
  if (typeof value !== 'string' || !/^[\x21-\x7e]{1,200}$/.test(value) || value.includes(':') || /^\d+$/.test(value)) {
    throw new ConfigError(`${call}: ${name} must be 1 to 200 printable characters without ':' or spaces and not only digits (BullMQ keeps those for its own ids), such as "order-1042"; got ${describeValue(value)}`);
  }
  return value;
}
