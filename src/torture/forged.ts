/**
 * The 'forged' fault: kthread calls with handles the runtime did not hand out for its own
 * threads. A handle is the only thing that lets a caller park, unpark, stop or wake a
 * thread, so the runtime must refuse, with a KthreadError, each of:
 *
 * - a plain copy of a real handle (`{ ...handle }`);
 * - `{ id: n }`, for the id of one of its threads or another;
 * - a handle of another runtime, whose ids overlap with this one's: a second, small runtime
 *   (one CPU, the torture module, one torture thread) started at the beginning of the run.
 *
 * And a refused call must change nothing: the thread the forgery points at (same id) is in
 * the state it was, still running. That is compared for the per-CPU threads, which no other
 * actor parks or stops by hand, on online CPUs that no operation is moving.
 */

import { KthreadError, Runtime, type KthreadHandle } from '../index.js';
import { codeNote } from '../common/errors.js';
import type { Random } from '../common/random.js';
import { PER_CPU_FNS } from './consistency.js';
import { describeError } from '../describe-value.js';
import type { OpKind } from './bounds.js';
import type { TortureCounts } from './stats.js';
import type { Turns } from './turns.js';

export interface ForgedContext {
  readonly counts: TortureCounts;
  readonly pauseMs: number;
  readonly turns: Turns;
  /** Whether a job the run injected holds `cpu`, so its threads may not move for a while. */
  held(cpu: number): boolean;
  budgetLeft(): boolean;
  violation(what: string): void;
  operate(rt: Runtime, actor: string, op: string, body: () => Promise<string>, kind: OpKind): Promise<void>;
}

const METHODS = ['kthreadPark', 'kthreadUnpark', 'kthreadStop', 'wakeUpProcess', 'kthreadInfo'] as const;
type Method = (typeof METHODS)[number];

interface Forgery {
  readonly handle: KthreadHandle;
  readonly what: string;
}

export class ForgedHandles {
  private constructor(
    private readonly ctx: ForgedContext,
    /** The other runtime, and its threads' handles. */
    private readonly other: Runtime,
    private readonly foreign: readonly KthreadHandle[],
  ) {}

  /** Starts the other runtime, with one CPU and the torture module, and a thread on it. */
  static async start(ctx: ForgedContext, module: string, hotplugTimeoutMs: number): Promise<ForgedHandles> {
    const other = await Runtime.start({ cpus: 1, modules: [module], hotplugTimeoutMs, maxKthreads: 8 });
    try {
      const data = { seed: 1, deafChance: 0, deafMs: 0, units: 0, deafSpells: 0 };
      await other.kthreadCreateOnCpu(0, 'torturer', { name: 'foreign-torture/0', data });
      await other.registerPerCpuThread('tortureKworker', { name: 'foreign-tkworker/%u' });
    } catch (error) {
      await other.shutdown();
      throw error;
    }
    return new ForgedHandles(ctx, other, other.kthreadList());
  }

  async actor(rt: Runtime, random: Random): Promise<void> {
    while (this.ctx.budgetLeft()) {
      const threads = rt.kthreadList();
      const forgery = this.forge(random, threads);
      const method = random.pick(METHODS);
      // A forged stop that were accepted would take the hotplug lock.
      await this.ctx.operate(rt, 'forged', `${method}(${forgery.what})`, () => this.attempt(rt, method, forgery), 'kthread-locked');
      await new Promise((resolve) => setTimeout(resolve, this.ctx.pauseMs));
    }
  }

  private forge(random: Random, threads: readonly KthreadHandle[]): Forgery {
    const roll = random.next();
    const target = threads.length > 0 ? random.pick(threads) : undefined;
    if (roll < 0.35 && target !== undefined) return { handle: { ...target }, what: `a plain copy of the handle of '${target.name}' (id ${target.id})` };
    if (roll < 0.7) {
      const maxId = threads.reduce((max, t) => Math.max(max, t.id), 0);
      const id = target !== undefined && random.next() < 0.75 ? target.id : 1 + random.below(maxId + 16);
      return { handle: { id } as unknown as KthreadHandle, what: `{ id: ${id} }` };
    }
    const theirs = random.pick(this.foreign);
    return { handle: theirs, what: `the handle of '${theirs.name}' (id ${theirs.id}) from another runtime` };
  }

  private async attempt(rt: Runtime, method: Method, forgery: Forgery): Promise<string> {
    // The thread of this runtime that has the forgery's id, if any: what a wrongly accepted call would hit.
    const real = rt.kthreadList().find((t) => t.id === forgery.handle.id);
    const watched = real !== undefined && this.watchable(rt, real) ? real : undefined;
    const before = watched === undefined ? undefined : rt.kthreadInfo(watched).state;
    let accepted: string | undefined;
    try {
      const result: unknown = await this.call(rt, method, forgery.handle);
      accepted = `${method} accepted ${forgery.what}${result === undefined ? '' : ` and returned ${JSON.stringify(result)?.slice(0, 120) ?? 'a value'}`}`;
    } catch (error) {
      if (!(error instanceof KthreadError && error.code === 'ERR_CPUHP_NOT_A_HANDLE')) {
        this.ctx.violation(`${method} with ${forgery.what} threw ${describeError(error)}${codeNote(error)}; it must refuse it with a KthreadError, code ERR_CPUHP_NOT_A_HANDLE`);
        return 'wrong error';
      }
    }
    if (accepted !== undefined) {
      const hit = real === undefined ? '' : `; this runtime's thread with that id is '${real.name}' on CPU ${real.cpu}`;
      this.ctx.violation(`${accepted}: a handle the runtime did not issue for its own thread must be refused with a KthreadError${hit}`);
      return 'accepted';
    }
    this.ctx.counts.forgedHandles++;
    if (watched !== undefined && before !== undefined && this.watchable(rt, watched)) {
      const after = rt.kthreadInfo(watched).state;
      if (after !== before) {
        this.ctx.violation(`${method} refused ${forgery.what}, yet '${watched.name}' (id ${watched.id}), which has that id here, went from ${before} to ${after}`);
        return 'refused, but the thread changed';
      }
      return `refused; '${watched.name}' is still ${after}`;
    }
    return 'refused';
  }

  /**
   * A running per-CPU thread on a CPU that is online and that nothing else is moving: it
   * runs on until its CPU goes down, so any change is the forged call's doing.
   */
  private watchable(rt: Runtime, thread: KthreadHandle): boolean {
    if (!PER_CPU_FNS.includes(thread.fn)) return false;
    if (this.ctx.turns.touches(thread.cpu) || this.ctx.held(thread.cpu) || rt.cpuState(thread.cpu) !== 'online') return false;
    try {
      return rt.kthreadInfo(thread).state === 'running';
    } catch {
      return false;
    }
  }

  private async call(rt: Runtime, method: Method, handle: KthreadHandle): Promise<unknown> {
    switch (method) {
      case 'kthreadPark':
        return rt.kthreadPark(handle);
      case 'kthreadUnpark':
        return rt.kthreadUnpark(handle);
      case 'kthreadStop':
        return rt.kthreadStop(handle);
      case 'wakeUpProcess':
        return rt.wakeUpProcess(handle);
      case 'kthreadInfo':
        return rt.kthreadInfo(handle).state;
    }
  }

  close(): Promise<void> {
    return this.other.shutdown();
  }
}
