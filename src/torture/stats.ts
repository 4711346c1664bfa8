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
  };
}
