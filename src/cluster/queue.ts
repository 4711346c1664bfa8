/**
 * The producer's side of the cluster: add a cpuhp job to a BullMQ queue, await its result,
 * cancel it. A job id is an idempotency key: adding a job with an id the queue holds already
 * (waiting, running, or finished and kept for keepFinishedS) adds nothing, and the handle
 * refers to the job that is there.
 */

import type { Job, Queue, QueueEvents } from 'bullmq';
import type { Redis } from 'ioredis';
import { ClusterError, ERROR_CODES, type ClusterJobFailure } from '../errors.js';
import { allKeys, nonEmptyString, readOptions, rejecting, timeoutMs } from '../controller/arguments.js';
import type { JobArgs, JobNames, JobResult } from '../jobs/handle.js';
import { loadBroker, type Broker } from './broker.js';
import { checkRedis } from './connection.js';
import { readJobId, readQueueOptions, type ClusterQueueOptions, type ResolvedQueueOptions } from './options.js';
import { CANCELLED_REASON, cancelChannel, cancelledKey, MACHINE_REASON, PREFIX, STALLED_REASON, THREW_REASON } from './wire.js';

export interface ClusterAddOptions {
  /** The job's id: its idempotency key. Default: one the broker gives. */
  readonly jobId?: string;
}

export interface ClusterResultOptions {
  /** How long to wait for the result; a CLUSTER_TIMEOUT ClusterError after it (the job goes on). Default 60000; Infinity waits for ever. */
  readonly timeoutMs?: number;
}

/** What cancel() found: the job was stopped (before or while it ran), or it had finished already. */
export type CancelOutcome = 'cancelled' | 'finished';

/** A job on the broker. */
export interface ClusterJob<R = unknown> {
  readonly id: string;
  readonly name: string;
  /** Its result once it completes; rejects if it failed (CLUSTER_JOB_FAILED), was cancelled (ABORT_ERR), or is not kept (CLUSTER_NO_JOB). */
  result(options?: ClusterResultOptions): Promise<R>;
  /**
   * Stops the job: a waiting one is removed; a running one's ctx.signal fires on the machine
   * running it, and it fails as cancelled; a job that any machine takes later is not run.
   */
  cancel(): Promise<CancelOutcome>;
}

type AddParams<J> = undefined extends JobArgs<J> ? [args?: JobArgs<J>, options?: ClusterAddOptions] : [args: JobArgs<J>, options?: ClusterAddOptions];

const CALL = (name: string): string => `ClusterQueue.${name}()`;
const ADD_KEYS = allKeys<ClusterAddOptions>()(['jobId']);
const RESULT_KEYS = allKeys<ClusterResultOptions>()(['timeoutMs']);
const DEFAULT_RESULT_TIMEOUT_MS = 60_000;

/**
 * A producer of cluster jobs, typed by the job module the machines load:
 * `ClusterQueue.connect<typeof import('./jobs.js')>({ redis, queue })`.
 */
export class ClusterQueue<M extends object = Record<string, never>> {
  private readonly queue: Queue;
  private readonly commands: Redis;
  private events: Promise<QueueEvents> | undefined;
  private closed = false;

  static connect<M extends object = Record<string, never>>(options: ClusterQueueOptions): Promise<ClusterQueue<M>> {
    return rejecting(async () => {
      const resolved = readQueueOptions(CALL('connect'), options);
      const broker = await loadBroker();
      await checkRedis(broker, resolved.url, resolved.connection);
      return new ClusterQueue<M>(resolved, broker);
    });
  }

  private constructor(
    private readonly options: ResolvedQueueOptions,
    private readonly broker: Broker,
  ) {
    this.queue = new broker.bullmq.Queue(options.queue, { connection: options.connection, prefix: PREFIX });
    this.queue.on('error', () => undefined);
    this.commands = new broker.Redis(options.connection);
    this.commands.on('error', () => undefined);
  }

