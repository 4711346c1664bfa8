/**
 * cpuhp_setup_state() and cpuhp_remove_state() against CPUs that refuse, and CPUs a failed
 * rollback left part-way: whatever happens, the machine, cpuState, onlineCpus() and
 * stats() agree, and a later cpuUp or cpuDown completes the CPU (kernel/cpu.c:
 * cpuhp_rollback_install, cpuhp_remove_state, and a CPU resuming from where it stopped).
 */

import t, { type Test } from 'tap';
import { HotplugError, type Runtime, CPUHP_AP_DYING, CPUHP_AP_SMPBOOT_THREADS } from '../src/index.js';
import { settle, startJobRuntime, startRuntime, workerIsQuiet } from './helpers.js';

/** What a caller can see of the CPUs; must not change across a refused call. */
function snapshot(rt: Runtime): unknown {
  return {
    online: rt.onlineCpus(),
    states: Array.from({ length: rt.cpuCount }, (_, cpu) => rt.cpuState(cpu)),
    steps: rt.stats().cpus.map((c) => c.step),
  };
}

/** cpuState, onlineCpus() and stats() tell the same story for every CPU. */
function agree(t: Test, rt: Runtime, when: string): void {
  const stats = rt.stats();
  for (let cpu = 0; cpu < rt.cpuCount; cpu++) {
    const online = rt.cpuState(cpu) === 'online';
    t.equal(rt.onlineCpus().includes(cpu), online, `${when}: CPU ${cpu} is in onlineCpus() exactly when cpuState says online`);
    t.equal(stats.cpus[cpu]!.state, rt.cpuState(cpu), `${when}: stats() agrees on CPU ${cpu}`);
  }
}

for (const kind of ['function', 'defineCpuCallback'] as const) {
  t.test(`a ${kind} startup that fails on CPU 2 of 3: the state is not added, its teardown runs where it started, and every CPU is as before`, async (t) => {
    const rt = await startRuntime(t, { cpus: 3 });
    const before = snapshot(rt);
    const teardowns: number[] = [];
    const startup = kind === 'function' ? (cpu: number) => {
      if (cpu === 2) throw new Error('refusing on CPU 2');
    } : 'failOnCpu2';
    const error = await rt.setupState('app:partial', { startup, teardown: (cpu) => void teardowns.push(cpu) }).then(() => undefined, (e: unknown) => e);
    t.type(error, HotplugError, 'setupState rejects with a HotplugError');
    t.equal((error as HotplugError).code, 'ERR_CPUHP_SETUP_FAILED');
    t.match((error as HotplugError).message, /setting up state 'app:partial' failed .* on CPU 2: .*refusing on CPU 2; the state was not added/);
    t.equal((error as HotplugError).cpu, 2);
    t.same(teardowns, [0, 1], 'the teardown ran on CPUs 0 and 1, where the startup had run, in CPU order');
    t.same(snapshot(rt), before, 'every CPU is online at the same step as before');
    t.doesNotThrow(() => rt.stats(), 'stats() works');
    agree(t, rt, 'after the failed setupState');
    t.throws(() => rt.injectFailure(0, 'app:partial'), { name: 'ConfigError', code: 'ERR_CPUHP_INVALID_ARG' }, 'the state does not exist');
    await rt.cpuDown(0);
    t.equal(rt.cpuState(0), 'offline');
    t.ok(workerIsQuiet(rt, 0));
    await rt.cpuUp(0);
    t.equal(rt.cpuState(0), 'online', 'CPU 0 goes down and comes back up');
    t.same(teardowns, [0, 1], 'the removed state ran nothing since');
    agree(t, rt, 'after CPU 0 went down and up');
    // The name is free again.
    await rt.setupState('app:partial', { startup: () => undefined });
    t.same(rt.stats().cpus.map((c) => c.step), ['app:partial', 'app:partial', 'app:partial']);
  });
}

t.test('setupState runs startup only on CPUs that are up; one that comes up later runs it then', async (t) => {
  const rt = await startRuntime(t, { cpus: 3 });
  await rt.cpuDown(2);
  const startups: number[] = [];
  await rt.setupState('app:later', { startup: (cpu) => void startups.push(cpu) });
  t.same(startups, [0, 1]);
  t.equal(rt.stats().cpus[2]!.step, 'offline');
  await rt.cpuUp(2);
  t.same(startups, [0, 1, 2], 'CPU 2 ran it on its way up');
  agree(t, rt, 'after cpuUp(2)');
});

t.test('removeState whose teardown fails on one CPU removes the state everywhere and says where it failed', async (t) => {
  const rt = await startRuntime(t, { cpus: 3 });
  const teardowns: number[] = [];
  await rt.setupState('app:leaving', {
    startup: () => undefined,
    teardown: (cpu) => {
      teardowns.push(cpu);
      if (cpu === 1) throw new Error('cannot let go on CPU 1');
    },
  });
  await t.rejects(rt.removeState('app:leaving'), { name: 'HotplugError', code: 'ERR_CPUHP_TEARDOWN_FAILED', cpu: 1, step: 'app:leaving', message: /removed from every CPU, but its teardown failed on CPU 1: cannot let go on CPU 1/ });
  t.same(teardowns, [0, 1, 2], 'the teardown ran on every CPU');
  t.throws(() => rt.injectFailure(0, 'app:leaving'), { name: 'ConfigError', code: 'ERR_CPUHP_INVALID_ARG' }, 'the state is gone');
  t.same(rt.stats().cpus.map((c) => c.step), [CPUHP_AP_SMPBOOT_THREADS, CPUHP_AP_SMPBOOT_THREADS, CPUHP_AP_SMPBOOT_THREADS]);
  agree(t, rt, 'after removeState');
  await rt.cpuDown(1);
  await rt.cpuUp(1);
  t.same(teardowns, [0, 1, 2], 'and never runs again');
});

