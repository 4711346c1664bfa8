/**
 * A torture run, after kernel/torture.c's torture_onoff and rcutorture: concurrent actors
 * take random CPUs down and up and park, unpark, stop and create single threads, optionally
 * injecting faults, while the run checks the runtime's invariants (README, "Invariants") after every operation
 * and once more at the end. The first violation stops the run; the result names it, the
 * seed, and the operations since the run last found everything consistent.
 */

import { availableParallelism } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { HotplugError, KthreadError, Runtime, type KthreadHandle, type StrategyName, type TraceEvent } from '../index.js';
import { withDeadline } from '../controller/deadline.js';
import { mulberry32, type Random } from '../cli/random.js';
import { OpLog, type OpRecord } from './oplog.js';
import { emptyCounts, Spread, type MinAvgMax, type TortureCounts } from './stats.js';
import type { TortureData } from './kthreads.js';
import { JobActor } from './job-actor.js';
// The built-in job kworkers: parked and stopped only with their CPU, and idle when no job waits.
import { KWORKER_EXPORT } from '../protocol/control-plane.js';

export interface TortureSettings {
  readonly strategy: StrategyName;
  readonly cpus: number;
  /** Torture kthreads per CPU, besides one per-CPU kworker. */
  readonly threadsPerCpu: number;
  /** Stop after this long (ms), or after `ops` operations, whichever comes first. */
  readonly durationMs: number | undefined;
  readonly ops: number | undefined;
  /** Pause between two CPU up/down operations (onoff_interval). */
  readonly onoffIntervalMs: number;
  /** Wait before the first CPU up/down operation (onoff_holdoff). */
  readonly onoffHoldoffMs: number;
  /** 0 to 1: chance that a hotplug operation gets an injected failure; also scales the other faults. */
  readonly failRate: number;
  readonly seed: number;
  readonly hotplugTimeoutMs: number;
  /** Test-only: run with the runtime's planted race (RuntimeOptions.plantedRace). */
  readonly plantedRace: boolean;
  /** Keep the runtime's trace events for a timeline file. */
  readonly keepTrace: boolean;
}

export interface Violation {
  /** ms since the run started. */
  readonly at: number;
  readonly what: string;
}

export interface TortureResult {
  readonly settings: TortureSettings;
  readonly cores: number;
  readonly elapsedMs: number;
  readonly operations: number;
  readonly counts: TortureCounts;
  readonly latency: { readonly offline: MinAvgMax; readonly online: MinAvgMax };
  readonly violations: readonly Violation[];
  /** On a violation: the operations since the run last found everything consistent. */
  readonly trace: readonly OpRecord[];
  readonly ok: boolean;
  /** With keepTrace: the runtime's trace events and the operations, for a timeline. */
  readonly timeline: { readonly events: readonly TraceEvent[]; readonly ops: readonly OpRecord[] } | undefined;
}

export interface TortureProgress {
  readonly elapsedMs: number;
  readonly operations: number;
  readonly counts: Readonly<TortureCounts>;
  readonly violations: number;
}

const MODULE = fileURLToPath(new URL('./kthreads.js', import.meta.url));
/** A state of the run's own, so failures are injected into user callbacks too. */
const TORTURE_STATE = 'torture:online';
const STEPS = ['cpuhp:bringup', 'cpuhp:dying', 'smpboot:threads', TORTURE_STATE];
/** Chance per 100 ms of running that a torture thread starts a deaf spell, per unit of failRate. */
const DEAF_CHANCE_PER_FAIL_RATE = 0.01;
const KTHREAD_ACTORS = 2;
/** With faults injected, a worker heap limit that a hoarding job reaches soon (the OOM fault). */
const FAULT_HEAP_MB = 128;

/** Runs one torture; never throws for what it finds (that is in the result), only for bad settings. */
export async function runTorture(settings: TortureSettings, onProgress?: (progress: TortureProgress) => void): Promise<TortureResult> {
  const started = performance.now();
  const run = new TortureRun(settings, started);
  const rt = await Runtime.start({
    cpus: settings.cpus,
    strategy: settings.strategy,
    modules: [MODULE],
    hotplugTimeoutMs: settings.hotplugTimeoutMs,
    maxKthreads: settings.cpus * (settings.threadsPerCpu + 2) + 64,
    ...(settings.failRate > 0 ? { resourceLimits: { maxOldGenerationSizeMb: FAULT_HEAP_MB } } : {}),
    ...(settings.plantedRace ? { plantedRace: 'dead-before-parked' as const } : {}),
  });
  try {
    return await run.execute(rt, onProgress);
  } finally {
    await rt.shutdown();
  }
}

