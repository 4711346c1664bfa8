/**
 * The torture panel, shown only while snapshots carry `torture` (a torture run with a page):
 * elapsed time, operations, every counter of the run by name, and the violations, in red as
 * soon as there is one (with the first violation's description).
 */

import type { DashboardSnapshot } from './wire.js';
import { el, KeyedList, setClass, setText, show } from './dom.js';

type TortureView = NonNullable<DashboardSnapshot['torture']>;

export class Torture {
  private readonly summary: HTMLParagraphElement;
  private readonly facts: HTMLElement[];
  private readonly violation: HTMLParagraphElement;
  private readonly counters: KeyedList<string, HTMLDivElement>;
  private readonly values = new Map<string, HTMLElement>();

  constructor(private readonly panel: HTMLElement, body: HTMLElement) {
    this.summary = el('p', 'torture-summary');
    this.summary.dataset['testid'] = 'torture-summary';
    const facts = el('dl', 'torture-facts');
    this.facts = FACTS.map(([label, testId]) => {
      const pair = el('div');
      const value = el('dd');
      value.dataset['testid'] = testId;
      pair.append(el('dt', '', label), value);
      facts.append(pair);
      return value;
    });
    this.violation = el('p', 'violation hidden');
    this.violation.dataset['testid'] = 'torture-violation';
    const grid = el('dl', 'counters');
    grid.dataset['testid'] = 'torture-counters';
    body.append(facts, this.summary, this.violation, grid);
    this.counters = new KeyedList(grid, (name) => {
      const pair = el('div');
      const value = el('dd');
      value.dataset['testid'] = `torture-${name}`;
      pair.append(el('dt', '', name), value);
      this.values.set(name, value);
      return pair;
    });
  }

  update(snapshot: DashboardSnapshot): void {
    const torture = snapshot.torture;
    show(this.panel, torture !== null);
    if (torture === null) return;
    setText(this.summary, summaryOf(torture));
    setClass(this.summary, 'bad', torture.violations > 0);
    FACTS.forEach(([, , read], i) => setText(this.facts[i]!, read(torture)));
    setClass(this.facts[FACTS.length - 1]!, 'bad', torture.violations > 0);
    show(this.violation, torture.violation !== null);
    setText(this.violation, torture.violation === null ? '' : `violation: ${torture.violation}`);
    const names = Object.keys(torture.counts);
    this.counters.update(names);
    for (const name of names) {
      const value = this.values.get(name)!;
      const count = torture.counts[name]!;
      setText(value, String(count));
      // A counter named for a violation is one the run must keep at 0.
      setClass(value.parentElement!, 'bad', count > 0 && /violation/i.test(name));
    }
  }
}

/** The run's headline figures: label, data-testid, value (violations last: red above 0). */
const FACTS: readonly (readonly [string, string, (t: TortureView) => string])[] = [
  ['elapsed', 'torture-elapsed', (t) => `${(t.elapsedMs / 1000).toFixed(0)} s${t.durationMs === null ? '' : ` of ${(t.durationMs / 1000).toFixed(0)} s`}`],
  ['operations', 'torture-operations', (t) => String(t.operations)],
  ['violations', 'torture-violations', (t) => String(t.violations)],
];

/** The run's verdict so far (the figures are in FACTS above it). */
function summaryOf(t: TortureView): string {
  if (t.violations === 0) return 'no violation so far';
  return `${t.violations} violation${t.violations === 1 ? '' : 's'}: the run stops at the first and reports the operations that led to it`;
}
