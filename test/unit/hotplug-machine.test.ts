/**
 * The hotplug state machine (src/hotplug/machine.ts) on its own, with recording steps and
 * no workers: the rollback rules of kernel/cpu.c (cpuhp_up_callbacks / cpuhp_down_callbacks
 * undo the steps already passed, in the opposite order, back to where the operation began;
 * cpuhp_rollback_install() undoes a state that failed to install), and what this machine
 * adds where the kernel assumes a rollback cannot fail: it stops at the step whose rollback
 * failed and says so.
 */

import t from 'tap';
import fc from 'fast-check';
import { HotplugError } from '../../src/errors.js';
import { HotplugMachine, type HotplugStep } from '../../src/hotplug/machine.js';

type Call = `${string} ${'startup' | 'teardown'} ${number}`;

/** Steps named s0..s(n-1) that record each call and throw where `fails` says. */
function recordingSteps(n: number, calls: Call[], fails: Set<Call> = new Set()): HotplugStep[] {
  return Array.from({ length: n }, (_, i) => {
    const name = `s${i}`;
    const run = (direction: 'startup' | 'teardown') => (cpu: number): void => {
      const call: Call = `${name} ${direction} ${cpu}`;
      calls.push(call);
      if (fails.has(call)) throw new Error(`planted: ${call}`);
    };
    return { name, startup: run('startup'), teardown: run('teardown') };
  });
}

const machine = (steps: HotplugStep[], cpus = 2): HotplugMachine => new HotplugMachine(cpus, steps, 1000, () => undefined);

t.test('up runs every startup bottom-up, down every teardown top-down', async (t) => {
  const calls: Call[] = [];
  const m = machine(recordingSteps(3, calls));
  t.ok(m.isDown(0));
  await m.up(0);
  t.ok(m.isUp(0));
  t.equal(m.stepOf(0), 's2');
  await m.down(0);
  t.ok(m.isDown(0));
  t.same(calls, ['s0 startup 0', 's1 startup 0', 's2 startup 0', 's2 teardown 0', 's1 teardown 0', 's0 teardown 0']);
  t.equal(m.stepOf(1), 'offline', 'the other CPU is untouched');
});

t.test('a failed startup rolls the CPU back down through the steps it passed, to where it started', async (t) => {
  const calls: Call[] = [];
  const m = machine(recordingSteps(3, calls, new Set<Call>(['s2 startup 0'])));
  const error = await m.up(0).then(() => undefined, (e: unknown) => e);
  t.ok(error instanceof HotplugError);
  t.match(error, { code: 'ERR_CPUHP_STEP_FAILED', cpu: 0, step: 's2' });
  t.same(calls, ['s0 startup 0', 's1 startup 0', 's2 startup 0', 's1 teardown 0', 's0 teardown 0'], 'the failed step is not torn down; the others are, in reverse');
  t.ok(m.isDown(0), 'back where it started');
});

t.test('a failed teardown rolls the CPU back up through the steps it passed', async (t) => {
  const calls: Call[] = [];
  const m = machine(recordingSteps(3, calls, new Set<Call>(['s0 teardown 0'])));
  await m.up(0);
  calls.length = 0;
  await t.rejects(m.down(0), { code: 'ERR_CPUHP_STEP_FAILED', step: 's0' });
  t.same(calls, ['s2 teardown 0', 's1 teardown 0', 's0 teardown 0', 's1 startup 0', 's2 startup 0']);
  t.ok(m.isUp(0), 'online again');
});

t.test('a rollback that fails stops at that step and says where the CPU is', async (t) => {
  const calls: Call[] = [];
  const fails = new Set<Call>();
  const m = machine(recordingSteps(3, calls, fails));
  await m.up(0);
  // Going down fails at s0; rolling back up fails at s2: the CPU stands above s1, below s2.
  fails.add('s0 teardown 0').add('s2 startup 0');
  calls.length = 0;
  const error = await m.down(0).then(() => undefined, (e: unknown) => e);
  t.match(error, { code: 'ERR_CPUHP_ROLLBACK_INCOMPLETE', step: 's0', message: /stopped at step 's1'/ });
  t.same(calls, ['s2 teardown 0', 's1 teardown 0', 's0 teardown 0', 's1 startup 0', 's2 startup 0']);
  t.equal(m.stepOf(0), 's1');
  t.notOk(m.isUp(0));
  t.notOk(m.isDown(0));
  t.ok(m.passed(0, 's1'));
  t.notOk(m.passed(0, 's2'));
  // From part-way, either operation completes from where the CPU is.
  calls.length = 0;
  fails.clear();
  await m.up(0);
  t.same(calls, ['s2 startup 0'], 'cpuUp resumes at the step the rollback stopped at');
  t.ok(m.isUp(0));
});

t.test('a failed rollback on the way up stops too, and down from there runs only the steps passed', async (t) => {
  const calls: Call[] = [];
  const m = machine(recordingSteps(3, calls, new Set<Call>(['s2 startup 0', 's0 teardown 0'])));
  await t.rejects(m.up(0), { code: 'ERR_CPUHP_ROLLBACK_INCOMPLETE' });
  t.equal(m.stepOf(0), 's0', 's1 was torn down, s0 failed to');
  calls.length = 0;
  await m.down(0).catch(() => undefined); // s0's teardown fails again (the plant is permanent)
  t.same(calls.slice(0, 1), ['s0 teardown 0'], 'only s0 stands');
});

