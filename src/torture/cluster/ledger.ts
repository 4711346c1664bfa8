/**
 * The cluster torture's ledger: one JSON line per start and per end of every run of every
 * job, written by the job itself (ledger-jobs.ts) into a file that survives the crash of the
 * machine that ran it. Read back at the end, it says how many times each job really ran,
 * where, and which runs a crash cut short.
 */

import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';

export interface LedgerLine {
  readonly key: string;
  /** The machine's name (several incarnations share it). */
  readonly machine: string;
  /** The machine process's pid: one incarnation. */
  readonly pid: number;
  /** Which run of the job this is, 1 first, as the ledger counts them. */
  readonly run: number;
  /** start; end (the run returned); threw (the throwing kind, about to throw). */
  readonly at: 'start' | 'end' | 'threw';
  /** Date.now() when written. */
  readonly t: number;
}

/** What a run's claim file holds (ledger-jobs.ts claimRun). */
export interface RunClaim {
  readonly machine: string;
  readonly pid: number;
  readonly t: number;
}

/** One run of a job: its start line, and its end line if it got that far. */
export interface LedgerRun {
  readonly key: string;
  readonly machine: string;
  readonly pid: number;
  readonly run: number;
  readonly startedAt: number;
  readonly ended: { readonly at: 'end' | 'threw'; readonly t: number } | undefined;
}

/** Where a ledger's run claims go. */
export function runsDirFor(ledger: string): string {
  return `${ledger}.runs`;
}

/** An empty ledger at `path`, and its directory of run claims. */
export function createLedger(path: string): void {
  writeFileSync(path, '');
  mkdirSync(runsDirFor(path), { recursive: true });
}

export function parseLedger(text: string): LedgerLine[] {
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as LedgerLine);
}

/**
 * The ledger's lines, and a start line for every run that claimed its number but was killed
 * before it wrote its start (its claim file says where and when it ran).
 */
export function readLedger(path: string): LedgerLine[] {
  const lines = parseLedger(readFileSync(path, 'utf8'));
  const started = new Set(lines.filter((l) => l.at === 'start').map((l) => `${l.key}.${l.run}`));
  const dir = runsDirFor(path);
  for (const name of readdirSync(dir)) {
    if (name.startsWith('.') || started.has(name)) continue;
    const dot = name.lastIndexOf('.');
    const claim = JSON.parse(readFileSync(`${dir}/${name}`, 'utf8')) as RunClaim;
    lines.push({ key: name.slice(0, dot), machine: claim.machine, pid: claim.pid, run: Number(name.slice(dot + 1)), at: 'start', t: claim.t });
  }
  return lines;
}

/**
 * The runs of each job, in the order they started. A run is one (key, run number); an end
 * line pairs with the start of the same key, run and pid.
 */
export function runsByKey(lines: readonly LedgerLine[]): Map<string, LedgerRun[]> {
  const runs = new Map<string, Map<number, LedgerRun>>();
  for (const line of lines) {
    let byRun = runs.get(line.key);
    if (byRun === undefined) runs.set(line.key, (byRun = new Map()));
    if (line.at === 'start') {
      byRun.set(line.run, { key: line.key, machine: line.machine, pid: line.pid, run: line.run, startedAt: line.t, ended: undefined });
    } else {
      const started = byRun.get(line.run);
      if (started !== undefined && started.pid === line.pid) byRun.set(line.run, { ...started, ended: { at: line.at, t: line.t } });
    }
  }
  const sorted = new Map<string, LedgerRun[]>();
  for (const [key, byRun] of runs) sorted.set(key, [...byRun.values()].sort((a, b) => a.run - b.run));
  return sorted;
}
