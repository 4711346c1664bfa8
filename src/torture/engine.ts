/**
 * A torture run, after kernel/torture.c's torture_onoff and rcutorture: concurrent actors
 * take random CPUs down and up and park, unpark, stop and create single threads, optionally
 * injecting faults, while the run checks the runtime's invariants (README, "Invariants") after every operation
 * and once more at the end. The first violation stops the run; the result names it, the
 * seed, and the operations since the run last found everything consistent.
 *
 * The actors: onoff (CPU down and up), two kthread actors, the job actor (job-actor.ts, with
 * the fault jobs of fault-jobs.ts), and with faults the state actor (state-actor.ts) and the
 * forged-handle actor (forged.ts). Faults that are not actors: the run's own state's
 * throwing callbacks (online-state.ts) and a throwing trace listener (listener-fault.ts).
 * The checks after every operation are in consistency.ts; operations are timed on the
 * progress clock (progress-clock.ts) against the runtime's own worst case (bounds.ts).
 */

import { availableParallelism } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Runtime, type KthreadHandle, type RuntimeOptions, type StrategyName, type TraceEvent } from '../index.js';
import { mulberry32 } from '../common/random.js';
import { OpLog, type OpRecord } from './oplog.js';
import { emptyCounts, Spread, type MinAvgMax, type TortureCounts } from './stats.js';
import type { TortureData } from './kthreads.js';
import { JobActor } from './job-actor.js';
// The built-in job kworkers: parked and stopped only with their CPU, and idle when no job waits.
import { KWORKER_EXPORT } from '../protocol/control-plane.js';
import { boundFor, type Bound, type OpKind } from './bounds.js';
import { Busy } from './busy.js';
import { Consistency, PER_CPU_FNS } from './consistency.js';
import { FAULT_NAMES, type FaultName } from './faults.js';
import { ForgedHandles, type ForgedContext } from './forged.js';
import { KthreadActor } from './kthread-actor.js';
import { OnoffActor } from './onoff.js';
import { ThrowingListener } from './listener-fault.js';
import { OnlineState, TORTURE_STATE } from './online-state.js';
import { ProcessWatch } from './process-watch.js';
import { ProgressClock } from './progress-clock.js';
import { StateActor } from './state-actor.js';
import { StepTable } from './steps.js';
import { Turns } from './turns.js';

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
  /**
   * Start the runtime with a watchdog (watchdogMs, onLockup 'fail'), and with faults on,
   * queue jobs that spin forever for it to catch. Off: neither.
   */
  readonly watchdog: boolean;
  /** The kinds of fault injected when failRate > 0 (faults.ts); all by default. */
  readonly faults: readonly FaultName[];
  /** Test-only: one operation never settles, to show that a hang is reported with the operation named. */
  readonly plantedHang: boolean;
}

/** The fault kinds, all on: the default of `TortureSettings.faults`. */
export const ALL_FAULTS: readonly FaultName[] = FAULT_NAMES;

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
/** Chance per 100 ms of running that a torture thread starts a deaf spell, per unit of failRate. */
const DEAF_CHANCE_PER_FAIL_RATE = 0.01;
const KTHREAD_ACTORS = 2;
/** With faults injected, a worker heap limit that a hoarding job reaches soon (the OOM fault). */
const FAULT_HEAP_MB = 128;
/** The operation the planted hang waits for, so that the run has started in earnest. */
const PLANTED_HANG_AFTER_OPS = 20;

/**
 * The runtime's soft-lockup watchdog: how long a CPU may run JavaScript without yielding
 * before its worker is ended and the CPU failed. Well above anything a torture job or thread
 * does at once, so that a loaded machine that is slow to schedule a worker does not set it off.
 */
export function watchdogMsFor(hotplugTimeoutMs: number): number {
  return Math.max(2000, 3 * hotplugTimeoutMs);
}

