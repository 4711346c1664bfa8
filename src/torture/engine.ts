/**
 * A torture run, after kernel/torture.c's torture_onoff and rcutorture: concurrent actors
 * take random CPUs down and up and park, unpark, stop and create single threads, optionally
 * injecting faults, while the run checks the runtime's invariants (docs/design.md, "Invariants and how they are checked") after every operation
 * and once more at the end. The first violation stops the run; the result names it, the
 * seed, and the operations since the run last found everything consistent.
 *
 * This file starts the runtime and wires the run together. The actors: onoff (onoff.ts, CPU
 * down and up), two kthread actors (kthread-actor.ts), the job actor (job-actor.ts, with the
 * fault jobs of fault-jobs.ts), and with faults the state actor (state-actor.ts) and the
 * forged-handle actor (forged.ts). Faults that are not actors: the run's own state's
 * throwing callbacks (online-state.ts) and a throwing trace listener (listener-fault.ts).
 * Every operation runs through operations.ts, which times it on the progress clock
 * (progress-clock.ts) against the runtime's own worst case (bounds.ts) and checks
 * consistency.ts after it; the end of the run is finale.ts. The settings and the result
 * are in settings.ts.
 */

import { availableParallelism } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Runtime, type KthreadHandle, type RuntimeOptions, type TraceEvent } from '../index.js';
import { mulberry32 } from '../common/random.js';
import { aborted, settledWithin } from '../common/abort.js';
import { emptyCounts, Spread } from './stats.js';
import type { TortureData } from './kthreads.js';
import { JobActor } from './job-actor.js';
import { Busy } from './busy.js';
import { Consistency } from './consistency.js';
import type { FaultName } from './faults.js';
import { Finale } from './finale.js';
import { ForgedHandles, type ForgedContext } from './forged.js';
import { KthreadActor } from './kthread-actor.js';
import { OnoffActor } from './onoff.js';
import { ThrowingListener } from './listener-fault.js';
import { OnlineState, TORTURE_STATE } from './online-state.js';
import { Operations } from './operations.js';
import { ProcessWatch } from './process-watch.js';
import { ProgressClock } from './progress-clock.js';
import { watchdogMsFor, type TortureHooks, type TortureProgress, type TortureResult, type TortureSettings } from './settings.js';
import type { TortureView } from '../dashboard/protocol.js';
import { StateActor } from './state-actor.js';
import { StepTable } from './steps.js';
import { Turns } from './turns.js';

const MODULE = fileURLToPath(new URL('./kthreads.js', import.meta.url));
/** Chance per 100 ms of running that a torture thread starts a deaf spell, per unit of failRate. */
const DEAF_CHANCE_PER_FAIL_RATE = 0.01;
const KTHREAD_ACTORS = 2;
/** With faults injected, a worker heap limit that a hoarding job reaches soon (the OOM fault). */
const FAULT_HEAP_MB = 128;
/** The operation the planted hang waits for, so that the run has started in earnest. */
const PLANTED_HANG_AFTER_OPS = 20;

/**
 * Once the run is asked to stop, how long the actors may take to finish the operations under
 * way, and then the runtime to shut down, before the run gives up waiting for each: a person
 * who pressed Ctrl-C waits for the report, so this is short, and shorter than the command's
 * own bound (cli/exit.ts, WIND_DOWN_MS) on both together.
 */
function windDownMs(settings: TortureSettings): number {
  return Math.min(10_000, Math.max(5000, 3 * settings.hotplugTimeoutMs));
}

/** The watchdog's options, which a runtime without a watchdog ignores. */
interface WatchdogOptions {
  readonly watchdogMs?: number;
  readonly onLockup?: 'fail';
}

/**
 * Runs one torture; never throws for what it finds (that is in the result), only for bad
 * settings. `stop` ends the run early (Ctrl-C): the actors end after the operations under
 * way, the end-of-run checks are skipped, and the result says `interrupted`. `hooks.onStart`
 * is given the runtime and the run's live view once the runtime is up (settings.ts).
 */
export async function runTorture(
  settings: TortureSettings,
  onProgress?: (progress: TortureProgress) => void,
  stop?: AbortSignal,
  hooks?: TortureHooks,
): Promise<TortureResult> {
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
    await hooks?.onStart?.(rt, () => run.view());
    return await run.execute(rt, onProgress, stop);
  } finally {
    if (stop?.aborted === true) await settledWithin(rt.shutdown(), windDownMs(settings));
    else await rt.shutdown();
    run.close();
  }
}

