/**
 * The state actor (the 'states' fault): it adds hotplug states with setupState, named
 * `torture:dyn-<n>`, whose startup and teardown fail on some CPUs, and removes them later
 * with removeState. A callback is either a function on the controller, which fails on a
 * random set of CPUs and records every call, or a `defineCpuCallback` export of the
 * torture module, whose behaviour is fixed by its name (kthreads.ts). What the runtime
 * promises, and this actor checks:
 *
 * - setupState whose startup fails on some CPU rejects with a HotplugError; afterwards the
 *   state does not exist, its teardown ran on exactly the CPUs whose startup had succeeded,
 *   and every CPU is where it was. One whose startups all succeed resolves, having run the
 *   startup once on every online CPU.
 * - removeState runs the teardown on every online CPU and removes the state everywhere,
 *   even when a teardown fails; then it rejects with a HotplugError naming those CPUs.
 *
 * While a state lives, its callbacks fail cpuUp and cpuDown of those CPUs too, which then
 * roll back, or are left part-way when a rollback fails. A CPU left part-way by a failing
 * callback of a state in one direction can always be completed in the other. So at most one
 * live state has CPU callbacks that fail, and those fail in one direction only: function
 * callbacks and the run's own state stop failing at the end of the run (disarm), and what
 * is left can then always be brought to rest.
 */

import { ConfigError, HotplugError, type Runtime, type StateCallback, type StateCallbacks } from '../index.js';
import { codeNote } from '../common/errors.js';
import type { Random } from '../common/random.js';
import { CPU_CALLBACK_NAMES, cpuCallbackFails, type CpuCallbackName } from './kthreads.js';
import { describeError } from '../describe-value.js';
import type { OpKind } from './bounds.js';
import type { StepTable } from './steps.js';
import type { TortureCounts } from './stats.js';
import type { Turns } from './turns.js';

export interface StateActorContext {
  readonly counts: TortureCounts;
  readonly cpus: number;
  readonly pauseMs: number;
  readonly steps: StepTable;
  readonly turns: Turns;
  /** CPUs left part-way by a failed rollback (consistency.ts). */
  readonly partWay: ReadonlySet<number>;
  /**
   * Whether a job the run injected holds `cpu` (it spins, or it is killing the worker): a
   * callback that runs on that CPU may then time out, and fail where it would not have.
   */
  held(cpu: number): boolean;
  budgetLeft(): boolean;
  violation(what: string): void;
  operate(rt: Runtime, actor: string, op: string, body: () => Promise<string>, kind: OpKind): Promise<void>;
}

const MAX_LIVE_STATES = 3;
/** Chance that a function callback fails on a given CPU. */
const FAIL_ON_CPU = 0.4;
const FAILING_CPU_CALLBACKS: readonly CpuCallbackName[] = CPU_CALLBACK_NAMES.filter((name) => [0, 1].some((cpu) => cpuCallbackFails(name, cpu)));
const HARMLESS_CPU_CALLBACKS: readonly CpuCallbackName[] = CPU_CALLBACK_NAMES.filter((name) => !FAILING_CPU_CALLBACKS.includes(name));

type Spec =
  | { readonly kind: 'function'; readonly failOn: ReadonlySet<number>; readonly async: boolean }
  | { readonly kind: 'cpu'; readonly name: CpuCallbackName };

interface Call {
  readonly direction: 'startup' | 'teardown';
  readonly cpu: number;
  readonly ok: boolean;
}

/** One state the actor added (or tried to), with its callbacks and the calls they recorded. */
class DynState {
  /** Calls of its function callbacks while `recording`. */
  readonly calls: Call[] = [];
  recording = false;
  armed = true;

  constructor(
    readonly name: string,
    readonly startup: Spec | undefined,
    readonly teardown: Spec | undefined,
  ) {}

  callbacks(): StateCallbacks {
    return { ...this.callback('startup', this.startup), ...this.callback('teardown', this.teardown) };
  }

