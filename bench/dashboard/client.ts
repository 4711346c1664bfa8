/**
 * The page's reader for the dashboard-cost benchmark, run as its own process (as a browser
 * and a Prometheus are): it reads GET /events as the page does, parsing every event's JSON,
 * and scrapes GET /metrics every `scrapeEveryMs`, as Prometheus would. Started by reader.ts
 * with fork(); argv: port, token, scrapeEveryMs. Protocol over the IPC channel (who writes
 * what): the client sends { ready: true } once its first snapshot has arrived, and its
 * ClientTally when the parent sends 'stop'; then it exits.
 */

import { request, type IncomingMessage } from 'node:http';

export interface ClientTally {
  readonly snapshots: number;
  readonly traceBatches: number;
  readonly traceEvents: number;
  /** Trace events the server reported it dropped for this client (a slow reader). */
  readonly dropped: number;
  readonly streamBytes: number;
  readonly scrapes: number;
  readonly scrapeBytes: number;
  /** Requests that failed or answered other than 200. */
  readonly errors: number;
}

export type ClientMessage = { readonly ready: true } | { readonly tally: ClientTally };

const [portText, token, scrapeText] = process.argv.slice(2);
const port = Number(portText);
const scrapeEveryMs = Number(scrapeText);
const headers = { authorization: `Bearer ${token ?? ''}`, host: `127.0.0.1:${port}` };

const tally = { snapshots: 0, traceBatches: 0, traceEvents: 0, dropped: 0, streamBytes: 0, scrapes: 0, scrapeBytes: 0, errors: 0 };
let readySent = false;

function send(message: ClientMessage): void {
  process.send?.(message);
}

/** One SSE event block ("event: x\ndata: ...\n"), parsed as the page parses it. */
function onEvent(block: string): void {
  let name = 'message';
  const data: string[] = [];
  for (const line of block.split('\n')) {
    if (line.startsWith('event:')) name = line.slice(6).trim();
    else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
  }
  if (data.length === 0) return;
  const value: unknown = JSON.parse(data.join('\n'));
  if (name === 'snapshot') {
    tally.snapshots++;
    if (!readySent) {
      readySent = true;
      send({ ready: true });
    }
  } else if (name === 'trace') {
    const batch = value as { events: unknown[]; dropped: number };
    tally.traceBatches++;
    tally.traceEvents += batch.events.length;
    tally.dropped += batch.dropped;
  }
}

function readStream(): void {
  const req = request({ host: '127.0.0.1', port, path: '/events', headers: { ...headers, accept: 'text/event-stream' }, agent: false }, (res: IncomingMessage) => {
    if (res.statusCode !== 200) {
      tally.errors++;
      res.resume();
      return;
    }
    res.setEncoding('utf8');
    let buffer = '';
    res.on('data', (chunk: string) => {
      tally.streamBytes += Buffer.byteLength(chunk);
      buffer += chunk;
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        onEvent(buffer.slice(0, end));
        buffer = buffer.slice(end + 2);
      }
    });
  });
  req.on('error', () => tally.errors++);
  req.end();
}

function scrape(): void {
  const req = request({ host: '127.0.0.1', port, path: '/metrics', headers, agent: false }, (res) => {
    let bytes = 0;
    res.on('data', (chunk: Buffer) => (bytes += chunk.length));
    res.on('end', () => {
      if (res.statusCode === 200) {
        tally.scrapes++;
        tally.scrapeBytes += bytes;
      } else tally.errors++;
    });
  });
  req.on('error', () => tally.errors++);
  req.end();
}

readStream();
const scraper = setInterval(scrape, scrapeEveryMs);
process.on('message', (message) => {
  if (message !== 'stop') return;
  clearInterval(scraper);
  send({ tally: { ...tally } });
  // The IPC message is flushed before the channel closes; then the process ends with it.
  process.disconnect();
  process.exit(0);
});
