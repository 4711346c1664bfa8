/**
 * The controller's side of kthreads: slot allocation, and kthread_park / kthread_unpark /
 * kthread_stop / wake_up_process as writes of request bits to the thread's flags word
 * (kthread-state.ts), each followed by a waitAsync on the same word where the kernel
 * would wait for a completion.
 */

import type { TraceSink } from '../trace/events.js';
import { KthreadError } from '../errors.js';
import type { CreateKthreadRequest, ExitRecord } from '../protocol/control-plane.js';
import { ktBase, type Layout, KT_BOUND_CPU, KT_FLAGS, KT_ITERATIONS, KT_LAST_CPU, KT_PARKS, KT_VIOLATIONS, LINE_WORDS, KT_LINES } from '../protocol/layout.js';
import { clearFlags, KtFlag, kthreadStateName, parkAcknowledged, setFlags, type KthreadStateName } from '../protocol/kthread-state.js';
import { waitForWord } from '../protocol/wait.js';
import { Latency } from './latency.js';

/** Marks the handles a runtime issued: a copy or a look-alike object does not type-check as one. */
declare const ISSUED: unique symbol;

/** What a kthread is named by, in a handle and in its info. */
export interface KthreadIdentity {
  /** Runtime-wide id of the thread (ids restart at 1 in each runtime). */
  readonly id: number;
  readonly name: string;
  readonly cpu: number;
  /** The module export the thread runs. */
  readonly fn: string;
}

/**
 * What the API hands out for a kthread: a frozen object whose identity names exactly one
 * thread of one runtime, like a task_struct pointer. Its fields are plain data, safe to log;
 * but only the object the runtime issued is accepted back: a copy, an object with the same
 * id, a handle of another runtime or a kthreadInfo() snapshot is refused with a KthreadError.
 */
export interface KthreadHandle extends KthreadIdentity {
  readonly [ISSUED]: true;
}

export interface KthreadInfo extends KthreadIdentity {
  readonly state: KthreadStateName;
  readonly iterations: number;
  readonly parks: number;
  readonly lastCpu: number;
  readonly violations: number;
  /** The per-CPU thread group it belongs to, if any. */
  readonly group: string | undefined;
}

interface KthreadRecord extends KthreadIdentity {
  readonly slot: number;
  readonly base: number;
  readonly group: string | undefined;
  /** The one handle issued for it. */
  readonly handle: KthreadHandle;
  /** A stop() is waiting for it to exit and will reap it. */
  stopping: boolean;
  /**
   * Why it is gone, once its record is dropped: its handle's error from then on. Set when
   * it is stopped, reaped as an orphan, or lost with its worker.
   */
  gone: string | undefined;
}


export class KthreadRegistry {
  readonly parkLatency = new Latency();
  private nextId = 1;
  private readonly free: number[] = [];
  private readonly records = new Map<number, KthreadRecord>();
  /** Test-only (RuntimeOptions.plantedRace): CPU down declares the CPU dead too early. */
  plantedRace = false;
  private readonly heldBack = new Map<number, KthreadRecord>();
  /** Every handle this registry issued, live or gone: the only objects lookup() accepts. */
  private readonly issued = new WeakMap<object, KthreadRecord>();

  constructor(
    private readonly words: Int32Array,
    private readonly layout: Layout,
    private readonly trace: TraceSink,
  ) {
    for (let slot = layout.maxKthreads - 1; slot >= 0; slot--) this.free.push(slot);
  }

  /**
   * Reserves a slot for a new thread bound to `cpu` and initialises its words, so the
   * worker finds them ready. `startParked` sets CPU_PARK for a thread made while its CPU
   * is not online yet. Release the slot with `discard` if the worker cannot start it.
   */
  reserve(cpu: number, fn: string, name: string, group?: string, startParked = false): { record: KthreadHandle; request: Omit<CreateKthreadRequest, 'data'> } {
    const slot = this.free.pop();
    if (slot === undefined) {
      throw new KthreadError(
        `all ${this.layout.maxKthreads} kthread slots are in use; stop threads you no longer need, or start the runtime with a larger maxKthreads`,
        { code: 'ERR_CPUHP_NO_SLOTS', thread: name },
      );
    }
    const base = ktBase(this.layout, slot);
    this.words.fill(0, base, base + KT_LINES * LINE_WORDS);
    Atomics.store(this.words, base + KT_BOUND_CPU, cpu);
    if (startParked) Atomics.store(this.words, base + KT_FLAGS, KtFlag.CPU_PARK);
    const id = this.nextId++;
    const handle = Object.freeze({ id, name, cpu, fn }) as KthreadHandle;
    const record: KthreadRecord = { id, name, cpu, fn, slot, base, group, handle, stopping: false, gone: undefined };
    this.records.set(id, record);
    this.issued.set(handle, record);
    return { record: handle, request: { slot, id, exportName: fn, name } };
  }

