/**
 * A dashboard: an HTTP server (Node's own http, no framework) serving one runtime's page,
 * data, stream, metrics and controls (routes.ts says what is where). startDashboard() is all
 * rt.serveDashboard() does.
 *
 * The dashboard never holds the process open: the listening socket, every connection and
 * every timer are unref'd. What keeps a process running is the runtime's own business
 * (controller/keep-alive.ts: work in flight, or rt.ref()); a program that wants its page to
 * stay up, such as `cpuhp dashboard`, holds the process itself (rt.ref(), or a signal
 * handler it waits on), and a program that ends is not kept alive by a browser tab left open.
 *
 * One trace listener is on the runtime for as long as the dashboard serves, for what must
 * not be missed while no page is open: the operations (latency charts, /metrics), the
 * soft-lockup colouring and the backlog. It does O(1) work per event. The stream adds its
 * own only while a page is connected (stream.ts).
 */

import { createServer, type Server } from 'node:http';
import type { Socket } from 'node:net';
import { CpuhpError, ERROR_CODES } from '../errors.js';
import type { TraceEvent } from '../trace/events.js';
import { AccessCheck } from './access.js';
import { TraceBacklog } from './backlog.js';
import { DashboardMetrics } from './metrics.js';
import { resolveDashboardOptions } from './options.js';
import { OperationTracker } from './operations.js';
import type { TortureView } from './protocol.js';
import { handleRequest, type RouteHost } from './routes.js';
import { SnapshotMaker } from './snapshot.js';
import { EventStreams } from './stream.js';
import type { Dashboard, DashboardHost } from './types.js';

/** How long shutdown() lets open connections finish (a stream's last bytes, a control's answer) before it cuts them. */
const CLOSE_GRACE_MS = 2000;

/** The dashboards' internals, for showTorture (torture-view.ts): a Dashboard itself has only its public face. */
const SERVED = new WeakMap<Dashboard, DashboardServer>();

export function serverOf(dashboard: Dashboard): DashboardServer | undefined {
  return SERVED.get(dashboard);
}

export class DashboardServer {
  private tortureView: (() => TortureView) | undefined;

  constructor(
    readonly snapshots: SnapshotMaker,
    readonly metrics: DashboardMetrics,
  ) {}

  showTorture(view: () => TortureView): void {
    this.tortureView = view;
    this.snapshots.torture = view;
    this.metrics.showTorture();
  }

  torture(): TortureView | null {
    try {
      return this.tortureView?.() ?? null;
    } catch {
      return null;
    }
  }
}

/**
 * Checks the options (a ConfigError, and nothing listens), listens (a CpuhpError
 * ERR_CPUHP_DASHBOARD_LISTEN when it cannot), and serves until shutdown().
 */
export async function startDashboard(host: DashboardHost, options: unknown): Promise<Dashboard> {
  const o = resolveDashboardOptions(options);
  const { rt } = host;
  const backlog = new TraceBacklog();
  // The metrics read the tracker's counts, and the tracker feeds their histograms (the
  // callbacks run only on trace events, once the listener is added below, after both exist).
  const operations = new OperationTracker(
    () => host.steps().at(-1),
    (sample) => metrics.observe(sample),
  );
  const metrics: DashboardMetrics = new DashboardMetrics({ stats: () => rt.stats(), operations: operations.counts, torture: (): TortureView | null => served.torture() });
  const snapshots = new SnapshotMaker(host, operations, (stats) => metrics.parks(stats));
  const served: DashboardServer = new DashboardServer(snapshots, metrics);
  const onTrace = (event: TraceEvent): void => {
    operations.observe(event);
    snapshots.observe(event);
    backlog.push(event);
  };
  const streams = new EventStreams({
    intervalMs: o.intervalMs,
    next: (closed) => snapshots.next(closed),
    peek: () => snapshots.peek(),
    backlog: () => backlog.events(),
    listen: (listener) => rt.on('trace', listener),
    unlisten: (listener) => rt.off('trace', listener),
  });

  const server = createServer({ keepAliveTimeout: 5000, requestTimeout: 30_000, headersTimeout: 10_000 });
  server.on('connection', (socket: Socket) => socket.unref());
  const port = await listen(server, o.port, o.host);
  server.unref();
  rt.on('trace', onTrace);

  const routes: RouteHost = {
    rt,
    token: o.token,
    access: new AccessCheck(o.token, o.publicView, o.host, port),
    streams,
    snapshot: () => snapshots.peek(),
    metrics: () => metrics.text(),
  };
  server.on('request', (req, res) => handleRequest(routes, req, res));

  const url = `http://${urlHost(o.host)}:${port}/`;
  let closing: Promise<void> | undefined;
  const dashboard: Dashboard = Object.freeze({
    url,
    urlWithToken: `${url}?token=${o.token}`,
    host: o.host,
    port,
    token: o.token,
    shutdown: (): Promise<void> => (closing ??= close()),
  });
  SERVED.set(dashboard, served);

  async function close(): Promise<void> {
    host.forget(dashboard);
    rt.off('trace', onTrace);
    streams.close();
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    const cut = setTimeout(() => server.closeAllConnections(), CLOSE_GRACE_MS);
    await closed;
    clearTimeout(cut);
  }
  return dashboard;
}

/** listen(), as a promise: the port bound, or a CpuhpError saying what to do. */
function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException): void => {
      server.off('listening', onListening);
      const why =
        error.code === 'EADDRINUSE'
          ? `port ${port} is in use; pass another port, or 0 for any free one`
          : error.code === 'EADDRNOTAVAIL' || error.code === 'ENOTFOUND' || error.code === 'EAI_AGAIN'
            ? `${host} is not an address of this machine; pass one of its addresses, such as '127.0.0.1'`
            : error.code === 'EACCES'
              ? `binding port ${port} is not permitted; pass a port from 1024 up, or 0 for any free one`
              : `${error.message}; pass another host or port`;
      reject(new CpuhpError(`serveDashboard: could not listen on ${host}:${port}: ${why}`, { code: ERROR_CODES.DASHBOARD_LISTEN, cause: error }));
    };
    const onListening = (): void => {
      server.off('error', onError);
      const address = server.address();
      resolve(typeof address === 'object' && address !== null ? address.port : port);
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen({ port, host, exclusive: true });
  });
}

/**
 * The host to put in the page's address. A wildcard bind ('0.0.0.0', '::') is not an address a
 * browser should open (Chromium refuses 0.0.0.0 as a destination): the address shown is this
 * machine's loopback one, which the wildcard covers; from elsewhere, use the machine's name.
 */
function urlHost(host: string): string {
  const bare = host.replace(/^\[|\]$/g, '');
  if (bare === '0.0.0.0') return '127.0.0.1';
  if (bare === '::' || bare === '::0' || bare === '0:0:0:0:0:0:0:0') return '[::1]';
  return bare.includes(':') ? `[${bare}]` : bare;
}
