/**
 * The dashboard's wire protocol: what the server (src/dashboard/) sends the page
 * (dashboard/src/) and what the page may ask of it. One closed set of shapes, as comlink's
 * src/protocol.ts is for its messages: the server builds exactly these, the page narrows on
 * them and never guesses a field. Types and constants only, so the page's own build
 * (dashboard/tsconfig.json) compiles this same file: there is no second copy to drift.
 *
 * Transport (why server-sent events, not a WebSocket): the stream goes one way, server to
 * page; controls are rare request/response calls that fit plain POSTs (which is also what
 * makes the token check and "no CORS" simple). EventSource reconnects by itself and needs no
 * library on either side; Node's http serves it with no dependency.
 *
 *   GET  /                      the page (no data in it: served without a token)
 *   GET  /assets/<file>         the page's script, style and uPlot (served from the package)
 *   GET  /api/session           SessionAnswer: whether this page holds the token, and the
 *                               token itself to a page that does (from its cookie), for its
 *                               POSTs; the page reads it once it is loaded     (read access)
 *   GET  /api/snapshot          one DashboardSnapshot, as JSON            (read access)
 *   GET  /events                text/event-stream: 'snapshot' events carrying a
 *                               DashboardSnapshot every intervalMs, 'trace' events carrying
 *                               a TraceBatch                              (read access)
 *   GET  /metrics               Prometheus text format (prom-client)      (read access)
 *   POST /api/control           one ControlRequest as a JSON body; answers ControlAnswer
 *                                                                         (control access)
 *
 * Access. Read access: the token in an `X-Cpuhp-Token` header, an `Authorization: Bearer`
 * header, a `token` query parameter, or the HttpOnly SameSite=Strict cookie set when the page
 * was opened with `?token=`; or none at all when the embedder passed `publicView: true`.
 * Control access: always the token in the `X-Cpuhp-Token` or `Authorization: Bearer` header
 * (never the cookie nor the query, so another site cannot make a browser send it: a custom
 * header needs a CORS preflight, which this server never answers). Answers:
 *   400 malformed request (bad JSON, unknown op, bad argument), body { error: { code, message } }
 *   403 missing or wrong token, nothing changed
 *   404 unknown path, or a thread id the runtime does not know
 *   405 a known path with the wrong method (an `Allow` header says which)
 *   409 the runtime refused or failed the operation (its own error's code and message)
 *   413 a body over MAX_CONTROL_BODY_BYTES
 *   415 a POST whose Content-Type is not application/json
 *   421 a server bound to a loopback address reached by another name in Host (DNS rebinding)
 *
 * GET /?token=T with the right token sets the cookie and answers 303 to /, so the token
 * leaves the address bar; with a wrong one, 403.
 */

import type { CpuStateName } from '../protocol/cpu-state.js';
import type { KthreadStateName } from '../protocol/kthread-state.js';
import type { TraceEvent } from '../trace/events.js';

/** The header the page sends its token in. */
export const TOKEN_HEADER = 'x-cpuhp-token';
/**
 * The cookie that carries read access for the page's EventSource (which cannot set headers).
 * Its name is this and `_PORT`: cookies are not kept apart by port, so two dashboards on one
 * machine (a demo and a torture) would otherwise overwrite each other's.
 */
export const TOKEN_COOKIE = 'cpuhp_dashboard';
/** A control request is small: anything larger is refused with 413 before it is parsed. */
export const MAX_CONTROL_BODY_BYTES = 4096;
/** How many trace events the server keeps for a page that connects (and sends it at once). */
export const TRACE_BACKLOG = 200;

/**
 * What the page colours a CPU by: the runtime's CPU state, or 'lockup' while the watchdog's
 * latest soft-lockup on it is newer than its latest cpu-state change and its heartbeat has
 * not ticked since (a CPU stuck in a job).
 */
export type DashboardCpuState = CpuStateName | 'lockup';