  /** Drops a thread's record and frees its slot; its handle says `why` from then on. */
  private forget(record: KthreadRecord, why: string): void {
    if (this.records.get(record.id) !== record) return;
    this.records.delete(record.id);
    this.free.push(record.slot);
    record.gone = why;
  }

  /** Releases a reserved thread the worker could not start. */
  discard(handle: KthreadHandle): void {
    const record = this.issued.get(handle);
    if (record !== undefined) this.forget(record, 'its CPU could not start it');
  }

  /**
   * The live record behind a handle. Only a handle this registry issued is accepted (by
   * identity, not by id), so nothing a caller makes up can name a thread; a KthreadError
   * says why anything else is refused.
   */
  private lookup(handle: KthreadHandle): KthreadRecord {
    const record = typeof handle === 'object' && handle !== null ? this.issued.get(handle) : undefined;
    if (record === undefined) {
      throw new KthreadError(
        `${describeHandle(handle)} is not a kthread handle of this runtime; pass the handle that kthreadCreateOnCpu(), kthreadList() or a per-CPU group's threads() of this runtime returned (copies, look-alike objects, handles of another runtime and kthreadInfo() snapshots are refused)`,
        { code: 'ERR_CPUHP_NOT_A_HANDLE' },
      );
    }
    if (record.gone !== undefined) throw new KthreadError(`'${record.name}' (id ${record.id}) is gone: ${record.gone}`, { code: 'ERR_CPUHP_THREAD_GONE', thread: record.name });
    return record;
  }

  /** The live thread behind a handle, as data; a KthreadError for a handle that names none. */
  identify(handle: KthreadHandle): KthreadIdentity & { readonly group: string | undefined } {
    const { id, name, cpu, fn, group } = this.lookup(handle);
    return { id, name, cpu, fn, group };
  }

  /** The live record of thread `id`, if any (for worker events, which carry ids). */
  byId(id: number): (KthreadIdentity & { readonly group: string | undefined; readonly handle: KthreadHandle }) | undefined {
    return this.records.get(id);
  }

  flags(handle: KthreadHandle): number {
    return Atomics.load(this.words, this.lookup(handle).base + KT_FLAGS);
  }

  /** Index of the thread's iteration counter, for waiting on progress (notified every 256). */
  iterationsWord(handle: KthreadHandle): number {
    return this.lookup(handle).base + KT_ITERATIONS;
  }

  onCpu(cpu: number): KthreadHandle[] {
    const out: KthreadHandle[] = [];
    for (const record of this.records.values()) if (record.cpu === cpu) out.push(record.handle);
    return out;
  }

  inGroup(group: string): KthreadHandle[] {
    const out: KthreadHandle[] = [];
    for (const record of this.records.values()) if (record.group === group) out.push(record.handle);
    return out;
  }

  all(): KthreadHandle[] {
    return [...this.records.values()].map((record) => record.handle);
  }

  info(handle: KthreadHandle): KthreadInfo {
    const record = this.lookup(handle);
    const w = this.words;
    return {
      id: record.id,
      name: record.name,
      cpu: record.cpu,
      fn: record.fn,
      state: kthreadStateName(Atomics.load(w, record.base + KT_FLAGS)),
      iterations: Atomics.load(w, record.base + KT_ITERATIONS),
      parks: Atomics.load(w, record.base + KT_PARKS),
      lastCpu: Atomics.load(w, record.base + KT_LAST_CPU),
      violations: Atomics.load(w, record.base + KT_VIOLATIONS),
      group: record.group,
    };
  }

