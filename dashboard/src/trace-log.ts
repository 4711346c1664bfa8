/**
 * The recent trace events, newest at the top, at most MAX_LINES of them. Pausing freezes
 * what is shown (to read it) while events keep arriving into a buffer of the same bound; on
 * resume the buffer is shown. The server may drop events for a page that fell behind: the
 * count is shown rather than hidden.
 */

import type { TraceBatch } from './wire.js';
import { el, setText } from './dom.js';

type TraceEvent = TraceBatch['events'][number];

const MAX_LINES = 300;

/** The fields of an event other than type, ts and cpu, as "key=value" (arrays joined). */
export function detailsOf(event: TraceEvent): string {
  const parts: string[] = [];
  for (const [key, value] of Object.entries(event)) {
    if (key === 'type' || key === 'ts' || key === 'cpu') continue;
    parts.push(`${key}=${Array.isArray(value) ? value.join(',') : String(value)}`);
  }
  return parts.join(' ');
}

/** A class for the kinds of event worth telling apart at a glance. */
function kindOf(event: TraceEvent): string {
  switch (event.type) {
    case 'cpu-failed':
    case 'worker-error':
    case 'rollback':
    case 'percpu-replace-failed':
    case 'jobs-worker-died':
    case 'remove-state-errors':
      return 'ev-bad';
    case 'soft-lockup':
      return 'ev-lockup';
    case 'hotplug':
      return event.phase === 'fail' || event.phase === 'rollback' ? 'ev-bad' : '';
    case 'exit':
      return event.ok ? '' : 'ev-bad';
    default:
      return '';
  }
}

export class TraceLog {
  private paused = false;
  private held: TraceEvent[] = [];
  private dropped = 0;

  constructor(
    private readonly list: HTMLElement,
    private readonly pause: HTMLButtonElement,
    private readonly note: HTMLElement,
  ) {
    pause.addEventListener('click', () => this.toggle());
  }

  /**
   * A new stream starts with the server's backlog again (protocol.ts: the last TRACE_BACKLOG
   * events): what was shown is replaced by it rather than shown twice.
   */
  reset(): void {
    this.list.replaceChildren();
    this.held = [];
    this.updateNote();
  }

  add(batch: TraceBatch): void {
    this.dropped += batch.dropped;
    if (this.paused) {
      this.held.push(...batch.events);
      if (this.held.length > MAX_LINES) this.held.splice(0, this.held.length - MAX_LINES);
    } else {
      this.render(batch.events);
    }
    this.updateNote();
  }

  private toggle(): void {
    this.paused = !this.paused;
    setText(this.pause, this.paused ? 'resume' : 'pause');
    if (!this.paused) {
      const held = this.held;
      this.held = [];
      this.render(held);
    }
    this.updateNote();
  }

  private render(events: readonly TraceEvent[]): void {
    // Only the newest MAX_LINES can be shown; build them off-document, then add them at once.
    const start = Math.max(0, events.length - MAX_LINES);
    const fragment = document.createDocumentFragment();
    for (let i = events.length - 1; i >= start; i--) fragment.append(this.line(events[i]!));
    this.list.prepend(fragment);
    while (this.list.childElementCount > MAX_LINES) this.list.lastElementChild?.remove();
  }

  private line(event: TraceEvent): HTMLLIElement {
    const li = el('li', kindOf(event));
    li.append(
      el('span', 'ts', (event.ts / 1000).toFixed(3)),
      el('span', 'cpu', event.cpu < 0 ? '–' : `cpu${event.cpu}`),
      el('span', 'type', event.type),
      el('span', 'details', detailsOf(event)),
    );
    return li;
  }

  private updateNote(): void {
    const parts: string[] = [];
    if (this.paused) parts.push(`paused, ${this.held.length} new event${this.held.length === 1 ? '' : 's'} held`);
    if (this.dropped > 0) parts.push(`${this.dropped} event${this.dropped === 1 ? '' : 's'} not sent (the page fell behind)`);
    setText(this.note, parts.join('; '));
  }
}
