/** What a torture run counts, in the spirit of torture_onoff's statistics. */

export interface MinAvgMax {
  readonly count: number;
  readonly minMs: number;
  readonly avgMs: number;
  readonly maxMs: number;
}

export class Spread {
  private n = 0;
  private sum = 0;
  private min = Infinity;
  private max = 0;

  record(ms: number): void {
    this.n++;
    this.sum += ms;
    this.min = Math.min(this.min, ms);
    this.max = Math.max(this.max, ms);
  }

  summary(): MinAvgMax {
    return this.n === 0 ? { count: 0, minMs: 0, avgMs: 0, maxMs: 0 } : { count: this.n, minMs: this.min, avgMs: this.sum / this.n, maxMs: this.max };
  }
}

export interface TortureCounts {
  offlineAttempts: number;
  offlineSuccesses: number;
  onlineAttempts: number;
  onlineSuccesses: number;
  /** Hotplug operations that failed and rolled back (injected or timed out). */
  rollbacks: number;
  parks: number;
  /** Parks refused because the thread was in an injected deaf spell. */
  parkTimeouts: number;
  unparks: number;
  creates: number;
  stops: number;
  /** Faults injected, by kind, and how many the runtime survived (left consistent). */
  injectedCallbackFailures: number;
  injectedThrows: number;
  deafSpells: number;
  faultsSurvived: number;
  /** Operations refused as expected (last online CPU, thread already stopped, ...). */
  refused: number;
  jobsQueued: number;
  jobsCompleted: number;
  /** Jobs rejected as the API promises: aborted, timed out, or strict to a CPU that went down. */
  jobsRejected: number;
  /** Injected: a job that killed its worker (process.exit, an uncaught error, out of memory). */
  workerDeaths: number;
  /** States the state actor added with setupState, and removed with removeState. */
  statesAdded: number;
  statesRemoved: number;
  /** setupState calls that failed on some CPU and were undone, as injected. */
  setupFailures: number;
  /** removeState calls whose teardown failed on some CPU, as injected: the state went anyway. */
  removeFailures: number;
  /** Injected: the run's own state's callbacks, made to throw on chosen calls. */
  stateCallbackThrows: number;
  /** cpuDown/cpuUp whose rollback itself failed, leaving the CPU part-way until the next operation. */
  rollbackFailures: number;
  /** Injected: jobs that returned, threw or rejected with a hostile value, rejected as 'threw'. */
  hostileResults: number;
  /** Injected: trace events whose listener threw; and the warnings the runtime gave for it (one per listener). */
  listenerThrows: number;
  listenerWarnings: number;
  /** Injected: jobs that spun without yielding, rejected as 'soft-lockup' by the runtime's watchdog. */
  lockups: number;
  /** Injected: jobs longer than the hotplug timeout, with a cpuDown of their CPU while they ran. */
  longJobs: number;
  /** Injected: kthread calls with forged or foreign handles, each refused. */
  forgedHandles: number;
}

export function emptyCounts(): TortureCounts {
  return {
    offlineAttempts: 0,
    offlineSuccesses: 0,
    onlineAttempts: 0,
    onlineSuccesses: 0,
    rollbacks: 0,
    parks: 0,
    parkTimeouts: 0,
    unparks: 0,
    creates: 0,
    stops: 0,
    injectedCallbackFailures: 0,
    injectedThrows: 0,
    deafSpells: 0,
    faultsSurvived: 0,
    refused: 0,
    jobsQueued: 0,
    jobsCompleted: 0,
    jobsRejected: 0,
    workerDeaths: 0,
    statesAdded: 0,
    statesRemoved: 0,
    setupFailures: 0,
    removeFailures: 0,
    stateCallbackThrows: 0,
    rollbackFailures: 0,
    hostileResults: 0,
    listenerThrows: 0,
    listenerWarnings: 0,
    lockups: 0,
    longJobs: 0,
    forgedHandles: 0,
  };
}
