/**
 * The trace vocabulary: every event a runtime emits to its 'trace' listeners, one closed
 * union keyed by `type`, like the TRACE_EVENT schemas of include/trace/events/cpuhp.h.
 * Each member says which room of cpuhp emits it. Types only: listeners, the Perfetto
 * converter and torture narrow on `type` and never guess a field.
 *
 * Every event carries `ts` (ms since the runtime started, stamped when it is emitted) and
 * `cpu` (the CPU it concerns; -1 for an event about no single CPU).
 */

import type { CpuStateName } from '../protocol/cpu-state.js';

/** Which way a CPU is going: the operation (cpuUp / cpuDown). */
export type HotplugDirection = 'up' | 'down';
/** Which callback of a hotplug state runs: startup on the way up, teardown on the way down. */
export type StepDirection = 'startup' | 'teardown';

// ---------------------------------------------------------------- hotplug (src/hotplug/)

/** A cpuUp or cpuDown has taken the hotplug lock and asks the strategy's writer side to begin. */
export interface HotplugBeginEvent { readonly type: 'hotplug-begin'; readonly cpu: number; readonly direction: HotplugDirection }
/** One hotplug state's callback on one CPU (the state machine): begun, ended, failed, or run to roll back. */
export interface HotplugStepEvent {
  readonly type: 'hotplug';
  readonly cpu: number;
  readonly step: string;
  readonly direction: StepDirection;
  readonly phase: 'begin' | 'end' | 'fail' | 'rollback';
  readonly error?: string;
}
/** The CPU state word changed (the hotplug writer is its only writer). */
export interface CpuStateEvent { readonly type: 'cpu-state'; readonly cpu: number; readonly state: CpuStateName }
/** A cpuUp or cpuDown failed and the CPU was rolled back; `step` is where it was left. */
export interface RollbackEvent { readonly type: 'rollback'; readonly cpu: number; readonly step: string }
/** removeState removed a state whose teardown failed on some CPUs (`cpu` is -1). */
export interface RemoveStateErrorsEvent { readonly type: 'remove-state-errors'; readonly cpu: -1; readonly state: string; readonly errors: readonly string[] }

// ---------------------------------------------------------------- CPU failure (src/hotplug/, the watchdog)

/** The CPU's worker died (uncaught error, exit, out of memory, failed by the watchdog): the CPU is FAILED. */
export interface CpuFailedEvent { readonly type: 'cpu-failed'; readonly cpu: number; readonly error: string }
/** The watchdog found the CPU stuck for `stuckMs`, running `culprit`; `action` is the onLockup option. */
export interface SoftLockupEvent {
  readonly type: 'soft-lockup';
  readonly cpu: number;
  readonly stuckMs: number;
  readonly culprit: string;
  readonly action: 'fail' | 'warn';
}
/** The CPU's worker reported an error event (it dies of it: a cpu-failed follows). */
export interface WorkerErrorEvent { readonly type: 'worker-error'; readonly cpu: number; readonly error: string }

// ---------------------------------------------------------------- one thread (src/kthread/kthread.ts)

/** kthreadCreateOnCpu, or smpboot making a per-CPU thread: the thread has started. */
export interface CreateEvent { readonly type: 'create'; readonly cpu: number; readonly thread: string }
/** A park was asked of the thread (SHOULD_PARK set). */
export interface ParkEvent { readonly type: 'park'; readonly cpu: number; readonly thread: string }
/** The thread acknowledged its park. */
export interface ParkedEvent { readonly type: 'parked'; readonly cpu: number; readonly thread: string }
/** SHOULD_PARK was cleared: the thread runs again once its CPU does. */
export interface UnparkEvent { readonly type: 'unpark'; readonly cpu: number; readonly thread: string }
/** A stop was asked of the thread (SHOULD_STOP set). */
export interface StopEvent { readonly type: 'stop'; readonly cpu: number; readonly thread: string }
/** The thread has exited: `ok` false with `error` when it threw or its worker died. */
export interface ExitEvent { readonly type: 'exit'; readonly cpu: number; readonly thread: string; readonly ok: boolean; readonly error?: string }

// ---------------------------------------------------------------- a CPU's threads (src/kthread/smpboot.ts)

/** A CPU going down asks all of `threads` to park at once. */
export interface ParkCpuEvent { readonly type: 'park-cpu'; readonly cpu: number; readonly threads: readonly string[] }
/** A per-CPU thread that no stop waited for has exited and was reaped (a replacement follows unless the CPU fails). */
export interface PercpuExitEvent { readonly type: 'percpu-exit'; readonly cpu: number; readonly thread: string; readonly error?: string }
/** Replacing an exited per-CPU thread failed. */
export interface PercpuReplaceFailedEvent { readonly type: 'percpu-replace-failed'; readonly cpu: number; readonly thread: string; readonly error: string }

// ---------------------------------------------------------------- jobs (src/jobs/)

/** The CPU's worker died with jobs on it: the running one rejected, the others moved. */
export interface JobsWorkerDiedEvent { readonly type: 'jobs-worker-died'; readonly cpu: number; readonly error: string }
/** Jobs queued on a CPU that went away moved: `toAnyCpu` to other CPUs, `waitingForCpu` stay for it. */
export interface JobsMovedEvent { readonly type: 'jobs-moved'; readonly cpu: number; readonly toAnyCpu: number; readonly waitingForCpu: number }

/** Every event, as emitted by a room of the runtime (before it is stamped). */
export type TraceEventBody =
  | HotplugBeginEvent
  | HotplugStepEvent
  | CpuStateEvent
  | RollbackEvent
  | RemoveStateErrorsEvent
  | CpuFailedEvent
  | SoftLockupEvent
  | WorkerErrorEvent
  | CreateEvent
  | ParkEvent
  | ParkedEvent
  | UnparkEvent
  | StopEvent
  | ExitEvent
  | ParkCpuEvent
  | PercpuExitEvent
  | PercpuReplaceFailedEvent
  | JobsWorkerDiedEvent
  | JobsMovedEvent;

/** What a 'trace' listener receives: one event of the vocabulary, stamped. */
export type TraceEvent = TraceEventBody & { /** ms since the runtime started. */ readonly ts: number };

export type TraceEventType = TraceEvent['type'];

/** The event of one type: `TraceEventOf<'parked'>`. */
export type TraceEventOf<T extends TraceEventType> = Extract<TraceEvent, { type: T }>;

/** How every room emits: the runtime stamps and delivers (src/trace/delivery.ts). */
export type TraceSink = (event: TraceEventBody) => void;