  private callback(direction: 'startup' | 'teardown', spec: Spec | undefined): StateCallbacks {
    if (spec === undefined) return {};
    const callback: StateCallback =
      spec.kind === 'cpu'
        ? spec.name
        : async (cpu: number) => {
            if (spec.async) await new Promise((resolve) => setTimeout(resolve, 1 + (cpu % 3)));
            const ok = !this.armed || !spec.failOn.has(cpu);
            if (this.recording) this.calls.push({ direction, cpu, ok });
            if (!ok) throw new Error(`torture: the ${direction} of '${this.name}' fails on CPU ${cpu} (injected)`);
          };
    return { [direction]: callback };
  }

  /** Whether its callback in `direction` fails on `cpu` (while armed, for functions). */
  fails(direction: 'startup' | 'teardown', cpu: number): boolean {
    const spec = this[direction];
    if (spec === undefined) return false;
    if (spec.kind === 'cpu') return cpuCallbackFails(spec.name, cpu);
    return this.armed && spec.failOn.has(cpu);
  }

  /** Whether it has a CPU callback that fails somewhere (at most one live state may). */
  get failsOnCpus(): boolean {
    return [this.startup, this.teardown].some((spec) => spec?.kind === 'cpu' && FAILING_CPU_CALLBACKS.includes(spec.name));
  }

  describe(): string {
    return `startup ${describeSpec(this.startup)}, teardown ${describeSpec(this.teardown)}`;
  }

  recorded(direction: 'startup' | 'teardown', ok?: boolean): number[] {
    return this.calls
      .filter((c) => c.direction === direction && (ok === undefined || c.ok === ok))
      .map((c) => c.cpu)
      .sort((a, b) => a - b);
  }
}

function describeSpec(spec: Spec | undefined): string {
  if (spec === undefined) return 'none';
  if (spec.kind === 'cpu') return `'${spec.name}' (on the CPU)`;
  const on = spec.failOn.size === 0 ? 'never fails' : `fails on CPU ${[...spec.failOn].sort((a, b) => a - b).join(', ')}`;
  return `a function that ${on}${spec.async ? ', async' : ''}`;
}

/** Every CPU as cpuState, onlineCpus() and stats() see it; a call that throws is kept as what it threw. */
interface Views {
  readonly states: readonly string[];
  readonly online: readonly number[] | string;
  readonly steps: readonly string[] | string;
}

export class StateActor {
  private readonly live: DynState[] = [];
  private made = 0;
  /** Failing callbacks held off until a part-way CPU is completed (remove() waits for it; they could keep it part-way). */
  private heldOff = false;

  constructor(private readonly ctx: StateActorContext) {}

  async actor(rt: Runtime, random: Random): Promise<void> {
    while (this.ctx.budgetLeft()) {
      if (this.heldOff && this.ctx.partWay.size === 0) {
        this.heldOff = false;
        for (const state of this.live) state.armed = true;
      }
      const add = this.live.length === 0 || (this.live.length < MAX_LIVE_STATES && random.next() < 0.5);
      if (add) {
        const state = this.make(random);
        await this.inTurn(rt, `setupState('${state.name}'): ${state.describe()}`, () => this.setup(rt, state));
      } else {
        const state = random.pick(this.live);
        await this.inTurn(rt, `removeState('${state.name}'): ${state.describe()}`, () => this.remove(rt, state));
      }
      await new Promise((resolve) => setTimeout(resolve, this.ctx.pauseMs * (1 + random.below(4))));
    }
  }

  /** The end of the run: function callbacks stop failing, so that every CPU can be brought to rest. */
  disarm(): void {
    for (const state of this.live) state.armed = false;
  }

  /** The end of the run: removes every state the actor added, newest first. */
  async removeAll(rt: Runtime): Promise<void> {
    for (const state of [...this.live].reverse()) {
      await this.inTurn(rt, `removeState('${state.name}') at the end of the run: ${state.describe()}`, () => this.remove(rt, state));
    }
  }

  private inTurn(rt: Runtime, op: string, body: () => Promise<string>): Promise<void> {
    return this.ctx.turns.run('all', () => this.ctx.operate(rt, 'states', op, body, 'hotplug'));
  }

