/**
 * The invariant checks the demo, torture and the tests share (src/common/invariants.ts):
 * each finds what it promises in a runtime's reports, stays quiet when all is well, and
 * reads a real Runtime, which is each of the views src/common/ names.
 */

import t from 'tap';
import type { KthreadHandle, Runtime } from '../../src/index.js';
import type { CpuStateName } from '../../src/protocol/cpu-state.js';
import type { CpuView, ProgressView, ThreadView } from '../../src/common/runtime-view.js';
import { frozenProblems, offlineProblem, onlineProblem, readCpu, restProblem, resumeProblem, statsProblem, threadRecordProblems, workerIsQuiet, workerStanding, workerViolationsProblem } from '../../src/common/invariants.js';
import { startRuntime, STRATEGIES } from '../helpers.js';

// A Runtime is each view: this line stops compiling if the runtime's queries drift from them.
const views = (rt: Runtime): [CpuView, ProgressView<KthreadHandle>] => [rt, rt];
void views;

const LAST = 'smpboot:threads';

interface FakeCpu {
  state: CpuStateName;
  listed: boolean;
  step: string;
  statsState?: CpuStateName;
  dormant: boolean;
  worker: boolean;
}

/** One CPU (CPU 0) as a runtime would report it, with each view set by hand. */
function fake(cpu: Partial<FakeCpu>): CpuView {
  const c: FakeCpu = { state: 'online', listed: true, step: LAST, dormant: false, worker: true, ...cpu };
  return {
    cpuState: () => c.state,
    onlineCpus: () => (c.listed ? [0] : []),
    stats: () => ({ cpus: [{ state: c.statsState ?? c.state, step: c.step }], violations: 0 }),
    isDormant: () => c.dormant,
    hasWorker: () => c.worker,
  };
}

const problem = (check: (rt: CpuView) => string | undefined, cpu: Partial<FakeCpu>): string | undefined => check(fake(cpu));

t.test('a worker is quiet when it is blocked or gone', async (t) => {
  t.equal(workerStanding(fake({ dormant: true }), 0), 'blocked');
  t.equal(workerStanding(fake({ worker: false }), 0), 'gone');
  t.equal(workerStanding(fake({ worker: false, dormant: true }), 0), 'gone', 'no worker is gone, whatever its dormancy word says');
  t.equal(workerStanding(fake({}), 0), 'running');
  t.ok(workerIsQuiet(fake({ dormant: true }), 0));
  t.ok(workerIsQuiet(fake({ worker: false }), 0));
  t.notOk(workerIsQuiet(fake({}), 0));
});

t.test('a CPU that is down: offline, not listed, its worker quiet', async (t) => {
  const down = (rt: CpuView): string | undefined => offlineProblem(readCpu(rt, 0));
  t.equal(problem(down, { state: 'offline', listed: false, dormant: true }), undefined);
  t.equal(problem(down, { state: 'offline', listed: false, worker: false }), undefined, 'gone (recreate) is quiet too');
  t.match(problem(down, { state: 'dead', listed: false, dormant: true }), /CPU 0 is dead, not offline/);
  t.match(problem(down, { state: 'offline', listed: true, dormant: true }), /CPU 0 is offline, yet onlineCpus\(\) lists it/);
  t.match(problem(down, { state: 'offline', listed: false }), /worker is running/);
});

t.test('a CPU that is up: online, listed, at the last step', async (t) => {
  const up = (rt: CpuView): string | undefined => onlineProblem(readCpu(rt, 0), LAST);
  t.equal(problem(up, {}), undefined);
  t.match(problem(up, { state: 'bringup' }), /CPU 0 is bringup, not online/);
  t.match(problem(up, { listed: false }), /onlineCpus\(\) leaves it out/);
  t.match(problem(up, { step: 'cpuhp:dying' }), /its last step is 'cpuhp:dying', not 'smpboot:threads'/);
});

