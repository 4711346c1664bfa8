/**
 * The end-of-run checks of the cluster torture, from the ledger (every run of every job, as
 * the jobs wrote it), the producer's outcomes, and the fleet's record of kills and graceful
 * downs. After draining:
 *
 *   - every job completed exactly once with its own result, or failed only as allowed: the
 *     throwing kind with its planned error, or "stalled more than allowable limit" when every
 *     one of its 1 + maxStalledCount runs was cut by a kill;
 *   - no job ran more than 1 + maxStalledCount times;
 *   - every run but a job's last was on a machine incarnation (pid) SIGKILLed after the run
 *     started: an explained duplicate. Anything else is a violation, named by what it looks
 *     like (a graceful down, two runs at once after a lock expired on a live machine, ...);
 *   - every run a kill cut short was run again or failed as stalled: the duplicates equal
 *     the jobs in flight on killed machines, less those that failed as stalled.
 */

import type { DownRecord, KillRecord } from './fleet.js';
import { runsByKey, type LedgerLine, type LedgerRun } from './ledger.js';
import type { LedgeredArgs } from './ledger-jobs.js';
import type { JobOutcome } from './producer.js';

export interface CheckedJob {
  readonly id: string;
  readonly args: LedgeredArgs;
  readonly outcome: JobOutcome | undefined;
}

export interface CheckInput {
  readonly jobs: Iterable<CheckedJob>;
  readonly lines: readonly LedgerLine[];
  readonly kills: readonly KillRecord[];
  readonly downs: readonly DownRecord[];
  readonly maxStalledCount: number;
}

/** A job that ran more than once, and why each run but the last did not count. */
export interface Duplicate {
  readonly key: string;
  readonly runs: number;
  readonly why: readonly string[];
}

/** What one kill did to the jobs in flight on the incarnation it ended. */
export interface KillEffect {
  readonly machine: string;
  readonly pid: number;
  readonly t: number;
  /** Runs the kill cut before their end line. */
  readonly cutMidRun: number;
  /** Runs that had written their end line but whose result the broker never heard, so they ran again. */
  readonly endedUnheard: number;
  /** Of these, the runs followed by another run of their job. */
  readonly rerun: number;
  /** Of these, the runs after which their job failed as stalled more than allowable. */
  readonly failedStalled: number;
}

export interface CheckCounts {
  readonly jobs: number;
  readonly completed: number;
  readonly failedPlanned: number;
  readonly failedStalled: number;
  readonly lost: number;
  readonly runs: number;
  readonly duplicates: number;
  /** Runs on killed incarnations that did not decide their job's outcome: cut mid-run, or ended unheard. */
  readonly inFlightOnKilled: number;
}

export interface CheckResult {
  readonly violations: string[];
  readonly duplicates: Duplicate[];
  readonly kills: KillEffect[];
  readonly counts: CheckCounts;
}

