/**
 * One cluster torture run, start to end:
 *
 *   1. a Redis (the one given, or a throw-away local redis-server), a fresh queue and ledger;
 *   2. N machine processes (`cpuhp cluster-node`, forked), each loading ledger-jobs.js;
 *   3. the producer and the on/off actor, for the run's duration (or until interrupted);
 *   4. the actor stopped, every machine brought back (killed ones restarted, downed ones up)
 *      so that jobs handed back or stalled can finish; then the producer stopped, which waits
 *      for the outcome of every job it added (each within RESULT_TIMEOUT_MS);
 *   5. the machines closed, Redis stopped, and the ledger checked (checker.ts).
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { ClusterQueue } from '../../cluster/queue.js';
import { startLocalRedis, type LocalRedis } from '../../cluster/redis-server.js';
import { mulberry32 } from '../../common/random.js';
import { OnOffActor } from './actor.js';
import { checkRun, type CheckResult } from './checker.js';
import { Fleet } from './fleet.js';
import { createLedger, readLedger } from './ledger.js';
import type * as LedgerJobs from './ledger-jobs.js';
import { Producer } from './producer.js';
import { DOWN_TIMEOUT_MS, ENV, JOBS_PER_CPU, outstandingFor, stalledIntervalFor, type ClusterTortureSettings } from './settings.js';
import type { ActionCount, ActionName } from './stats.js';

export interface ClusterTortureResult {
  readonly settings: ClusterTortureSettings;
  /** Where Redis was: the URL given, or the local server's port. */
  readonly redis: { readonly url: string; readonly localPort: number | null };
  readonly queue: string;
  readonly interrupted: boolean;
  /** From the start of the actor and producer to the end of the drain. */
  readonly elapsedMs: number;
  readonly drainMs: number;
  readonly actions: Record<ActionName, ActionCount>;
  readonly actionFailures: readonly string[];
  readonly machines: readonly { readonly name: string; readonly incarnations: number }[];
  readonly check: CheckResult;
  /** The check's violations, and machines that exited by themselves. */
  readonly violations: readonly string[];
  readonly ok: boolean;
  /** The ledger, kept for a look when the run found a violation; null once removed. */
  readonly ledger: string | null;
}

/** The ledger job module, compiled beside this file. */
const LEDGER_JOBS = fileURLToPath(new URL('./ledger-jobs.js', import.meta.url));

export interface RunHooks {
  /** Progress lines (the CLI writes them to stderr). */
  readonly say: (line: string) => void;
  /** Once Redis is there: its URL, and the local server's port if one was started. */
  readonly broker: (url: string, localPort: number | null) => void;
}

export async function runClusterTorture(settings: ClusterTortureSettings, signal: AbortSignal, hooks: RunHooks): Promise<ClusterTortureResult> {
  const { say } = hooks;
  let local: LocalRedis | undefined;
  if (settings.redisUrl === undefined) local = await startLocalRedis();
  const url = settings.redisUrl ?? local!.url;
  hooks.broker(url, local?.port ?? null);
  const dir = mkdtempSync(join(tmpdir(), 'cpuhp-torture-cluster-'));
  const ledger = join(dir, 'ledger.jsonl');
  createLedger(ledger);
  const queue = `torture-cluster-${settings.seed}-${process.pid}-${Date.now().toString(36)}`;
  const lockDurationMs = settings.lockDurationMs;
  let keep = false;
  try {
    // The producer first: it checks that Redis answers (REDIS_UNREACHABLE, saying how to start
    // one) before any machine is forked. Results are kept for an hour: long enough for the
    // run, short on a Redis that is not ours.
    const q = await ClusterQueue.connect<typeof LedgerJobs>({ redis: url, queue, keepFinishedS: 3_600 });
    const fleet = await Fleet.start(
      Array.from({ length: settings.machines }, (_, i) => `m${i}`),
      (name) => ({
        redis: url,
        queue,
        name,
        modules: [LEDGER_JOBS],
        cpus: settings.cpusPerMachine,
        strategy: settings.strategy,
        jobsPerCpu: JOBS_PER_CPU,
        lockDurationMs,
        stalledIntervalMs: stalledIntervalFor(lockDurationMs),
        maxStalledCount: settings.maxStalledCount,
        downTimeoutMs: DOWN_TIMEOUT_MS,
        env: { [ENV.machine]: name, [ENV.ledger]: ledger },
      }),
    ).catch(async (error: unknown) => {
      await q.close();
      throw error;
    });
    const producer = new Producer(q, mulberry32(settings.seed ^ 0x5bd1e995), { outstanding: outstandingFor(settings), idPrefix: `s${settings.seed}` });
    const actor = new OnOffActor(fleet, mulberry32(settings.seed), { intervalMs: settings.onoffIntervalMs, kills: settings.kills, cpus: settings.cpusPerMachine });
    say(`${settings.machines} machines up (pids ${fleet.slots.map((s) => s.process.pid).join(', ')}); running for ${settings.durationMs / 1000} s`);

    const started = performance.now();
    producer.start();
    actor.start();
    await sleep(settings.durationMs, undefined, { signal }).catch(() => undefined);
    const interrupted = signal.aborted;
    say(`${interrupted ? 'interrupted' : 'time is up'}: stopping the actor, bringing every machine back, draining ${producer.outstanding()} outstanding jobs`);
    await actor.stop();
    const drainFrom = performance.now();
    await fleet.restoreAll();
    await producer.stop();
    const drainMs = performance.now() - drainFrom;
    const elapsedMs = performance.now() - started;
    await fleet.closeAll();
    await q.close();

    const check = checkRun({ jobs: producer.jobs.values(), lines: readLedger(ledger), kills: fleet.kills, downs: fleet.downs, maxStalledCount: settings.maxStalledCount });
    const violations = [...fleet.unexpectedExits, ...check.violations];
    keep = violations.length > 0;
    return {
      settings,
      redis: { url, localPort: local?.port ?? null },
      queue,
      interrupted,
      elapsedMs,
      drainMs,
      actions: actor.stats.snapshot(),
      actionFailures: actor.failures,
      machines: fleet.slots.map((s) => ({ name: s.name, incarnations: s.starts })),
      check,
      violations,
      ok: violations.length === 0,
      ledger: keep ? ledger : null,
    };
  } finally {
    await local?.stop();
    if (!keep) rmSync(dir, { recursive: true, force: true });
  }
}