t.test('an injected failure fails the step once, either way', async (t) => {
  const calls: Call[] = [];
  const m = machine(recordingSteps(2, calls));
  m.injectFailure(0, 's1');
  await t.rejects(m.up(0), { code: 'ERR_CPUHP_STEP_FAILED', cause: { code: 'ERR_CPUHP_INJECTED_FAILURE' } });
  t.same(calls, ['s0 startup 0', 's0 teardown 0'], "the injected step's callback never ran");
  await m.up(0);
  t.ok(m.isUp(0), 'the failure was used up');
});

t.test('a state that fails to install on one CPU is torn down where it started, and never added (cpuhp_rollback_install)', async (t) => {
  const calls: Call[] = [];
  const m = machine(recordingSteps(1, calls), 3);
  for (const cpu of [0, 1, 2]) await m.up(cpu);
  calls.length = 0;
  const added: HotplugStep = {
    name: 'app',
    startup: (cpu) => {
      calls.push(`app startup ${cpu}`);
      if (cpu === 2) throw new Error('not on 2');
    },
    teardown: (cpu) => void calls.push(`app teardown ${cpu}`),
  };
  await t.rejects(m.addStep(added, [0, 1, 2]), { code: 'ERR_CPUHP_SETUP_FAILED', cpu: 2, step: 'app' });
  t.same(calls, ['app startup 0', 'app startup 1', 'app startup 2', 'app teardown 0', 'app teardown 1']);
  t.notOk(m.hasStep('app'));
  for (const cpu of [0, 1, 2]) t.ok(m.isUp(cpu), `CPU ${cpu} is as it was`);
  t.same([0, 1, 2].map((cpu) => m.stepOf(cpu)), ['s0', 's0', 's0']);
});

t.test('removeStep tears down on every CPU above the step and removes it even when a teardown fails', async (t) => {
  const calls: Call[] = [];
  const m = machine(recordingSteps(1, calls), 2);
  await m.up(0);
  await m.addStep({ name: 'app', teardown: (cpu) => { calls.push(`app teardown ${cpu}`); throw new Error('no'); } }, [0]);
  t.ok(m.isUp(0));
  t.notOk(m.isUp(1));
  const errors = await m.removeStep('app');
  t.same(errors, [{ cpu: 0, error: 'no' }]);
  t.notOk(m.hasStep('app'));
  t.ok(m.isUp(0), 'still up: at the new top');
  t.ok(calls.includes('app teardown 0'));
  t.notOk(calls.includes('app teardown 1'), 'CPU 1 never ran its startup');
});

/**
 * The property behind all of the above: whatever fails, every step's callbacks alternate on
 * each CPU (startup, teardown, startup, ...): no step is started twice or torn down twice
 * without the other between, and the machine's position always says which steps stand.
 */
t.test('property: callbacks of each step alternate on each CPU, and the position agrees with them', async () => {
  const op = fc.record({ cpu: fc.integer({ min: 0, max: 1 }), up: fc.boolean(), failAt: fc.option(fc.integer({ min: 0, max: 3 }), { nil: undefined }) });
  await fc.assert(
    fc.asyncProperty(fc.array(op, { maxLength: 30 }), fc.array(fc.tuple(fc.integer({ min: 0, max: 3 }), fc.boolean(), fc.integer({ min: 0, max: 1 })), { maxLength: 4 }), async (ops, plants) => {
      const calls: Call[] = [];
      const fails = new Set<Call>(plants.map(([step, startup, cpu]) => `s${step} ${startup ? 'startup' : 'teardown'} ${cpu}` as Call));
      const m = machine(recordingSteps(4, calls, fails), 2);
      for (const { cpu, up, failAt } of ops) {
        if (failAt !== undefined) m.injectFailure(cpu, `s${failAt}`);
        await (up ? m.up(cpu) : m.down(cpu)).catch((error: unknown) => {
          if (!(error instanceof HotplugError)) throw error;
        });
      }
      for (const cpu of [0, 1]) {
        for (let step = 0; step < 4; step++) {
          const mine = calls.filter((c) => c.startsWith(`s${step} `) && c.endsWith(` ${cpu}`)).map((c) => c.split(' ')[1]);
          // A failed callback did not take effect: drop each failed call with the attempt it was.
          let standing = false;
          for (let i = 0; i < mine.length; i++) {
            const call = `s${step} ${mine[i]} ${cpu}` as Call;
            if (fails.has(call)) continue;
            if (mine[i] === 'startup' && standing) throw new Error(`s${step} started twice on CPU ${cpu}: ${calls.join(', ')}`);
            if (mine[i] === 'teardown' && !standing) throw new Error(`s${step} torn down while not standing on CPU ${cpu}: ${calls.join(', ')}`);
            standing = mine[i] === 'startup';
          }
          if (standing !== m.passed(cpu, `s${step}`)) throw new Error(`CPU ${cpu}: position disagrees with the callbacks at s${step}: ${calls.join(', ')}`);
        }
      }
    }),
    { numRuns: 300 },
  );
});
