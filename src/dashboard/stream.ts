/**
 * GET /events: the server-sent event stream (protocol.ts). Per client, in this order: one
 * 'snapshot', the trace backlog as one 'trace' batch, then a 'snapshot' every intervalMs and
 * a 'trace' batch with the events since the previous one at most as often (with the snapshot
 * tick, when there are any), and a `: ping` comment every 15 s so proxies and browsers keep
 * an idle stream open.
 *
 * Cost when no page is open: nothing. The tick and ping timers run, and the stream's trace
 * listener is added, only while at least one stream is open; both timers are unref'd.
 *
 * A slow client never makes the server buffer without bound: once res.write() returns false
 * (its socket's buffer is full) the client is skipped, snapshots and trace events alike, until
 * its 'drain'; the trace events it missed are counted and reported in its next batch's
 * `dropped`. A batch holds at most TRACE_BACKLOG events: past that the oldest are dropped and
 * counted too.
 */

import type { ServerResponse } from 'node:http';
import type { TraceEvent } from '../trace/events.js';
import { TRACE_BACKLOG, type DashboardSnapshot, type TraceBatch } from './protocol.js';
import { API_HEADERS } from './respond.js';

export const PING_MS = 15_000;

interface Client {
  readonly res: ServerResponse;
  readonly controls: boolean;
  /** res.write() returned false: wait for 'drain' before writing again. */
  blocked: boolean;
  /** Trace events not sent to this client since its last batch. */
  dropped: number;
}

export interface StreamHost {
  readonly intervalMs: number;
  /** Between `: ping` comments; PING_MS unless a test says otherwise. */
  readonly pingMs?: number;
  /** The stream's snapshot (advances the rates and takes the operations). */
  next(closed: boolean): DashboardSnapshot;
  /** A snapshot that changes nothing, for a client that just connected. */
  peek(): DashboardSnapshot;
  /** The trace backlog, oldest first. */
  backlog(): TraceEvent[];
  listen(listener: (event: TraceEvent) => void): void;
  unlisten(listener: (event: TraceEvent) => void): void;
}

export class EventStreams {
  private readonly clients = new Set<Client>();
  private tick: NodeJS.Timeout | undefined;
  private ping: NodeJS.Timeout | undefined;
  /** Trace events since the last batch (at most TRACE_BACKLOG: older ones are counted in `overflow`). */
  private batch: TraceEvent[] = [];
  private overflow = 0;
  private closed = false;

  constructor(private readonly host: StreamHost) {}

  get size(): number {
    return this.clients.size;
  }

  /** A new stream: headers, the current snapshot, the backlog; then it is one of the ticked. */
  open(res: ServerResponse, controls: boolean): void {
    if (this.closed) {
      res.writeHead(503, API_HEADERS).end();
      return;
    }
    res.writeHead(200, { ...API_HEADERS, 'Content-Type': 'text/event-stream; charset=utf-8', // close: the stream is the connection's only answer, and end() then flushes it before the socket closes.
      Connection: 'close',
      'X-Accel-Buffering': 'no',
     });
    const client: Client = { res, controls, blocked: false, dropped: 0 };
    res.socket?.setNoDelay(true);
    res.on('close', () => this.remove(client));
    res.on('drain', () => {
      client.blocked = false;
    });
    if (this.clients.size === 0) this.start();
    this.clients.add(client);
    // retry: how long EventSource waits before it reconnects after a lost stream.
    this.write(client, 'retry: 2000\n\n');
    this.write(client, event('snapshot', withControls(this.host.peek(), controls)));
    this.write(client, event('trace', { events: this.host.backlog(), dropped: 0 } satisfies TraceBatch));
  }

  /** Ends every stream, each after a last snapshot with `closed: true`, and stops the timers. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.clients.size > 0) {
      const last = this.host.next(true);
      for (const client of this.clients) {
        // A blocked client gets the end of the stream without the last snapshot.
        if (!client.blocked) client.res.write(event('snapshot', withControls(last, client.controls)));
        client.res.end();
      }
    }
    this.clients.clear();
    this.stop();
  }

  private readonly onTrace = (e: TraceEvent): void => {
    if (this.batch.length >= TRACE_BACKLOG) {
      this.batch.shift();
      this.overflow++;
    }
    this.batch.push(e);
  };

  private start(): void {
    this.batch = [];
    this.overflow = 0;
    this.host.listen(this.onTrace);
    this.tick = setInterval(() => this.onTick(), this.host.intervalMs).unref();
    this.ping = setInterval(() => this.broadcast(': ping\n\n'), this.host.pingMs ?? PING_MS).unref();
  }

  private stop(): void {
    if (this.tick !== undefined) this.host.unlisten(this.onTrace);
    clearInterval(this.tick);
    clearInterval(this.ping);
    this.tick = undefined;
    this.ping = undefined;
    this.batch = [];
  }

  private remove(client: Client): void {
    if (!this.clients.delete(client)) return;
    if (this.clients.size === 0) this.stop();
  }

  private onTick(): void {
    const snapshot = this.host.next(false);
    const events = this.batch;
    const overflow = this.overflow;
    this.batch = [];
    this.overflow = 0;
    // Serialised at most twice per tick, whatever the number of clients: with and without controls.
    const texts = new Map<boolean, string>();
    const text = (controls: boolean): string => {
      let t = texts.get(controls);
      if (t === undefined) texts.set(controls, (t = event('snapshot', withControls(snapshot, controls))));
      return t;
    };
    let batchText: string | undefined;
    for (const client of this.clients) {
      if (client.blocked) {
        client.dropped += events.length;
        continue;
      }
      if (!this.write(client, text(client.controls))) {
        client.dropped += events.length;
        continue;
      }
      if (events.length === 0 && client.dropped === 0 && overflow === 0) continue;
      if (client.dropped === 0) {
        batchText ??= event('trace', { events, dropped: overflow } satisfies TraceBatch);
        this.write(client, batchText);
      } else {
        this.write(client, event('trace', { events, dropped: overflow + client.dropped } satisfies TraceBatch));
        client.dropped = 0;
      }
    }
  }

  private broadcast(text: string): void {
    for (const client of this.clients) if (!client.blocked) this.write(client, text);
  }

  /** Writes, and marks the client blocked (until 'drain') when its buffer is full. Returns whether it was written. */
  private write(client: Client, text: string): boolean {
    if (client.res.writableEnded || client.res.destroyed) return false;
    if (!client.res.write(text)) client.blocked = true;
    return true;
  }
}

function withControls(snapshot: DashboardSnapshot, controls: boolean): DashboardSnapshot {
  return snapshot.controls === controls ? snapshot : { ...snapshot, controls };
}

function event(name: 'snapshot' | 'trace', data: DashboardSnapshot | TraceBatch): string {
  return `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;
}
