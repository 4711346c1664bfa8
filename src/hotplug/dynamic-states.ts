/**
 * The hotplug states a user adds above the built-in ones: cpuhp_setup_state() and
 * cpuhp_remove_state(). A state's callback is a function that runs on the controller
 * (like the kernel's BP states) or the name of a defineCpuCallback export that runs on
 * the CPU itself (an AP state). Install and removal run under the hotplug lock (the
 * caller holds it), on the CPUs that are online, and leave every CPU as it was when a
 * callback fails (the machine's rollbackInstall), as cpuhp_rollback_install() does.
 */

import { ConfigError, HotplugError } from '../errors.js';
import { describeValue, knownName, nonEmptyString } from '../controller/arguments.js';
import type { TraceSink } from '../trace/events.js';
import type { HotplugCallback, HotplugMachine, HotplugStep } from './machine.js';
import { isBuiltinState, RESERVED_STATE_PREFIXES } from './states.js';

/**
 * A state callback: a function runs on the controller (like the kernel's BP states), a
 * string names a `defineCpuCallback` export that runs on the CPU itself (an AP state).
 */
export type StateCallback = HotplugCallback | string;

export interface StateCallbacks {
  readonly startup?: StateCallback;
  readonly teardown?: StateCallback;
}

export interface DynamicStateHost {
  readonly machine: HotplugMachine;
  readonly trace: TraceSink;
  /** The defineCpuCallback exports of the runtime's modules. */
  cpuCallbackNames(): string[];
  /** Runs the defineCpuCallback export `name` on `cpu`; `label` names it if the CPU is found stuck. */
  runOnCpu(cpu: number, name: string, label: string): Promise<void>;
  onlineCpus(): number[];
}

const SETUP = 'setupState(name, callbacks)';
const REMOVE = 'removeState(name)';

export class DynamicStates {
  constructor(private readonly host: DynamicStateHost) {}

  /** Checks a setupState request and makes its step; nothing changes yet. */
  prepare(rawName: unknown, readCallbacks: () => { readonly startup?: unknown; readonly teardown?: unknown }): HotplugStep {
    const name = nonEmptyString(SETUP, 'name', rawName, 'app:online');
    if (isBuiltinState(name)) {
      throw new ConfigError(`${SETUP}: names starting with ${RESERVED_STATE_PREFIXES.map((p) => `'${p}'`).join(' or ')} are reserved for the built-in states, got '${name}'; pick a name of your own such as 'app:online'`);
    }
    this.refuseExisting(name);
    const { startup, teardown } = readCallbacks();
    return { name, ...this.callback(name, 'startup', startup), ...this.callback(name, 'teardown', teardown) };
  }

  /** Under the hotplug lock: runs the startup on every online CPU and adds the state, or leaves every CPU as it was. */
  async install(step: HotplugStep): Promise<void> {
    // Again under the lock: a concurrent setupState of the same name may have won.
    this.refuseExisting(step.name);
    await this.host.machine.addStep(step, this.host.onlineCpus());
  }

  /** Checks a removeState request: `name` must be a state added with setupState. */
  checkRemovable(rawName: unknown): string {
    const name = nonEmptyString(REMOVE, 'name', rawName, 'app:online');
    const removable = this.host.machine.stepNames().filter((step) => !isBuiltinState(step));
    if (!removable.includes(name) && this.host.machine.hasStep(name)) {
      throw new ConfigError(`${REMOVE}: name '${name}' is a built-in state and cannot be removed; only states added with setupState can`);
    }
    return knownName(REMOVE, 'name', name, removable, 'removable hotplug state', ' (the states added with setupState)');
  }

  /**
   * Under the hotplug lock: runs the teardown on every CPU above the state and removes it.
   * cpuhp_remove_state() cannot be refused: the state is gone either way, but a teardown
   * that failed is reported to its owner, naming each CPU.
   */
  async remove(name: string): Promise<void> {
    const errors = await this.host.machine.removeStep(name);
    if (errors.length === 0) return;
    const failed = errors.map((e) => `CPU ${e.cpu}: ${e.error}`);
    this.host.trace({ type: 'remove-state-errors', cpu: -1, state: name, errors: failed });
    throw new HotplugError(`state '${name}' was removed from every CPU, but its teardown failed on ${failed.join('; ')}`, {
      code: 'ERR_CPUHP_TEARDOWN_FAILED',
      cpu: errors[0]!.cpu,
      step: name,
    });
  }

  private refuseExisting(name: string): void {
    if (this.host.machine.hasStep(name)) throw new ConfigError(`${SETUP}: a hotplug state named '${name}' exists already; pick another name or removeState('${name}') first`);
  }

  private callback(state: string, which: 'startup' | 'teardown', callback: unknown): Partial<Record<typeof which, HotplugCallback>> {
    if (callback === undefined) return {};
    if (typeof callback === 'function') return { [which]: callback as HotplugCallback };
    if (typeof callback !== 'string') {
      throw new ConfigError(`${SETUP}: callbacks.${which} must be a function or the name of a defineCpuCallback export, got ${describeValue(callback)}`);
    }
    const name = knownName(SETUP, `callbacks.${which}`, callback, this.host.cpuCallbackNames(), 'defineCpuCallback export', '');
    const label = `the ${which} callback '${name}' of state '${state}'`;
    return { [which]: (cpu: number) => this.host.runOnCpu(cpu, name, label) };
  }
}
