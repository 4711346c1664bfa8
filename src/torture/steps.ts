/**
 * The hotplug step table as the run knows it: the runtime's built-in steps, the run's own
 * state, and the states the state actor added and has not removed. An online CPU has run
 * every step's startup, so its `stats().cpus[n].step` is the last of them.
 */

import { BUILTIN_STATES } from '../hotplug/states.js';

export const BUILTIN_STEPS = BUILTIN_STATES;

export class StepTable {
  private readonly names: string[] = [...BUILTIN_STEPS];

  add(name: string): void {
    this.names.push(name);
  }

  remove(name: string): void {
    const index = this.names.indexOf(name);
    if (index >= 0) this.names.splice(index, 1);
  }

  has(name: string): boolean {
    return this.names.includes(name);
  }

  last(): string {
    return this.names[this.names.length - 1]!;
  }

  get count(): number {
    return this.names.length;
  }

  all(): readonly string[] {
    return this.names;
  }
}