  private describe(record: KthreadRecord): string {
    return `'${record.name}' (id ${record.id}) on CPU ${record.cpu}`;
  }

  /**
   * kthread_park(): set SHOULD_PARK and wait for PARKED. Idempotent: a parked thread
   * resolves at once. On timeout the request this call made is withdrawn, so the thread is
   * left as it was, and the error names it.
   */
  async park(handle: KthreadHandle, timeoutMs: number): Promise<void> {
    const record = this.lookup(handle);
    const flags = record.base + KT_FLAGS;
    if (Atomics.load(this.words, flags) & KtFlag.EXITED) {
      throw new KthreadError(`cannot park ${this.describe(record)}: it has exited; stop it with kthreadStop() to collect its result`, {
        code: 'ERR_CPUHP_THREAD_EXITED',
        thread: record.name,
      });
    }
    const started = performance.now();
    const before = setFlags(this.words, flags, KtFlag.SHOULD_PARK);
    this.trace({ type: 'park', cpu: record.cpu, thread: record.name });
    // Done when the thread acknowledges, or when a concurrent kthreadUnpark withdrew the
    // request first: then this park is ordered before that unpark, and both have happened.
    const settled = (v: number): boolean => parkAcknowledged(v) || !(v & KtFlag.SHOULD_PARK);
    if (!(await waitForWord(this.words, flags, settled, timeoutMs))) {
      if (!(before & KtFlag.SHOULD_PARK)) clearFlags(this.words, flags, KtFlag.SHOULD_PARK);
      throw new KthreadError(
        `${this.describe(record)} did not park within ${timeoutMs} ms; its loop must poll kt.boundShouldStop() and call kt.parkme(), and no other thread or job of its CPU may hold the CPU that long without awaiting`,
        { code: 'ERR_CPUHP_PARK_TIMEOUT', thread: record.name },
      );
    }
    const after = Atomics.load(this.words, flags);
    if (after & KtFlag.EXITED) {
      throw new KthreadError(`${this.describe(record)} exited instead of parking`, { code: 'ERR_CPUHP_THREAD_EXITED', thread: record.name });
    }
    if (!parkAcknowledged(after)) return; // superseded by an unpark
    if (!(before & (KtFlag.SHOULD_PARK | KtFlag.PARKED))) this.parkLatency.record(performance.now() - started);
    this.trace({ type: 'parked', cpu: record.cpu, thread: record.name });
  }

  /**
   * kthread_unpark(): clear SHOULD_PARK. A thread whose CPU is down keeps CPU_PARK and so
   * stays parked until the CPU is up. Idempotent; does not wait for the thread to run.
   */
  unpark(handle: KthreadHandle): void {
    const record = this.lookup(handle);
    const flags = record.base + KT_FLAGS;
    if (Atomics.load(this.words, flags) & KtFlag.EXITED) {
      throw new KthreadError(`cannot unpark ${this.describe(record)}: it has exited; stop it with kthreadStop() to collect its result`, {
        code: 'ERR_CPUHP_THREAD_EXITED',
        thread: record.name,
      });
    }
    clearFlags(this.words, flags, KtFlag.SHOULD_PARK);
    this.trace({ type: 'unpark', cpu: record.cpu, thread: record.name });
  }

  /** wake_up_process(): ends the thread's current kt.sleep() early. */
  wakeUp(handle: KthreadHandle): void {
    setFlags(this.words, this.lookup(handle).base + KT_FLAGS, KtFlag.WAKE);
  }

