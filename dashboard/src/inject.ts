/**
 * The "inject failure" control: a CPU and one of the snapshot's hotplug steps, then
 * rt.injectFailure(cpu, step) through POST /api/control: the next operation through that
 * step on that CPU fails and rolls back. The selects follow the snapshots (CPUs and steps),
 * keeping what the user picked.
 */

import type { DashboardSnapshot } from './wire.js';
import type { Controls } from './controls.js';
import { byId, el } from './dom.js';

export class Inject {
  private readonly cpu = byId<HTMLSelectElement>('inject-cpu');
  private readonly step = byId<HTMLSelectElement>('inject-step');
  private cpusKey = '';
  private stepsKey = '';

  constructor(controls: Controls) {
    const go = byId<HTMLButtonElement>('inject-go');
    const result = byId('inject-result');
    controls.adopt(this.cpu);
    controls.adopt(this.step);
    controls.adopt(go);
    go.addEventListener('click', () => {
      if (this.cpu.value === '' || this.step.value === '') return;
      void controls.send({ op: 'injectFailure', cpu: Number(this.cpu.value), step: this.step.value }, result, go);
    });
  }

  update(snapshot: DashboardSnapshot): void {
    const cpus = snapshot.cpus.map((c) => String(c.cpu));
    const cpusKey = cpus.join(',');
    if (cpusKey !== this.cpusKey) {
      this.cpusKey = cpusKey;
      fill(this.cpu, cpus);
    }
    const stepsKey = snapshot.steps.join('\n');
    if (stepsKey !== this.stepsKey) {
      this.stepsKey = stepsKey;
      fill(this.step, snapshot.steps);
    }
  }
}

/** Replaces a select's options, keeping the selected value when it is still one of them. */
function fill(select: HTMLSelectElement, values: readonly string[]): void {
  const kept = select.value;
  select.replaceChildren(...values.map((v) => {
    const option = el('option', '', v);
    option.value = v;
    return option;
  }));
  if (values.includes(kept)) select.value = kept;
}