class TortureRun {
  private readonly log: OpLog;
  private readonly counts = emptyCounts();
  private readonly offline = new Spread();
  private readonly online = new Spread();
  private readonly violations: Violation[] = [];
  private readonly events: TraceEvent[] = [];
  private stopped = false;
  private seenViolations = 0;
  private nextSeed: number;
  private readonly jobs: JobActor;

  constructor(
    private readonly settings: TortureSettings,
    private readonly started: number,
  ) {
    this.log = new OpLog(started);
    this.nextSeed = settings.seed;
    this.jobs = new JobActor({
      counts: this.counts,
      failRate: settings.failRate,
      pauseMs: Math.max(1, settings.onoffIntervalMs),
      budgetLeft: () => this.budgetLeft(),
      violation: (what) => this.violation(what),
      operate: (rt, actor, op, body) => this.operate(rt, actor, op, body),
    });
  }

  private now(): number {
    return performance.now() - this.started;
  }

  /** A fresh seed for a thread or actor, derived from the run's seed in a fixed order. */
  private seed(): number {
    this.nextSeed = (Math.imul(this.nextSeed ^ 0x9e3779b9, 0x85ebca6b) + 0x6b) >>> 0;
    return this.nextSeed;
  }

  private violation(what: string): void {
    this.violations.push({ at: this.now(), what });
    this.stopped = true;
  }

  private budgetLeft(): boolean {
    if (this.stopped) return false;
    const { ops, durationMs } = this.settings;
    if (ops !== undefined && this.log.count >= ops) return false;
    if (durationMs !== undefined && this.now() >= durationMs) return false;
    return true;
  }

  async execute(rt: Runtime, onProgress?: (progress: TortureProgress) => void): Promise<TortureResult> {
    // Re-stamped on the run's own clock as they are emitted (the listener runs synchronously),
    // so the runtime's events and the operations share one time axis in the timeline.
    if (this.settings.keepTrace) rt.on('trace', (event) => this.events.push({ ...event, ts: this.now() }));
    await rt.setupState(TORTURE_STATE, { startup: () => undefined, teardown: () => undefined });
    await rt.registerPerCpuThread('tortureKworker', { name: 'tkworker/%u' });
    for (let cpu = 0; cpu < this.settings.cpus; cpu++) {
      for (let i = 0; i < this.settings.threadsPerCpu; i++) await this.createTorturer(rt, cpu);
    }
    const report = setInterval(() => onProgress?.(this.progress()), 1000);
    let operations = 0;
    try {
      await Promise.all([
        this.onoffActor(rt, mulberry32(this.seed())),
        ...Array.from({ length: KTHREAD_ACTORS }, (_, i) => this.kthreadActor(rt, mulberry32(this.seed()), `kthread-${i}`)),
        this.jobs.actor(rt, mulberry32(this.seed())),
      ]);
      operations = this.log.count;
      if (this.violations.length === 0) await this.finalCheck(rt);
      if (this.violations.length === 0) await this.collectThreads(rt);
      if (this.violations.length === 0) {
        const patience = this.patience();
        await this.operate(rt, 'final', 'every job settles, each run as its outcome says', () => this.jobs.finish(rt, patience), patience + 5000);
      }
    } finally {
      clearInterval(report);
      this.jobs.close();
    }
    onProgress?.(this.progress());
    return {
      settings: this.settings,
      cores: availableParallelism(),
      elapsedMs: this.now(),
      operations,
      counts: { ...this.counts },
      latency: { offline: this.offline.summary(), online: this.online.summary() },
      violations: this.violations,
      trace: this.violations.length > 0 ? this.log.sinceConsistent() : [],
      ok: this.violations.length === 0,
      timeline: this.settings.keepTrace ? { events: this.events, ops: [...this.log.all()] } : undefined,
    };
  }

