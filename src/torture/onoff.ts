/**
 * The onoff actor, after torture_onoff: it takes a random CPU down, or brings it up, every
 * onoff interval, and checks each operation's outcome against what the runtime promises.
 *
 * - A cpuUp that resolves leaves the CPU online in every respect (cpuState, onlineCpus(), the
 *   last step in stats()); a cpuDown that resolves leaves it offline with its worker blocked
 *   (or gone, under recreate). Its per-CPU threads are checked after every operation.
 * - A cpuDown or cpuUp that fails rolls back to where the CPU started; or, if the rollback
 *   itself failed, says so and leaves the CPU part-way (down-prepare or dead, not listed
 *   online, stats() naming its step), for the next cpuUp or cpuDown to complete. A CPU down
 *   rolled back to online runs all its per-CPU threads again.
 *
 * The long-job fault's cpuDown (fault-jobs.ts) and the end of the run's completion of
 * part-way CPUs go through the same checks.
 */

import { setTimeout as sleep } from 'node:timers/promises';
import { HotplugError, type Runtime } from '../index.js';
import type { Random } from '../common/random.js';
import { offlineProblem, onlineProblem, readCpu } from '../common/invariants.js';
import type { OpKind } from './bounds.js';
import { PART_WAY_STATES, perCpuThreadProblems, type Consistency } from './consistency.js';
import { describeError } from '../describe-value.js';
import type { TortureSettings } from './settings.js';
import type { FaultName } from './faults.js';
import type { ProgressClock } from './progress-clock.js';
import type { Spread, TortureCounts } from './stats.js';
import type { StepTable } from './steps.js';
import type { Turns } from './turns.js';

export interface OnoffContext {
  readonly settings: TortureSettings;
  readonly counts: TortureCounts;
  /** Latency of the CPU downs and ups that succeeded. */
  readonly offline: Spread;
  readonly online: Spread;
  readonly clock: ProgressClock;
  readonly steps: StepTable;
  readonly turns: Turns;
  readonly consistency: Consistency;
  /** How long a CPU back online may take to run its per-CPU threads again (progress ms). */
  readonly windowMs: number;
  /** Whether a job the run injected holds `cpu` (it spins, or it is killing the worker). */
  held(cpu: number): boolean;
  injects(fault: FaultName): boolean;
  budgetLeft(): boolean;
  /** Whether the run has found a violation. */
  failed(): boolean;
  violation(what: string): void;
  operate(rt: Runtime, actor: string, op: string, body: () => Promise<string>, kind: OpKind): Promise<void>;
}

/** Rounds of CPU operations the end of the run tries, to bring every CPU to rest. */
const END_ROUNDS = 8;

export class OnoffActor {
  constructor(private readonly ctx: OnoffContext) {}

  async actor(rt: Runtime, random: Random): Promise<void> {
    if (this.ctx.settings.onoffHoldoffMs > 0) await sleep(this.ctx.settings.onoffHoldoffMs);
    while (this.ctx.budgetLeft()) {
      const cpu = random.below(this.ctx.settings.cpus);
      // Decided in the turn: another actor's cpuDown may have moved the CPU meanwhile.
      await this.ctx.turns.run([cpu], async () => {
        const state = rt.cpuState(cpu);
        const listed = rt.onlineCpus().includes(cpu);
        // A CPU left part-way by a failed rollback may be completed either way.
        const down = PART_WAY_STATES.includes(state) && !listed ? random.next() < 0.5 : listed;
        const steps = this.ctx.steps.all();
        const inject = this.ctx.injects('hotplug-failures') && random.next() < this.ctx.settings.failRate ? random.pick(steps) : undefined;
        const op = `${down ? 'cpuDown' : 'cpuUp'}(${cpu})${inject ? ` with a failure injected at ${inject}` : ''}`;
        await this.ctx.operate(rt, 'onoff', op, () => this.hotplug(rt, cpu, down, inject), 'hotplug');
      });
      if (this.ctx.settings.onoffIntervalMs > 0) await sleep(this.ctx.settings.onoffIntervalMs);
    }
  }

  /** A cpuDown of `cpu` in its own turn, after `before` (which may call it off by returning why). */
  async cpuDownInTurn(rt: Runtime, cpu: number, actor: string, op: string, before: () => Promise<string | undefined>): Promise<void> {
    await this.ctx.turns.run([cpu], () =>
      this.ctx.operate(
        rt,
        actor,
        op,
        async () => {
          const skip = await before();
          if (skip !== undefined) return skip;
          if (!rt.onlineCpus().includes(cpu)) return `CPU ${cpu} is ${rt.cpuState(cpu)}; no cpuDown`;
          return this.hotplug(rt, cpu, true, undefined);
        },
        'hotplug',
      ),
    );
  }

  /** stats().cpus[cpu].step, or what went wrong reading it (the checks report that). */
  stepOf(rt: Runtime, cpu: number): string {
    try {
      return rt.stats().cpus[cpu]?.step ?? '(no such CPU in stats())';
    } catch (error) {
      return `(stats() threw ${describeError(error)})`;
    }
  }

