/**
 * The last TRACE_BACKLOG trace events, for a page that connects (stream.ts sends them as its
 * first 'trace' batch). A ring: push() is O(1) and allocates nothing, since it runs on the
 * always-on trace listener, page open or not.
 */

import type { TraceEvent } from '../trace/events.js';
import { TRACE_BACKLOG } from './protocol.js';

export class TraceBacklog {
  private readonly ring: (TraceEvent | undefined)[] = new Array<TraceEvent | undefined>(TRACE_BACKLOG);
  private next = 0;
  private count = 0;

  readonly push = (event: TraceEvent): void => {
    this.ring[this.next] = event;
    this.next = (this.next + 1) % TRACE_BACKLOG;
    if (this.count < TRACE_BACKLOG) this.count++;
  };

  /** Oldest first. */
  events(): TraceEvent[] {
    const out: TraceEvent[] = [];
    for (let i = 0; i < this.count; i++) out.push(this.ring[(this.next - this.count + i + TRACE_BACKLOG) % TRACE_BACKLOG]!);
    return out;
  }
}
