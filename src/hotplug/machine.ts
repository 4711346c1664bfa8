/**
 * The hotplug state machine, after kernel/cpu.c: an ordered list of steps, each with an
 * optional startup (run bottom-up when a CPU comes up) and teardown (run top-down when it
 * goes down). A CPU's position is the number of steps whose startup has run for it: 0 is
 * offline, `steps.length` is online.
 *
 * A step that fails (throws, times out, or is the target of an injected failure) is
 * expected to have undone its own partial work, as in the kernel; the machine then rolls
 * the CPU back through the steps already passed, in the opposite direction, to where the
 * operation started. A failure during rollback stops it there and is reported with the
 * step the CPU was left at, rather than passing a step that did not complete.
 *
 * The machine does not lock: the caller holds the hotplug lock around every call.
 */

import type { HotplugStepEvent, StepDirection } from '../trace/events.js';
import { HotplugError } from '../errors.js';
import { withDeadline } from '../controller/deadline.js';

export type HotplugCallback = (cpu: number) => void | Promise<void>;

export interface HotplugStep {
  readonly name: string;
  readonly startup?: HotplugCallback;
  readonly teardown?: HotplugCallback;
  /** The step bounds its own waits (and reports who did not answer); no outer deadline. */
  readonly selfTimed?: boolean;
}

export type Direction = StepDirection;

export type HotplugTrace = (event: HotplugStepEvent) => void;

export class HotplugMachine {
  private readonly steps: HotplugStep[];
  private readonly position: number[];
  private readonly injected = new Map<number, string>();

  constructor(
    ncpus: number,
    builtin: readonly HotplugStep[],
    private readonly timeoutMs: number,
    private readonly trace: HotplugTrace,
  ) {
    this.steps = [...builtin];
    this.position = new Array<number>(ncpus).fill(0);
  }

  stepNames(): string[] {
    return this.steps.map((s) => s.name);
  }

  hasStep(name: string): boolean {
    return this.steps.some((s) => s.name === name);
  }

  isUp(cpu: number): boolean {
    return this.position[cpu] === this.steps.length;
  }

  isDown(cpu: number): boolean {
    return this.position[cpu] === 0;
  }

  /** The last step whose startup has run for `cpu`, or 'offline'. */
  stepOf(cpu: number): string {
    const at = this.position[cpu]!;
    return at === 0 ? 'offline' : this.steps[Math.min(at, this.steps.length) - 1]!.name;
  }

  /** Whether the CPU stands above step `name`: its startup has run and its teardown has not. */
  passed(cpu: number, name: string): boolean {
    const index = this.steps.findIndex((s) => s.name === name);
    return index >= 0 && this.position[cpu]! > index;
  }

  /** Like the sysfs `fail` file: the next invocation of `step` on `cpu`, either way, fails once. */
  injectFailure(cpu: number, step: string): void {
    this.injected.set(cpu, step);
  }

  /** The CPU's worker died: no step of it stands any more, so cpuUp starts from the bottom. */
  reset(cpu: number): void {
    this.position[cpu] = 0;
  }

  pendingFailure(cpu: number): string | undefined {
    return this.injected.get(cpu);
  }

  async up(cpu: number): Promise<void> {
    const from = this.position[cpu]!;
    for (let i = from; i < this.steps.length; i++) {
      const step = this.steps[i]!;
      try {
        await this.invoke(step, 'startup', cpu);
      } catch (error) {
        const rollback = await this.rollDown(cpu, i, from);
        throw this.failure(cpu, step, 'up', error, rollback);
      }
      this.position[cpu] = i + 1;
    }
  }

  async down(cpu: number): Promise<void> {
    const from = this.position[cpu]!;
    for (let i = from - 1; i >= 0; i--) {
      const step = this.steps[i]!;
      try {
        await this.invoke(step, 'teardown', cpu);
      } catch (error) {
        const rollback = await this.rollUp(cpu, i + 1, from);
        throw this.failure(cpu, step, 'down', error, rollback);
      }
      this.position[cpu] = i;
    }
  }

  /**
   * cpuhp_setup_state(): runs the new step's startup on every CPU that is up, then appends
   * it. If one fails, its teardown runs on the CPUs where the startup had run (the kernel's
   * cpuhp_rollback_install()) and the step is never appended: every CPU's position stays
   * as it was. The step is appended only once it has started everywhere, so while the
   * startups run, every CPU that was up still counts as up (isUp, stepOf).
   */
  async addStep(step: HotplugStep, cpus: readonly number[]): Promise<void> {
    const up = cpus.filter((cpu) => this.isUp(cpu));
    const done: number[] = [];
    for (const cpu of up) {
      try {
        await this.invoke(step, 'startup', cpu);
      } catch (error) {
        const undone = await this.rollbackInstall(step, done);
        throw this.failure(cpu, step, 'setup', error, undone);
      }
      done.push(cpu);
    }
    this.steps.push(step);
    // Only the CPUs that were up have run the startup; a CPU whose rollback stopped part-way
    // (below the top) has not, and stays where it is: it runs the startup when it comes up.
    for (const cpu of up) this.position[cpu] = this.steps.length;
  }

