/**
 * The dashboard's public types (exported from src/index.ts) and what it needs of the runtime
 * it shows (DashboardHost, internal: runtime.ts makes one in serveDashboard).
 */

import type { Runtime } from '../runtime.js';

export interface DashboardOptions {
  /** TCP port, an integer from 0 to 65535; 0 (the default) takes any free port. */
  readonly port?: number;
  /** The address to bind; default '127.0.0.1' (this machine only). */
  readonly host?: string;
  /** The control token: 16 to 256 characters of [A-Za-z0-9_-]; default 32 random hex characters. */
  readonly token?: string;
  /** Whether reads (the page's data, /metrics) are allowed without the token; default false. */
  readonly publicView?: boolean;
  /** The snapshot period of the live stream, an integer from 50 to 10000 ms; default 250. */
  readonly intervalMs?: number;
}

/** A dashboard a runtime serves (rt.serveDashboard). */
export interface Dashboard {
  /**
   * 'http://127.0.0.1:PORT/': the bound host and port; for a wildcard host ('0.0.0.0', '::')
   * this machine's loopback address, which a browser here can open (from elsewhere, use the
   * machine's name with the same port).
   */
  readonly url: string;
  /** url + '?token=TOKEN': what a command line prints for its user to open. */
  readonly urlWithToken: string;
  readonly host: string;
  readonly port: number;
  readonly token: string;
  /** Ends every open stream and closes the socket. Idempotent; rt.shutdown() calls it too. */
  shutdown(): Promise<void>;
}

/**
 * What the dashboard uses of its runtime: the public Runtime for every call (so a control is
 * exactly the runtime's own call, with its own checks and errors), and three internals the
 * public API does not show.
 */
export interface DashboardHost {
  readonly rt: Runtime;
  /** The hotplug steps, bottom to top (what rt.injectFailure's `step` may name). */
  steps(): readonly string[];
  /** The trace clock: ms since the runtime started, as TraceEvent.ts. */
  now(): number;
  /** The dashboard has shut down: the runtime need not close it any more. */
  forget(dashboard: Dashboard): void;
}
