/**
 * The job module the cluster torture's machines load (`--modules`): one job, `ledgered`,
 * that writes down every run of itself in a ledger file which outlives the machine that ran
 * it. Each run appends a start line and, unless the machine dies first, an end line, with
 * appendFileSync: the file is opened O_APPEND and each line is one small write(2), so lines
 * from concurrent runs in several processes never interleave, and a SIGKILL leaves whole
 * lines only.
 *
 * The run number is the ledger's own count, not the broker's: before its start line a run
 * claims `<ledger>.runs/<key>.<n>` for the lowest n not yet claimed. The claim is a hard link
 * to a file already holding the run's machine, pid and time, and link(2) fails if the name
 * exists: so a claim is atomic, two runs of one job can never both be run n, and a run killed
 * between its claim and its start line is still on record (readLedger adds its start line).
 *
 * The machine's name and the ledger's path come from the environment the torture gives each
 * machine (settings.ts ENV); the pid tells one incarnation of a machine from the next.
 */

import { randomUUID } from 'node:crypto';
import { appendFileSync, linkSync, unlinkSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { defineJob } from '../../kthread/define.js';
import { ENV } from './settings.js';
import { runsDirFor, type LedgerLine, type RunClaim } from './ledger.js';

export interface LedgeredArgs {
  /** The job's key: its broker job id. */
  readonly key: string;
  /** How long the run takes, in ms. */
  readonly ms: number;
  /** 'throw' fails on purpose once it has slept, with PLANNED_FAILURE in its message. */
  readonly kind: 'ok' | 'throw';
}

/** What the throwing kind's error says, for the checker to recognise. */
export const PLANNED_FAILURE = 'planned failure of';

function claimRun(key: string, ledger: string, machine: string): number {
  const dir = runsDirFor(ledger);
  const draft = `${dir}/.draft-${randomUUID()}`;
  writeFileSync(draft, JSON.stringify({ machine, pid: process.pid, t: Date.now() } satisfies RunClaim));
  try {
    for (let run = 1; ; run++) {
      try {
        linkSync(draft, `${dir}/${key}.${run}`);
        return run;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
    }
  } finally {
    unlinkSync(draft);
  }
}

export const ledgered = defineJob<LedgeredArgs, string>(async ({ key, ms, kind }, ctx) => {
  const ledger = process.env[ENV.ledger];
  const machine = process.env[ENV.machine] ?? '?';
  if (ledger === undefined) throw new TypeError(`the ledgered job needs ${ENV.ledger} in its environment`);
  const run = claimRun(key, ledger, machine);
  const write = (line: LedgerLine): void => appendFileSync(ledger, `${JSON.stringify(line)}\n`);
  write({ key, machine, pid: process.pid, run, at: 'start', t: Date.now() });
  await sleep(ms, undefined, { signal: ctx.signal });
  write({ key, machine, pid: process.pid, run, at: kind === 'throw' ? 'threw' : 'end', t: Date.now() });
  if (kind === 'throw') throw new RangeError(`${PLANNED_FAILURE} ${key}`);
  return key;
});
