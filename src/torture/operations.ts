/**
 * How a torture run does each of its operations, and what it makes of them: every actor's
 * operation runs through `operate`, under a deadline that is the runtime's own worst case
 * for that kind of operation (bounds.ts) on the progress clock, is numbered in the
 * operation log, and is followed by the checks of consistency.ts and the workers' own count
 * of invariant 1. The first violation stops the run: the actors see no budget left.
 */

import type { Runtime } from '../index.js';
import { workerViolationsProblem } from '../common/invariants.js';
import { boundFor, type Bound, type OpKind } from './bounds.js';
import type { Busy } from './busy.js';
import { PER_CPU_FNS, type Consistency } from './consistency.js';
import { OpLog } from './oplog.js';
import type { ProgressClock } from './progress-clock.js';
import type { TortureSettings, Violation } from './settings.js';
import type { StepTable } from './steps.js';

export interface OperationsContext {
  readonly settings: TortureSettings;
  /** performance.now() when the run started: its times are ms since then. */
  readonly started: number;
  readonly clock: ProgressClock;
  readonly steps: StepTable;
  /** Time during which an operation that takes the runtime's hotplug lock was under way. */
  readonly lockBusy: Busy;
  readonly consistency: Consistency;
  /** The runtime's watchdog, when the run started it with one. */
  readonly watchdogMs: number | undefined;
}

/** One operation of an actor: runs `body`, which says how it went. */
export type Operate = (rt: Runtime, actor: string, op: string, body: () => Promise<string>, kind: OpKind | Bound) => Promise<void>;

export class Operations {
  readonly log: OpLog;
  readonly violations: Violation[] = [];
  private stopped = false;
  /** The run was asked to stop (Ctrl-C): the actors see no budget left, and no violation is recorded. */
  private interruptedAt: number | undefined;
  /** When the actors started (ms since the run started). */
  private actorsStarted: number | undefined;
  private seenViolations = 0;

  constructor(private readonly ctx: OperationsContext) {
    this.log = new OpLog(ctx.started);
  }

  /** ms since the run started. */
  now(): number {
    return performance.now() - this.ctx.started;
  }

  violation(what: string): void {
    this.violations.push({ at: this.now(), what });
    this.stopped = true;
  }

  /** The run is asked to stop early: each actor ends after the operation it is doing. */
  interrupt(): void {
    this.interruptedAt ??= this.now();
    this.stopped = true;
  }

  /** Whether the run was asked to stop early. */
  interrupted(): boolean {
    return this.interruptedAt !== undefined;
  }

  /** Whether the run has found a violation. */
  failed(): boolean {
    return this.violations.length > 0;
  }

  /** The actors start now: the duration is counted from here. */
  startActors(): void {
    this.actorsStarted = this.now();
  }

  budgetLeft(): boolean {
    if (this.stopped) return false;
    const { ops, durationMs } = this.ctx.settings;
    if (ops !== undefined && this.log.count >= ops) return false;
    // The duration is the actors' time: starting the runtimes and the threads on a loaded
    // machine may take a while, and must not eat into it.
    if (durationMs !== undefined && this.actorsStarted !== undefined && this.now() - this.actorsStarted >= durationMs) return false;
    return true;
  }

  /** The runtime's worst case for an operation of this kind, now (bounds.ts). */
  bound(kind: OpKind): Bound {
    const { settings } = this.ctx;
    return boundFor(kind, {
      hotplugTimeoutMs: settings.hotplugTimeoutMs,
      cpus: settings.cpus,
      steps: this.ctx.steps.count,
      perCpuGroups: PER_CPU_FNS.length,
      recreate: settings.strategy === 'recreate',
      watchdogMs: this.ctx.watchdogMs ?? 0,
    });
  }

  /**
   * Runs one operation under a deadline (a hung operation is a violation), records it, and
   * checks the invariants after it. The deadline is the runtime's own worst case for that
   * kind of operation, on the progress clock, so a loaded machine does not fake a hang.
   */
  readonly operate: Operate = async (rt, actor, op, body, kind) => {
    const record = this.log.begin(actor, op);
    const { progressMs, capMs } = typeof kind === 'string' ? this.bound(kind) : kind;
    const locks = kind === 'hotplug' || kind === 'kthread-locked';
    if (locks) this.ctx.lockBusy.enter();
    let outcome: string;
    try {
      outcome = await this.ctx.clock.deadline(
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
      if (locks) this.ctx.lockBusy.leave();
    }
    this.log.end(record, outcome);
    this.check(rt);
  };

  /** The invariants that hold after every operation (consistency.ts), and invariant 1 as the workers count it. */
  check(rt: Runtime): void {
    // After a violation nothing is consistent any more: the checkpoint stays before it.
    if (this.failed()) return;
    const found = this.ctx.consistency.check(rt);
    if (found !== undefined) {
      this.violation(found);
      return;
    }
    const count = rt.stats().violations;
    const ran = workerViolationsProblem(count, this.seenViolations);
    if (ran !== undefined) {
      this.violation(ran);
      this.seenViolations = count;
      return;
    }
    this.log.markConsistent();
  }
}