/** A latency summary in ms (the runtime's LatencySummary). */
export interface LatencyView {
  readonly count: number;
  readonly medianMs: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

export interface CpuView {
  readonly cpu: number;
  readonly state: DashboardCpuState;
  /** The last hotplug step whose startup has run. */
  readonly step: string;
  readonly heartbeat: number;
  /** Heartbeat ticks per second since the previous snapshot. */
  readonly heartbeatPerSec: number;
  /** Event-loop utilisation of the CPU's worker over the last interval, 0 to 1. */
  readonly utilization: number;
  readonly ups: number;
  readonly downs: number;
  readonly rollbacks: number;
  readonly failures: number;
  readonly lockups: number;
  readonly violations: number;
  /** Jobs waiting for this CPU in particular. */
  readonly queued: number;
  /** Jobs handed to this CPU (running or waiting there to start). */
  readonly handed: number;
  readonly running: number;
  /** Jobs whose outcome came back from this CPU, and per second over the last interval. */
  readonly ran: number;
  readonly jobsPerSec: number;
}

export interface ThreadView {
  readonly id: number;
  readonly name: string;
  readonly cpu: number;
  readonly fn: string;
  readonly state: KthreadStateName;
  /**
   * How the page shows it: running (running or created), sleeping (running but no iteration
   * since the previous snapshot), parked (parking or parked), exited (stopping or exited).
   */
  readonly shown: 'running' | 'sleeping' | 'parked' | 'exited';
  readonly iterations: number;
  readonly iterationsPerSec: number;
  readonly parks: number;
  /** The per-CPU thread group it belongs to, if any. */
  readonly group: string | null;
}

export interface JobsView {
  readonly submitted: number;
  readonly completed: number;
  readonly threw: number;
  readonly aborted: number;
  readonly timedOut: number;
  readonly refused: number;
  readonly migrated: number;
  readonly diedRunning: number;
  readonly lockedUp: number;
  readonly shutdown: number;
  readonly queued: number;
  readonly handed: number;
  /** Jobs settled per second over the last interval. */
  readonly perSec: number;
  readonly latency: LatencyView;
  /** Median and p99 of waitTime and runTime, ms; null before any job ran. */
  readonly waitMs: { readonly median: number; readonly p99: number } | null;
  readonly runMs: { readonly median: number; readonly p99: number } | null;
}

/** One completed hotplug or park operation, for the live latency charts. */
export interface OperationSample {
  readonly op: 'cpuDown' | 'cpuUp' | 'park';
  readonly cpu: number;
  /** When it ended, ms since the runtime started (the trace clock). */
  readonly ts: number;
  readonly ms: number;
  readonly ok: boolean;
}

/** What a torture run adds (its counters by name, from TortureCounts) when it has a page. */
export interface TortureView {
  readonly elapsedMs: number;
  readonly durationMs: number | null;
  readonly operations: number;
  readonly counts: Readonly<Record<string, number>>;
  readonly violations: number;
  /** The first violation's description, once there is one. */
  readonly violation: string | null;
}

export interface DashboardSnapshot {
  /** Increases by one per snapshot. */
  readonly seq: number;
  /** The trace clock: ms since the runtime started. */
  readonly ts: number;
  readonly strategy: string;
  readonly cores: number;
  readonly cpus: readonly CpuView[];
  readonly threads: readonly ThreadView[];
  readonly jobs: JobsView;
  readonly latency: { readonly cpuDown: LatencyView; readonly cpuUp: LatencyView; readonly park: LatencyView };
  /** Operations completed since the previous snapshot (the page keeps its own window). */
  readonly operations: readonly OperationSample[];
  readonly violations: number;
  /** The hotplug steps failures can be injected at (rt.injectFailure's `step`). */
  readonly steps: readonly string[];
  /** Whether this page may use the controls (it holds the token). */
  readonly controls: boolean;
  readonly torture: TortureView | null;
  /** The runtime was shut down: the stream ends after this snapshot. */
  readonly closed: boolean;
}

/** A 'trace' event's data: the events since the previous batch (the oldest may be dropped). */
export interface TraceBatch {
  readonly events: readonly TraceEvent[];
  /** Events not sent because the page's stream fell behind. */
  readonly dropped: number;
}

/** What the page may ask: each is the runtime's own call of the same name. */
export type ControlRequest =
  | { readonly op: 'cpuDown'; readonly cpu: number }
  | { readonly op: 'cpuUp'; readonly cpu: number }
  | { readonly op: 'kthreadPark'; readonly thread: number }
  | { readonly op: 'kthreadUnpark'; readonly thread: number }
  | { readonly op: 'kthreadStop'; readonly thread: number }
  | { readonly op: 'injectFailure'; readonly cpu: number; readonly step: string };

export type ControlOp = ControlRequest['op'];
export const CONTROL_OPS: readonly ControlOp[] = ['cpuDown', 'cpuUp', 'kthreadPark', 'kthreadUnpark', 'kthreadStop', 'injectFailure'];

/** GET /api/session: `token` is set only for a request that holds it (header, query or cookie). */
export interface SessionAnswer {
  readonly controls: boolean;
  readonly token: string | null;
}

/** An error as the server answers it: the runtime's code (or the server's own) and message. */
export interface ErrorAnswer {
  readonly error: { readonly code: string; readonly message: string };
}

export type ControlAnswer =
  | { readonly ok: true; readonly op: ControlOp; readonly ms: number; readonly cpuState?: CpuStateName; readonly threadState?: KthreadStateName }
  | (ErrorAnswer & { readonly ok: false; readonly op: ControlOp | null });
