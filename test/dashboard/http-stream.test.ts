/**
 * The event stream's rules (stream.ts) on a stand-in response, where a test controls what
 * write() returns: the order of a new stream's first events, batches bounded by
 * TRACE_BACKLOG, a slow client skipped until 'drain' with its missed events counted, pings,
 * the trace listener and timers only while a stream is open, and a last snapshot on close.
 */

import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import t from 'tap';
import type { TraceEvent } from '../../src/index.js';
import { TRACE_BACKLOG, type DashboardSnapshot, type TraceBatch } from '../../src/dashboard/protocol.js';
import { EventStreams, type StreamHost } from '../../src/dashboard/stream.js';
import { PATIENCE_MS } from '../helpers.js';

class FakeResponse extends EventEmitter {
  readonly writes: string[] = [];
  /** What write() answers: false once the "socket buffer" is full. */
  full = false;
  writableEnded = false;
  destroyed = false;
  status = 0;
  readonly socket = null;
  writeHead(status: number): this {
    this.status = status;
    return this;
  }
  write(text: string): boolean {
    this.writes.push(text);
    return !this.full;
  }
  end(): void {
    this.writableEnded = true;
    this.emit('close');
  }
  events(): Array<{ name: string; data: unknown }> {
    return this.writes.filter((w) => w.startsWith('event: ')).map((w) => {
      const [head, data] = w.split('\n');
      return { name: head!.slice(7), data: JSON.parse(data!.slice(6)) as unknown };
    });
  }
  batches(): TraceBatch[] {
    return this.events().filter((e) => e.name === 'trace').map((e) => e.data as TraceBatch);
  }
  snapshots(): DashboardSnapshot[] {
    return this.events().filter((e) => e.name === 'snapshot').map((e) => e.data as DashboardSnapshot);
  }
}

class FakeHost implements StreamHost {
  readonly intervalMs = 20;
  readonly pingMs = 30;
  listener: ((event: TraceEvent) => void) | undefined;
  nexts = 0;
  private seq = 0;
  backlogEvents: TraceEvent[] = [];
  next(closed: boolean): DashboardSnapshot {
    this.nexts++;
    return { seq: ++this.seq, closed, controls: false } as unknown as DashboardSnapshot;
  }
  peek(): DashboardSnapshot {
    return { seq: this.seq, closed: false, controls: false } as unknown as DashboardSnapshot;
  }
  backlog(): TraceEvent[] {
    return this.backlogEvents;
  }
  listen(listener: (event: TraceEvent) => void): void {
    if (this.listener !== undefined) throw new Error('a second stream listener');
    this.listener = listener;
  }
  unlisten(listener: (event: TraceEvent) => void): void {
    if (this.listener !== listener) throw new Error('not the listener that was added');
    this.listener = undefined;
  }
  emit(n: number, from = 0): void {
    for (let i = 0; i < n; i++) this.listener?.({ type: 'cpu-state', cpu: from + i, state: 'online', ts: from + i });
  }
}

async function until(what: string, condition: () => boolean): Promise<void> {
  const deadline = Date.now() + PATIENCE_MS;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`not within ${PATIENCE_MS} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const open = (streams: EventStreams, controls = true): FakeResponse => {
  const res = new FakeResponse();
  streams.open(res as unknown as ServerResponse, controls);
  return res;
};

t.test('a new stream: a snapshot, then the backlog as one batch, then ticks', async (t) => {
  const host = new FakeHost();
  host.backlogEvents = [{ type: 'cpu-state', cpu: 0, state: 'offline', ts: 1 }];
  const streams = new EventStreams(host);
  t.equal(host.listener, undefined, 'no trace listener before a stream opens');
  const res = open(streams);
  t.equal(res.status, 200);
  const first = res.events();
  t.equal(first[0]?.name, 'snapshot', 'first a snapshot');
  t.equal((first[0]?.data as DashboardSnapshot).controls, true, 'marked with this client\'s controls');
  t.same(first[1], { name: 'trace', data: { events: host.backlogEvents, dropped: 0 } }, 'then the backlog, as one batch');
  t.ok(host.listener, 'a trace listener while a stream is open');
  host.emit(3);
  await until('a batch with the three events', () => res.batches().some((b) => b.events.length === 3));
  await until('snapshots on the tick', () => res.snapshots().length >= 3);
  const seqs = res.snapshots().slice(1).map((s) => s.seq);
  t.same(seqs, [...seqs].sort((a, b) => a - b), 'snapshots in order');
  await until('a ping', () => res.writes.includes(': ping\n\n'));
  res.emit('close');
  t.equal(host.listener, undefined, 'the listener goes with the last stream');
  const nexts = host.nexts;
  await new Promise((resolve) => setTimeout(resolve, 100));
  t.equal(host.nexts, nexts, 'and no snapshot is made while no stream is open');
});

t.test('a batch holds at most TRACE_BACKLOG events; the rest are counted as dropped', async (t) => {
  const host = new FakeHost();
  const streams = new EventStreams(host);
  const res = open(streams);
  host.emit(TRACE_BACKLOG + 50);
  await until('the batch', () => res.batches().length >= 2);
  const batch = res.batches()[1]!;
  t.equal(batch.events.length, TRACE_BACKLOG);
  t.equal(batch.dropped, 50);
  t.equal((batch.events[0] as { cpu: number }).cpu, 50, 'the oldest were dropped');
  streams.close();
});

t.test('a slow client is skipped until drain, and told what it missed', async (t) => {
  const host = new FakeHost();
  const streams = new EventStreams(host);
  const slow = open(streams);
  const quick = open(streams, false);
  slow.full = true;
  // The next write to the slow client returns false: it is then skipped.
  await until('a write that filled the slow client', () => slow.writes.length > 3);
  const written = slow.writes.length;
  host.emit(7);
  await until('the quick client got the events', () => quick.batches().some((b) => b.events.length === 7));
  await until('more ticks', () => quick.snapshots().length >= 6);
  t.equal(slow.writes.length, written, 'nothing more was written to the slow client');
  t.equal(quick.snapshots().at(-1)!.controls, false, 'each client has its own controls');
  slow.full = false;
  slow.emit('drain');
  host.emit(2, 100);
  await until('a batch after the drain', () => slow.batches().length > 1 && slow.writes.length > written);
  const after = slow.batches().at(-1)!;
  t.ok(after.dropped >= 7, `the events it missed are counted (${after.dropped})`);
  await until('the new events', () => slow.batches().some((b) => b.events.some((e) => (e as { cpu: number }).cpu === 101)));
  streams.close();
});

t.test('close: every stream gets a last snapshot with closed, then ends; no stream opens afterwards', async (t) => {
  const host = new FakeHost();
  const streams = new EventStreams(host);
  const a = open(streams);
  const b = open(streams);
  streams.close();
  for (const res of [a, b]) {
    t.equal(res.snapshots().at(-1)!.closed, true, 'the last snapshot says closed');
    t.ok(res.writableEnded, 'the stream ended');
  }
  t.equal(host.listener, undefined, 'the listener is gone');
  const late = open(streams);
  t.equal(late.status, 503, 'a stream opened after close is refused');
  streams.close();
});
