/**
 * The control plane: the comlink API each CPU worker exposes to the controller, and the
 * events it posts back. Nothing here is on a hot path; park, unpark, stop and wake-ups go
 * through shared memory only (layout.ts, kthread-state.ts, cpu-state.ts).
 */

import type { MessagePort } from 'node:worker_threads';
import type { ReturnedJob } from './jobs.js';

/** workerData of a CPU worker. */
export interface CpuWorkerData {
  readonly cpu: number;
  readonly memory: SharedArrayBuffer;
  /** file: URLs of the kthread modules, in load order. */
  readonly modules: readonly string[];
  /** The worker's end of its job port (jobs.ts). */
  readonly jobPort: MessagePort;
  /** controllerPriority: the nice value the worker gives its own thread before anything else. */
  readonly nice?: number;
}

/**
 * The export name under which every worker runs its built-in kworker, the per-CPU thread
 * that runs jobs. A ':' cannot appear in a JavaScript export name, so no module can take it.
 */
export const KWORKER_EXPORT = 'cpuhp:kworker';

/** What a module export is, as its definition says (kthread/define.ts tags each with one). */
export type DefinitionKind = 'kthread' | 'percpu' | 'cpu-callback' | 'job';

/** Each module export a worker loaded, by name, with its kind (the worker reports it at load). */
export type ModuleCatalogue = Readonly<Record<string, DefinitionKind>>;

export interface CreateKthreadRequest {
  readonly slot: number;
  readonly id: number;
  readonly exportName: string;
  readonly name: string;
  readonly data: unknown;
}

/** How a thread function ended; reaped once by kthreadStop(). */
export type ExitRecord = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: string };

export interface CpuWorkerApi {
  /** Exports of the loaded modules that cpuhp can run; rejects if a module failed to load. */
  catalogue(): Promise<ModuleCatalogue>;
  /** Starts a thread in `slot`; the controller has already initialised the slot's words. */
  createKthread(request: CreateKthreadRequest): Promise<void>;
  /** Takes the exit record of an EXITED thread and forgets the thread. */
  reap(slot: number): ExitRecord;
  /** Runs a `defineCpuCallback` export on this CPU (an on-CPU hotplug callback). */
  runCpuCallback(exportName: string): Promise<void>;
  /** Hands back the arguments (and their transferables) of revoked jobs that will run elsewhere. */
  takeBackJobs(ids: readonly number[]): ReturnedJob[];
}

/** Posted by a worker on its parentPort (outside comlink's request/response). */
export type CpuWorkerEvent =
  | { readonly type: 'cpuhp:kthread-exit'; readonly slot: number; readonly id: number; readonly ok: boolean; readonly error?: string };

export function isCpuWorkerEvent(message: unknown): message is CpuWorkerEvent {
  return typeof message === 'object' && message !== null && (message as { type?: unknown }).type === 'cpuhp:kthread-exit';
}
