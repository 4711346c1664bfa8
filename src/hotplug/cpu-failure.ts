/**
 * CPUs that fail: a worker that died (uncaught error, process.exit, out of memory), and a
 * worker the runtime ends because it cannot go on (the watchdog found it stuck, or a
 * per-CPU thread of it keeps crashing). Either way the CPU is FAILED, the job it was
 * running rejects, the jobs handed to it move, its threads are gone and its readers are
 * dropped; cpuUp brings it back with a fresh worker.
 */

import { emitCpuhpWarning, WARNING_CODES } from '../errors.js';
import { dropDeadReaders } from '../protocol/hotplug-lock.js';
import { cpuBase, CPU_CURRENT, CPU_READERS, CPU_READ_HELD, type Layout } from '../protocol/layout.js';
import type { TraceSink } from '../trace/events.js';
import type { CpuWorker, WorkerDeath } from '../controller/cpu-worker.js';
import type { CpuWorkers } from '../controller/cpu-workers.js';
import type { LockupAction } from '../controller/options.js';
import type { KthreadRegistry } from '../kthread/registry.js';
import type { CpuHotplug } from './cpu.js';

/** What the job runtime says and does about a CPU that failed (src/jobs/workqueue.ts). */
export interface FailedCpuJobs {
  workerGone(cpu: number, died: string | undefined, failure?: 'worker-died' | 'soft-lockup'): void;
  runningOn(cpu: number): { readonly name: string; readonly id: number; readonly settled: boolean } | undefined;
}

export interface CpuFailureHost {
  readonly words: Int32Array;
  readonly layout: Layout;
  readonly workers: CpuWorkers;
  readonly registry: KthreadRegistry;
  readonly hotplug: CpuHotplug;
  /** Forgets every thread of a CPU whose worker died: their handles say `why` from then on. */
  forgetThreads(cpu: number, why: string): void;
  readonly jobs: () => FailedCpuJobs | undefined;
  readonly trace: TraceSink;
  readonly watchdogMs: number;
  readonly onLockup: LockupAction;
  /** Whether the runtime is shut down (a worker ending then is no failure). */
  closed(): boolean;
  /** Takes the hotplug lock soon, which reaps failed CPUs (CpuHotplug.reapFailed). */
  reapSoon(): void;
}

export class CpuFailures {
  /** The on-CPU hotplug callback each CPU is running, for the watchdog to name. */
  private readonly callbacks = new Map<number, string>();

  constructor(private readonly host: CpuFailureHost) {}

  /** Runs an on-CPU callback labelled `label`, so a lockup meanwhile names it. */
  async runningCallback<T>(cpu: number, label: string, body: () => Promise<T>): Promise<T> {
    this.callbacks.set(cpu, label);
    try {
      return await body();
    } finally {
      this.callbacks.delete(cpu);
    }
  }

  /**
   * A CPU's worker died. What lives in shared memory and in the controller's job queues is
   * settled at once: the job it was running is rejected, its other jobs move, its threads
   * are gone, its readers are dropped, and the CPU is FAILED. The state machine is reset
   * under the hotplug lock, after any operation that holds it now.
   */
  workerDied(cpu: number, worker: CpuWorker, death: WorkerDeath): void {
    const jobs = this.host.jobs();
    // A death while booting fails the start; one of a replaced worker is old news.
    if (!this.host.workers.isCurrent(cpu, worker) || this.host.closed() || jobs === undefined) return;
    const why = death.error !== undefined ? `${death.error.name}: ${death.error.message}` : `it exited with code ${death.code}`;
    const base = cpuBase(this.host.layout, cpu);
    dropDeadReaders(this.host.words, base + CPU_READ_HELD, base + CPU_READERS);
    jobs.workerGone(cpu, why, death.error?.name === 'SoftLockup' ? 'soft-lockup' : 'worker-died');
    this.host.forgetThreads(cpu, why);
    this.host.hotplug.markFailed(cpu, why);
    this.host.trace({ type: 'cpu-failed', cpu, error: why });
    this.host.reapSoon();
  }

  /**
   * Fails a CPU whose worker cannot go on: the worker is terminated, and its end is handled
   * as a death (workerDied) with `why`.
   */
  failCpu(cpu: number, why: string, kind: 'SoftLockup' | 'CpuKilled' = 'CpuKilled'): void {
    this.host.workers.of(cpu).kill(why, kind);
  }

  /**
   * The watchdog found `cpu` stuck: its worker has run no event-loop turn for `stuckMs`.
   * Traced and counted; then, with onLockup 'fail', the CPU is failed like a worker that
   * died (the running job rejects with reason 'soft-lockup', the jobs handed to it move,
   * its threads' handles say why), and cpuUp starts a fresh worker. With 'warn', a process
   * warning says so and the CPU is left as it is.
   */
  softLockup(cpu: number, stuckMs: number): void {
    if (this.host.closed()) return;
    const culprit = this.culprit(cpu);
    const action = this.host.onLockup;
    this.host.hotplug.counters[cpu]!.lockups++;
    const what = `soft lockup: CPU ${cpu} stuck for ${Math.round(stuckMs)} ms (watchdogMs ${this.host.watchdogMs}) running ${culprit}`;
    this.host.trace({ type: 'soft-lockup', cpu, stuckMs: Math.round(stuckMs), culprit, action });
    if (action === 'fail') {
      this.failCpu(cpu, what, 'SoftLockup');
      return;
    }
    emitCpuhpWarning(`${what}; onLockup is 'warn', so the CPU is left as it is: it runs nothing else until that code returns`, WARNING_CODES.SOFT_LOCKUP);
  }

  /** What a stuck CPU was running, as well as the controller can tell from outside. */
  private culprit(cpu: number): string {
    const callback = this.callbacks.get(cpu);
    if (callback !== undefined) return callback;
    const job = this.host.jobs()?.runningOn(cpu);
    if (job !== undefined) return `job '${job.name}' (id ${job.id}${job.settled ? ', aborted or timed out already' : ''})`;
    const current = this.host.words[cpuBase(this.host.layout, cpu) + CPU_CURRENT]!;
    const unit = current === 0 ? undefined : this.host.registry.byId(current);
    if (unit !== undefined) return `a run() of per-CPU thread '${unit.name}'`;
    const running = this.host.registry
      .onCpu(cpu)
      .map((handle) => this.host.registry.info(handle))
      .filter((info) => info.state === 'running' || info.state === 'parking' || info.state === 'stopping');
    if (running.length === 0) return 'code outside any thread or job (a module, or a timer it set)';
    return `one of its threads: ${running.map((info) => `'${info.name}'`).join(', ')}`;
  }
}
