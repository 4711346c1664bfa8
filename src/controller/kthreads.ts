/**
 * The controller's side of kthreads: slot allocation, and kthread_park / kthread_unpark /
 * kthread_stop / wake_up_process as writes of request bits to the thread's flags word
 * (kthread-state.ts), each followed by a waitAsync on the same word where the kernel
 * would wait for a completion.
 */

import { KthreadError } from '../errors.js';
import type { CreateKthreadRequest, ExitRecord } from '../protocol/control-plane.js';
import { ktBase, type Layout, KT_BOUND_CPU, KT_FLAGS, KT_ITERATIONS, KT_LAST_CPU, KT_PARKS, KT_VIOLATIONS, LINE_WORDS, KT_LINES } from '../protocol/layout.js';
import { clearFlags, KtFlag, kthreadStateName, parkAcknowledged, setFlags, type KthreadStateName } from '../protocol/kthread-state.js';
import { waitForWord } from '../protocol/wait.js';
import { Latency } from './latency.js';

/** What the API hands out for a kthread; plain data, safe to log or send anywhere. */
export interface KthreadHandle {
  readonly id: number;
  readonly name: string;
  readonly cpu: number;
  /** The module export the thread runs. */
  readonly fn: string;
}

export interface KthreadInfo extends KthreadHandle {
  readonly state: KthreadStateName;
  readonly iterations: number;
  readonly parks: number;
  readonly lastCpu: number;
  readonly violations: number;
  /** The per-CPU thread group it belongs to, if any. */
  readonly group: string | undefined;
}

interface KthreadRecord extends KthreadHandle {
  readonly slot: number;
  readonly base: number;
  readonly group: string | undefined;
}

export type Trace = (event: { type: string; cpu: number; thread?: string; [key: string]: unknown }) => void;

export class KthreadRegistry {
  readonly parkLatency = new Latency();
  private nextId = 1;
  private readonly free: number[] = [];
  private readonly records = new Map<number, KthreadRecord>();
  /** Test-only (RuntimeOptions.plantedRace): CPU down declares the CPU dead too early. */
  plantedRace = false;
  private readonly heldBack = new Map<number, KthreadRecord>();
  /** Threads lost with a worker that died, and how, so that their handles get a clear error. */
  private readonly lost = new Map<number, string>();

  constructor(
    private readonly words: Int32Array,
    private readonly layout: Layout,
    private readonly trace: Trace,
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
        name,
      );
    }
    const base = ktBase(this.layout, slot);
    this.words.fill(0, base, base + KT_LINES * LINE_WORDS);
    Atomics.store(this.words, base + KT_BOUND_CPU, cpu);
    if (startParked) Atomics.store(this.words, base + KT_FLAGS, KtFlag.CPU_PARK);
    const record: KthreadRecord = { id: this.nextId++, name, cpu, fn, slot, base, group };
    this.records.set(record.id, record);
    return { record: this.handle(record), request: { slot, id: record.id, exportName: fn, name } };
  }

  discard(handle: KthreadHandle): void {
    const record = this.records.get(handle.id);
    if (record === undefined) return;
    this.records.delete(record.id);
    this.free.push(record.slot);
  }

  /** The live record behind a handle; a KthreadError for a stopped or foreign handle. */
  private lookup(handle: KthreadHandle): KthreadRecord {
    const id = typeof handle?.id === 'number' ? handle.id : undefined;
    const record = id === undefined ? undefined : this.records.get(id);
    const lost = id === undefined || record !== undefined ? undefined : this.lost.get(id);
    if (lost !== undefined) throw new KthreadError(`'${handle.name}' (id ${id}) is gone: ${lost}`, handle.name);
    if (record === undefined) {
      throw new KthreadError(
        `no kthread with id ${String(handle?.id)}${handle?.name ? ` ('${handle.name}')` : ''}: it was stopped already or belongs to another runtime`,
        handle?.name,
      );
    }
    return record;
  }

  private handle(record: KthreadRecord): KthreadHandle {
    return { id: record.id, name: record.name, cpu: record.cpu, fn: record.fn };
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
    for (const record of this.records.values()) if (record.cpu === cpu) out.push(this.handle(record));
    return out;
  }

  inGroup(group: string): KthreadHandle[] {
    const out: KthreadHandle[] = [];
    for (const record of this.records.values()) if (record.group === group) out.push(this.handle(record));
    return out;
  }

  all(): KthreadHandle[] {
    return [...this.records.values()].map((record) => this.handle(record));
  }

  info(handle: KthreadHandle): KthreadInfo {
    const record = this.lookup(handle);
    const w = this.words;
    return {
      ...this.handle(record),
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
      throw new KthreadError(`cannot park ${this.describe(record)}: it has exited; stop it with kthreadStop() to collect its result`, record.name);
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
        record.name,
      );
    }
    const after = Atomics.load(this.words, flags);
    if (after & KtFlag.EXITED) {
      throw new KthreadError(`${this.describe(record)} exited instead of parking`, record.name);
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
      throw new KthreadError(`cannot unpark ${this.describe(record)}: it has exited; stop it with kthreadStop() to collect its result`, record.name);
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
   * online; the caller checks that under the hotplug lock.
   */
  async stop(handle: KthreadHandle, timeoutMs: number, reap: (slot: number) => Promise<ExitRecord>): Promise<unknown> {
    const record = this.lookup(handle);
    const flags = record.base + KT_FLAGS;
    setFlags(this.words, flags, KtFlag.SHOULD_STOP);
    this.trace({ type: 'stop', cpu: record.cpu, thread: record.name });
    if (!(await waitForWord(this.words, flags, (v) => (v & KtFlag.EXITED) !== 0, timeoutMs))) {
      throw new KthreadError(
        `${this.describe(record)} did not exit within ${timeoutMs} ms of kthreadStop(); its loop must check kt.shouldStop(), and no other thread or job of its CPU may hold the CPU that long without awaiting. The stop request stays set`,
        record.name,
      );
    }
    // The worker may have died meanwhile, taking the thread with it (workerDied set EXITED).
    const lost = this.lost.get(record.id);
    if (lost !== undefined) throw new KthreadError(`${this.describe(record)} is gone: ${lost}`, record.name);
    const exit = await reap(record.slot);
    this.records.delete(record.id);
    this.free.push(record.slot);
    if (!exit.ok) throw new KthreadError(`${this.describe(record)} threw: ${exit.error}`, record.name);
    return exit.value;
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
    if (!this.records.has(record.id)) return;
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
          await this.stop(record, timeoutMs, reap).catch(() => undefined);
          if (this.records.has(record.id)) unresponsive.push(this.describe(record));
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
    this.heldBack.delete(cpu);
    for (const record of [...this.records.values()]) {
      if (record.cpu !== cpu) continue;
      setFlags(this.words, record.base + KT_FLAGS, KtFlag.EXITED);
      this.records.delete(record.id);
      this.free.push(record.slot);
      this.lost.set(record.id, `it was lost when the worker of CPU ${cpu} died (${why})`);
      this.trace({ type: 'exit', cpu, thread: record.name, ok: false, error: `worker died: ${why}` });
    }
  }

  /** Makes the worker-side request for a reserved thread. */
  static request(reserved: { request: Omit<CreateKthreadRequest, 'data'> }, data: unknown): CreateKthreadRequest {
    return { ...reserved.request, data };
  }
}