  private make(random: Random): DynState {
    const name = `torture:dyn-${++this.made}`;
    // One state at a time may have CPU callbacks that fail, in one direction only (see above).
    let failingCpuCallbackLeft = !this.live.some((s) => s.failsOnCpus);
    const spec = (): Spec | undefined => {
      const roll = random.next();
      if (roll < 0.15) return undefined;
      if (roll < 0.6) {
        const failOn = new Set<number>();
        for (let cpu = 0; cpu < this.ctx.cpus; cpu++) if (random.next() < FAIL_ON_CPU) failOn.add(cpu);
        return { kind: 'function', failOn, async: random.next() < 0.3 };
      }
      if (roll < 0.7) return { kind: 'function', failOn: new Set(), async: random.next() < 0.3 };
      const choices = failingCpuCallbackLeft ? CPU_CALLBACK_NAMES : HARMLESS_CPU_CALLBACKS;
      const name = random.pick(choices);
      if (FAILING_CPU_CALLBACKS.includes(name)) failingCpuCallbackLeft = false;
      return { kind: 'cpu', name };
    };
    const startup = spec();
    return new DynState(name, startup, spec());
  }

  private views(rt: Runtime): Views {
    const states = Array.from({ length: this.ctx.cpus }, (_, cpu) => rt.cpuState(cpu));
    let online: readonly number[] | string;
    let steps: readonly string[] | string;
    try {
      online = rt.onlineCpus();
    } catch (error) {
      online = `onlineCpus() threw ${describeError(error)}`;
    }
    try {
      steps = rt.stats().cpus.map((c) => c.step);
    } catch (error) {
      steps = `stats() threw ${describeError(error)}`;
    }
    return { states, online, steps };
  }

  /** How `after` differs from `before`, leaving out CPUs whose worker died (an injected fault). */
  private changes(before: Views, after: Views): string[] {
    const changes: string[] = [];
    if (typeof after.online === 'string') changes.push(after.online);
    if (typeof after.steps === 'string') changes.push(after.steps);
    for (let cpu = 0; cpu < this.ctx.cpus; cpu++) {
      const was = before.states[cpu]!;
      const is = after.states[cpu]!;
      if (was === 'failed' || is === 'failed') continue;
      if (was !== is) changes.push(`CPU ${cpu} was ${was}, now is ${is}`);
      if (typeof before.online !== 'string' && typeof after.online !== 'string' && before.online.includes(cpu) !== after.online.includes(cpu)) {
        changes.push(`CPU ${cpu} was ${before.online.includes(cpu) ? '' : 'not '}listed by onlineCpus(), now is ${after.online.includes(cpu) ? '' : 'not'}`.trimEnd());
      }
      if (typeof before.steps !== 'string' && typeof after.steps !== 'string' && before.steps[cpu] !== after.steps[cpu]) {
        changes.push(`CPU ${cpu} was at step '${before.steps[cpu]}', now is at '${after.steps[cpu]}'`);
      }
    }
    return changes;
  }

  /** The online CPUs whose worker is alive: a failed one stays listed until the runtime reaps it. */
  private online(rt: Runtime): number[] {
    return rt.onlineCpus().filter((cpu) => rt.cpuState(cpu) !== 'failed');
  }

  /** Whether the state is gone: injectFailure names only states that exist. */
  private exists(rt: Runtime, name: string): boolean | string {
    try {
      rt.injectFailure(0, name);
      return true;
    } catch (error) {
      if (error instanceof ConfigError && error.code === 'ERR_CPUHP_INVALID_ARG') return false;
      return `rt.injectFailure(0, '${name}') threw ${describeError(error)}, not a ConfigError with code ERR_CPUHP_INVALID_ARG`;
    }
  }