  private async hotplug(rt: Runtime, cpu: number, down: boolean, inject: string | undefined): Promise<string> {
    const before = rt.cpuState(cpu);
    const beforeStep = this.stepOf(rt, cpu);
    if (inject !== undefined) {
      rt.injectFailure(cpu, inject);
      this.ctx.counts.injectedCallbackFailures++;
    }
    const name = `${down ? 'cpuDown' : 'cpuUp'}(${cpu})`;
    const t0 = performance.now();
    if (down) this.ctx.counts.offlineAttempts++;
    else this.ctx.counts.onlineAttempts++;
    try {
      if (down) await rt.cpuDown(cpu);
      else await rt.cpuUp(cpu);
    } catch (error) {
      if (!(error instanceof HotplugError)) throw error;
      switch (error.code) {
        case 'ERR_CPUHP_LAST_CPU':
          this.ctx.counts.refused++;
          return 'refused: last online CPU';
        case 'ERR_CPUHP_WORKER_DIED':
          return this.workerDiedMeanwhile(cpu, error.message);
        case 'ERR_CPUHP_STEP_FAILED':
        case 'ERR_CPUHP_ROLLBACK_INCOMPLETE':
        case 'ERR_CPUHP_WRITER_STARVED':
          break;
        default:
          // Not a way a cpuDown or cpuUp may fail: the operation reports it as a violation.
          throw error;
      }
      const outcome = this.rolledBack(rt, cpu, name, before, beforeStep, error);
      // A CPU down rolled back to online must run all its per-CPU threads again, even those
      // it had stopped (recreate), or that were still finishing a job when it timed out.
      if (down && rt.cpuState(cpu) === 'online') await this.perCpuThreadsRun(rt, cpu, `after ${name} failed and rolled back`);
      return outcome;
    }
    const ms = performance.now() - t0;
    if (down) {
      this.ctx.counts.offlineSuccesses++;
      this.ctx.offline.record(ms);
    } else {
      this.ctx.counts.onlineSuccesses++;
      this.ctx.online.record(ms);
    }
    const after = rt.cpuState(cpu);
    this.ctx.consistency.partWay.delete(cpu);
    if (after === 'failed') return this.workerDiedMeanwhile(cpu, `CPU ${cpu} is failed after ${name} resolved`);
    const from = before === 'online' || before === 'offline' ? '' : ` (it started ${before}, at step '${beforeStep}')`;
    const reading = readCpu(rt, cpu);
    const problem = down ? offlineProblem(reading) : onlineProblem(reading, this.ctx.steps.last());
    if (problem !== undefined) {
      this.ctx.violation(`${name} resolved${from}, but ${problem}; it must be ${down ? 'offline with its worker blocked or gone' : 'online in every respect'}`);
    }
    return `ok in ${ms.toFixed(2)} ms${from}`;
  }

  /**
   * Waits, still in the operation's turn (so no other cpuDown or cpuUp can mend it), until
   * online CPU `cpu` has each of its per-CPU threads running: the runtime may replace a lost
   * one asynchronously, within the run's window; not counting time during which an injected
   * job holds the CPU.
   */
  private async perCpuThreadsRun(rt: Runtime, cpu: number, when: string): Promise<void> {
    let since = this.ctx.clock.now();
    for (;;) {
      if (this.ctx.failed() || rt.cpuState(cpu) !== 'online') return; // its worker died meanwhile (injected)
      const problems = perCpuThreadProblems(rt, cpu);
      if (problems.length === 0) return;
      if (this.ctx.held(cpu)) since = this.ctx.clock.now();
      const lasted = this.ctx.clock.now() - since;
      if (problems.some((p) => lasted >= (p.parked ? 2 : 1) * this.ctx.windowMs)) {
        const what = problems.map((p) => p.what.replace(`online CPU ${cpu} `, '')).join(' and ');
        this.ctx.violation(
          `${when}, online CPU ${cpu} ${what}, still ${Math.round(lasted)} ms (of controller progress) later; a CPU back online must run every per-CPU thread again within ${this.ctx.windowMs} ms (${2 * this.ctx.windowMs} ms for a parked one to run)`,
        );
        return;
      }
      await this.ctx.clock.sleep(20);
    }
  }

