/**
 * kernel/kthread.c on the controller: the operations on one thread. kthread_create_on_cpu,
 * and kthread_park / kthread_unpark / kthread_stop / wake_up_process as writes of request
 * bits to the thread's flags word (protocol/kthread-state.ts says who writes which bit),
 * each followed by a waitAsync on the same word where the kernel waits for a completion.
 * Operations on a CPU's whole set of threads are smpboot.ts.
 */

import { ConfigError, KthreadError } from '../errors.js';
import { describeError } from '../describe-value.js';
import { KWORKER_EXPORT, type CreateKthreadRequest, type ExitRecord } from '../protocol/control-plane.js';
import { clearFlags, KtFlag, parkAcknowledged, setFlags } from '../protocol/kthread-state.js';
import { KT_FLAGS } from '../protocol/layout.js';
import { waitForWord } from '../protocol/wait.js';
import type { TraceSink } from '../trace/events.js';
import { withDeadline } from '../controller/deadline.js';
import { Latency } from '../controller/latency.js';
import { describeThread, KthreadRegistry, type KthreadHandle, type KthreadRecord } from './registry.js';

/** What the kthread operations need from the runtime around them. */
export interface KthreadHost {
  readonly registry: KthreadRegistry;
  readonly trace: TraceSink;
  /** Asks the worker of `cpu` to start the thread of `request`; rejects if it cannot. */
  startOnCpu(cpu: number, request: CreateKthreadRequest): Promise<void>;
  /** Collects an exited thread's exit record from the worker of `cpu`, within the hotplug timeout. */
  reap(cpu: number, slot: number): Promise<ExitRecord>;
  /** How long a create may take now (longer while the runtime is starting). */
  createTimeoutMs(): number;
}

export class Kthreads {
  readonly parkLatency = new Latency();
  private readonly words: Int32Array;

  constructor(private readonly host: KthreadHost) {
    this.words = host.registry.words;
  }

  /**
   * kthread_create_on_cpu(): reserves a slot and has the CPU's worker start the thread.
   * `startParked`: it waits, parked, for its CPU's release (a thread made during bring-up).
   */
  async create(cpu: number, fn: string, name: string, data: unknown, group: string | undefined, startParked: boolean): Promise<KthreadHandle> {
    assertCloneable(data, `data for '${name}'`);
    const record = this.host.registry.reserve(cpu, fn, name, group, startParked);
    const timeout = this.host.createTimeoutMs();
    try {
      await withDeadline(this.host.startOnCpu(cpu, KthreadRegistry.request(record, data)), timeout, () =>
        new KthreadError(`CPU ${cpu} did not start '${name}' within ${timeout} ms`, { code: 'ERR_CPUHP_CREATE_TIMEOUT', thread: name }),
      );
    } catch (error) {
      if (error instanceof KthreadError) throw error; // the worker may still start it: keep the slot
      this.host.registry.forget(record, 'its CPU could not start it');
      throw new KthreadError(`CPU ${cpu} could not start '${name}': ${error instanceof Error ? error.message : String(error)}`, {
        code: 'ERR_CPUHP_CREATE_FAILED',
        thread: name,
        cause: error,
      });
    }
    this.host.trace({ type: 'create', cpu, thread: name });
    return record.handle;
  }

  /**
   * kthread_park(): set SHOULD_PARK and wait for PARKED. Idempotent: a parked thread
   * resolves at once. On timeout the request this call made is withdrawn, so the thread is
   * left as it was, and the error names it.
   */
  async park(handle: KthreadHandle, timeoutMs: number): Promise<void> {
    const record = this.host.registry.lookup(handle);
    const flags = record.base + KT_FLAGS;
    this.refuseExited(record, 'park');
    const started = performance.now();
    const before = setFlags(this.words, flags, KtFlag.SHOULD_PARK);
    this.host.trace({ type: 'park', cpu: record.cpu, thread: record.name });
    // Done when the thread acknowledges, or when a concurrent kthreadUnpark withdrew the
    // request first: then this park is ordered before that unpark, and both have happened.
    const settled = (v: number): boolean => parkAcknowledged(v) || !(v & KtFlag.SHOULD_PARK);
    if (!(await waitForWord(this.words, flags, settled, timeoutMs))) {
      if (!(before & KtFlag.SHOULD_PARK)) clearFlags(this.words, flags, KtFlag.SHOULD_PARK);
      throw new KthreadError(
        `${describeThread(record)} did not park within ${timeoutMs} ms; its loop must poll kt.boundShouldStop() and call kt.parkme(), and no other thread or job of its CPU may hold the CPU that long without awaiting`,
        { code: 'ERR_CPUHP_PARK_TIMEOUT', thread: record.name },
      );
    }
    const after = Atomics.load(this.words, flags);
    if (after & KtFlag.EXITED) {
      throw new KthreadError(`${describeThread(record)} exited instead of parking`, { code: 'ERR_CPUHP_THREAD_EXITED', thread: record.name });
    }
    if (!parkAcknowledged(after)) return; // superseded by an unpark
    if (!(before & (KtFlag.SHOULD_PARK | KtFlag.PARKED))) this.parkLatency.record(performance.now() - started);
    this.host.trace({ type: 'parked', cpu: record.cpu, thread: record.name });
  }

  /**
   * kthread_unpark(): clear SHOULD_PARK. A thread whose CPU is down keeps CPU_PARK and so
   * stays parked until the CPU is up. Idempotent; does not wait for the thread to run.
   */
  unpark(handle: KthreadHandle): void {
    const record = this.host.registry.lookup(handle);
    this.refuseExited(record, 'unpark');
    clearFlags(this.words, record.base + KT_FLAGS, KtFlag.SHOULD_PARK);
    this.host.trace({ type: 'unpark', cpu: record.cpu, thread: record.name });
  }