export function checkRun(input: CheckInput): CheckResult {
  const violations: string[] = [];
  const duplicates: Duplicate[] = [];
  const runs = runsByKey(input.lines);
  const killOf = new Map(input.kills.map((k) => [k.pid, k]));
  const effects = new Map(input.kills.map((k) => [k.pid, { machine: k.machine, pid: k.pid, t: k.t, cutMidRun: 0, endedUnheard: 0, rerun: 0, failedStalled: 0 }]));
  const maxRuns = 1 + input.maxStalledCount;
  const counts = { jobs: 0, completed: 0, failedPlanned: 0, failedStalled: 0, lost: 0, runs: 0, duplicates: 0, inFlightOnKilled: 0 };
  const known = new Set<string>();

  /** The kill that ended the incarnation this run was on, if it came after the run started. */
  const killAfter = (run: LedgerRun): KillRecord | undefined => {
    const kill = killOf.get(run.pid);
    return kill !== undefined && kill.t >= run.startedAt ? kill : undefined;
  };

  for (const job of input.jobs) {
    known.add(job.id);
    counts.jobs++;
    const list = runs.get(job.id) ?? [];
    counts.runs += list.length;
    const say = (what: string): void => void violations.push(`job ${job.id}: ${what}`);
    const { outcome } = job;

    if (list.length > maxRuns) say(`ran ${list.length} times, more than 1 + maxStalledCount (${maxRuns})`);
    list.forEach((run, i) => {
      if (run.run !== i + 1) say(`its runs in the ledger are numbered ${list.map((r) => r.run).join(', ')}, not 1 to ${list.length}`);
    });

    // Every run but the last must have been cut by a kill.
    const why: string[] = [];
    for (let i = 0; i < list.length - 1; i++) {
      const run = list[i]!;
      const next = list[i + 1]!;
      const kill = killAfter(run);
      if (kill !== undefined) {
        why.push(`killed ${kill.machine} pid ${kill.pid}${run.ended === undefined ? ' mid-run' : ' after the run ended, before the broker heard'}`);
      } else {
        const reason = unexplained(run, next, input.downs);
        why.push(`UNEXPLAINED: ${reason}`);
        say(`ran again (run ${next.run} on ${next.machine} pid ${next.pid}) after run ${run.run} on ${run.machine} pid ${run.pid}, which no kill cut: ${reason}`);
      }
    }
    if (list.length > 1) {
      counts.duplicates += list.length - 1;
      duplicates.push({ key: job.id, runs: list.length, why });
    }

    const last = list.at(-1);
    if (outcome === undefined || outcome.kind === 'lost') {
      counts.lost++;
      say(outcome === undefined ? 'no outcome: the producer never heard how it ended' : `lost: ${outcome.message}`);
      continue;
    }
    if (outcome.kind === 'completed') {
      counts.completed++;
      if (job.args.kind !== 'ok') say('completed, but it is of the throwing kind');
      if (outcome.value !== job.id) say(`completed with ${JSON.stringify(outcome.value)}, not its own key`);
      if (last === undefined) say('completed, yet the ledger holds no run of it');
      else if (last.ended?.at !== 'end') say(`completed, yet its last run (${last.run}, on ${last.machine} pid ${last.pid}) never wrote its end`);
      continue;
    }
    // Failed.
    if (outcome.reason === 'stalled') {
      counts.failedStalled++;
      const cut = list.filter((run) => killAfter(run) !== undefined);
      if (cut.length !== list.length || list.length !== maxRuns) {
        say(`failed as stalled more than allowable, but ${cut.length} of its ${list.length} runs were cut by a kill (all ${maxRuns} must be)`);
      } else if (last !== undefined) {
        effects.get(last.pid)!.failedStalled++;
      }
      continue;
    }
    if (outcome.reason === 'threw') {
      counts.failedPlanned++;
      if (job.args.kind !== 'throw') say(`failed as a job that threw, but it is not of the throwing kind: ${outcome.message}`);
      if (last === undefined) say('failed as planned, yet the ledger holds no run of it');
      else if (last.ended?.at !== 'threw') say(`failed as planned, yet its last run (${last.run}) did not get to its throw`);
      continue;
    }
    say(`failed, not as the rules allow: ${outcome.message}`);
  }

  for (const key of runs.keys()) if (!known.has(key)) violations.push(`the ledger holds runs of ${key}, which the producer never added`);

  // What each kill found in flight, from the ledger alone: runs on its incarnation that never
  // wrote their end, and runs that did but were not their job's last (the broker never heard).
  // Each must have been run again or have failed as stalled: that is the duplicates' account.
  for (const [key, list] of runs) {
    if (!known.has(key)) continue;
    list.forEach((run, i) => {
      const kill = killAfter(run);
      const isLast = i === list.length - 1;
      if (kill === undefined) {
        if (run.ended === undefined) violations.push(`job ${key}: its run ${run.run} on ${run.machine} pid ${run.pid} never ended, and no kill cut it`);
        return;
      }
      const effect = effects.get(kill.pid)!;
      if (run.ended === undefined) effect.cutMidRun++;
      else if (!isLast) effect.endedUnheard++;
      else return;
      counts.inFlightOnKilled++;
      if (!isLast) effect.rerun++;
    });
  }
  const rerun = [...effects.values()].reduce((n, e) => n + e.rerun, 0);
  const explained = duplicates.reduce((n, d) => n + d.why.filter((w) => !w.startsWith('UNEXPLAINED')).length, 0);
  if (counts.inFlightOnKilled !== explained + counts.failedStalled || rerun !== explained) {
    violations.push(
      `the duplicates do not add up: ${counts.inFlightOnKilled} runs were in flight on killed machines, but ${explained} were run again and ${counts.failedStalled} failed as stalled`,
    );
  }
  return { violations, duplicates, kills: [...effects.values()], counts };
}

/** What a second run that no kill explains looks like, for its violation. */
function unexplained(run: LedgerRun, next: LedgerRun, downs: readonly DownRecord[]): string {
  const down = downs.find((d) => d.pid === run.pid && d.from <= (run.ended?.t ?? Infinity) && (d.to ?? Infinity) >= run.startedAt);
  if (down !== undefined) return `graceful down of ${down.machine} pid ${down.pid} caused a second run (did down() reach downTimeoutMs and hand it back?)`;
  if (run.ended === undefined) return 'its first run never ended on a machine that lives (was it aborted and handed back?)';
  if (run.ended.t > next.startedAt) return 'both ran at once: the lock expired while it ran on a live machine (stalled longer than lockDuration?)';
  return 'it ran again after a run that ended on a live machine';
}