  /**
   * kthread_stop(): set SHOULD_STOP (which also releases parkme) and wait for EXITED, then
   * collect the exit record through `reap` and free the slot. The thread's CPU must be
   * online; the caller checks that under the hotplug lock. Once the thread has exited it is
   * forgotten whatever the reap brings back, so an exited thread never holds a slot.
   */
  async stop(handle: KthreadHandle, timeoutMs: number, reap: (slot: number) => Promise<ExitRecord>): Promise<unknown> {
    const record = this.lookup(handle);
    const flags = record.base + KT_FLAGS;
    setFlags(this.words, flags, KtFlag.SHOULD_STOP);
    this.trace({ type: 'stop', cpu: record.cpu, thread: record.name });
    record.stopping = true;
    let exited: boolean;
    try {
      exited = await waitForWord(this.words, flags, (v) => (v & KtFlag.EXITED) !== 0, timeoutMs);
    } finally {
      record.stopping = false;
    }
    if (!exited) {
      throw new KthreadError(
        `${this.describe(record)} did not exit within ${timeoutMs} ms of kthreadStop(); its loop must check kt.shouldStop(), and no other thread or job of its CPU may hold the CPU that long without awaiting. The stop request stays set`,
        { code: 'ERR_CPUHP_STOP_TIMEOUT', thread: record.name },
      );
    }
    // The worker may have died meanwhile, taking the thread with it (workerDied set EXITED).
    if (record.gone !== undefined) throw new KthreadError(`${this.describe(record)} is gone: ${record.gone}`, { code: 'ERR_CPUHP_THREAD_GONE', thread: record.name });
    let exit: ExitRecord;
    try {
      exit = await reap(record.slot);
    } catch (error) {
      this.forget(record, 'it exited, and its exit record was lost');
      throw new KthreadError(`${this.describe(record)} exited, but its result could not be collected: ${errorMessage(error)}`, {
        code: 'ERR_CPUHP_RESULT_LOST',
        thread: record.name,
        cause: error,
      });
    }
    this.forget(record, 'it was stopped already');
    if (!exit.ok) throw new KthreadError(`${this.describe(record)} threw: ${exit.error}`, { code: 'ERR_CPUHP_THREAD_THREW', thread: record.name });
    return exit.value;
  }

  /**
   * A thread that exited with no stop() waiting for it (its function returned or threw, or a
   * stop timed out and it exited later): reaps it and forgets it. Returns how it ended, or
   * undefined if it is not such a thread (gone already, or a stop() will reap it).
   */
  async reapOrphan(id: number, reap: (slot: number) => Promise<ExitRecord>): Promise<ExitRecord | undefined> {
    const record = this.records.get(id);
    if (record === undefined || record.stopping || !(Atomics.load(this.words, record.base + KT_FLAGS) & KtFlag.EXITED)) return undefined;
    let exit: ExitRecord;
    try {
      exit = await reap(record.slot);
    } catch (error) {
      exit = { ok: false, error: `its exit record was lost: ${errorMessage(error)}` };
    }
    this.forget(record, exit.ok ? 'it exited on its own and was reaped' : `it threw (${exit.error}) and was reaped`);
    return exit;
  }

  /** The thread is known to have exited (worker event); for traces only, the record stays until reaped. */
  exited(id: number, ok: boolean, error?: string): void {
    const record = this.records.get(id);
    if (record !== undefined) this.trace({ type: 'exit', cpu: record.cpu, thread: record.name, ok, ...(error ? { error } : {}) });
  }

  /**
   * smpboot park of a whole CPU: set CPU_PARK on every thread bound to `cpu`, then wait for
   * each to acknowledge. Returns the threads that did not, with CPU_PARK withdrawn from all
   * of them again in that case, so a timed-out CPU down leaves every thread running.
   */
  async parkCpu(cpu: number, timeoutMs: number): Promise<string[]> {
    let threads = [...this.records.values()].filter((r) => r.cpu === cpu);
    if (this.plantedRace) {
      // The planted race: one running thread is left out, to be parked only after the CPU
      // is dead (parkHeldBack). Torture must notice it run while its CPU is not online.
      // The newest running thread: per-CPU threads, made first, may be held off by a
      // strategy's hotplug lock and so would not show the race on their own.
      const running = threads.findLast((r) => !(Atomics.load(this.words, r.base + KT_FLAGS) & (KtFlag.PARKED | KtFlag.EXITED | KtFlag.SHOULD_PARK)));
      threads = threads.filter((r) => r !== running);
      if (running !== undefined) this.heldBack.set(cpu, running);
    }
    const started = performance.now();
    const fresh = threads.filter((r) => !(setFlags(this.words, r.base + KT_FLAGS, KtFlag.CPU_PARK) & (KtFlag.PARKED | KtFlag.EXITED)));
    this.trace({ type: 'park-cpu', cpu, threads: threads.map((r) => r.name) });
    const unresponsive: string[] = [];
    await Promise.all(
      threads.map(async (record) => {
        if (!(await waitForWord(this.words, record.base + KT_FLAGS, parkAcknowledged, timeoutMs))) {
          unresponsive.push(this.describe(record));
        } else if (fresh.includes(record)) {
          this.parkLatency.record(performance.now() - started);
        }
      }),
    );
    if (unresponsive.length > 0) this.unparkCpu(cpu);
    return unresponsive;
  }

