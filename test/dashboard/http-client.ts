/**
 * What the dashboard's HTTP tests use to talk to it: requests over node:http (so a test sets
 * any header, Host included, which fetch() would not let it), a reader of the event stream,
 * and a small parser of Prometheus's text format.
 */

import { request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import type { Dashboard } from '../../src/index.js';
import type { DashboardSnapshot, TraceBatch } from '../../src/dashboard/protocol.js';
import { PATIENCE_MS } from '../helpers.js';

export interface Answer {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly text: string;
}

export interface RequestOptions {
  readonly method?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string | Buffer;
  /** Send the body in chunks with no Content-Length. */
  readonly chunked?: boolean;
}

/** One request to the dashboard's port on 127.0.0.1; rejects on a connection error. */
export function request(port: number, path: string, options: RequestOptions = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { host: `127.0.0.1:${port}`, ...options.headers };
    if (options.body !== undefined && !options.chunked) headers['content-length'] = String(Buffer.byteLength(options.body));
    const req = httpRequest({ host: '127.0.0.1', port, path, method: options.method ?? 'GET', headers, agent: false, timeout: PATIENCE_MS }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer to ${path} within ${PATIENCE_MS} ms`)));
    req.on('error', reject);
    if (options.body !== undefined) {
      if (options.chunked) {
        const body = Buffer.from(options.body);
        for (let i = 0; i < body.length; i += 1024) req.write(body.subarray(i, i + 1024));
      } else req.write(options.body);
    }
    req.end();
  });
}

export function json<T = unknown>(answer: Answer): T {
  return JSON.parse(answer.text) as T;
}

/** A control POST with the token in the header, as the page sends it. */
export function control(dashboard: Dashboard, body: unknown, headers: Readonly<Record<string, string>> = { 'x-cpuhp-token': dashboard.token }): Promise<Answer> {
  return request(dashboard.port, '/api/control', { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
}

/** Whether a new TCP connection to the port is refused. */
export function refused(port: number): Promise<boolean> {
  return request(port, '/').then(
    () => false,
    (error: NodeJS.ErrnoException) => error.code === 'ECONNREFUSED',
  );
}

export type StreamEvent = { readonly name: 'snapshot'; readonly data: DashboardSnapshot } | { readonly name: 'trace'; readonly data: TraceBatch };

/** An open /events stream: its events as they come, parsed, and whether it has ended. */
export class EventStream {
  readonly events: StreamEvent[] = [];
  readonly comments: string[] = [];
  ended = false;
  status = 0;
  headers: IncomingHttpHeaders = {};
  private buffer = '';
  private waiters: Array<() => void> = [];
  private res: IncomingMessage | undefined;

  static open(port: number, headers: Readonly<Record<string, string>>): Promise<EventStream> {
    const stream = new EventStream();
    return new Promise((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port, path: '/events', headers: { host: `127.0.0.1:${port}`, ...headers }, agent: false }, (res) => {
        stream.res = res;
        stream.status = res.statusCode ?? 0;
        stream.headers = res.headers;
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => stream.feed(chunk));
        const end = (): void => {
          stream.ended = true;
          stream.wake();
        };
        res.on('end', end);
        res.on('close', end);
        res.on('error', end);
        resolve(stream);
      });
      req.on('error', reject);
      req.end();
    });
  }

  /** Resolves with the first event (from `from` on) that matches; rejects once the stream ends or after PATIENCE_MS. */
  async next(matches: (event: StreamEvent) => boolean, from = 0): Promise<StreamEvent> {
    const deadline = Date.now() + PATIENCE_MS;
    for (;;) {
      const found = this.events.slice(from).find(matches);
      if (found !== undefined) return found;
      if (this.ended) throw new Error('the stream ended without a matching event');
      if (Date.now() > deadline) throw new Error(`no matching event within ${PATIENCE_MS} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 200);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Resolves once the server has ended the stream (rejects after PATIENCE_MS). */
  async closed(): Promise<void> {
    const deadline = Date.now() + PATIENCE_MS;
    while (!this.ended) {
      if (Date.now() > deadline) throw new Error(`the stream did not end within ${PATIENCE_MS} ms`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  close(): void {
    this.res?.destroy();
  }

  private feed(chunk: string): void {
    this.buffer += chunk;
    let end: number;
    while ((end = this.buffer.indexOf('\n\n')) >= 0) {
      const block = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 2);
      let name = '';
      let data = '';
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) this.comments.push(line);
        else if (line.startsWith('event: ')) name = line.slice(7);
        else if (line.startsWith('data: ')) data += line.slice(6);
      }
      if (name === 'snapshot' || name === 'trace') this.events.push({ name, data: JSON.parse(data) } as StreamEvent);
    }
    this.wake();
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}

export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** Prometheus text format (0.0.4): samples, with their TYPE lines; comments and blanks skipped. */
export function parseMetrics(text: string): { readonly samples: Sample[]; readonly types: ReadonlyMap<string, string> } {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type !== null) types.set(type[1]!, type[2]!);
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (m === null) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, k, v] of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[k!] = v!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    samples.push({ name: m[1]!, labels, value: m[3] === '+Inf' ? Infinity : Number(m[3]) });
  }
  return { samples, types };
}

/** The value of the one sample of `name` whose labels include `labels`; throws if there is not exactly one. */
export function metric(samples: readonly Sample[], name: string, labels: Readonly<Record<string, string>> = {}): number {
  const found = samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  if (found.length !== 1) throw new Error(`${found.length} samples of ${name} ${JSON.stringify(labels)}`);
  return found[0]!.value;
}