  private async setup(rt: Runtime, state: DynState): Promise<string> {
    const before = this.views(rt);
    // The check after the previous operation has reported a runtime that no longer answers.
    if (typeof before.online === 'string' || typeof before.steps === 'string') return 'skipped: the runtime does not answer';
    const online = this.online(rt);
    const mustFail = online.filter((cpu) => state.fails('startup', cpu));
    const heldBefore = online.some((cpu) => this.ctx.held(cpu));
    state.recording = true;
    let failure: unknown;
    let failed = false;
    try {
      await rt.setupState(state.name, state.callbacks());
    } catch (error) {
      failed = true;
      failure = error;
    } finally {
      state.recording = false;
    }
    const after = this.views(rt);
    const died = after.states.some((s, cpu) => s === 'failed' && before.states[cpu] !== 'failed');
    // A callback on a CPU that an injected job held may time out: then it failed, as it may.
    const excused = died || heldBefore || online.some((cpu) => this.ctx.held(cpu));
    const startupFunction = state.startup?.kind === 'function';
    // A CPU whose worker died meanwhile (a kill, or the watchdog) was reaped before the
    // setupState got the lock: it was not up, so its startup rightly never ran there.
    const diedHere = (cpu: number): boolean => after.states[cpu] === 'failed' && before.states[cpu] !== 'failed';
    const startupFailed = (startupFunction ? state.recorded('startup', false) : mustFail).filter((cpu) => !diedHere(cpu));
    const call = `setupState('${state.name}')`;
    if (!failed) {
      const changes = typeof after.online === 'string' || typeof after.steps === 'string' ? this.changes(before, after) : [];
      if (changes.length > 0) {
        this.ctx.violation(`${call} resolved, and then ${changes.join('; ')}`);
        return 'the runtime no longer answers';
      }
      if (startupFailed.length > 0) {
        this.ctx.violation(`${call} resolved although its startup failed on CPU ${startupFailed.join(', ')}; it must reject with a HotplugError and undo the state`);
        return 'resolved despite a failed startup';
      }
      if (startupFunction && !died && state.recorded('startup').join() !== online.join()) {
        this.ctx.violation(`${call} resolved, but its startup ran on CPUs [${state.recorded('startup').join(', ')}], not once on each online CPU [${online.join(', ')}]`);
        return 'startup not run on every online CPU';
      }
      this.live.push(state);
      this.ctx.steps.add(state.name);
      this.ctx.counts.statesAdded++;
      return 'added';
    }
    if (!(failure instanceof HotplugError && failure.code === 'ERR_CPUHP_SETUP_FAILED')) {
      this.ctx.violation(`${call} was rejected with ${describeError(failure)}${codeNote(failure)}; a startup that fails must reject it with a HotplugError, code ERR_CPUHP_SETUP_FAILED`);
      return 'rejected with the wrong error';
    }
    if (startupFailed.length === 0 && !excused) {
      this.ctx.violation(`${call} was rejected although no startup failed: ${failure.message}`);
      return 'rejected for no reason';
    }
    const changes = this.changes(before, after);
    if (changes.length > 0) {
      this.ctx.violation(`${call} failed (${failure.message}), and did not leave every CPU as it was: ${changes.join('; ')}`);
      return 'a CPU changed';
    }
    const exists = this.exists(rt, state.name);
    if (exists !== false) {
      this.ctx.violation(typeof exists === 'string' ? exists : `${call} was rejected, yet the state still exists (rt.injectFailure accepts it): ${failure.message}`);
      return 'the state is still there';
    }
    if (startupFunction && state.teardown?.kind === 'function') {
      const succeeded = state.recorded('startup', true).join(', ');
      const tornDown = state.recorded('teardown').join(', ');
      if (succeeded !== tornDown) {
        this.ctx.violation(`${call} failed and ran its teardown on CPUs [${tornDown}], but its startup had succeeded on CPUs [${succeeded}]; the teardown must run exactly there: ${failure.message}`);
        return 'wrong teardowns';
      }
    }
    this.ctx.counts.setupFailures++;
    this.ctx.counts.faultsSurvived++;
    return `rejected as it must be, and undone: ${failure.message}`;
  }