t.test('a CPU at rest: fully online or offline, its worker running exactly when online', async (t) => {
  const rest = (rt: CpuView): string | undefined => restProblem(readCpu(rt, 0));
  t.equal(problem(rest, {}), undefined);
  t.equal(problem(rest, { state: 'offline', listed: false, dormant: true }), undefined);
  t.match(problem(rest, { state: 'dead', listed: false, dormant: true }), /neither fully online nor fully offline/);
  t.match(problem(rest, { dormant: true }), /CPU 0 is online but its worker is blocked/);
  t.match(problem(rest, { state: 'offline', listed: false }), /CPU 0 is offline but its worker is running/);
});

t.test('stats() agrees with cpuState, and a stats() that throws is reported, not thrown', async (t) => {
  t.equal(statsProblem(readCpu(fake({}), 0)), undefined);
  t.match(statsProblem(readCpu(fake({ statsState: 'dying' }), 0)), /stats\(\) disagrees with cpuState .*state dying/);
  t.match(statsProblem(readCpu(fake({}), 3)), /stats\(\)\.cpus\[3\] missing/);
  const throwing: CpuView = {
    ...fake({}),
    stats: () => {
      throw new Error('broken');
    },
  };
  t.match(statsProblem(readCpu(throwing, 0)), /threw Error: broken/);
});

t.test('threads: parked and still, running again, never elsewhere; the workers count nothing', async (t) => {
  const thread = (over: Partial<ThreadView>): ThreadView => ({ name: 'spin/0', cpu: 0, state: 'parked', iterations: 10, violations: 0, lastCpu: 0, ...over });
  t.same(frozenProblems(thread({}), thread({}), 'while CPU 0 was down'), []);
  t.same(frozenProblems(thread({ state: 'running' }), thread({ iterations: 12 }), 'while CPU 0 was down'), [
    'spin/0 was running, not parked, while CPU 0 was down',
    'spin/0 advanced from 10 to 12 iterations while CPU 0 was down',
  ]);
  t.same(threadRecordProblems(thread({})), []);
  t.equal(threadRecordProblems(thread({ violations: 2, lastCpu: 1 })).length, 2);
  t.equal(workerViolationsProblem(0), undefined);
  t.equal(workerViolationsProblem(3, 3), undefined, 'only what was not seen before');
  t.match(workerViolationsProblem(5, 3), /ran 2 units of work while their CPU was not online \(stats\(\)\.violations = 5\)/);

  const stuck: ProgressView<string> = { waitForIterations: async () => false, kthreadInfo: () => thread({}) };
  t.match(await resumeProblem(stuck, 'spin/0', thread({}), 1, 50, 'after kthreadUnpark()'), /spin\/0 did not run a unit of work within 50 ms after kthreadUnpark\(\) \(it is parked\)/);
  const moving: ProgressView<string> = { waitForIterations: async () => true, kthreadInfo: () => thread({}) };
  t.equal(await resumeProblem(moving, 'spin/0', thread({}), 256, 50, 'after kthreadUnpark()'), undefined);
});

t.test('a live runtime passes them across a CPU down and up, under every strategy', async (t) => {
  for (const strategy of STRATEGIES) {
    const rt = await startRuntime(t, { strategy });
    const last = rt.stats().cpus[1]!.step;
    await rt.cpuDown(1);
    const down = readCpu(rt, 1);
    t.equal(statsProblem(down) ?? offlineProblem(down) ?? restProblem(down), undefined, `${strategy}: CPU 1 is down in every respect`);
    await rt.cpuUp(1);
    const up = readCpu(rt, 1);
    t.equal(statsProblem(up) ?? onlineProblem(up, last) ?? restProblem(up), undefined, `${strategy}: CPU 1 is up in every respect`);
    t.equal(workerViolationsProblem(rt.stats().violations), undefined);
    await rt.shutdown();
  }
});
