/**
 * Threads as rows grouped per CPU: one <tbody> per CPU (its first row is the group's
 * heading), one row per thread id, kept across snapshots. A row is data-testid="thread-<id>"
 * with data-shown running / sleeping / parked / exited (the server's `shown`), and its
 * buttons are thread-<id>-park, -unpark and -stop.
 */

import type { DashboardSnapshot } from './wire.js';
import type { Controls } from './controls.js';
import { el, KeyedList, num, setData, setText } from './dom.js';

type ThreadView = DashboardSnapshot['threads'][number];

interface Row {
  readonly root: HTMLTableRowElement;
  readonly name: HTMLSpanElement;
  readonly group: HTMLSpanElement;
  readonly fn: HTMLTableCellElement;
  readonly shown: HTMLSpanElement;
  readonly rate: HTMLTableCellElement;
  readonly iterations: HTMLTableCellElement;
  readonly parks: HTMLTableCellElement;
}

interface Group {
  readonly body: HTMLTableSectionElement;
  readonly count: HTMLSpanElement;
  readonly rows: KeyedList<number, HTMLTableRowElement>;
}

export class Threads {
  private readonly groups: KeyedList<number, HTMLTableSectionElement>;
  private readonly byCpu = new Map<number, Group>();
  private readonly rows = new Map<number, Row>();

  constructor(table: HTMLTableElement, private readonly controls: Controls) {
    // index.html's <tbody id="threads"> is only a placeholder for the empty table.
    table.tBodies[0]?.remove();
    this.groups = new KeyedList(table, (cpu) => this.group(cpu).body, table.tHead);
  }

  update(snapshot: DashboardSnapshot): void {
    const perCpu = new Map<number, ThreadView[]>();
    for (const thread of snapshot.threads) {
      const list = perCpu.get(thread.cpu);
      if (list === undefined) perCpu.set(thread.cpu, [thread]);
      else list.push(thread);
    }
    const cpus = [...perCpu.keys()].sort((a, b) => a - b);
    this.groups.update(cpus);
    for (const cpu of this.byCpu.keys()) if (!perCpu.has(cpu)) this.byCpu.delete(cpu);
    const seen = new Set<number>();
    for (const cpu of cpus) {
      const threads = perCpu.get(cpu)!.sort((a, b) => a.id - b.id);
      const group = this.byCpu.get(cpu)!;
      setText(group.count, `${threads.length} thread${threads.length === 1 ? '' : 's'}`);
      group.rows.update(threads.map((t) => t.id));
      for (const thread of threads) {
        seen.add(thread.id);
        this.fill(this.rows.get(thread.id)!, thread);
      }
    }
    for (const id of this.rows.keys()) if (!seen.has(id)) this.rows.delete(id);
  }

  private group(cpu: number): Group {
    const body = el('tbody', 'thread-group');
    const heading = el('tr', 'group-head');
    const cell = el('th');
    cell.colSpan = 7;
    const count = el('span', 'note');
    cell.append(`CPU ${cpu} `, count);
    heading.append(cell);
    body.append(heading);
    const group: Group = { body, count, rows: new KeyedList(body, (id) => this.row(id).root, heading) };
    this.byCpu.set(cpu, group);
    return group;
  }

  private row(id: number): Row {
    const root = el('tr');
    root.dataset['testid'] = `thread-${id}`;
    const nameCell = el('td', 'name');
    const name = el('span');
    const group = el('span', 'group');
    nameCell.append(name, group);
    const fn = el('td', 'fn');
    const stateCell = el('td');
    const shown = el('span', 'shown');
    shown.dataset['testid'] = `thread-${id}-state`;
    stateCell.append(shown);
    const rate = el('td', 'num');
    const iterations = el('td', 'num');
    const parks = el('td', 'num');
    const actions = el('td', 'actions');
    const result = el('output', 'result');
    result.dataset['testid'] = `thread-${id}-result`;
    actions.append(
      this.controls.button('park', `thread-${id}-park`, () => ({ op: 'kthreadPark', thread: id }), result),
      this.controls.button('unpark', `thread-${id}-unpark`, () => ({ op: 'kthreadUnpark', thread: id }), result),
      this.controls.button('stop', `thread-${id}-stop`, () => ({ op: 'kthreadStop', thread: id }), result),
      result,
    );
    root.append(nameCell, fn, stateCell, rate, iterations, parks, actions);
    const row: Row = { root, name, group, fn, shown, rate, iterations, parks };
    this.rows.set(id, row);
    return row;
  }

  private fill(row: Row, thread: ThreadView): void {
    setText(row.name, thread.name);
    // A per-CPU group's thread (registerPerCpuThread): the group is named by its template.
    setText(row.group, thread.group === null ? '' : 'per-CPU');
    row.group.title = thread.group === null ? '' : `one of the per-CPU group ${thread.group}`;
    setText(row.fn, thread.fn);
    setData(row.root, 'shown', thread.shown);
    setText(row.shown, thread.shown);
    row.shown.title = `kthread state: ${thread.state}`;
    if (row.shown.className !== `shown sh-${thread.shown}`) row.shown.className = `shown sh-${thread.shown}`;
    setText(row.rate, num(thread.iterationsPerSec, 0));
    setText(row.iterations, String(thread.iterations));
    setText(row.parks, String(thread.parks));
  }
}