  private async remove(rt: Runtime, state: DynState): Promise<string> {
    // Removing a state from under a CPU left part-way by a failed rollback is not a case the
    // runtime promises anything about: wait until the CPU is completed.
    if (this.ctx.partWay.size > 0) {
      this.heldOff = true;
      for (const live of this.live) live.armed = false;
      return `skipped: CPU ${[...this.ctx.partWay].join(', ')} is part-way, to be completed by a cpuUp or cpuDown first (the states' failing callbacks are held off until it is)`;
    }
    const online = this.online(rt);
    const states = online.map((cpu) => rt.cpuState(cpu));
    const heldBefore = online.some((cpu) => this.ctx.held(cpu));
    const teardownFunction = state.teardown?.kind === 'function';
    state.recording = true;
    let failure: unknown;
    let failed = false;
    try {
      await rt.removeState(state.name);
    } catch (error) {
      failed = true;
      failure = error;
    } finally {
      state.recording = false;
    }
    this.live.splice(this.live.indexOf(state), 1);
    this.ctx.steps.remove(state.name);
    this.ctx.counts.statesRemoved++;
    const died = online.some((cpu, i) => rt.cpuState(cpu) === 'failed' && states[i] !== 'failed');
    const excused = died || heldBefore || online.some((cpu) => this.ctx.held(cpu));
    // A CPU whose worker died meanwhile was reaped before the removal got the lock: its teardown rightly never ran.
    const teardownFailed = (teardownFunction ? state.recorded('teardown', false) : online.filter((cpu) => state.fails('teardown', cpu))).filter(
      (cpu) => !(rt.cpuState(cpu) === 'failed' && states[online.indexOf(cpu)] !== 'failed'),
    );
    const exists = this.exists(rt, state.name);
    if (exists !== false) {
      this.ctx.violation(typeof exists === 'string' ? exists : `removeState('${state.name}') ${failed ? `was rejected (${describeError(failure)})` : 'resolved'}, yet the state still exists (rt.injectFailure accepts it)`);
      return 'the state is still there';
    }
    if (teardownFunction && !died && state.recorded('teardown').join() !== online.join()) {
      this.ctx.violation(`removeState('${state.name}') ran its teardown on CPUs [${state.recorded('teardown').join(', ')}], not once on each online CPU [${online.join(', ')}]`);
      return 'teardown not run on every online CPU';
    }
    if (!failed) {
      if (teardownFailed.length > 0) {
        this.ctx.violation(`removeState('${state.name}') resolved although its teardown failed on CPU ${teardownFailed.join(', ')}; it must remove the state and reject with a HotplugError naming those CPUs`);
        return 'resolved despite a failed teardown';
      }
      return 'removed';
    }
    if (!(failure instanceof HotplugError && failure.code === 'ERR_CPUHP_TEARDOWN_FAILED')) {
      this.ctx.violation(`removeState('${state.name}') was rejected with ${describeError(failure)}${codeNote(failure)}; a teardown that fails must reject it with a HotplugError, code ERR_CPUHP_TEARDOWN_FAILED`);
      return 'rejected with the wrong error';
    }
    if (teardownFailed.length === 0 && !excused) {
      this.ctx.violation(`removeState('${state.name}') was rejected although every teardown succeeded: ${failure.message}`);
      return 'rejected for no reason';
    }
    const unnamed = teardownFailed.filter((cpu) => !namesCpu(failure.message, cpu));
    if (unnamed.length > 0) {
      this.ctx.violation(`removeState('${state.name}') was rejected, but its error does not name CPU ${unnamed.join(', ')}, where the teardown failed: ${failure.message}`);
      return 'error does not name the CPUs';
    }
    this.ctx.counts.removeFailures++;
    this.ctx.counts.faultsSurvived++;
    return `removed, and rejected as it must be: ${failure.message}`;
  }
}

/** Whether a message names `cpu`: "CPU 2", "cpu #2", "CPUs 0, 2", "CPUs [0, 2]", "CPUs 0 and 2". */
function namesCpu(message: string, cpu: number): boolean {
  return new RegExp(String.raw`\bCPUs?\s*#?\[?\s*(?:\d+\s*(?:,|and|&)\s*)*${cpu}\b`, 'i').test(message);
}
