/**
 * A kthread actor: it picks random torture threads and parks, unparks, wakes or stops them,
 * or creates new ones on online CPUs (with faults, sometimes a crasher that throws). Each
 * outcome must be one the API promises: a park acknowledged (or, with faults, timed out by a
 * thread in a deaf spell), a refusal for a thread that is gone or whose CPU is down, a stop
 * that returns the thread's data (or its error, for a crasher).
 */

import { setTimeout as sleep } from 'node:timers/promises';
import { HotplugError, KthreadError, type CpuhpErrorCode, type KthreadHandle, type Runtime } from '../index.js';
import type { Random } from '../common/random.js';
// The built-in job kworkers: parked and stopped only with their CPU, and idle when no job waits.
import { KWORKER_EXPORT } from '../protocol/control-plane.js';
import type { OpKind } from './bounds.js';
import type { TortureSettings } from './settings.js';
import type { FaultName } from './faults.js';
import type { TortureData } from './kthreads.js';
import type { TortureCounts } from './stats.js';

export interface KthreadActorContext {
  readonly settings: TortureSettings;
  readonly counts: TortureCounts;
  /** Whether a job the run injected holds `cpu` (it spins, or it is killing the worker). */
  held(cpu: number): boolean;
  injects(fault: FaultName): boolean;
  budgetLeft(): boolean;
  violation(what: string): void;
  operate(rt: Runtime, actor: string, op: string, body: () => Promise<string>, kind: OpKind): Promise<void>;
  createTorturer(rt: Runtime, cpu: number): Promise<KthreadHandle>;
  /** Operations so far: numbers a crasher's name. */
  operations(): number;
}

/**
 * The refusals the API promises for a torture thread, by error code: it exited, or was
 * stopped or lost with its worker, meanwhile. A creation may also find its CPU gone down,
 * every slot taken, or its CPU's worker unable to start the thread (it died, or an injected
 * job held it past the timeout). Any other error fails the operation: a violation.
 */
const GONE = new Set<CpuhpErrorCode>(['ERR_CPUHP_THREAD_GONE', 'ERR_CPUHP_THREAD_EXITED']);
const CREATE_REFUSALS = new Set<CpuhpErrorCode>(['ERR_CPUHP_CPU_OFFLINE', 'ERR_CPUHP_NO_SLOTS', 'ERR_CPUHP_CREATE_TIMEOUT', 'ERR_CPUHP_CREATE_FAILED']);
/** A stop may also find the thread's CPU down, or lose its result with a worker that died. */
const STOP_REFUSALS = new Set<CpuhpErrorCode>([...GONE, 'ERR_CPUHP_CPU_OFFLINE', 'ERR_CPUHP_RESULT_LOST']);

export class KthreadActor {
  constructor(private readonly ctx: KthreadActorContext) {}

  /** The threads torture picks for its operations: not the per-CPU ones, which follow their CPU. */
  private tortureThreads(rt: Runtime): KthreadHandle[] {
    return rt.kthreadList().filter((t) => t.fn !== 'tortureKworker' && t.fn !== KWORKER_EXPORT);
  }

  async actor(rt: Runtime, random: Random, actor: string): Promise<void> {
    const pause = Math.max(1, Math.round(this.ctx.settings.onoffIntervalMs / 4));
    while (this.ctx.budgetLeft()) {
      const threads = this.tortureThreads(rt);
      const roll = random.next();
      const thread = threads.length > 0 ? random.pick(threads) : undefined;
      if (thread === undefined || roll < 0.1) {
        const online = rt.onlineCpus();
        if (online.length === 0) {
          // Every CPU's worker died (injected): nothing to create a thread on until one is up.
          await sleep(pause);
          continue;
        }
        const cpu = random.pick(online);
        const crash = this.ctx.injects('crashers') && random.next() < this.ctx.settings.failRate;
        await this.ctx.operate(rt, actor, `create ${crash ? 'crasher' : 'torturer'} on CPU ${cpu}`, () => this.create(rt, cpu, crash), 'kthread-locked');
      } else if (roll < 0.45) {
        await this.ctx.operate(rt, actor, `park ${thread.name}`, () => this.park(rt, thread), 'kthread');
      } else if (roll < 0.8) {
        await this.ctx.operate(rt, actor, `unpark ${thread.name}`, () => this.unpark(rt, thread), 'kthread');
      } else if (roll < 0.9) {
        await this.ctx.operate(rt, actor, `wake ${thread.name}`, async () => this.refusable(() => rt.wakeUpProcess(thread)), 'kthread');
      } else {
        await this.ctx.operate(rt, actor, `stop ${thread.name}`, () => this.stop(rt, thread), 'kthread-locked');
      }
      await sleep(pause);
    }
  }