  /** Parks the thread the planted race held back from parkCpu, if there is one. */
  async parkHeldBack(cpu: number, timeoutMs: number): Promise<void> {
    const record = this.heldBack.get(cpu);
    if (record === undefined) return;
    this.heldBack.delete(cpu);
    if (record.gone !== undefined) return;
    // Let it run on the dead CPU until its next iteration notification (every 256), so the
    // race shows every time rather than only when the window happens to be hit.
    const iterations = record.base + KT_ITERATIONS;
    const next = (Math.floor(Atomics.load(this.words, iterations) / 256) + 1) * 256;
    await waitForWord(this.words, iterations, (v) => v >= next, timeoutMs);
    setFlags(this.words, record.base + KT_FLAGS, KtFlag.CPU_PARK);
    await waitForWord(this.words, record.base + KT_FLAGS, parkAcknowledged, timeoutMs);
  }

  /**
   * The recreate strategy's CPU down: stop every thread bound to `cpu` and reap it. Returns
   * the threads that did not exit in time (the others are gone; a stop cannot be undone).
   */
  async stopCpu(cpu: number, timeoutMs: number, reap: (slot: number) => Promise<ExitRecord>): Promise<string[]> {
    const unresponsive: string[] = [];
    await Promise.all(
      [...this.records.values()]
        .filter((record) => record.cpu === cpu)
        .map(async (record) => {
          // A thread that threw was still reaped (its record is gone); one that did not exit is not.
          await this.stop(record.handle, timeoutMs, reap).catch(() => undefined);
          if (record.gone === undefined) unresponsive.push(this.describe(record));
        }),
    );
    return unresponsive;
  }

  /** Clears CPU_PARK on every thread bound to `cpu`; threads with SHOULD_PARK stay parked. */
  unparkCpu(cpu: number): void {
    for (const record of this.records.values()) {
      if (record.cpu === cpu) clearFlags(this.words, record.base + KT_FLAGS, KtFlag.CPU_PARK);
    }
  }

  /**
   * The worker of `cpu` died, and its threads with it. No thread is left to set EXITED, so
   * the controller does, which ends every wait on their words at once; then their records
   * and slots are freed. Per-CPU threads are made afresh when the CPU comes up again.
   */
  workerDied(cpu: number, why: string): void {
    this.forgetCpu(cpu, `it was lost when the worker of CPU ${cpu} died (${why})`, `worker died: ${why}`);
  }

  /**
   * Every thread bound to `cpu` is gone with its worker (it died, or the runtime shut down):
   * EXITED is set for them, which ends every wait on their words at once, and their records
   * and slots are freed. Their handles say `why` from then on.
   */
  forgetCpu(cpu: number, why: string, traced = why): void {
    this.heldBack.delete(cpu);
    for (const record of [...this.records.values()]) {
      if (record.cpu !== cpu) continue;
      setFlags(this.words, record.base + KT_FLAGS, KtFlag.EXITED);
      this.forget(record, why);
      this.trace({ type: 'exit', cpu, thread: record.name, ok: false, error: traced });
    }
  }

  /** Makes the worker-side request for a reserved thread. */
  static request(reserved: { request: Omit<CreateKthreadRequest, 'data'> }, data: unknown): CreateKthreadRequest {
    return { ...reserved.request, data };
  }
}

function errorMessage(error: unknown): string {
  try {
    return error instanceof Error ? error.message : String(error);
  } catch {
    return 'an error that cannot be described';
  }
}

/** Names what a caller passed as a handle, for an error; never throws. */
function describeHandle(value: unknown): string {
  try {
    if (value === null || typeof value !== 'object') return typeof value === 'symbol' ? value.toString() : `${typeof value} ${String(value)}`.slice(0, 80);
    const id = (value as { id?: unknown }).id;
    return typeof id === 'number' ? `an object with id ${id}` : 'this object';
  } catch {
    return 'this value';
  }
}
