/**
 * The request handler: protocol.ts's table of routes, and who may use each (access.ts).
 *
 *   GET  /              the page; with ?token=T (the right one): sets the cookie and answers
 *                       303 to /, so the token leaves the address bar (and the history)
 *   GET  /assets/...    the page's files (assets.ts)
 *   GET  /api/session   read access: { controls, token }, the token only to a request that
 *                       holds it (the page reads it here, from its HttpOnly cookie's grant)
 *   GET  /api/snapshot  read access
 *   GET  /events        read access (stream.ts)
 *   GET  /metrics       read access (metrics.ts)
 *   POST /api/control   control access: the token in a header (controls.ts)
 *
 * Every request's Host is checked first (421 when a loopback-bound server is reached by
 * another name: access.ts says why). A known path with another method is 405 with Allow
 * (OPTIONS too: no preflight is ever granted); anything else is 404.
 */

import type { IncomingMessage, ServerResponse } from 'node:http';
import { ERROR_CODES } from '../errors.js';
import type { AccessCheck } from './access.js';
import { assetFor, PAGE_CSP, readAsset } from './assets.js';
import { parseControl, runControl } from './controls.js';
import { MAX_CONTROL_BODY_BYTES, type DashboardSnapshot, type SessionAnswer } from './protocol.js';
import { ANSWER_CODES, API_HEADERS, COMMON_HEADERS, sendError, sendJson } from './respond.js';
import type { EventStreams } from './stream.js';
import type { Runtime } from '../runtime.js';

export interface RouteHost {
  readonly rt: Runtime;
  readonly token: string;
  readonly access: AccessCheck;
  readonly streams: EventStreams;
  snapshot(): DashboardSnapshot;
  metrics(): Promise<{ readonly contentType: string; readonly text: string }>;
}

/** A Map, not an object: no request path can reach an inherited property. */
const API_ROUTES: ReadonlyMap<string, 'GET' | 'POST'> = new Map([
  ['/api/session', 'GET'],
  ['/api/snapshot', 'GET'],
  ['/events', 'GET'],
  ['/metrics', 'GET'],
  ['/api/control', 'POST'],
]);

export function handleRequest(host: RouteHost, req: IncomingMessage, res: ServerResponse): void {
  void route(host, req, res).catch((error: unknown) => {
    if (res.headersSent) res.destroy();
    else sendError(res, 500, ANSWER_CODES.INTERNAL, `the dashboard failed to answer: ${error instanceof Error ? error.message : String(error)}`);
  });
}