  private async create(rt: Runtime, cpu: number, crash: boolean): Promise<string> {
    try {
      if (crash) {
        await rt.kthreadCreateOnCpu(cpu, 'crasher', { name: `crasher/${cpu}.${this.ctx.operations()}` });
        this.ctx.counts.creates++;
        this.ctx.counts.injectedThrows++;
      } else {
        await this.ctx.createTorturer(rt, cpu);
      }
      return 'created';
    } catch (error) {
      // The CPU went down meanwhile, or every slot is taken: refusals the API promises.
      if ((error instanceof HotplugError || error instanceof KthreadError) && CREATE_REFUSALS.has(error.code)) {
        this.ctx.counts.refused++;
        return `refused: ${error.message}`;
      }
      throw error;
    }
  }

  private async park(rt: Runtime, thread: KthreadHandle): Promise<string> {
    try {
      await rt.kthreadPark(thread);
      this.ctx.counts.parks++;
      return 'parked';
    } catch (error) {
      if (!(error instanceof KthreadError)) throw error;
      if (error.code === 'ERR_CPUHP_PARK_TIMEOUT') {
        // Only a thread in an injected deaf spell may ignore a park request.
        if (this.ctx.settings.failRate === 0) this.ctx.violation(`park not acknowledged within the timeout: ${error.message}`);
        else {
          this.ctx.counts.parkTimeouts++;
          this.ctx.counts.faultsSurvived++;
        }
        return `timed out: ${error.message}`;
      }
      return this.refused(error);
    }
  }

  private async unpark(rt: Runtime, thread: KthreadHandle): Promise<string> {
    try {
      await rt.kthreadUnpark(thread);
      this.ctx.counts.unparks++;
      return 'unparked';
    } catch (error) {
      return this.refused(error);
    }
  }

  private refusable(action: () => void): string {
    try {
      action();
      return 'done';
    } catch (error) {
      return this.refused(error);
    }
  }

  /** A KthreadError for a thread that exited or was stopped meanwhile is a promised refusal. */
  private refused(error: unknown, promised: ReadonlySet<CpuhpErrorCode> = GONE): string {
    if (!(error instanceof KthreadError) || !promised.has(error.code)) throw error;
    this.ctx.counts.refused++;
    return `refused: ${error.message}`;
  }

  async stop(rt: Runtime, thread: KthreadHandle): Promise<string> {
    try {
      const data = (await rt.kthreadStop(thread)) as Partial<TortureData> | undefined;
      this.ctx.counts.stops++;
      this.ctx.counts.deafSpells += data?.deafSpells ?? 0;
      return 'stopped';
    } catch (error) {
      if (!(error instanceof KthreadError)) throw error;
      if (error.code === 'ERR_CPUHP_THREAD_THREW') {
        this.ctx.counts.stops++;
        if (thread.fn === 'crasher') {
          this.ctx.counts.faultsSurvived++;
          return 'stopped (it had thrown, as injected)';
        }
        this.ctx.violation(`${thread.name} threw: ${error.message}`);
        return 'threw';
      }
      if (error.code === 'ERR_CPUHP_STOP_TIMEOUT') {
        // A job killing its worker may hog the CPU first (running out of memory takes a while),
        // and the threads of a cooperative CPU cannot run meanwhile: that is the injected fault.
        if (this.ctx.held(thread.cpu)) {
          this.ctx.counts.faultsSurvived++;
          return `timed out while an injected job held CPU ${thread.cpu} (killing its worker, or spinning)`;
        }
        this.ctx.violation(`stop not acknowledged: ${error.message}`);
        return 'hung';
      }
      return this.refused(error, STOP_REFUSALS);
    }
  }
}