  /** Adds a job: `name` is a defineJob export of the machines' modules, `args` its arguments (JSON). */
  add<N extends JobNames<M>>(name: N, ...params: AddParams<M[N]>): Promise<ClusterJob<JobResult<M[N]>>>;
  add(name: string, args?: unknown, options?: ClusterAddOptions): Promise<ClusterJob>;
  add(name: string, args?: unknown, options?: unknown): Promise<ClusterJob> {
    return rejecting(async () => {
      const call = CALL('add');
      this.assertOpen('add');
      nonEmptyString(call, 'name', name, 'resize');
      const o = readOptions(call, 'options', options, ADD_KEYS);
      const jobId = o.jobId === undefined ? undefined : readJobId(call, 'options.jobId', o.jobId);
      const keep = { age: this.options.keepFinishedS };
      const job: Job = await this.queue.add(name, { args }, { jobId, attempts: 1, removeOnComplete: keep, removeOnFail: keep });
      // Queue.add always answers with the job's id (the caller's, or the one it gave).
      return this.handle(String(job.id), name);
    });
  }

  /** Adds a job and waits for its result: add(name, args, { jobId }) then result({ timeoutMs }). */
  async run<N extends JobNames<M>>(name: N, args: JobArgs<M[N]>, options?: ClusterAddOptions & ClusterResultOptions): Promise<JobResult<M[N]>> {
    const { timeoutMs: wait, ...add } = (options ?? {}) as ClusterAddOptions & ClusterResultOptions;
    const job = await this.add(name as string, args, add);
    return (await job.result(wait === undefined ? undefined : { timeoutMs: wait })) as JobResult<M[N]>;
  }

  /** A handle on a job added before (by this producer or another), by its id. */
  job(id: string): ClusterJob {
    readJobIdOrBrokers(CALL('job'), id);
    return this.handle(id, '');
  }

  /** Closes the producer's connections. Jobs already added go on. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const events = this.events;
    this.events = undefined;
    await Promise.allSettled([this.queue.close(), events?.then((e) => e.close())]);
    this.commands.disconnect();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  private handle(id: string, name: string): ClusterJob {
    return Object.freeze({
      id,
      name,
      result: (options?: ClusterResultOptions) => rejecting(() => this.result(id, options)),
      cancel: () => rejecting(() => this.cancel(id)),
    });
  }

  private async result(id: string, options: unknown): Promise<unknown> {
    const call = 'ClusterJob.result()';
    this.assertOpen('result');
    const o = readOptions(call, 'options', options, RESULT_KEYS);
    const wait = o.timeoutMs === undefined ? DEFAULT_RESULT_TIMEOUT_MS : timeoutMs(call, 'options.timeoutMs', o.timeoutMs, false);
    // QueueEvents also emits `completed:<id>` and `failed:<id>`, which its types do not list.
    const events = (await this.queueEvents()) as unknown as NodeJS.EventEmitter;
    return new Promise<unknown>((resolve, reject) => {
      let done = false;
      const finish = (settle: () => void): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        events.off(`completed:${id}`, onCompleted);
        events.off(`failed:${id}`, onFailed);
        settle();
      };
      const onCompleted = (args: { returnvalue: unknown }): void => finish(() => resolve(args.returnvalue));
      const onFailed = (args: { failedReason: string }): void => finish(() => reject(failure(id, args.failedReason)));
      const timer = Number.isFinite(wait)
        ? setTimeout(() => finish(() => reject(new ClusterError(`${call}: job ${id} did not finish within ${wait} ms; it goes on (call result() again to wait more)`, { code: ERROR_CODES.CLUSTER_TIMEOUT, jobId: id }))), wait)
        : undefined;
      events.on(`completed:${id}`, onCompleted);
      events.on(`failed:${id}`, onFailed);
      // The events are heard from here on; a job that finished before is read from its state.
      void this.finishedState(id).then(
        (state) => {
          if (state === undefined) return;
          if (state.kind === 'completed') finish(() => resolve(state.value));
          else finish(() => reject(state.error));
        },
        (error: unknown) => finish(() => reject(error)),
      );
    });
  }

  /** The job's outcome if it has one, or undefined while it waits or runs. */
  private async finishedState(id: string): Promise<{ kind: 'completed'; value: unknown } | { kind: 'failed'; error: ClusterError } | undefined> {
    // The state first, then the job: a job read before its state would be a snapshot from
    // before it finished (its state read after, its failedReason or result not yet there).
    const state = await this.queue.getJobState(id);
    if (state !== 'completed' && state !== 'failed' && state !== 'unknown') return undefined;
    const job = state === 'unknown' ? undefined : await this.broker.bullmq.Job.fromId(this.queue, id);
    if (job === undefined) {
      if ((await this.commands.exists(cancelledKey(this.options.queue, id))) === 1) return { kind: 'failed', error: failure(id, `${CANCELLED_REASON}removed before it ran`) };
      return { kind: 'failed', error: new ClusterError(`no job ${id} on queue ${this.options.queue}: it was never added, or it finished more than keepFinishedS (${this.options.keepFinishedS} s) ago`, { code: ERROR_CODES.CLUSTER_NO_JOB, jobId: id }) };
    }
    if (state === 'completed') return { kind: 'completed', value: job.returnvalue };
    return { kind: 'failed', error: failure(id, job.failedReason) };
  }

