/**
 * Random down/up/park/unpark operations from several concurrent callers (fast-check drives
 * the choice and prints a seed to replay any failure) must end in a consistent state: every
 * CPU fully online or fully offline, dormant exactly when offline, bound threads parked on
 * offline CPUs and running on online ones, no invariant violation, and no hang.
 */

import fc from 'fast-check';
import t from 'tap';
import { HotplugError, KthreadError, type KthreadHandle, type Runtime, type StrategyName } from '../../src/index.js';
import type { Test } from 'tap';
import { PATIENCE_MS, startRuntime, workerIsQuiet } from '../helpers.js';

const CPUS = 3;
const CALLERS = 4;

type Op = { kind: 'down' | 'up'; cpu: number } | { kind: 'park' | 'unpark' | 'wake'; thread: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constantFrom('down' as const, 'up' as const), cpu: fc.integer({ min: 0, max: CPUS - 1 }) }),
  fc.record({ kind: fc.constantFrom('park' as const, 'unpark' as const, 'wake' as const), thread: fc.nat() }),
);

/**
 * Under recreate a CPU going down stops its threads, so a thread picked for an operation can
 * be gone by the time the operation reaches it; that refusal is the expected outcome.
 */
async function apply(rt: Runtime, strategy: StrategyName, op: Op): Promise<void> {
  try {
    await applyOne(rt, op);
  } catch (error) {
    // Stopped by a cpuDown (gone), or stopped and not yet reaped (exited), meanwhile.
    if (strategy === 'recreate' && error instanceof KthreadError && (error.code === 'ERR_CPUHP_THREAD_GONE' || error.code === 'ERR_CPUHP_THREAD_EXITED')) return;
    // Say where the runtime was, so a failure found by a random schedule can be diagnosed.
    const stats = rt.stats();
    const cpus = stats.cpus.map((c) => `${c.cpu}:${c.state}/hb${c.heartbeat}`).join(' ');
    const threads = stats.kthreads.map((k) => `${k.name}:${k.state}:${k.iterations}`).join(' ');
    throw new Error(`${JSON.stringify(op)} failed: ${error instanceof Error ? error.message : String(error)} [cpus ${cpus}] [threads ${threads}]`, { cause: error });
  }
}

function pick(rt: Runtime, index: number): KthreadHandle {
  const threads = rt.kthreadList();
  return threads[index % threads.length]!;
}

async function applyOne(rt: Runtime, op: Op): Promise<void> {
  switch (op.kind) {
    case 'down':
      try {
        await rt.cpuDown(op.cpu);
      } catch (error) {
        // The one refusal a random schedule can legitimately hit.
        if (!(error instanceof HotplugError && error.code === 'ERR_CPUHP_LAST_CPU')) throw error;
      }
      return;
    case 'up':
      return rt.cpuUp(op.cpu);
    case 'park':
      return rt.kthreadPark(pick(rt, op.thread));
    case 'unpark':
      return rt.kthreadUnpark(pick(rt, op.thread));
    case 'wake':
      return rt.wakeUpProcess(pick(rt, op.thread));
  }
}

async function checkConsistent(t: Test, rt: Runtime, strategy: StrategyName): Promise<void> {
  const online = rt.onlineCpus();
  t.ok(online.length >= 1, 'at least one CPU is online');
  for (const cpu of rt.stats().cpus) {
    const up = online.includes(cpu.cpu);
    t.equal(cpu.state, up ? 'online' : 'offline', `CPU ${cpu.cpu} is fully ${up ? 'online' : 'offline'}`);
    t.equal(workerIsQuiet(rt, cpu.cpu), !up, `CPU ${cpu.cpu} worker runs exactly when online`);
    const counters = rt.kthreadList(cpu.cpu).filter((thread) => thread.fn === 'counter').length;
    if (up || strategy !== 'recreate') t.equal(counters, 1, `CPU ${cpu.cpu} has its per-CPU thread`);
    else t.equal(rt.kthreadList(cpu.cpu).length, 0, `recreate: offline CPU ${cpu.cpu} has no threads`);
  }
  const threads = rt.kthreadList();
  for (const thread of threads) await rt.kthreadUnpark(thread);
  for (const thread of threads) {
    const info = rt.kthreadInfo(thread);
    if (online.includes(thread.cpu)) {
      // A sleeper does one unit per wake-up; the others run flat out.
      const units = thread.fn === 'sleeper' ? 1 : 256;
      if (thread.fn === 'sleeper') rt.wakeUpProcess(thread);
      t.ok(await rt.waitForIterations(thread, info.iterations + units, PATIENCE_MS), `${thread.name} runs on online CPU ${thread.cpu}`);
    } else {
      t.equal(info.state, 'parked', `${thread.name} stays parked on offline CPU ${thread.cpu}`);
    }
  }
  t.equal(rt.stats().violations, 0, 'no invariant violation');
}

/**
 * The property under one strategy. Each strategy has a test file of its own
 * (test/property/hotplug-<strategy>.test.ts), so that one file's time stays well inside tap's
 * per-file timeout even on a loaded 2-core machine, and tap runs them side by side.
 */
export function hotplugPropertySuite(strategy: StrategyName): void {
t.test(`${strategy}: random concurrent hotplug and park operations end consistent`, async (t) => {
  let operations = 0;
  await fc.assert(
    fc.asyncProperty(fc.array(fc.tuple(fc.integer({ min: 0, max: CALLERS - 1 }), opArb), { minLength: 70, maxLength: 90 }), async (plan) => {
      await t.test(`run of ${plan.length} operations`, async (t) => {
        const rt = await startRuntime(t, { cpus: CPUS, strategy });
        for (let cpu = 0; cpu < CPUS; cpu++) {
          await rt.kthreadCreateOnCpu(cpu, 'spinner');
          await rt.kthreadCreateOnCpu(cpu, 'sleeper');
        }
        await rt.registerPerCpuThread('counter');
        const queues = Array.from({ length: CALLERS }, (_, caller) => plan.filter(([c]) => c === caller).map(([, op]) => op));
        await Promise.all(
          queues.map(async (ops) => {
            for (const op of ops) await apply(rt, strategy, op);
          }),
        );
        operations += plan.length;
        await checkConsistent(t, rt, strategy);
        for (let cpu = 0; cpu < CPUS; cpu++) await rt.cpuUp(cpu);
        const threads = rt.kthreadList();
        const results = await Promise.all(threads.map((thread) => rt.kthreadStop(thread)));
        t.equal(results.length, threads.length, 'every thread stopped and returned');
        t.same(rt.kthreadList(), [], 'no thread left behind');
      });
    }),
    { numRuns: 3 },
  );
  t.ok(operations >= 200, `${operations} random operations ran`);
});
}
