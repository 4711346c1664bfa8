/**
 * Invariant 4 as a property, under every strategy: whatever concurrent callers do (submit
 * jobs of every affinity, take CPUs down and up, abort jobs, kill CPU workers with a job
 * that calls process.exit), every job runs exactly once, or its promise rejects with a
 * JobError that says it never started and it indeed never ran. fast-check drives the
 * choices and prints a seed that replays a failure.
 */

import fc from 'fast-check';
import t from 'tap';
import { CpuhpError, HotplugError, type JobDefinition, type Runtime, type StrategyName } from '../../src/index.js';
import { PATIENCE_MS, settle, sharedInts, startJobRuntime, type Settled } from '../helpers.js';

const CPUS = 3;
const CALLERS = 3;
const MAX_JOBS = 4096;

type Target = 'any' | 'preferred' | 'strict-wait' | 'strict-fail';
type Op =
  | { kind: 'submit'; count: number; target: Target; cpu: number; spinMs: number }
  | { kind: 'down' | 'up' | 'kill'; cpu: number }
  | { kind: 'abort'; pick: number };

const cpuArb = fc.integer({ min: 0, max: CPUS - 1 });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('submit' as const), count: fc.integer({ min: 1, max: 40 }), target: fc.constantFrom<Target>('any', 'preferred', 'strict-wait', 'strict-fail'), cpu: cpuArb, spinMs: fc.constantFrom(0, 0, 1) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constantFrom('down' as const, 'up' as const), cpu: cpuArb }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('kill' as const), cpu: cpuArb }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('abort' as const), pick: fc.nat() }) },
);

type Record = JobDefinition<{ runs: Int32Array; index: number; spinMs?: number }, number>;

interface Submitted {
  readonly index: number;
  readonly abort: AbortController;
  readonly outcome: Promise<Settled<number>>;
}

class Run {
  readonly runs = sharedInts(MAX_JOBS);
  readonly jobs: Submitted[] = [];
  readonly kills: Array<Promise<Settled<unknown>>> = [];

  constructor(readonly rt: Runtime) {}

  async apply(op: Op): Promise<void> {
    const { rt } = this;
    switch (op.kind) {
      case 'submit':
        for (let i = 0; i < op.count && this.jobs.length < MAX_JOBS; i++) this.submit(op);
        return;
      case 'abort':
        if (this.jobs.length > 0) this.jobs[op.pick % this.jobs.length]!.abort.abort();
        return;
      case 'kill':
        this.kills.push(settle(rt.queueWork('die', { how: 'exit' }, { cpu: op.cpu, affinity: 'strict' })));
        return;
      case 'down':
        return tolerate(rt.cpuDown(op.cpu));
      case 'up':
        return tolerate(rt.cpuUp(op.cpu));
    }
  }

  private submit(op: Extract<Op, { kind: 'submit' }>): void {
    const index = this.jobs.length;
    const abort = new AbortController();
    const placement =
      op.target === 'any'
        ? {}
        : op.target === 'preferred'
          ? { cpu: op.cpu }
          : { cpu: op.cpu, affinity: 'strict' as const, whenOffline: op.target === 'strict-wait' ? ('wait' as const) : ('fail' as const) };
    const outcome = settle(this.rt.queueWork<Record>('record', { runs: this.runs, index, spinMs: op.spinMs }, { ...placement, signal: abort.signal }));
    this.jobs.push({ index, abort, outcome });
  }
}

/**
 * Refusals a random schedule can legitimately hit: the last online CPU cannot go down, and
 * a kill can land on a CPU while a caller takes it up or down.
 */
async function tolerate(operation: Promise<void>): Promise<void> {
  try {
    await operation;
  } catch (error) {
    if (error instanceof HotplugError && (error.code === 'ERR_CPUHP_LAST_CPU' || error.code === 'ERR_CPUHP_WORKER_DIED')) return;
    // A fresh worker (cpuUp of a failed CPU) that a kill took before it loaded its modules.
    if (error instanceof HotplugError && causes(error).some((e) => e instanceof CpuhpError && e.code === 'ERR_CPUHP_MODULE_LOAD')) return;
    throw error;
  }
}

/** The causes of `error`, nearest first. */
function causes(error: Error): unknown[] {
  const out: unknown[] = [];
  for (let cause = error.cause; cause !== undefined && out.length < 10; cause = cause instanceof Error ? cause.cause : undefined) out.push(cause);
  return out;
}

/**
 * The property under one strategy. Each strategy has a test file of its own
 * (test/property/jobs-<strategy>.test.ts), so that one file's time stays well inside tap's
 * per-file timeout even on a loaded 2-core machine, and tap runs them side by side.
 */
export function jobPropertySuite(strategy: StrategyName): void {
  t.test(`${strategy}: every job runs exactly once, or is rejected as never started and never runs`, async (t) => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(opArb, { minLength: 1, maxLength: 6 }), { minLength: CALLERS, maxLength: CALLERS }), async (callers) => {
        const rt = await startJobRuntime(t, { strategy, cpus: CPUS });
        const run = new Run(rt);
        await Promise.all(callers.map(async (ops) => {
          for (const op of ops) await run.apply(op);
        }));
        // A kill job may still be queued: let it kill (or be refused) before the CPUs come back.
        const kills = await Promise.all(run.kills);
        // Every CPU back up, so jobs that wait for their CPU can run, then everything settles.
        for (let cpu = 0; cpu < CPUS; cpu++) await tolerate(rt.cpuUp(cpu));
        for (let cpu = 0; cpu < CPUS; cpu++) if (rt.cpuState(cpu) !== 'online') await rt.cpuUp(cpu);
        await rt.drain({ timeoutMs: PATIENCE_MS });
        const problems: string[] = [];
        for (const job of run.jobs) {
          const outcome = await job.outcome;
          const runs = run.runs[job.index]!;
          if (outcome.ok && runs !== 1) problems.push(`job ${job.index} resolved but ran ${runs} times`);
          if (!outcome.ok && !outcome.error.started && runs !== 0) problems.push(`job ${job.index} was rejected as never started (${outcome.error.reason}) but ran ${runs} times`);
          if (!outcome.ok && outcome.error.started && runs !== 1) problems.push(`job ${job.index} was rejected after it started (${outcome.error.reason}) but ran ${runs} times`);
          if (!outcome.ok && !['aborted', 'cpu-offline'].includes(outcome.error.reason)) problems.push(`job ${job.index} rejected for an unexpected reason: ${outcome.error.message}`);
        }
        for (const kill of kills) {
          if (kill.ok) problems.push('a job that calls process.exit resolved');
          else if (!['worker-died', 'cpu-offline'].includes(kill.error.reason)) problems.push(`a kill job was rejected for an unexpected reason: ${kill.error.message}`);
        }
        const stats = rt.stats();
        if (stats.violations !== 0) problems.push(`${stats.violations} invariant violations`);
        if (stats.jobs.queued + stats.jobs.handed !== 0) problems.push('jobs left queued or handed over after drain');
        await rt.shutdown();
        if (problems.length > 0) throw new Error(problems.join('\n'));
      }),
      { numRuns: 6, endOnFailure: true },
    );
  });
}