class TortureRun {
  private readonly counts = emptyCounts();
  private readonly offline = new Spread();
  private readonly online = new Spread();
  private readonly events: TraceEvent[] = [];
  private nextSeed: number;
  private readonly clock = new ProgressClock();
  private readonly steps = new StepTable();
  private readonly turnsBusy = new Busy(this.clock);
  /** Time during which an operation that takes the runtime's hotplug lock was under way. */
  private readonly lockBusy = new Busy(this.clock);
  private readonly turns = new Turns(this.turnsBusy);
  private readonly consistency: Consistency;
  private readonly ops: Operations;
  private readonly watch: ProcessWatch;
  private readonly jobs: JobActor;
  private readonly onoff: OnoffActor;
  private readonly kthreads: KthreadActor;
  private readonly states: StateActor;
  private readonly onlineState: OnlineState;
  private readonly listener: ThrowingListener;
  private readonly finale: Finale;
  private forged: ForgedHandles | undefined;

  constructor(
    private readonly settings: TortureSettings,
    started: number,
  ) {
    this.nextSeed = settings.seed;
    // How long a per-CPU thread may be missing on an online CPU, or a started fault job unsettled (progress ms).
    const windowMs = 2 * settings.hotplugTimeoutMs;
    const watchdogMs = settings.watchdog ? watchdogMsFor(settings.hotplugTimeoutMs) : undefined;
    const held = (cpu: number): boolean => this.jobs.holding(cpu);
    const { clock, steps, turns } = this;
    this.consistency = new Consistency({ cpus: settings.cpus, clock, steps, turns, held, windowMs, turnsBusy: this.turnsBusy, lockBusy: this.lockBusy });
    const ops = new Operations({ settings, started, clock, steps, lockBusy: this.lockBusy, consistency: this.consistency, watchdogMs });
    this.ops = ops;
    const violation = (what: string): void => ops.violation(what);
    const budgetLeft = (): boolean => ops.budgetLeft();
    const injects = (fault: FaultName): boolean => this.injects(fault);
    const { counts } = this;
    const { operate } = ops;
    const pauseMs = Math.max(1, settings.onoffIntervalMs);
    this.watch = new ProcessWatch(violation);
    this.jobs = new JobActor({
      counts,
      failRate: settings.failRate,
      pauseMs,
      hotplugTimeoutMs: settings.hotplugTimeoutMs,
      watchdogMs,
      windowMs,
      clock,
      injects,
      budgetLeft,
      violation,
      operate,
      cpuDownInTurn: (rt, cpu, actor, op, before) => this.onoff.cpuDownInTurn(rt, cpu, actor, op, before),
    });
    const common = { settings, counts, held, injects, budgetLeft, violation, operate };
    this.onoff = new OnoffActor({ ...common, offline: this.offline, online: this.online, clock, steps, turns, consistency: this.consistency, windowMs, failed: () => ops.failed() });
    this.kthreads = new KthreadActor({ ...common, createTorturer: (rt, cpu) => this.createTorturer(rt, cpu), operations: () => ops.log.count });
    this.states = new StateActor({ counts, cpus: settings.cpus, pauseMs, steps, turns, partWay: this.consistency.partWay, held, budgetLeft, violation, operate });
    // Seeded here, in a fixed order, so that a seed repeats the same choices.
    this.onlineState = new OnlineState(mulberry32(this.seed()), this.injects('rollbacks') ? settings.failRate : 0, counts);
    this.listener = new ThrowingListener(mulberry32(this.seed()), settings.failRate, counts);
    const { onlineState, listener, states, jobs, onoff, kthreads, watch, consistency } = this;
    this.finale = new Finale({ settings, counts, ops, clock, consistency, watch, onlineState, listener, states, jobs, onoff, kthreads, injects });
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

  async execute(rt: Runtime, onProgress?: (progress: TortureProgress) => void, stop?: AbortSignal): Promise<TortureResult> {
    const { ops, settings } = this;
    // Re-stamped on the run's own clock as they are emitted (the listener runs synchronously),
    // so the runtime's events and the operations share one time axis in the timeline. It is
    // registered before the throwing listener, which must not keep events from it.
    if (settings.keepTrace) rt.on('trace', (event) => this.events.push({ ...event, ts: ops.now() }));
    this.watch.install();
    await rt.setupState(TORTURE_STATE, this.onlineState.callbacks());
    this.steps.add(TORTURE_STATE);
    this.onlineState.arm();
    await rt.registerPerCpuThread('tortureKworker', { name: 'tkworker/%u' });
    for (let cpu = 0; cpu < settings.cpus; cpu++) {
      for (let i = 0; i < settings.threadsPerCpu; i++) await this.createTorturer(rt, cpu);
    }
    if (this.injects('listener')) this.listener.attach(rt);
    if (this.injects('forged')) this.forged = await ForgedHandles.start(this.forgedContext(), MODULE, settings.hotplugTimeoutMs);
    const report = setInterval(() => onProgress?.(this.progress()), 1000);
    ops.startActors();
    let operations = 0;
    try {
      const forged = this.forged;
      const actors = Promise.all([
        this.onoff.actor(rt, mulberry32(this.seed())),
        ...Array.from({ length: KTHREAD_ACTORS }, (_, i) => this.kthreads.actor(rt, mulberry32(this.seed()), `kthread-${i}`)),
        this.jobs.actor(rt, mulberry32(this.seed())),
        ...(this.injects('states') ? [this.states.actor(rt, mulberry32(this.seed()))] : []),
        ...(forged !== undefined ? [forged.actor(rt, mulberry32(this.seed()))] : []),
        ...(settings.plantedHang ? [this.plantedHang(rt)] : []),
      ]);
      await Promise.race([
        actors,
        aborted(stop).then(async () => {
          ops.interrupt();
          await settledWithin(actors, windDownMs(settings));
        }),
      ]);
      operations = ops.log.count;
      // An interrupted run reports what it did; checking the end state would keep a person waiting.
      if (!ops.interrupted()) await this.finale.run(rt);
    } finally {
      clearInterval(report);
      this.jobs.close();
      await this.forged?.close();
    }
    onProgress?.(this.progress());
    return {
      settings,
      cores: availableParallelism(),
      elapsedMs: ops.now(),
      operations,
      counts: { ...this.counts },
      latency: { offline: this.offline.summary(), online: this.online.summary() },
      // A copy: after an interrupted run, operations still under way fail against the runtime shut down under them.
      violations: [...ops.violations],
      trace: ops.failed() ? ops.log.sinceConsistent() : [],
      ok: !ops.failed(),
      interrupted: ops.interrupted(),
      warnings: [...this.watch.warnings],
      timeline: settings.keepTrace ? { events: this.events, ops: [...ops.log.all()] } : undefined,
    };
  }

  /** Stops watching the process, once the runtime is shut down. */
  close(): void {
    this.watch.uninstall();
    this.clock.close();
  }

  /** The run's counters for a dashboard (TortureView): read per snapshot, so a copy of the counts and nothing more. */
  view(): TortureView {
    const { ops, settings } = this;
    return {
      elapsedMs: ops.now(),
      durationMs: settings.durationMs ?? null,
      operations: ops.log.count,
      counts: { ...this.counts },
      violations: ops.violations.length,
      violation: ops.violations[0]?.what ?? null,
    };
  }

  private progress(): TortureProgress {
    return { elapsedMs: this.ops.now(), operations: this.ops.log.count, counts: this.counts, violations: this.ops.violations.length };
  }

  private forgedContext(): ForgedContext {
    const { ops } = this;
    return {
      counts: this.counts,
      pauseMs: Math.max(1, this.settings.onoffIntervalMs),
      turns: this.turns,
      held: (cpu) => this.jobs.holding(cpu),
      budgetLeft: () => ops.budgetLeft(),
      violation: (what) => ops.violation(what),
      operate: ops.operate,
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

  /** Test-only: an operation that never settles, which the run must report as hung, by name. */
  private async plantedHang(rt: Runtime): Promise<void> {
    const { ops } = this;
    while (ops.budgetLeft() && ops.log.count < PLANTED_HANG_AFTER_OPS) await sleep(5);
    if (!ops.budgetLeft()) return;
    await ops.operate(rt, 'planted', 'park a thread, planted to never settle (test-only)', () => new Promise<string>(() => undefined), 'kthread');
  }
}