/** The watchdog's options, which a runtime without a watchdog ignores. */
interface WatchdogOptions {
  readonly watchdogMs?: number;
  readonly onLockup?: 'fail';
}

/** Runs one torture; never throws for what it finds (that is in the result), only for bad settings. */
export async function runTorture(settings: TortureSettings, onProgress?: (progress: TortureProgress) => void): Promise<TortureResult> {
  const started = performance.now();
  const run = new TortureRun(settings, started);
  const options: RuntimeOptions & WatchdogOptions = {
    cpus: settings.cpus,
    strategy: settings.strategy,
    modules: [MODULE],
    hotplugTimeoutMs: settings.hotplugTimeoutMs,
    maxKthreads: settings.cpus * (settings.threadsPerCpu + 2) + 64,
    ...(settings.failRate > 0 ? { resourceLimits: { maxOldGenerationSizeMb: FAULT_HEAP_MB } } : {}),
    ...(settings.plantedRace ? { plantedRace: 'dead-before-parked' as const } : {}),
    ...(settings.watchdog ? { watchdogMs: watchdogMsFor(settings.hotplugTimeoutMs), onLockup: 'fail' as const } : {}),
  };
  const rt = await Runtime.start(options);
  try {
    return await run.execute(rt, onProgress);
  } finally {
    await rt.shutdown();
    run.close();
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
  /** When the actors started (ms since the run started). */
  private actorsStarted: number | undefined;
  private seenViolations = 0;
  private nextSeed: number;
  private readonly clock = new ProgressClock();
  private readonly steps = new StepTable();
  private readonly turnsBusy = new Busy(this.clock);
  /** Time during which an operation that takes the runtime's hotplug lock was under way. */
  private readonly lockBusy = new Busy(this.clock);
  private readonly turns = new Turns(this.turnsBusy);
  private readonly consistency: Consistency;
  private readonly watch: ProcessWatch;
  private readonly jobs: JobActor;
  private readonly onoff: OnoffActor;
  private readonly kthreads: KthreadActor;
  private readonly states: StateActor;
  private readonly onlineState: OnlineState;
  private readonly listener: ThrowingListener;
  private forged: ForgedHandles | undefined;
  /** How long a per-CPU thread may be missing on an online CPU, or a started fault job unsettled (progress ms). */
  private readonly windowMs: number;
  private readonly watchdogMs: number | undefined;

  constructor(
    private readonly settings: TortureSettings,
    private readonly started: number,
  ) {
    this.log = new OpLog(started);
    this.nextSeed = settings.seed;
    this.windowMs = 2 * settings.hotplugTimeoutMs;
    this.watchdogMs = settings.watchdog ? watchdogMsFor(settings.hotplugTimeoutMs) : undefined;
    const held = (cpu: number): boolean => this.jobs.holding(cpu);
    this.consistency = new Consistency({
      cpus: settings.cpus,
      clock: this.clock,
      steps: this.steps,
      turns: this.turns,
      held,
      windowMs: this.windowMs,
      turnsBusy: this.turnsBusy,
      lockBusy: this.lockBusy,
    });
    this.watch = new ProcessWatch((what) => this.violation(what));
    const operate = (rt: Runtime, actor: string, op: string, body: () => Promise<string>, kind: OpKind | Bound): Promise<void> => this.operate(rt, actor, op, body, kind);
    const pauseMs = Math.max(1, settings.onoffIntervalMs);
    this.jobs = new JobActor({
      counts: this.counts,
      failRate: settings.failRate,
      pauseMs,
      hotplugTimeoutMs: settings.hotplugTimeoutMs,
      watchdogMs: this.watchdogMs,
      windowMs: this.windowMs,
      clock: this.clock,
      injects: (fault) => this.injects(fault),
      budgetLeft: () => this.budgetLeft(),
      violation: (what) => this.violation(what),
      operate,
      cpuDownInTurn: (rt, cpu, actor, op, before) => this.onoff.cpuDownInTurn(rt, cpu, actor, op, before),
    });
    const common = {
      settings,
      counts: this.counts,
      held,
      injects: (fault: FaultName) => this.injects(fault),
      budgetLeft: () => this.budgetLeft(),
      violation: (what: string) => this.violation(what),
      operate,
    };
    this.onoff = new OnoffActor({
      ...common,
      offline: this.offline,
      online: this.online,
      clock: this.clock,
      steps: this.steps,
      turns: this.turns,
      consistency: this.consistency,
      windowMs: this.windowMs,
      failed: () => this.violations.length > 0,
    });
    this.kthreads = new KthreadActor({ ...common, createTorturer: (rt, cpu) => this.createTorturer(rt, cpu), operations: () => this.log.count });
    this.states = new StateActor({
      counts: this.counts,
      cpus: settings.cpus,
      pauseMs,
      steps: this.steps,
      turns: this.turns,
      partWay: this.consistency.partWay,
      held,
      budgetLeft: () => this.budgetLeft(),
      violation: (what) => this.violation(what),
      operate,
    });
    // Seeded here, in a fixed order, so that a seed repeats the same choices.
    this.onlineState = new OnlineState(mulberry32(this.seed()), this.injects('rollbacks') ? settings.failRate : 0, this.counts);
    this.listener = new ThrowingListener(mulberry32(this.seed()), settings.failRate, this.counts);
  }

  private now(): number {
    return performance.now() - this.started;
  }

  /** A fresh seed for a thread or actor, derived from the run's seed in a fixed order. */
  private seed(): number {
    this.nextSeed = (Math.imul(this.nextSeed ^ 0x9e3779b9, 0x85ebca6b) + 0x6b) >>> 0;
    return this.nextSeed;
  }

  /** Whether the run injects this kind of fault. */
  private injects(fault: FaultName): boolean {
    return this.settings.failRate > 0 && this.settings.faults.includes(fault);
  }

  private violation(what: string): void {
    this.violations.push({ at: this.now(), what });
    this.stopped = true;
  }

  private budgetLeft(): boolean {
    if (this.stopped) return false;
    const { ops, durationMs } = this.settings;
    if (ops !== undefined && this.log.count >= ops) return false;
    // The duration is the actors' time: starting the runtimes and the threads on a loaded
    // machine may take a while, and must not eat into it.
    if (durationMs !== undefined && this.actorsStarted !== undefined && this.now() - this.actorsStarted >= durationMs) return false;
    return true;
  }

  async execute(rt: Runtime, onProgress?: (progress: TortureProgress) => void): Promise<TortureResult> {
    // Re-stamped on the run's own clock as they are emitted (the listener runs synchronously),
    // so the runtime's events and the operations share one time axis in the timeline. It is
    // registered before the throwing listener, which must not keep events from it.
    if (this.settings.keepTrace) rt.on('trace', (event) => this.events.push({ ...event, ts: this.now() }));
    this.watch.install();
    await rt.setupState(TORTURE_STATE, this.onlineState.callbacks());
    this.steps.add(TORTURE_STATE);
    this.onlineState.arm();
    await rt.registerPerCpuThread('tortureKworker', { name: 'tkworker/%u' });
    for (let cpu = 0; cpu < this.settings.cpus; cpu++) {
      for (let i = 0; i < this.settings.threadsPerCpu; i++) await this.createTorturer(rt, cpu);
    }
    if (this.injects('listener')) this.listener.attach(rt);
    if (this.injects('forged')) this.forged = await ForgedHandles.start(this.forgedContext(), MODULE, this.settings.hotplugTimeoutMs);
    const report = setInterval(() => onProgress?.(this.progress()), 1000);
    this.actorsStarted = this.now();
    let operations = 0;
    try {
      const forged = this.forged;
      await Promise.all([
        this.onoff.actor(rt, mulberry32(this.seed())),
        ...Array.from({ length: KTHREAD_ACTORS }, (_, i) => this.kthreads.actor(rt, mulberry32(this.seed()), `kthread-${i}`)),
        this.jobs.actor(rt, mulberry32(this.seed())),
        ...(this.injects('states') ? [this.states.actor(rt, mulberry32(this.seed()))] : []),
        ...(forged !== undefined ? [forged.actor(rt, mulberry32(this.seed()))] : []),
        ...(this.settings.plantedHang ? [this.plantedHang(rt)] : []),
      ]);
      operations = this.log.count;
      await this.finish(rt);
    } finally {
      clearInterval(report);
      this.jobs.close();
      await this.forged?.close();
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

  /**
   * The end of the run: the faults that can still fire are disarmed, every CPU is brought to
   * rest (a spinning job caught, a CPU left part-way completed, the added states removed),
   * the whole state is checked once more, every CPU comes up, every thread is stopped, and
   * every job must have settled. Each step runs only while no violation has been found.
   */
  private async finish(rt: Runtime): Promise<void> {
    this.onlineState.disarm();
    this.listener.disarm();
    this.states.disarm();
    const patience = this.patience();
    const ok = (): boolean => this.violations.length === 0;
    if (ok()) await this.operate(rt, 'final', 'every spinning job is caught', () => this.jobs.quiesce(), 'job');
    if (ok()) await this.onoff.completePartWay(rt);
    if (ok() && this.injects('states')) await this.states.removeAll(rt);
    if (ok()) await this.operate(rt, 'final', 'every per-CPU thread of every online CPU runs', () => this.settle(rt), this.bound('kthread-locked'));
    if (ok()) await this.finalCheck(rt);
    if (ok()) await this.collectThreads(rt);
    if (ok()) await this.operate(rt, 'final', 'every job settles, each run as its outcome says', () => this.jobs.finish(rt, patience), { progressMs: patience + 5000, capMs: 10 * patience + 60_000 });
    await this.watch.settle();
    this.counts.listenerWarnings = this.watch.listenerWarnings;
    // The runtime counts every listener error and warns once per listener that throws.
    const counted = rt.stats().traceListenerErrors;
    if (ok() && counted !== this.counts.listenerThrows) {
      this.violation(`the trace listener threw ${this.counts.listenerThrows} times, and the runtime counted ${counted} (stats().traceListenerErrors); it must count each listener error`);
    }
    const expected = this.counts.listenerThrows > 0 ? 1 : 0;
    if (ok() && this.counts.listenerWarnings !== expected) {
      this.violation(`the trace listener threw ${this.counts.listenerThrows} times, and the runtime warned ${this.counts.listenerWarnings} times; it must warn once per listener that throws`);
    }
  }

  /** Stops watching the process, once the runtime is shut down. */
  close(): void {
    this.watch.uninstall();
    this.clock.close();
  }

  private progress(): TortureProgress {
    return { elapsedMs: this.now(), operations: this.log.count, counts: this.counts, violations: this.violations.length };
  }

  private forgedContext(): ForgedContext {
    return {
      counts: this.counts,
      pauseMs: Math.max(1, this.settings.onoffIntervalMs),
      turns: this.turns,
      held: (cpu) => this.jobs.holding(cpu),
      budgetLeft: () => this.budgetLeft(),
      violation: (what) => this.violation(what),
      operate: (rt, actor, op, body, kind) => this.operate(rt, actor, op, body, kind),
    };
  }

  private async createTorturer(rt: Runtime, cpu: number): Promise<KthreadHandle> {
    const data: TortureData = {
      seed: this.seed(),
      deafChance: this.injects('deaf') ? this.settings.failRate * DEAF_CHANCE_PER_FAIL_RATE : 0,
      deafMs: Math.round(this.settings.hotplugTimeoutMs * 1.5),
      units: 0,
      deafSpells: 0,
    };
    const thread = await rt.kthreadCreateOnCpu(cpu, 'torturer', { name: `torture/${cpu}.${data.seed.toString(16)}`, data });
    this.counts.creates++;
    return thread;
  }

  /** The runtime's worst case for an operation of this kind, now (bounds.ts). */
  private bound(kind: OpKind): Bound {
    return boundFor(kind, {
      hotplugTimeoutMs: this.settings.hotplugTimeoutMs,
      cpus: this.settings.cpus,
      steps: this.steps.count,
      perCpuGroups: PER_CPU_FNS.length,
      recreate: this.settings.strategy === 'recreate',
      watchdogMs: this.watchdogMs ?? 0,
    });
  }

  /**
   * Runs one operation under a deadline (a hung operation is a violation), records it, and
   * checks the invariants after it. The deadline is the runtime's own worst case for that
   * kind of operation, on the progress clock, so a loaded machine does not fake a hang.
   */
  private async operate(rt: Runtime, actor: string, op: string, body: () => Promise<string>, kind: OpKind | Bound): Promise<void> {
    const record = this.log.begin(actor, op);
    const { progressMs, capMs } = typeof kind === 'string' ? this.bound(kind) : kind;
    const locks = kind === 'hotplug' || kind === 'kthread-locked';
    if (locks) this.lockBusy.enter();
    let outcome: string;
    try {
      outcome = await this.clock.deadline(
        body(),
        progressMs,
        capMs,
        (wallMs) =>
          new Error(
            `hung: did not finish within ${progressMs} ms of controller progress (${Math.round(wallMs)} ms by the wall clock), longer than the runtime may take for it by its own timeouts`,
          ),
      );
    } catch (error) {
      outcome = `error: ${error instanceof Error ? error.message : String(error)}`;
      this.violation(`${op} (${actor}) ${outcome}`);
    } finally {
      if (locks) this.lockBusy.leave();
    }
    this.log.end(record, outcome);
    this.check(rt);
  }

  /** The invariants that hold after every operation (consistency.ts), and invariant 1 as the workers count it. */
  private check(rt: Runtime): void {
    // After a violation nothing is consistent any more: the checkpoint stays before it.
    if (this.violations.length > 0) return;
    const found = this.consistency.check(rt);
    if (found !== undefined) {
      this.violation(found);
      return;
    }
    const count = rt.stats().violations;
    if (count > this.seenViolations) {
      this.violation(`bound threads ran ${count - this.seenViolations} units of work while their CPU was not online (stats().violations = ${count})`);
      this.seenViolations = count;
      return;
    }
    this.log.markConsistent();
  }

  /** Test-only: an operation that never settles, which the run must report as hung, by name. */
  private async plantedHang(rt: Runtime): Promise<void> {
    while (this.budgetLeft() && this.log.count < PLANTED_HANG_AFTER_OPS) await sleep(5);
    if (!this.budgetLeft()) return;
    await this.operate(rt, 'planted', 'park a thread, planted to never settle (test-only)', () => new Promise<string>(() => undefined), 'kthread');
  }

  /** Waits until no per-CPU thread is missing or parked on an online CPU, or that has lasted too long. */
  private async settle(rt: Runtime): Promise<string> {
    for (;;) {
      const found = this.consistency.check(rt);
      if (found !== undefined) {
        this.violation(found);
        return 'a per-CPU thread is still missing';
      }
      if (this.consistency.pending === 0) return 'every per-CPU thread runs';
      await this.clock.sleep(100);
    }
  }

  /** The longest wait for something that must happen at the end of a run. */
  private patience(): number {
    return Math.max(20_000, this.settings.hotplugTimeoutMs * 4);
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
    // An injected failure whose operation was refused is still pending: it fires here once.
    await this.onoff.bringAllUp(rt);
    if (this.violations.length > 0) return;
    await Promise.all(rt.kthreadList().filter((t) => t.fn !== KWORKER_EXPORT).map((thread) => this.kthreads.stop(rt, thread)));
  }
}
