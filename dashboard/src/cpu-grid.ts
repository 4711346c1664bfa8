/**
 * The grid of CPUs: one tile per CPU, kept across snapshots (only changed text is written).
 * A tile is data-testid="cpu-N" with data-state set to the CPU's state, coloured by what the
 * state means: online green; bringup, down-prepare and dying (going up or down) amber;
 * offline and dead (dormant) grey; failed red; lockup (the watchdog found it stuck) purple.
 */

import type { DashboardSnapshot } from './wire.js';
import type { Controls } from './controls.js';
import { el, KeyedList, num, setData, setText } from './dom.js';

type CpuView = DashboardSnapshot['cpus'][number];
type State = CpuView['state'];

/** The colour class of a state. */
export function stateClass(state: State): string {
  switch (state) {
    case 'online':
      return 'st-online';
    case 'bringup':
    case 'down-prepare':
    case 'dying':
      return 'st-going';
    case 'offline':
    case 'dead':
      return 'st-dormant';
    case 'failed':
      return 'st-failed';
    case 'lockup':
      return 'st-lockup';
  }
}

/** The figures of a tile, in the order shown: label and how to read it from the view. */
const FIGURES: readonly (readonly [string, (c: CpuView) => string])[] = [
  ['heartbeat/s', (c) => num(c.heartbeatPerSec, 0)],
  ['jobs/s', (c) => num(c.jobsPerSec, 1)],
  ['queued', (c) => String(c.queued)],
  ['handed', (c) => String(c.handed)],
  ['running', (c) => String(c.running)],
  ['ran', (c) => String(c.ran)],
  ['ups', (c) => String(c.ups)],
  ['downs', (c) => String(c.downs)],
  ['rollbacks', (c) => String(c.rollbacks)],
  ['failures', (c) => String(c.failures)],
  ['lockups', (c) => String(c.lockups)],
  ['violations', (c) => String(c.violations)],
];

interface Tile {
  readonly root: HTMLDivElement;
  readonly state: HTMLSpanElement;
  readonly step: HTMLSpanElement;
  readonly bar: HTMLDivElement;
  readonly util: HTMLSpanElement;
  readonly figures: HTMLElement[];
}

export class CpuGrid {
  private readonly tiles = new Map<number, Tile>();
  private readonly list: KeyedList<number, HTMLDivElement>;

  constructor(container: HTMLElement, private readonly controls: Controls) {
    this.list = new KeyedList(container, (cpu) => this.make(cpu).root);
  }

  update(snapshot: DashboardSnapshot): void {
    this.list.update(snapshot.cpus.map((c) => c.cpu));
    for (const cpu of snapshot.cpus) this.fill(this.tiles.get(cpu.cpu)!, cpu);
  }

  private make(cpu: number): Tile {
    const root = el('div', 'tile');
    root.dataset['testid'] = `cpu-${cpu}`;
    const head = el('div', 'tile-head');
    const state = el('span', 'state');
    state.dataset['testid'] = `cpu-${cpu}-state`;
    head.append(el('span', 'cpu-num', `CPU ${cpu}`), state);
    const stepLine = el('div', 'step');
    const step = el('span', 'step-name');
    stepLine.append(el('span', 'label', 'step '), step);
    const utilLine = el('div', 'util');
    const track = el('div', 'bar-track');
    const bar = el('div', 'bar');
    track.append(bar);
    const util = el('span', 'util-text');
    utilLine.append(track, util);
    const dl = el('dl', 'figures');
    const figures = FIGURES.map(([label]) => {
      const dd = el('dd');
      dd.dataset['testid'] = `cpu-${cpu}-${label.replace('/', '-per-')}`;
      const pair = el('div');
      pair.append(el('dt', '', label), dd);
      dl.append(pair);
      return dd;
    });
    const result = el('output', 'result');
    result.dataset['testid'] = `cpu-${cpu}-result`;
    const buttons = el('div', 'buttons');
    buttons.append(
      this.controls.button('down', `cpu-${cpu}-down`, () => ({ op: 'cpuDown', cpu }), result),
      this.controls.button('up', `cpu-${cpu}-up`, () => ({ op: 'cpuUp', cpu }), result),
    );
    root.append(head, stepLine, utilLine, dl, buttons, result);
    const tile: Tile = { root, state, step, bar, util, figures };
    this.tiles.set(cpu, tile);
    return tile;
  }

  private fill(tile: Tile, cpu: CpuView): void {
    setData(tile.root, 'state', cpu.state);
    const cls = stateClass(cpu.state);
    if (!tile.root.classList.contains(cls)) {
      tile.root.classList.remove('st-online', 'st-going', 'st-dormant', 'st-failed', 'st-lockup');
      tile.root.classList.add(cls);
    }
    setText(tile.state, cpu.state);
    setText(tile.step, cpu.step);
    const pct = Math.round(Math.min(1, Math.max(0, cpu.utilization)) * 100);
    // element.style from script is allowed by the page's CSP (style-src 'self' forbids only inline markup).
    const width = `${pct}%`;
    if (tile.bar.style.width !== width) tile.bar.style.width = width;
    setText(tile.util, `${pct}% busy`);
    FIGURES.forEach(([, read], i) => setText(tile.figures[i]!, read(cpu)));
    const bad = cpu.violations > 0;
    tile.figures[FIGURES.length - 1]!.classList.toggle('bad', bad);
  }
}
