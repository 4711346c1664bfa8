/**
 * The registry of kthreads on the controller: which slot of shared memory each thread
 * uses, the one handle issued for it, and the bookkeeping when a thread or its worker is
 * gone. It owns no operation on a running thread: those are kthread.ts (one thread) and
 * smpboot.ts (a CPU's set of threads).
 *
 * Slot words (protocol/layout.ts, KT_*): the controller initialises a slot's words here,
 * before the worker is asked to start the thread in it, and only then; from then on the
 * flags word is written as protocol/kthread-state.ts says.
 */

import { KthreadError } from '../errors.js';
import type { CreateKthreadRequest } from '../protocol/control-plane.js';
import { KtFlag, kthreadStateName, setFlags, type KthreadStateName } from '../protocol/kthread-state.js';
import { ktBase, type Layout, KT_BOUND_CPU, KT_FLAGS, KT_ITERATIONS, KT_LAST_CPU, KT_PARKS, KT_VIOLATIONS, LINE_WORDS, KT_LINES } from '../protocol/layout.js';
import type { TraceSink } from '../trace/events.js';

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

/** The controller's record of one live thread (kthread.ts and smpboot.ts work on it). */
export interface KthreadRecord extends KthreadIdentity {
  readonly slot: number;
  /** Index of the slot's first word. */
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
  private nextId = 1;
  private readonly free: number[] = [];
  private readonly records = new Map<number, KthreadRecord>();
  /** Every handle this registry issued, live or gone: the only objects lookup() accepts. */
  private readonly issued = new WeakMap<object, KthreadRecord>();

  constructor(
    readonly words: Int32Array,
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
  reserve(cpu: number, fn: string, name: string, group: string | undefined, startParked: boolean): KthreadRecord {
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
    return record;
  }

  /** The worker-side request that starts a reserved thread. */
  static request(record: KthreadRecord, data: unknown): CreateKthreadRequest {
    return { slot: record.slot, id: record.id, exportName: record.fn, name: record.name, data };
  }

  /** Drops a thread's record and frees its slot; its handle says `why` from then on. */
  forget(record: KthreadRecord, why: string): void {
    if (this.records.get(record.id) !== record) return;
    this.records.delete(record.id);
    this.free.push(record.slot);
    record.gone = why;
  }

  /**
   * The live record behind a handle. Only a handle this registry issued is accepted (by
   * identity, not by id), so nothing a caller makes up can name a thread; a KthreadError
   * says why anything else is refused.
   */
  lookup(handle: KthreadHandle): KthreadRecord {
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

  /** The live record of thread `id`, if any (for worker events, which carry ids). */
  byId(id: number): KthreadRecord | undefined {
    return this.records.get(id);
  }

  /** Index of the thread's iteration counter, for waiting on progress (notified every 256). */
  iterationsWord(handle: KthreadHandle): number {
    return this.lookup(handle).base + KT_ITERATIONS;
  }

  /** The live records bound to `cpu`. */
  recordsOn(cpu: number): KthreadRecord[] {
    return [...this.records.values()].filter((record) => record.cpu === cpu);
  }

  onCpu(cpu: number): KthreadHandle[] {
    return this.recordsOn(cpu).map((record) => record.handle);
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

  /** The thread is known to have exited (worker event); for traces only, the record stays until reaped. */
  exited(id: number, ok: boolean, error?: string): void {
    const record = this.records.get(id);
    if (record !== undefined) this.trace({ type: 'exit', cpu: record.cpu, thread: record.name, ok, ...(error ? { error } : {}) });
  }

  /**
   * Every thread bound to `cpu` is gone with its worker (it died, or the runtime shut down):
   * no thread is left to set EXITED, so the controller does, which ends every wait on their
   * words at once; then their records and slots are freed. Their handles say `why` from then on.
   */
  forgetCpu(cpu: number, why: string, traced = why): void {
    for (const record of this.recordsOn(cpu)) {
      setFlags(this.words, record.base + KT_FLAGS, KtFlag.EXITED);
      this.forget(record, why);
      this.trace({ type: 'exit', cpu, thread: record.name, ok: false, error: traced });
    }
  }
}

/** "'name' (id n) on CPU c", for errors. */
export function describeThread(record: KthreadRecord): string {
  return `'${record.name}' (id ${record.id}) on CPU ${record.cpu}`;
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
