/**
 * Random down/up/park/unpark operations from several concurrent callers (fast-check drives
 * the choice and prints a seed to replay any failure) must end in a consistent state: every
 * CPU fully online or fully offline, dormant exactly when offline, bound threads parked on
 * offline CPUs and running on online ones, no invariant violation, and no hang.
 */

import fc from 'fast-check';
import t from 'tap';
import { HotplugError, type KthreadHandle, type Runtime } from '../src/index.js';
import type { Test } from 'tap';
import { PATIENCE_MS, startRuntime } from './helpers.js';

const CPUS = 3;
const CALLERS = 4;

type Op = { kind: 'down' | 'up'; cpu: number } | { kind: 'park' | 'unpark' | 'wake'; thread: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constantFrom('down' as const, 'up' as const), cpu: fc.integer({ min: 0, max: CPUS - 1 }) }),
  fc.record({ kind: fc.constantFrom('park' as const, 'unpark' as const, 'wake' as const), thread: fc.nat() }),
);

async function apply(rt: Runtime, threads: KthreadHandle[], op: Op): Promise<void> {
  switch (op.kind) {
    case 'down':
      try {
        await rt.cpuDown(op.cpu);
      } catch (error) {
        // The one refusal a random schedule can legitimately hit.
        if (!(error instanceof HotplugError && /last online CPU/.test(error.message))) throw error;
      }
      return;
    case 'up':
      return rt.cpuUp(op.cpu);
    case 'park':
      return rt.kthreadPark(threads[op.thread % threads.length]!);
    case 'unpark':
      return rt.kthreadUnpark(threads[op.thread % threads.length]!);
    case 'wake':
      return rt.wakeUpProcess(threads[op.thread % threads.length]!);
  }
}

async function checkConsistent(t: Test, rt: Runtime, threads: KthreadHandle[]): Promise<void> {
  const online = rt.onlineCpus();
  t.ok(online.length >= 1, 'at least one CPU is online');
  for (const cpu of rt.stats().cpus) {
    const up = online.includes(cpu.cpu);
    t.equal(cpu.state, up ? 'online' : 'offline', `CPU ${cpu.cpu} is fully ${up ? 'online' : 'offline'}`);
    t.equal(rt.isDormant(cpu.cpu), !up, `CPU ${cpu.cpu} worker is dormant exactly when offline`);
  }
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

t.test('random concurrent hotplug and park operations end consistent', async (t) => {
  let operations = 0;
  await fc.assert(
    fc.asyncProperty(fc.array(fc.tuple(fc.integer({ min: 0, max: CALLERS - 1 }), opArb), { minLength: 60, maxLength: 90 }), async (plan) => {
      await t.test(`run of ${plan.length} operations`, async (t) => {
        const rt = await startRuntime(t, { cpus: CPUS });
        const threads: KthreadHandle[] = [];
        for (let cpu = 0; cpu < CPUS; cpu++) {
          threads.push(await rt.kthreadCreateOnCpu(cpu, 'spinner'), await rt.kthreadCreateOnCpu(cpu, 'sleeper'));
        }
        const group = await rt.registerPerCpuThread('counter');
        threads.push(...group.threads());
        const queues = Array.from({ length: CALLERS }, (_, caller) => plan.filter(([c]) => c === caller).map(([, op]) => op));
        await Promise.all(
          queues.map(async (ops) => {
            for (const op of ops) await apply(rt, threads, op);
          }),
        );
        operations += plan.length;
        await checkConsistent(t, rt, threads);
        for (let cpu = 0; cpu < CPUS; cpu++) await rt.cpuUp(cpu);
        const results = await Promise.all(threads.map((thread) => rt.kthreadStop(thread)));
        t.equal(results.length, threads.length, 'every thread stopped and returned');
        t.same(rt.kthreadList(), [], 'no thread left behind');
      });
    }),
    { numRuns: 4 },
  );
  t.ok(operations >= 200, `${operations} random operations ran`);
});