  /**
   * A cpuDown or cpuUp failed. If its rollback completed, the CPU is back where it started;
   * if the rollback itself failed, the error says so and the CPU is part-way: down-prepare or
   * dead, not listed online, with stats() naming the step it stopped at. The next cpuUp or
   * cpuDown must complete it.
   */
  private rolledBack(rt: Runtime, cpu: number, name: string, before: string, beforeStep: string, error: HotplugError): string {
    this.ctx.counts.rollbacks++;
    const after = rt.cpuState(cpu);
    const listed = rt.onlineCpus().includes(cpu);
    const step = this.stepOf(rt, cpu);
    const where = `${after}, ${listed ? '' : 'not '}listed by onlineCpus(), at step '${step}'`;
    if (error.code === 'ERR_CPUHP_ROLLBACK_INCOMPLETE') {
      if (!PART_WAY_STATES.includes(after) || listed || !this.ctx.steps.has(step) || step === this.ctx.steps.last()) {
        this.ctx.violation(
          `${name} failed and its rollback was incomplete, and the CPU is ${where}; a CPU left part-way must be ${PART_WAY_STATES.join(' or ')}, not listed online, with stats() naming a step short of the last: ${error.message}`,
        );
        return `rollback incomplete, CPU left ${where}`;
      }
      this.ctx.consistency.partWay.add(cpu);
      this.ctx.counts.rollbackFailures++;
      this.ctx.counts.faultsSurvived++;
      return `rollback incomplete (${error.step ?? 'before any step'}), CPU left ${after} at step '${step}': ${error.message}`;
    }
    // A worker killed (injected) while the operation waited, for the hotplug lock say (a
    // refcount writer starved by busy readers), leaves its CPU failed, whatever the operation
    // did: as after one that resolved, that is a violation only when no fault was injected.
    if (after === 'failed' && before !== 'failed') {
      this.ctx.consistency.partWay.delete(cpu);
      return this.workerDiedMeanwhile(cpu, `CPU ${cpu} is failed after ${name} rolled back (${error.code}: ${error.message})`);
    }
    const partWay = PART_WAY_STATES.includes(before) && this.ctx.consistency.partWay.has(cpu);
    // A failed CPU whose cpuUp rolled back is offline with a fresh, dormant worker (or none): fine.
    const back = partWay
      ? PART_WAY_STATES.includes(after) && !listed && step === beforeStep
      : after === before || (before === 'failed' && after === 'offline');
    const consistent = after !== 'online' ? !listed : listed && step === this.ctx.steps.last();
    if (!back || !consistent) {
      this.ctx.violation(`after a rolled-back ${name} the CPU is ${where}, not ${before} at step '${beforeStep}' as it started: ${error.message}`);
      return `rolled back to ${after}`;
    }
    if (!PART_WAY_STATES.includes(after)) this.ctx.consistency.partWay.delete(cpu);
    this.ctx.counts.faultsSurvived++;
    return `rolled back (${error.step ?? 'before any step'}): ${error.message}`;
  }

  /**
   * A hotplug operation met a worker that died (before it, or during it): an injected fault
   * when faults are injected (the job actor kills workers), and a violation when not.
   */
  private workerDiedMeanwhile(cpu: number, what: string): string {
    if (this.ctx.settings.failRate === 0) this.ctx.violation(`the worker of CPU ${cpu} died with no fault injected: ${what}`);
    return `the worker of CPU ${cpu} died meanwhile (an injected fault): ${what}`;
  }

  /**
   * The end of the run: completes every CPU that a failed rollback left part-way, with a
   * cpuUp, or a cpuDown if that fails (a state whose callback fails on that CPU in one
   * direction), in turn, pausing after each round that left one: a CPU operation may fail
   * for reasons that pass (a deaf spell, a pending injected failure, a refcount writer
   * starved by busy readers). With the faults that could stop it disarmed, each CPU must
   * come to rest within a few rounds.
   */
  async completePartWay(rt: Runtime): Promise<void> {
    const partWay = (cpu: number): boolean => PART_WAY_STATES.includes(rt.cpuState(cpu)) && !rt.onlineCpus().includes(cpu);
    await this.toRest(rt, partWay, (round) => round % 2 === 1, 'to complete a CPU left part-way', 'still part-way');
  }

  /** The end of the run: brings every CPU that is not online up, in turn, retrying as completePartWay does. */
  async bringAllUp(rt: Runtime): Promise<void> {
    await this.toRest(rt, (cpu) => !rt.onlineCpus().includes(cpu), () => false, 'at the end of the run', 'still not online');
  }

  private async toRest(rt: Runtime, pending: (cpu: number) => boolean, down: (round: number) => boolean, why: string, what: string): Promise<void> {
    const cpus = (): number[] => Array.from({ length: this.ctx.settings.cpus }, (_, cpu) => cpu).filter(pending);
    const last = new Map<number, string>();
    for (let round = 0; round < END_ROUNDS && !this.ctx.failed(); round++) {
      const left = cpus();
      if (left.length === 0) return;
      if (round > 0) await this.ctx.clock.sleep(2 * this.ctx.settings.hotplugTimeoutMs);
      const goDown = down(round);
      for (const cpu of left) {
        const op = `${goDown ? 'cpuDown' : 'cpuUp'}(${cpu}) ${why}`;
        await this.ctx.turns.run([cpu], () =>
          this.ctx.operate(
            rt,
            'final',
            op,
            async () => {
              const outcome = await this.hotplug(rt, cpu, goDown, undefined);
              last.set(cpu, `${op}: ${outcome}`);
              return outcome;
            },
            'hotplug',
          ),
        );
      }
    }
    const left = cpus();
    if (left.length > 0 && !this.ctx.failed()) {
      const where = left.map((cpu) => `CPU ${cpu} is ${rt.cpuState(cpu)} at step '${this.stepOf(rt, cpu)}' (last: ${last.get(cpu) ?? 'none'})`).join('; ');
      this.ctx.violation(`${what} after ${END_ROUNDS} rounds of CPU operations, with the faults that could stop them disarmed: ${where}`);
    }
  }
}