async function route(host: RouteHost, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const { access } = host;
  if (!access.hostAllowed(req)) {
    sendError(res, 421, ANSWER_CODES.MISDIRECTED, `this dashboard answers only requests addressed to it (Host ${JSON.stringify(req.headers.host ?? '')} is not one of its names); open it by its own address`);
    return;
  }
  let url: URL;
  try {
    url = new URL(req.url ?? '/', 'http://dashboard.invalid');
  } catch {
    sendError(res, 400, ERROR_CODES.INVALID_ARG, 'the request target is not a valid path');
    return;
  }
  const path = url.pathname;
  const method = req.method ?? 'GET';
  const apiMethod = API_ROUTES.get(path);
  const asset = apiMethod === undefined ? assetFor(path) : undefined;
  if (apiMethod === undefined && asset === undefined) {
    sendError(res, 404, ANSWER_CODES.NOT_FOUND, `nothing at ${path.slice(0, 100)}; the page is at /`);
    return;
  }
  const allowed = apiMethod ?? 'GET';
  if (method !== allowed) {
    sendError(res, 405, ANSWER_CODES.METHOD_NOT_ALLOWED, `${path} takes ${allowed} only`, { Allow: allowed, ...(method === 'POST' ? { Connection: 'close' } : {}) });
    return;
  }
  if (asset !== undefined) {
    if (asset.page && url.searchParams.has('token')) {
      openWithToken(host, url.searchParams.get('token')!, res);
      return;
    }
    const body = await readAsset(asset);
    if (body === undefined) {
      sendError(res, 404, ANSWER_CODES.NOT_FOUND, `${path}: the package has no ${asset.file}; in a checkout of cpuhp, npm run build makes the page's scripts`);
      return;
    }
    res.writeHead(200, {
      ...COMMON_HEADERS,
      'Content-Type': asset.type,
      'Content-Length': String(body.length),
      'Cache-Control': 'no-cache',
      ...(asset.page ? { 'Content-Security-Policy': PAGE_CSP } : {}),
    });
    res.end(body);
    return;
  }
  if (path === '/api/control') {
    await control(host, req, res);
    return;
  }
  if (!access.canRead(req, url)) {
    forbidden(res, 'reading this dashboard needs its token: open the address it printed (with ?token=), or send the token in an X-Cpuhp-Token header');
    return;
  }
  const holds = access.holdsToken(req, url);
  switch (path) {
    case '/api/session':
      sendJson(res, 200, { controls: holds, token: holds ? host.token : null } satisfies SessionAnswer);
      return;
    case '/api/snapshot':
      sendJson(res, 200, { ...host.snapshot(), controls: holds } satisfies DashboardSnapshot);
      return;
    case '/events':
      host.streams.open(res, holds);
      return;
    case '/metrics': {
      const { contentType, text } = await host.metrics();
      res.writeHead(200, { ...API_HEADERS, 'Content-Type': contentType, 'Content-Length': String(Buffer.byteLength(text)) });
      res.end(text);
      return;
    }
  }
}

/** GET /?token=T: the right token sets the cookie and 303s to /, a wrong one is refused. */
function openWithToken(host: RouteHost, given: string, res: ServerResponse): void {
  if (!host.access.matches(given)) {
    forbidden(res, 'the token in the address is not this dashboard\'s; open the address it printed');
    return;
  }
  res.writeHead(303, {
    ...API_HEADERS,
    Location: '/',
    'Set-Cookie': `${host.access.cookie}=${host.token}; HttpOnly; SameSite=Strict; Path=/`,
    'Content-Length': '0',
  });
  res.end();
}

function forbidden(res: ServerResponse, message: string): void {
  sendError(res, 403, ANSWER_CODES.FORBIDDEN, message);
}

/** POST /api/control: token (403), Content-Type (415), size (413), shape (400), then the call. */
async function control(host: RouteHost, req: IncomingMessage, res: ServerResponse): Promise<void> {
  // A refusal before the body is read closes the connection, so the unread body is not taken for a next request.
  const close = { Connection: 'close' };
  if (!host.access.canControl(req)) {
    sendError(res, 403, ANSWER_CODES.FORBIDDEN, 'a control needs the token in an X-Cpuhp-Token (or Authorization: Bearer) header; nothing was changed', close);
    return;
  }
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json') {
    sendError(res, 415, ANSWER_CODES.UNSUPPORTED_MEDIA_TYPE, `a control's body is JSON: send Content-Type: application/json (got ${JSON.stringify(type)}); nothing was changed`, close);
    return;
  }
  const body = await readBody(req, MAX_CONTROL_BODY_BYTES);
  if (body === undefined) {
    sendError(res, 413, ANSWER_CODES.PAYLOAD_TOO_LARGE, `a control's body is at most ${MAX_CONTROL_BODY_BYTES} bytes; nothing was changed`, close);
    return;
  }
  const request = parseControl(body);
  if ('status' in request) {
    sendJson(res, request.status, request.answer);
    return;
  }
  const result = await runControl(host.rt, request);
  sendJson(res, result.status, result.answer);
}

/** The body as text, or undefined once it passes `limit` bytes (the rest is discarded unread). */
function readBody(req: IncomingMessage, limit: number): Promise<string | undefined> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    req.resume();
    return Promise.resolve(undefined);
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > limit) {
        req.off('data', onData);
        req.resume();
        resolve(undefined);
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