  private async cancel(id: string): Promise<CancelOutcome> {
    this.assertOpen('cancel');
    const job = await this.broker.bullmq.Job.fromId(this.queue, id);
    if (job === undefined) throw new ClusterError(`ClusterJob.cancel(): no job ${id} on queue ${this.options.queue}`, { code: ERROR_CODES.CLUSTER_NO_JOB, jobId: id });
    const state = await job.getState();
    if (state === 'completed' || state === 'failed') return 'finished';
    // The mark first: a machine that takes the job from here on does not run it. Then a
    // waiting job is removed (a running one is locked, and the removal fails), and the
    // machine running it, if one is, hears the id and aborts it.
    await this.commands.set(cancelledKey(this.options.queue, id), '1', 'EX', this.options.keepFinishedS);
    await job.remove().catch(() => undefined);
    await this.commands.publish(cancelChannel(this.options.queue), id);
    // A job that completed between the state read above and the mark was not stopped.
    return (await this.queue.getJobState(id)) === 'completed' ? 'finished' : 'cancelled';
  }

  private queueEvents(): Promise<QueueEvents> {
    this.events ??= (async () => {
      // Read the event stream from its last entry as of now, not from '$': QueueEvents is
      // ready (waitUntilReady) before its first blocking read has begun, and an event written
      // between the two would be missed, while the job's state, read too early, said nothing.
      const last = await this.commands.xrevrange(`${PREFIX}:${this.options.queue}:events`, '+', '-', 'COUNT', 1);
      const lastEventId = last[0]?.[0] ?? '0-0';
      const events = new this.broker.bullmq.QueueEvents(this.options.queue, { connection: this.options.connection, prefix: PREFIX, lastEventId });
      events.on('error', () => undefined);
      await events.waitUntilReady();
      return events;
    })();
    return this.events;
  }

  private assertOpen(call: string): void {
    if (this.closed) throw new ClusterError(`${CALL(call)}: the cluster queue ${this.options.queue} is closed`, { code: ERROR_CODES.CLUSTER_CLOSED });
  }
}

/** A job's failure reason, as the error its result() rejects with. */
function failure(id: string, failedReason: string | undefined = 'no reason recorded'): ClusterError {
  if (failedReason.startsWith(CANCELLED_REASON)) return new ClusterError(`job ${id} was cancelled (${failedReason.slice(CANCELLED_REASON.length)})`, { code: ERROR_CODES.JOB_ABORTED, jobId: id });
  const failed = (reason: ClusterJobFailure, text: string): ClusterError => new ClusterError(`job ${id} failed: ${text}`, { code: ERROR_CODES.CLUSTER_JOB_FAILED, jobId: id, reason });
  if (failedReason.startsWith(THREW_REASON)) return failed('threw', failedReason.slice(THREW_REASON.length));
  if (failedReason.startsWith(MACHINE_REASON)) return failed('machine', failedReason.slice(MACHINE_REASON.length));
  if (STALLED_REASON.test(failedReason)) return failed('stalled', `${failedReason}: the machines running it were lost more often than maxStalledCount allows`);
  // A reason in no form cpuhp writes: BullMQ's own, or a job failed by another client.
  return failed('machine', failedReason);
}

/** An id for job(): one the caller gave (readJobId), or one the broker gave (digits). */
function readJobIdOrBrokers(call: string, id: unknown): string {
  if (typeof id === 'string' && /^\d{1,20}$/.test(id)) return id;
  return readJobId(call, 'id', id);
}