  /**
   * cpuhp_rollback_install(): tears a step that failed to install down again on the CPUs
   * whose startup ran, in CPU order as the kernel does. In the kernel these teardowns may not fail; here a
   * failure is reported (the CPU's state is then whatever the teardown left) but does not
   * stop the others. Returns the failures, as "CPU n: message".
   */
  private async rollbackInstall(step: HotplugStep, done: readonly number[]): Promise<string[]> {
    const errors: string[] = [];
    for (const cpu of done) {
      await this.invoke(step, 'teardown', cpu, true).catch((error: unknown) => errors.push(`CPU ${cpu}: ${message(error)}`));
    }
    return errors;
  }

  /**
   * cpuhp_remove_state(): runs the step's teardown on every CPU whose startup of it has run
   * (fully up, or stopped above it by a rollback that failed), then drops the step. As in the
   * kernel, a teardown here cannot be refused: the step goes whatever its teardowns do, and
   * their failures are returned.
   */
  async removeStep(name: string): Promise<Array<{ cpu: number; error: string }>> {
    const index = this.steps.findIndex((s) => s.name === name);
    const step = this.steps[index]!;
    const errors: Array<{ cpu: number; error: string }> = [];
    for (let cpu = 0; cpu < this.position.length; cpu++) {
      if (this.position[cpu]! <= index) continue;
      await this.invoke(step, 'teardown', cpu, true).catch((e: unknown) => errors.push({ cpu, error: message(e) }));
    }
    this.steps.splice(index, 1);
    for (let cpu = 0; cpu < this.position.length; cpu++) {
      if (this.position[cpu]! > index) this.position[cpu]!--;
    }
    return errors;
  }

  private async invoke(step: HotplugStep, direction: Direction, cpu: number, rollback = false): Promise<void> {
    const callback = step[direction];
    this.trace({ type: 'hotplug', cpu, step: step.name, direction, phase: rollback ? 'rollback' : 'begin' });
    try {
      if (!rollback && this.injected.get(cpu) === step.name) {
        this.injected.delete(cpu);
        throw new HotplugError(`injected failure at '${step.name}' (rt.injectFailure)`, { code: 'ERR_CPUHP_INJECTED_FAILURE', cpu, step: step.name });
      }
      if (callback !== undefined) {
        const run = Promise.resolve().then(() => callback(cpu));
        await (step.selfTimed
          ? run
          : withDeadline(
              run,
              this.timeoutMs,
              () =>
                new HotplugError(`${direction} callback of '${step.name}' did not finish within ${this.timeoutMs} ms`, {
                  code: 'ERR_CPUHP_CALLBACK_TIMEOUT',
                  cpu,
                  step: step.name,
                }),
            ));
      }
    } catch (error) {
      this.trace({ type: 'hotplug', cpu, step: step.name, direction, phase: 'fail', error: message(error) });
      throw error;
    }
    this.trace({ type: 'hotplug', cpu, step: step.name, direction, phase: 'end' });
  }

  /** After a failed startup of steps[failed]: tear down steps[failed-1 .. to]. */
  private async rollDown(cpu: number, failed: number, to: number): Promise<string[]> {
    const errors: string[] = [];
    for (let i = failed - 1; i >= to; i--) {
      const step = this.steps[i]!;
      try {
        await this.invoke(step, 'teardown', cpu, true);
        this.position[cpu] = i;
      } catch (error) {
        // Going further down past a step that did not tear down would, for example, put a
        // worker to sleep under a running thread: stop here and report where the CPU is.
        errors.push(`${step.name}: ${message(error)}`);
        break;
      }
    }
    return errors;
  }

  /** After a failed teardown of steps[failed-1]: start up steps[failed .. to-1] again. */
  private async rollUp(cpu: number, failed: number, to: number): Promise<string[]> {
    const errors: string[] = [];
    for (let i = failed; i < to; i++) {
      const step = this.steps[i]!;
      try {
        await this.invoke(step, 'startup', cpu, true);
        this.position[cpu] = i + 1;
      } catch (error) {
        errors.push(`${step.name}: ${message(error)}`);
        break;
      }
    }
    return errors;
  }

  private failure(cpu: number, step: HotplugStep, operation: 'up' | 'down' | 'setup', cause: unknown, rollback: string[]): HotplugError {
    const what = operation === 'setup' ? `setting up state '${step.name}'` : `CPU ${cpu} ${operation}`;
    const where = operation === 'up' ? 'offline' : 'online';
    const restored =
      operation === 'setup'
        ? rollback.length === 0
          ? `the state was not added, and its teardown ran on the CPUs where its startup had run`
          : `the state was not added; its teardown, run again on the CPUs where its startup had run, failed on ${rollback.join('; ')}`
        : rollback.length === 0
          ? `CPU ${cpu} was rolled back and is ${where} again`
          : `rollback was incomplete (${rollback.join('; ')}); CPU ${cpu} stopped at step '${this.stepOf(cpu)}'`;
    const unresponsive = cause instanceof HotplugError ? cause.unresponsive : [];
    // The code says where the CPU is; the cause (PARK_TIMEOUT, INJECTED_FAILURE, ...) says why.
    const code = operation === 'setup' ? 'ERR_CPUHP_SETUP_FAILED' : rollback.length === 0 ? 'ERR_CPUHP_STEP_FAILED' : 'ERR_CPUHP_ROLLBACK_INCOMPLETE';
    return new HotplugError(`${what} failed at step '${step.name}' on CPU ${cpu}: ${message(cause)}; ${restored}`, { code, cpu, step: step.name, unresponsive, cause });
  }
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
