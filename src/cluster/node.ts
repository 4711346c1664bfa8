/**
 * A cluster node: one process is one machine. It runs a cpuhp Runtime and a BullMQ worker
 * on a named queue; every job it takes runs through the runtime's queueWork. The machine's
 * concurrency follows its online CPUs (jobsPerCpu for each), and its hotplug is the
 * machine-level cpuDown and cpuUp:
 *
 *   up          the worker fetches; concurrency = online CPUs × jobsPerCpu
 *   going-down  down(): the worker fetches no more; running jobs finish, within downTimeoutMs;
 *               at the bound the rest are aborted and handed back to the queue
 *   down        every CPU but the lowest is down (a runtime keeps one CPU online, as the
 *               kernel keeps its boot CPU); the worker is paused and holds no job
 *   closed      close(): the worker and the runtime are gone
 *
 * The machine's own CPU hotplug (node.cpuDown/cpuUp) lowers the concurrency before a CPU
 * goes down and raises it after one comes up, so the worker never holds more jobs than the
 * online CPUs are meant to run.
 */

import { Mutex } from 'async-mutex';
import type { Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { ClusterError, ERROR_CODES } from '../errors.js';
import { cpuNumber, rejecting } from '../controller/arguments.js';
import { Runtime } from '../runtime.js';
import { resolveOptions } from '../controller/options.js';
import { loadBroker } from './broker.js';
import { CancelledJobs } from './cancelled.js';
import { checkRedis } from './connection.js';
import { closeThenExit } from './exit.js';
import { setWorkerConcurrency } from './concurrency.js';
import { readNodeOptions, type ClusterNodeOptions, type ResolvedNodeOptions } from './options.js';
import { makeProcessor, type RunningJob } from './processor.js';
import { cancelChannel, cancelledKey, PREFIX } from './wire.js';

export type ClusterNodeState = 'up' | 'going-down' | 'down' | 'closed';

export interface ClusterNodeStats {
  readonly name: string;
  readonly queue: string;
  readonly state: ClusterNodeState;
  /** The BullMQ worker's concurrency now. */
  readonly concurrency: number;
  readonly onlineCpus: readonly number[];
  /** Jobs running on this machine now. */
  readonly running: number;
  readonly completed: number;
  readonly failed: number;
  /** Jobs that had started and were handed back to the queue: by down() at its bound, or when the runtime shut down under them. They run again elsewhere. */
  readonly handedBack: number;
  /** Jobs fetched in the moment down() began, handed back to the queue without running. */
  readonly returnedUnstarted: number;
}

const CALL = (name: string): string => `ClusterNode.${name}()`;

export class ClusterNode {
  /** The machine's runtime: its CPUs, threads, and stats. */
  readonly runtime: Runtime;
  readonly name: string;
  readonly queue: string;
  private readonly worker: Worker;
  private readonly subscriber: Redis;
  private readonly commands: Redis;
  private readonly options: ResolvedNodeOptions;
  private readonly running = new Set<RunningJob>();
  private readonly lock = new Mutex();
  private idleWaiters: Array<() => void> = [];
  private state: ClusterNodeState = 'up';
  /** The CPUs that were online when down() began, for up(). */
  private onlineBeforeDown: readonly number[] = [];
  private readonly counts = { completed: 0, failed: 0, 'handed-back': 0, 'returned-unstarted': 0 };
  private readonly removeSignalHandlers: () => void;

  /**
   * Starts the machine: checks Redis, starts its runtime, subscribes to cancellations, and
   * starts fetching. Rejects with a ConfigError for bad options, a ClusterError when bullmq
   * is not installed (BROKER_MISSING) or Redis does not answer (REDIS_UNREACHABLE), or the
   * runtime's own error; nothing is left running then.
   */
  static start(options: ClusterNodeOptions): Promise<ClusterNode> {
    return rejecting(async () => {
      const resolved = readNodeOptions(CALL('start'), options);
      // The runtime's options are checked before anything connects: a bad one is a ConfigError
      // (naming it as Runtime.start does) whether or not Redis is there.
      resolveOptions(resolved.runtime);
      const broker = await loadBroker();
      await checkRedis(broker, resolved.url, resolved.connection);
      const runtime = await Runtime.start(resolved.runtime);
      const subscriber = new broker.Redis(resolved.connection);
      const commands = new broker.Redis(resolved.connection);
      try {
        await subscriber.subscribe(cancelChannel(resolved.queue));
        return new ClusterNode(resolved, runtime, broker, subscriber, commands);
      } catch (error) {
        subscriber.disconnect();
        commands.disconnect();
        await runtime.shutdown();
        throw error;
      }
    });
  }

  private constructor(options: ResolvedNodeOptions, runtime: Runtime, broker: Awaited<ReturnType<typeof loadBroker>>, subscriber: Redis, commands: Redis) {
    this.options = options;
    this.runtime = runtime;
    this.name = options.name;
    this.queue = options.queue;
    this.subscriber = subscriber;
    this.commands = commands;
    const cancelled = new CancelledJobs(async (id) => (await commands.exists(cancelledKey(options.queue, id))) === 1);
    const processor = makeProcessor({
      runtime,
      bullmq: broker.bullmq,
      cancelled,
      running: this.running,
      accepting: () => this.state === 'up',
      settled: () => this.wakeIdleWaiters(),
      counted: (outcome) => void this.counts[outcome]++,
    });
    this.worker = new broker.bullmq.Worker(options.queue, processor, {
      connection: options.connection,
      prefix: PREFIX,
      concurrency: this.targetConcurrency(),
      lockDuration: options.lockDurationMs,
      stalledInterval: options.stalledIntervalMs,
      maxStalledCount: options.maxStalledCount,
      name: options.name,
    });
    // A broker error (Redis going away for a while) is retried by ioredis; it must not crash
    // the process as an unheard 'error' event would.
    this.worker.on('error', () => undefined);
    subscriber.on('error', () => undefined);
    commands.on('error', () => undefined);
    subscriber.on('message', (_channel: string, id: string) => {
      cancelled.heard(id);
      this.worker.cancelJob(id, 'cancelled by ClusterJob.cancel()');
    });
    this.removeSignalHandlers = options.exitOnSignal ? this.handleSignals() : () => undefined;
  }

  /** What the machine is doing now. */
  stats(): ClusterNodeStats {
    return {
      name: this.name,
      queue: this.queue,
      state: this.state,
      concurrency: this.worker.concurrency,
      onlineCpus: this.state === 'closed' ? [] : this.runtime.onlineCpus(),
      running: this.running.size,
      completed: this.counts.completed,
      failed: this.counts.failed,
      handedBack: this.counts['handed-back'],
      returnedUnstarted: this.counts['returned-unstarted'],
    };
  }

  /** Takes one of the machine's CPUs down, lowering its concurrency first. As Runtime.cpuDown otherwise. */
  cpuDown(cpu: number): Promise<void> {
    return rejecting(() => {
      cpuNumber(CALL('cpuDown'), 'cpu', cpu, this.runtime.cpuCount);
      return this.lock.runExclusive(async () => {
        this.assertOpen('cpuDown');
        const online = this.runtime.onlineCpus();
        if (!online.includes(cpu)) return;
        await this.setConcurrency(Math.max(1, online.length - 1) * this.options.jobsPerCpu);
        try {
          await this.runtime.cpuDown(cpu);
        } finally {
          await this.setConcurrency(this.targetConcurrency());
        }
      });
    });
  }

  /** Brings one of the machine's CPUs up, then raises its concurrency. As Runtime.cpuUp otherwise. */
  cpuUp(cpu: number): Promise<void> {
    return rejecting(() => {
      cpuNumber(CALL('cpuUp'), 'cpu', cpu, this.runtime.cpuCount);
      return this.lock.runExclusive(async () => {
        this.assertOpen('cpuUp');
        try {
          await this.runtime.cpuUp(cpu);
        } finally {
          await this.setConcurrency(this.targetConcurrency());
        }
      });
    });
  }

  /**
   * The machine-level cpuDown: stop fetching, let every running job finish (for at most
   * downTimeoutMs; at the bound the rest are aborted through their ctx.signal and handed
   * back to the queue, where another machine takes them), then take every CPU but the lowest
   * down. A no-op when the machine is down already.
   */
  down(): Promise<void> {
    return this.lock.runExclusive(async () => {
      this.assertOpen('down');
      if (this.state === 'down') return;
      this.state = 'going-down';
      this.onlineBeforeDown = this.runtime.onlineCpus();
      await this.worker.pause(true);
      if (!(await this.idleWithin(this.options.downTimeoutMs))) {
        for (const job of this.running) {
          job.handBack = true;
          if (job.job.id !== undefined) this.worker.cancelJob(job.job.id, `machine ${this.name} went down`);
        }
        await this.idleWithin(Infinity);
      }
      // Every CPU but the lowest, highest first (a runtime keeps one CPU online).
      for (const cpu of this.onlineBeforeDown.slice(1).reverse()) await this.runtime.cpuDown(cpu);
      this.state = 'down';
    });
  }

  /** Brings the machine back: the CPUs that were online before down(), then fetching again. */
  up(): Promise<void> {
    return this.lock.runExclusive(async () => {
      this.assertOpen('up');
      if (this.state === 'up') return;
      for (const cpu of this.onlineBeforeDown) await this.runtime.cpuUp(cpu);
      this.state = 'up';
      this.worker.concurrency = this.targetConcurrency();
      await this.worker.resume();
    });
  }

  /**
   * down() if the machine is up, then closes the worker and its connections and shuts the
   * runtime down. Idempotent.
   */
  async close(): Promise<void> {
    if (this.state === 'closed') return;
    await this.down().catch(() => undefined);
    await this.lock.runExclusive(async () => {
      if (this.state === 'closed') return;
      this.state = 'closed';
      this.removeSignalHandlers();
      await this.worker.close();
      this.subscriber.disconnect();
      this.commands.disconnect();
      await this.runtime.shutdown();
    });
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  private targetConcurrency(): number {
    return Math.max(1, this.runtime.onlineCpus().length) * this.options.jobsPerCpu;
  }

  private async setConcurrency(concurrency: number): Promise<void> {
    if (this.state !== 'up') this.worker.concurrency = concurrency;
    else await setWorkerConcurrency(this.worker, concurrency);
  }

  private assertOpen(call: string): void {
    if (this.state === 'closed') throw new ClusterError(`${CALL(call)}: the cluster node ${this.name} is closed`, { code: ERROR_CODES.CLUSTER_CLOSED });
  }

  /** Whether no job is running, now or within `ms`. */
  private idleWithin(ms: number): Promise<boolean> {
    if (this.running.size === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = Number.isFinite(ms) ? setTimeout(() => resolve(false), ms) : undefined;
      this.idleWaiters.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  private wakeIdleWaiters(): void {
    if (this.running.size !== 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const wake of waiters) wake();
  }

  /**
   * SIGTERM and SIGINT: close() (which is down() first), then exit 143 or 130; bounded, in
   * case Redis is gone (exit.ts). A second signal during the drain has Node's default effect.
   */
  private handleSignals(): () => void {
    const on = (signal: 'SIGTERM' | 'SIGINT', code: number) => () => closeThenExit(() => this.close(), code, this.options.downTimeoutMs);
    const term = on('SIGTERM', 143);
    const int = on('SIGINT', 130);
    process.once('SIGTERM', term);
    process.once('SIGINT', int);
    return () => {
      process.removeListener('SIGTERM', term);
      process.removeListener('SIGINT', int);
    };
  }
}