  private progress(): TortureProgress {
    return { elapsedMs: this.now(), operations: this.log.count, counts: this.counts, violations: this.violations.length };
  }

  private async createTorturer(rt: Runtime, cpu: number): Promise<KthreadHandle> {
    const data: TortureData = {
      seed: this.seed(),
      deafChance: this.settings.failRate * DEAF_CHANCE_PER_FAIL_RATE,
      deafMs: Math.round(this.settings.hotplugTimeoutMs * 1.5),
      units: 0,
      deafSpells: 0,
    };
    const thread = await rt.kthreadCreateOnCpu(cpu, 'torturer', { name: `torture/${cpu}.${data.seed.toString(16)}`, data });
    this.counts.creates++;
    return thread;
  }

  /**
   * Runs one operation under a deadline (a hung operation is a violation), records it, and
   * checks the invariant the workers count after it.
   */
  private async operate(rt: Runtime, actor: string, op: string, body: () => Promise<string>, bound = this.settings.hotplugTimeoutMs * 4 + 5000): Promise<void> {
    const record = this.log.begin(actor, op);
    let outcome: string;
    try {
      outcome = await withDeadline(body(), bound, () => new Error(`hung: did not finish within ${bound} ms`));
    } catch (error) {
      outcome = `error: ${error instanceof Error ? error.message : String(error)}`;
      this.violation(`${op} (${actor}) ${outcome}`);
    }
    this.log.end(record, outcome);
    this.check(rt);
  }

  /** Invariant 1, as the workers count it: no bound thread ran while its CPU was not online. */
  private check(rt: Runtime): void {
    // After a violation nothing is consistent any more: the checkpoint stays before it.
    if (this.violations.length > 0) return;
    const count = rt.stats().violations;
    if (count > this.seenViolations) {
      this.violation(`bound threads ran ${count - this.seenViolations} units of work while their CPU was not online (stats().violations = ${count})`);
      this.seenViolations = count;
      return;
    }
    this.log.markConsistent();
  }

  private async onoffActor(rt: Runtime, random: Random): Promise<void> {
    if (this.settings.onoffHoldoffMs > 0) await sleep(this.settings.onoffHoldoffMs);
    while (this.budgetLeft()) {
      const cpu = random.below(this.settings.cpus);
      const wasOnline = rt.onlineCpus().includes(cpu);
      const inject = this.settings.failRate > 0 && random.next() < this.settings.failRate ? random.pick(STEPS) : undefined;
      const op = `${wasOnline ? 'cpuDown' : 'cpuUp'}(${cpu})${inject ? ` with a failure injected at ${inject}` : ''}`;
      await this.operate(rt, 'onoff', op, () => this.hotplug(rt, cpu, wasOnline, inject));
      if (this.settings.onoffIntervalMs > 0) await sleep(this.settings.onoffIntervalMs);
    }
  }

  private async hotplug(rt: Runtime, cpu: number, wasOnline: boolean, inject: string | undefined): Promise<string> {
    const before = rt.cpuState(cpu);
    if (inject !== undefined) {
      rt.injectFailure(cpu, inject);
      this.counts.injectedCallbackFailures++;
    }
    const t0 = performance.now();
    if (wasOnline) this.counts.offlineAttempts++;
    else this.counts.onlineAttempts++;
    try {
      if (wasOnline) await rt.cpuDown(cpu);
      else await rt.cpuUp(cpu);
    } catch (error) {
      if (!(error instanceof HotplugError)) throw error;
      if (/last online CPU/.test(error.message)) {
        this.counts.refused++;
        return 'refused: last online CPU';
      }
      if (/died during/.test(error.message)) return this.workerDiedMeanwhile(cpu, error.message);
      this.counts.rollbacks++;
      const after = rt.cpuState(cpu);
      // A failed CPU whose cpuUp rolled back is offline with a fresh, dormant worker: fine.
      if (after !== before && !(before === 'failed' && after === 'offline')) {
        this.violation(`after a rolled-back ${wasOnline ? 'cpuDown' : 'cpuUp'}(${cpu}) the CPU is ${after}, not ${before} as it started: ${error.message}`);
        return `rolled back to ${after}`;
      }
      this.counts.faultsSurvived++;
      return `rolled back (${error.step ?? 'before any step'}): ${error.message}`;
    }
    const ms = performance.now() - t0;
    if (wasOnline) {
      this.counts.offlineSuccesses++;
      this.offline.record(ms);
    } else {
      this.counts.onlineSuccesses++;
      this.online.record(ms);
    }
    const after = rt.cpuState(cpu);
    if (after === 'failed') return this.workerDiedMeanwhile(cpu, `CPU ${cpu} is failed after ${wasOnline ? 'cpuDown' : 'cpuUp'} resolved`);
    if (!wasOnline && after !== 'online') this.violation(`cpuUp(${cpu}) resolved but the CPU is ${after}`);
    if (wasOnline && (after !== 'offline' || !(rt.isDormant(cpu) || !rt.hasWorker(cpu)))) {
      this.violation(`cpuDown(${cpu}) resolved but the CPU is ${after} and its worker is not blocked`);
    }
    return `ok in ${ms.toFixed(2)} ms`;
  }