  /** wake_up_process(): ends the thread's current kt.sleep() early. */
  wakeUp(handle: KthreadHandle): void {
    setFlags(this.words, this.host.registry.lookup(handle).base + KT_FLAGS, KtFlag.WAKE);
  }

  /**
   * kthread_stop(): set SHOULD_STOP (which also releases parkme) and wait for EXITED, then
   * collect the exit record and free the slot. The thread's CPU must be online; the caller
   * checks that under the hotplug lock. Once the thread has exited it is forgotten whatever
   * the reap brings back, so an exited thread never holds a slot.
   */
  stop(handle: KthreadHandle, timeoutMs: number): Promise<unknown> {
    return this.stopRecord(this.host.registry.lookup(handle), timeoutMs);
  }

  /** kthread_stop() of a record (smpboot stops a CPU's threads by record). */
  async stopRecord(record: KthreadRecord, timeoutMs: number): Promise<unknown> {
    const flags = record.base + KT_FLAGS;
    setFlags(this.words, flags, KtFlag.SHOULD_STOP);
    this.host.trace({ type: 'stop', cpu: record.cpu, thread: record.name });
    record.stopping = true;
    let exited: boolean;
    try {
      exited = await waitForWord(this.words, flags, (v) => (v & KtFlag.EXITED) !== 0, timeoutMs);
    } finally {
      record.stopping = false;
    }
    if (!exited) {
      throw new KthreadError(
        `${describeThread(record)} did not exit within ${timeoutMs} ms of kthreadStop(); its loop must check kt.shouldStop(), and no other thread or job of its CPU may hold the CPU that long without awaiting. The stop request stays set`,
        { code: 'ERR_CPUHP_STOP_TIMEOUT', thread: record.name },
      );
    }
    // The worker may have died meanwhile, taking the thread with it (forgetCpu set EXITED).
    if (record.gone !== undefined) throw new KthreadError(`${describeThread(record)} is gone: ${record.gone}`, { code: 'ERR_CPUHP_THREAD_GONE', thread: record.name });
    let exit: ExitRecord;
    try {
      exit = await this.host.reap(record.cpu, record.slot);
    } catch (error) {
      this.host.registry.forget(record, 'it exited, and its exit record was lost');
      throw new KthreadError(`${describeThread(record)} exited, but its result could not be collected: ${describeError(error)}`, {
        code: 'ERR_CPUHP_RESULT_LOST',
        thread: record.name,
        cause: error,
      });
    }
    this.host.registry.forget(record, 'it was stopped already');
    if (!exit.ok) throw new KthreadError(`${describeThread(record)} threw: ${exit.error}`, { code: 'ERR_CPUHP_THREAD_THREW', thread: record.name });
    return exit.value;
  }

  /**
   * A thread that exited with no stop() waiting for it (its function returned or threw, or a
   * stop timed out and it exited later): reaps it and forgets it. Returns how it ended, or
   * undefined if it is not such a thread (gone already, or a stop() will reap it).
   */
  async reapOrphan(id: number): Promise<ExitRecord | undefined> {
    const record = this.host.registry.byId(id);
    if (record === undefined || record.stopping || !(Atomics.load(this.words, record.base + KT_FLAGS) & KtFlag.EXITED)) return undefined;
    let exit: ExitRecord;
    try {
      exit = await this.host.reap(record.cpu, record.slot);
    } catch (error) {
      exit = { ok: false, error: `its exit record was lost: ${describeError(error)}` };
    }
    this.host.registry.forget(record, exit.ok ? 'it exited on its own and was reaped' : `it threw (${exit.error}) and was reaped`);
    return exit;
  }

  /**
   * The built-in kworkers run the job queues: parking or stopping one by hand would strand
   * the jobs handed to its CPU. They park and stop with their CPU (cpuDown), like smpboot's.
   * The registry's own record decides, not the fields of the object passed in.
   */
  refuseKworker(handle: KthreadHandle, what: 'park' | 'stop'): void {
    const thread = this.host.registry.lookup(handle);
    if (thread.fn !== KWORKER_EXPORT) return;
    throw new KthreadError(
      `'${thread.name}' runs the job queue of CPU ${thread.cpu} and cannot be ${what === 'park' ? 'parked' : 'stopped'} by hand; take the CPU down instead (rt.cpuDown(${thread.cpu})), which moves its queued jobs to other CPUs`,
      { code: 'ERR_CPUHP_KWORKER', thread: thread.name },
    );
  }

  private refuseExited(record: KthreadRecord, what: 'park' | 'unpark'): void {
    if (!(Atomics.load(this.words, record.base + KT_FLAGS) & KtFlag.EXITED)) return;
    throw new KthreadError(`cannot ${what} ${describeThread(record)}: it has exited; stop it with kthreadStop() to collect its result`, {
      code: 'ERR_CPUHP_THREAD_EXITED',
      thread: record.name,
    });
  }
}

/** Thread data crosses to a worker by structured clone: refuse what cannot, before anything changes. */
export function assertCloneable(value: unknown, what: string): void {
  try {
    structuredClone(value);
  } catch (error) {
    throw new ConfigError(
      `${what} cannot be sent to a worker (${error instanceof Error ? error.message : String(error)}); pass structured-cloneable data: plain objects, arrays, numbers, strings, typed arrays`,
    );
  }
}
