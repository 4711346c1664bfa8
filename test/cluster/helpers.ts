/**
 * Shared set-up for the cluster tests: a Redis (the one CI started, named by CPUHP_TEST_REDIS,
 * or a throw-away local redis-server started here and stopped when the test file ends), a
 * fresh queue name per test so that tests never see each other's jobs, and the ledger.
 */

import { readFileSync, writeFileSync, mkdtempSync, watch } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import tap from 'tap';
import { startLocalRedis } from '../../src/cluster/index.js';

export const CLUSTER_JOBS = fileURLToPath(new URL('../fixtures/cluster-jobs.js', import.meta.url));

/** Short locks, so that a killed machine's jobs are recovered within seconds. */
export const FAST_LOCKS = { lockDurationMs: 1_500, stalledIntervalMs: 500 } as const;

let shared: Promise<string> | undefined;

/** A Redis URL: CI's, or one started for this test file (stopped at its end). */
export function redisUrl(): Promise<string> {
  const given = process.env.CPUHP_TEST_REDIS;
  if (given !== undefined && given !== '') return Promise.resolve(given);
  shared ??= startLocalRedis().then((redis) => {
    tap.teardown(() => redis.stop());
    return redis.url;
  });
  return shared;
}

let queues = 0;
/** A queue name no other test uses. */
export function freshQueue(label: string): string {
  return `test-${label}-${process.pid}-${Date.now().toString(36)}-${queues++}`;
}

export interface LedgerLine {
  readonly key: string;
  readonly pid: number;
  readonly at: 'start' | 'end';
}

/** An empty ledger file for the `ledgered` job. */
export function newLedger(): string {
  const path = join(mkdtempSync(join(tmpdir(), 'cpuhp-ledger-')), 'ledger.jsonl');
  writeFileSync(path, '');
  return path;
}

export function readLedger(path: string): LedgerLine[] {
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as LedgerLine);
}

/**
 * Resolves once the ledger holds a start line written by process `pid` (a job's own first
 * line, written in the CPU worker that runs it), or rejects after `timeoutMs`. A machine's
 * stats() counts a job as running once it has handed it to its runtime, which is before the
 * job's code has run: a test that kills the machine to catch a job in flight waits for this.
 * It wakes on the file's changes (fs.watch), not on a poll.
 */
export function startedIn(path: string, pid: number, timeoutMs: number): Promise<void> {
  const started = (): boolean => readLedger(path).some((line) => line.pid === pid && line.at === 'start');
  return new Promise((resolve, reject) => {
    const watcher = watch(path);
    const done = (error?: Error): void => {
      clearTimeout(timer);
      watcher.close();
      if (error === undefined) resolve();
      else reject(error);
    };
    const timer = setTimeout(() => done(new Error(`no job started in process ${pid} within ${timeoutMs} ms (ledger ${path})`)), timeoutMs);
    watcher.on('change', () => {
      if (started()) done();
    });
    watcher.on('error', (error) => done(error));
    if (started()) done();
  });
}

/** How many times each key started. */
export function startsByKey(lines: readonly LedgerLine[]): Map<string, number> {
  const starts = new Map<string, number>();
  for (const line of lines) if (line.at === 'start') starts.set(line.key, (starts.get(line.key) ?? 0) + 1);
  return starts;
}