  /**
   * A hotplug operation met a worker that died (before it, or during it): an injected fault
   * when faults are injected (the job actor kills workers), and a violation when not.
   */
  private workerDiedMeanwhile(cpu: number, what: string): string {
    if (this.settings.failRate === 0) this.violation(`the worker of CPU ${cpu} died with no fault injected: ${what}`);
    return `the worker of CPU ${cpu} died meanwhile (an injected fault): ${what}`;
  }

  /** The longest wait for something that must happen at the end of a run. */
  private patience(): number {
    return Math.max(20_000, this.settings.hotplugTimeoutMs * 4);
  }

  /** The threads torture picks for its operations: not the per-CPU ones, which follow their CPU. */
  private tortureThreads(rt: Runtime): KthreadHandle[] {
    return rt.kthreadList().filter((t) => t.fn !== 'tortureKworker' && t.fn !== KWORKER_EXPORT);
  }

  private async kthreadActor(rt: Runtime, random: Random, actor: string): Promise<void> {
    const pause = Math.max(1, Math.round(this.settings.onoffIntervalMs / 4));
    while (this.budgetLeft()) {
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
        const crash = this.settings.failRate > 0 && random.next() < this.settings.failRate;
        await this.operate(rt, actor, `create ${crash ? 'crasher' : 'torturer'} on CPU ${cpu}`, () => this.create(rt, cpu, crash));
      } else if (roll < 0.45) {
        await this.operate(rt, actor, `park ${thread.name}`, () => this.park(rt, thread));
      } else if (roll < 0.8) {
        await this.operate(rt, actor, `unpark ${thread.name}`, () => this.unpark(rt, thread));
      } else if (roll < 0.9) {
        await this.operate(rt, actor, `wake ${thread.name}`, async () => this.refusable(() => rt.wakeUpProcess(thread)));
      } else {
        await this.operate(rt, actor, `stop ${thread.name}`, () => this.stop(rt, thread));
      }
      await sleep(pause);
    }
  }

  private async create(rt: Runtime, cpu: number, crash: boolean): Promise<string> {
    try {
      if (crash) {
        await rt.kthreadCreateOnCpu(cpu, 'crasher', { name: `crasher/${cpu}.${this.log.count}` });
        this.counts.creates++;
        this.counts.injectedThrows++;
      } else {
        await this.createTorturer(rt, cpu);
      }
      return 'created';
    } catch (error) {
      // The CPU went down meanwhile, or every slot is taken: refusals the API promises.
      if (error instanceof HotplugError || error instanceof KthreadError) {
        this.counts.refused++;
        return `refused: ${error.message}`;
      }
      throw error;
    }
  }

  private async park(rt: Runtime, thread: KthreadHandle): Promise<string> {
    try {
      await rt.kthreadPark(thread);
      this.counts.parks++;
      return 'parked';
    } catch (error) {
      if (!(error instanceof KthreadError)) throw error;
      if (/did not park within/.test(error.message)) {
        // Only a thread in an injected deaf spell may ignore a park request.
        if (this.settings.failRate === 0) this.violation(`park not acknowledged within the timeout: ${error.message}`);
        else {
          this.counts.parkTimeouts++;
          this.counts.faultsSurvived++;
        }
        return `timed out: ${error.message}`;
      }
      this.counts.refused++;
      return `refused: ${error.message}`;
    }
  }

  private async unpark(rt: Runtime, thread: KthreadHandle): Promise<string> {
    try {
      await rt.kthreadUnpark(thread);
      this.counts.unparks++;
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
  private refused(error: unknown): string {
    if (!(error instanceof KthreadError)) throw error;
    this.counts.refused++;
    return `refused: ${error.message}`;
  }

  private async stop(rt: Runtime, thread: KthreadHandle): Promise<string> {
    try {
      const data = (await rt.kthreadStop(thread)) as Partial<TortureData> | undefined;
      this.counts.stops++;
      this.counts.deafSpells += data?.deafSpells ?? 0;
      return 'stopped';
    } catch (error) {
      if (!(error instanceof KthreadError)) throw error;
      if (/ threw: /.test(error.message)) {
        this.counts.stops++;
        if (thread.fn === 'crasher') {
          this.counts.faultsSurvived++;
          return 'stopped (it had thrown, as injected)';
        }
        this.violation(`${thread.name} threw: ${error.message}`);
        return 'threw';
      }
      if (/did not exit within/.test(error.message)) {
        // A job killing its worker may hog the CPU first (running out of memory takes a while),
        // and the threads of a cooperative CPU cannot run meanwhile: that is the injected fault.
        if (this.jobs.killing(thread.cpu)) {
          this.counts.faultsSurvived++;
          return `timed out while a job was killing the worker of CPU ${thread.cpu} (an injected fault)`;
        }
        this.violation(`stop not acknowledged: ${error.message}`);
        return 'hung';
      }
      this.counts.refused++;
      return `refused: ${error.message}`;
    }
  }

  /**
   * The end state must be consistent: every CPU fully online or offline (or failed, its
   * worker gone, after an injected worker death), its worker running exactly when online,
   * and, once unparked, every thread on an online CPU making progress and every thread on an
   * offline CPU still parked. The job kworkers are idle when no job waits: jobs are checked
   * on their own at the end.
   */
  private async finalCheck(rt: Runtime): Promise<void> {
    const record = this.log.begin('final', 'final consistency check');
    const online = rt.onlineCpus();
    for (let cpu = 0; cpu < this.settings.cpus; cpu++) {
      const up = online.includes(cpu);
      const state = rt.cpuState(cpu);
      if (state === 'failed' && this.settings.failRate > 0 && !rt.hasWorker(cpu)) continue;
      if (state !== (up ? 'online' : 'offline')) this.violation(`CPU ${cpu} ended ${state}, neither fully online nor offline`);
      const quiet = rt.isDormant(cpu) || !rt.hasWorker(cpu);
      if (quiet === up) this.violation(`CPU ${cpu} is ${state} but its worker is ${quiet ? 'blocked' : 'running'}`);
    }
    const patience = this.patience();
    for (const thread of rt.kthreadList().filter((t) => t.fn !== KWORKER_EXPORT)) {
      const info = rt.kthreadInfo(thread);
      if (info.state === 'exited') continue;
      await rt.kthreadUnpark(thread);
      if (!online.includes(thread.cpu)) {
        if (info.state !== 'parked') this.violation(`${thread.name} is ${info.state} on offline CPU ${thread.cpu}`);
      } else if (!(await rt.waitForIterations(thread, info.iterations + 256, patience))) {
        this.violation(`${thread.name} on online CPU ${thread.cpu} made no progress after unpark`);
      }
    }
    this.log.end(record, this.violations.length === 0 ? 'consistent' : 'violations');
    this.check(rt);
  }

  /** Brings every CPU up and stops every thread, adding their deaf spells to the counts. */
  private async collectThreads(rt: Runtime): Promise<void> {
    for (let cpu = 0; cpu < this.settings.cpus; cpu++) {
      // An injected failure whose operation was refused is still pending: it fires here once.
      await rt.cpuUp(cpu).catch(() => rt.cpuUp(cpu));
    }
    await Promise.all(rt.kthreadList().filter((t) => t.fn !== KWORKER_EXPORT).map((thread) => this.stop(rt, thread)));
  }
}
