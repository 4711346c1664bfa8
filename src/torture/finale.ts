/**
 * The end of a torture run, once the actors are done: the faults that can still fire are
 * disarmed, every CPU is brought to rest (a spinning job caught, a CPU left part-way
 * completed, the added states removed), the whole state is checked once more with the
 * shared invariant checks (common/invariants.ts), every CPU comes up, every thread is
 * stopped, every job must have settled, and the runtime must have counted and warned of
 * every error of the throwing trace listener. Each step runs only while no violation has
 * been found.
 */

import type { Runtime } from '../index.js';
import { parkedProblem, readCpu, restProblem, resumeProblem } from '../common/invariants.js';
import { KWORKER_EXPORT } from '../protocol/control-plane.js';
import type { Consistency } from './consistency.js';
import type { FaultName } from './faults.js';
import type { JobActor } from './job-actor.js';
import type { KthreadActor } from './kthread-actor.js';
import type { ThrowingListener } from './listener-fault.js';
import type { OnlineState } from './online-state.js';
import type { OnoffActor } from './onoff.js';
import type { Operations } from './operations.js';
import type { ProcessWatch } from './process-watch.js';
import type { ProgressClock } from './progress-clock.js';
import type { TortureSettings } from './settings.js';
import type { StateActor } from './state-actor.js';
import type { TortureCounts } from './stats.js';

export interface FinaleContext {
  readonly settings: TortureSettings;
  readonly counts: TortureCounts;
  readonly ops: Operations;
  readonly clock: ProgressClock;
  readonly consistency: Consistency;
  readonly watch: ProcessWatch;
  readonly onlineState: OnlineState;
  readonly listener: ThrowingListener;
  readonly states: StateActor;
  readonly jobs: JobActor;
  readonly onoff: OnoffActor;
  readonly kthreads: KthreadActor;
  injects(fault: FaultName): boolean;
}

/** Units of work a thread on an online CPU must do once unparked at the end. */
const FINAL_UNITS = 256;

export class Finale {
  constructor(private readonly ctx: FinaleContext) {}

  async run(rt: Runtime): Promise<void> {
    const { ctx } = this;
    const { ops } = ctx;
    ctx.onlineState.disarm();
    ctx.listener.disarm();
    ctx.states.disarm();
    const patience = this.patience();
    const ok = (): boolean => !ops.failed();
    if (ok()) await ops.operate(rt, 'final', 'every spinning job is caught', () => ctx.jobs.quiesce(rt), 'job');
    if (ok()) await ctx.onoff.completePartWay(rt);
    if (ok() && ctx.injects('states')) await ctx.states.removeAll(rt);
    if (ok()) await ops.operate(rt, 'final', 'every per-CPU thread of every online CPU runs', () => this.settle(rt), ops.bound('kthread-locked'));
    if (ok()) await this.finalCheck(rt);
    if (ok()) await this.collectThreads(rt);
    if (ok()) await ops.operate(rt, 'final', 'every job settles, each run as its outcome says', () => ctx.jobs.finish(rt, patience), { progressMs: patience + 5000, capMs: 10 * patience + 60_000 });
    await ctx.watch.settle();
    ctx.counts.listenerWarnings = ctx.watch.listenerWarnings;
    // The runtime counts every listener error and warns once per listener that throws.
    const counted = rt.stats().traceListenerErrors;
    if (ok() && counted !== ctx.counts.listenerThrows) {
      ops.violation(`the trace listener threw ${ctx.counts.listenerThrows} times, and the runtime counted ${counted} (stats().traceListenerErrors); it must count each listener error`);
    }
    const expected = ctx.counts.listenerThrows > 0 ? 1 : 0;
    if (ok() && ctx.counts.listenerWarnings !== expected) {
      ops.violation(`the trace listener threw ${ctx.counts.listenerThrows} times, and the runtime warned ${ctx.counts.listenerWarnings} times; it must warn once per listener that throws`);
    }
  }

  /** The longest wait for something that must happen at the end of a run. */
  private patience(): number {
    return Math.max(20_000, this.ctx.settings.hotplugTimeoutMs * 4);
  }

  /** Waits until no per-CPU thread is missing or parked on an online CPU, or that has lasted too long. */
  private async settle(rt: Runtime): Promise<string> {
    for (;;) {
      const found = this.ctx.consistency.check(rt);
      if (found !== undefined) {
        this.ctx.ops.violation(found);
        return 'a per-CPU thread is still missing';
      }
      if (this.ctx.consistency.pending === 0) return 'every per-CPU thread runs';
      await this.ctx.clock.sleep(100);
    }
  }

  /**
   * The end state must be consistent: every CPU at rest, fully online or offline (or failed,
   * its worker gone, after an injected worker death), its worker running exactly when online,
   * and, once unparked, every thread on an online CPU making progress and every thread on an
   * offline CPU still parked. The job kworkers are idle when no job waits: jobs are checked
   * on their own at the end.
   */
  private async finalCheck(rt: Runtime): Promise<void> {
    const { ops, settings } = this.ctx;
    const record = ops.log.begin('final', 'final consistency check');
    const online = rt.onlineCpus();
    for (let cpu = 0; cpu < settings.cpus; cpu++) {
      const reading = readCpu(rt, cpu);
      if (reading.state === 'failed' && settings.failRate > 0 && reading.worker === 'gone') continue;
      const problem = restProblem(reading);
      if (problem !== undefined) ops.violation(`at the end of the run, ${problem}`);
    }
    const patience = this.patience();
    for (const thread of rt.kthreadList().filter((t) => t.fn !== KWORKER_EXPORT)) {
      const info = rt.kthreadInfo(thread);
      if (info.state === 'exited') continue;
      await rt.kthreadUnpark(thread);
      const problem = online.includes(thread.cpu)
        ? await resumeProblem(rt, thread, info, FINAL_UNITS, patience, `on online CPU ${thread.cpu} after kthreadUnpark()`)
        : parkedProblem(info, `on offline CPU ${thread.cpu}`);
      if (problem !== undefined) ops.violation(problem);
    }
    ops.log.end(record, ops.failed() ? 'violations' : 'consistent');
    ops.check(rt);
  }

  /** Brings every CPU up and stops every thread, adding their deaf spells to the counts. */
  private async collectThreads(rt: Runtime): Promise<void> {
    // An injected failure whose operation was refused is still pending: it fires here once.
    await this.ctx.onoff.bringAllUp(rt);
    if (this.ctx.ops.failed()) return;
    await Promise.all(rt.kthreadList().filter((t) => t.fn !== KWORKER_EXPORT).map((thread) => this.ctx.kthreads.stop(rt, thread)));
  }
}