/**
 * States a, b above smpboot:threads; cpuDown(1) fails at a's teardown, and the rollback
 * fails at b's startup: CPU 1 is left above a, below the top (the kernel WARNs and leaves
 * the CPU at the state where the rollback stopped).
 */
async function leftPartWay(t: Test, rt: Runtime): Promise<{ failB: { on: boolean } }> {
  const failB = { on: false };
  await rt.setupState('app:a', { startup: () => undefined, teardown: () => undefined });
  await rt.setupState('app:b', {
    startup: (cpu) => {
      if (failB.on && cpu === 1) throw new Error('b will not start on CPU 1');
    },
    teardown: () => undefined,
  });
  rt.injectFailure(1, 'app:a');
  failB.on = true;
  const error = await rt.cpuDown(1).then(() => undefined, (e: unknown) => e);
  t.type(error, HotplugError);
  t.equal((error as HotplugError).code, 'ERR_CPUHP_ROLLBACK_INCOMPLETE', 'the CPU is left part-way');
  t.equal(((error as HotplugError).cause as HotplugError | undefined)?.code, 'ERR_CPUHP_INJECTED_FAILURE', 'after the injected failure');
  t.match((error as HotplugError).message, /rollback was incomplete \(app:b: b will not start on CPU 1\); CPU 1 stopped at step 'app:a'/);
  failB.on = false;
  return { failB };
}

t.test('a CPU a failed rollback left part-way is neither online nor offline, takes no jobs, and cpuUp completes it', async (t) => {
  const rt = await startJobRuntime(t, { cpus: 2 });
  await leftPartWay(t, rt);
  t.equal(rt.cpuState(1), 'down-prepare', 'its state word is the one its last step set');
  t.same(rt.onlineCpus(), [0], 'it is not online');
  t.equal(rt.stats().cpus[1]!.step, 'app:a', 'stats() names the step it stopped at');
  agree(t, rt, 'part-way');
  t.equal(await rt.queueWork('increment', 1, { cpu: 1 }), 2, 'a job preferring CPU 1 runs elsewhere');
  const strict = settle(rt.queueWork('spin', { ms: 1 }, { cpu: 1, affinity: 'strict', whenOffline: 'wait' }));

  await rt.cpuUp(1);
  t.equal(rt.cpuState(1), 'online', 'cpuUp leaves it online');
  t.same(rt.onlineCpus(), [0, 1]);
  t.equal(rt.stats().cpus[1]!.step, 'app:b');
  agree(t, rt, 'after cpuUp');
  t.same(await strict, { ok: true, value: 1 }, 'the strict job that waited for CPU 1 ran there');
  t.equal(await rt.queueWork('spin', { ms: 1 }, { cpu: 1, affinity: 'strict' }), 1, 'CPU 1 takes jobs again');
  await rt.drain();
  t.equal(rt.stats().violations, 0);
});

t.test('a CPU a failed rollback left part-way goes down completely with cpuDown', async (t) => {
  const rt = await startJobRuntime(t, { cpus: 2 });
  await leftPartWay(t, rt);
  await rt.cpuDown(1);
  t.equal(rt.cpuState(1), 'offline');
  t.ok(workerIsQuiet(rt, 1), 'its worker is dormant');
  agree(t, rt, 'after cpuDown');
  await rt.cpuUp(1);
  t.equal(rt.cpuState(1), 'online');
  t.equal(await rt.queueWork('spin', { ms: 1 }, { cpu: 1, affinity: 'strict' }), 1);
});

t.test('a rollback that fails above smpboot:threads after passing it leaves the CPU down-prepare, not online', async (t) => {
  // Found by torture: cpuDown fails below smpboot:threads, its rollback runs smpboot's startup
  // (which sets ONLINE) and then fails at a state above it.
  const rt = await startJobRuntime(t, { cpus: 2 });
  const fail = { on: false };
  await rt.setupState('app:above', {
    startup: (cpu) => {
      if (fail.on && cpu === 1) throw new Error('will not start on CPU 1');
    },
  });
  rt.injectFailure(1, CPUHP_AP_DYING);
  fail.on = true;
  await t.rejects(rt.cpuDown(1), {
    name: 'HotplugError',
    code: 'ERR_CPUHP_ROLLBACK_INCOMPLETE',
    step: CPUHP_AP_DYING,
    message: /rollback was incomplete .*CPU 1 stopped at step 'smpboot:threads'/,
  });
  fail.on = false;
  t.equal(rt.cpuState(1), 'down-prepare', 'not online: it stands below the top');
  t.same(rt.onlineCpus(), [0]);
  agree(t, rt, 'part-way above smpboot:threads');
  await rt.cpuUp(1);
  t.equal(rt.cpuState(1), 'online');
  t.equal(await rt.queueWork('increment', 1, { cpu: 1, affinity: 'strict' }), 2);
});
