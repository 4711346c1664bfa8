/**
 * The jobs panel: the runtime's job counters by outcome, the rate, and latency, wait and run
 * time percentiles (stats().jobs as the snapshot carries it), as a table of fixed rows.
 */

import type { DashboardSnapshot } from './wire.js';
import { el, ms, num, setText } from './dom.js';

type JobsView = DashboardSnapshot['jobs'];

const ROWS: readonly (readonly [string, (j: JobsView) => string])[] = [
  ['jobs/s', (j) => num(j.perSec, 1)],
  ['submitted', (j) => String(j.submitted)],
  ['completed', (j) => String(j.completed)],
  ['queued', (j) => String(j.queued)],
  ['handed to CPUs', (j) => String(j.handed)],
  ['threw', (j) => String(j.threw)],
  ['aborted', (j) => String(j.aborted)],
  ['timed out', (j) => String(j.timedOut)],
  ['refused', (j) => String(j.refused)],
  ['migrated', (j) => String(j.migrated)],
  ['died running', (j) => String(j.diedRunning)],
  ['locked up', (j) => String(j.lockedUp)],
  ['shut down', (j) => String(j.shutdown)],
  ['latency median / p99 / max', (j) => (j.latency.count === 0 ? '–' : `${ms(j.latency.medianMs)} / ${ms(j.latency.p99Ms)} / ${ms(j.latency.maxMs)}`)],
  ['wait median / p99', (j) => (j.waitMs === null ? '–' : `${ms(j.waitMs.median)} / ${ms(j.waitMs.p99)}`)],
  ['run median / p99', (j) => (j.runMs === null ? '–' : `${ms(j.runMs.median)} / ${ms(j.runMs.p99)}`)],
];

export class Jobs {
  private readonly cells: HTMLTableCellElement[];

  constructor(container: HTMLElement) {
    const table = el('table', 'kv');
    const body = el('tbody');
    this.cells = ROWS.map(([label]) => {
      const tr = el('tr');
      const td = el('td', 'num');
      tr.append(el('th', '', label), td);
      body.append(tr);
      return td;
    });
    table.append(body);
    container.append(table);
  }

  update(snapshot: DashboardSnapshot): void {
    ROWS.forEach(([, read], i) => setText(this.cells[i]!, read(snapshot.jobs)));
  }
}
