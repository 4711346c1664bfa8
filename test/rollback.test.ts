/** Invariant 5: a hotplug operation completes or rolls back fully, and reports who failed. */

import t from 'tap';
import { HotplugError, CPUHP_AP_DYING, CPUHP_AP_SMPBOOT_THREADS, CPUHP_BRINGUP_CPU } from '../src/index.js';
import { FIXTURES, Gate, groupThread, JOB_FIXTURES, PATIENCE_MS, RETAINING, STRATEGIES, startRuntime, workerIsQuiet } from './helpers.js';

for (const strategy of RETAINING) {

t.test(`${strategy}: a thread that never polls makes cpuDown time out, roll back, and leave the CPU online`, async (t) => {
  const rt = await startRuntime(t, { cpus: 2, hotplugTimeoutMs: 500, strategy });
  const good = await rt.kthreadCreateOnCpu(1, 'spinner');
  const deaf = await rt.kthreadCreateOnCpu(1, 'deaf', { name: 'deaf/1' });
  const error = await rt.cpuDown(1).then(
    () => undefined,
    (e: unknown) => e,
  );
  t.type(error, HotplugError);
  const failure = error as HotplugError;
  t.equal(failure.code, 'ERR_CPUHP_STEP_FAILED', 'the step failed and the CPU was rolled back');
  t.equal((failure.cause as HotplugError | undefined)?.code, 'ERR_CPUHP_PARK_TIMEOUT', 'because a thread did not park');
  t.equal(failure.cpu, 1);
  t.equal(failure.step, CPUHP_AP_SMPBOOT_THREADS);
  t.same(failure.unresponsive, [`'deaf/1' (id ${deaf.id}) on CPU 1`], 'the error names the thread and its CPU');
  t.match(failure.message, /did not park within 500 ms.*rolled back and is online again/);

  t.equal(rt.cpuState(1), 'online');
  t.same(rt.onlineCpus(), [0, 1]);
  t.notOk(rt.isDormant(1));
  const at = rt.kthreadInfo(good).iterations;
  t.ok(await rt.waitForIterations(good, at + 1024, PATIENCE_MS), 'the thread that did park runs again');
  t.equal(rt.kthreadInfo(good).state, 'running');
  t.equal(rt.stats().cpus[1]!.rollbacks, 1);
  t.equal(rt.stats().violations, 0);
  await rt.kthreadStop(deaf);
  await rt.cpuDown(1);
  t.equal(rt.cpuState(1), 'offline', 'without the deaf thread the CPU goes down');
});
}

for (const strategy of STRATEGIES) {
t.test(`${strategy}: injectFailure rolls back cpuDown at every step, and the CPU stays usable`, async (t) => {
  const rt = await startRuntime(t, { cpus: 2, strategy });
  const calls: string[] = [];
  await rt.setupState('app:online', {
    startup: (cpu) => void calls.push(`startup ${cpu}`),
    teardown: (cpu) => void calls.push(`teardown ${cpu}`),
  });
  t.same(calls, ['startup 0', 'startup 1'], 'setupState ran startup on the online CPUs');
  await rt.registerPerCpuThread('counter');

  for (const step of ['app:online', CPUHP_AP_SMPBOOT_THREADS, CPUHP_AP_DYING, CPUHP_BRINGUP_CPU]) {
    calls.length = 0;
    rt.injectFailure(1, step);
    await t.rejects(
      rt.cpuDown(1),
      { name: 'HotplugError', code: 'ERR_CPUHP_STEP_FAILED', step, cause: { code: 'ERR_CPUHP_INJECTED_FAILURE', step }, message: /injected failure/ },
      `cpuDown fails at ${step}`,
    );
    t.equal(rt.cpuState(1), 'online', `rolled back to online after a failure at ${step}`);
    t.notOk(rt.isDormant(1));
    const thread = groupThread(rt, 'counter', 1);
    const at = rt.kthreadInfo(thread).iterations;
    t.ok(await rt.waitForIterations(thread, at + 256, PATIENCE_MS), `the thread runs after the rollback at ${step}`);
    const expected = step === 'app:online' ? [] : ['teardown 1', 'startup 1'];
    t.same(calls, expected, `state callbacks ran down and back up for a failure at ${step}`);
  }
  await rt.cpuDown(1);
  t.equal(rt.cpuState(1), 'offline', 'the injected failures were one-shot');
  t.equal(rt.stats().violations, 0);
});

t.test(`${strategy}: injectFailure rolls back cpuUp at every step, back to offline and dormant`, async (t) => {
  const rt = await startRuntime(t, { cpus: 2, strategy });
  const calls: string[] = [];
  await rt.setupState('app:online', {
    startup: (cpu) => void calls.push(`startup ${cpu}`),
    teardown: (cpu) => void calls.push(`teardown ${cpu}`),
  });
  await rt.registerPerCpuThread('counter');
  await rt.cpuDown(1);

  for (const step of [CPUHP_BRINGUP_CPU, CPUHP_AP_DYING, CPUHP_AP_SMPBOOT_THREADS, 'app:online']) {
    calls.length = 0;
    rt.injectFailure(1, step);
    await t.rejects(rt.cpuUp(1), { name: 'HotplugError', code: 'ERR_CPUHP_STEP_FAILED', step, cause: { code: 'ERR_CPUHP_INJECTED_FAILURE' } }, `cpuUp fails at ${step}`);
    t.equal(rt.cpuState(1), 'offline', `rolled back to offline after a failure at ${step}`);
    t.ok(workerIsQuiet(rt, 1), 'the worker is blocked (or, under recreate, gone) again');
    for (const thread of rt.kthreadList(1)) t.equal(rt.kthreadInfo(thread).state, 'parked', `${thread.name} is parked`);
    t.same(calls, [], 'app:online startup never completed, so its teardown did not run');
  }
  t.equal(rt.stats().violations, 0, 'a thread unparked during a rolled-back cpuUp only ran while the CPU was online');
  await rt.cpuUp(1);
  t.same(calls, ['startup 1']);
  t.ok(await rt.waitForIterations(groupThread(rt, 'counter', 1), 256, PATIENCE_MS));
});

t.test(`${strategy}: a failing state callback rolls back like an injected one; on-CPU callbacks run in the worker`, async (t) => {
  const rt = await startRuntime(t, { cpus: 2, strategy });
  await rt.setupState('app:on-cpu', { startup: 'onlineOnCpu', teardown: 'onlineOnCpu' });
  await rt.setupState('app:refuses-down', { teardown: 'failOnCpu' });
  await t.rejects(rt.cpuDown(1), { name: 'HotplugError', code: 'ERR_CPUHP_STEP_FAILED', step: 'app:refuses-down', message: /refusing on CPU 1/ });
  t.equal(rt.cpuState(1), 'online');
  // Its teardown refuses on both CPUs: removeState removes it anyway and says so.
  await t.rejects(rt.removeState('app:refuses-down'), { name: 'HotplugError', code: 'ERR_CPUHP_TEARDOWN_FAILED', step: 'app:refuses-down', message: /was removed from every CPU, but its teardown failed on CPU 0: refusing on CPU 0; CPU 1: refusing on CPU 1/ });
  await rt.cpuDown(1);
  t.equal(rt.cpuState(1), 'offline');

  await t.rejects(
    rt.setupState('app:refuses-up', { startup: (cpu) => { if (cpu === 0) throw new Error('no'); } }),
    { name: 'HotplugError', code: 'ERR_CPUHP_SETUP_FAILED', cpu: 0, step: 'app:refuses-up', message: /setting up state 'app:refuses-up'/ },
  );
  t.throws(() => rt.injectFailure(0, 'app:refuses-up'), { name: 'ConfigError', code: 'ERR_CPUHP_INVALID_ARG' }, 'the failed state was not registered');
  await rt.cpuUp(1);
  t.equal(rt.cpuState(1), 'online');
});

t.test(`${strategy}: a callback that hangs times out and rolls back`, async (t) => {
  const rt = await startRuntime(t, { cpus: 2, hotplugTimeoutMs: 300, strategy });
  await rt.setupState('app:hangs', { teardown: () => new Promise<void>(() => undefined) });
  await t.rejects(rt.cpuDown(1), {
    name: 'HotplugError',
    code: 'ERR_CPUHP_STEP_FAILED',
    step: 'app:hangs',
    cause: { name: 'HotplugError', code: 'ERR_CPUHP_CALLBACK_TIMEOUT', cpu: 1, step: 'app:hangs' },
    message: /did not finish within 300 ms/,
  });
  t.equal(rt.cpuState(1), 'online');
});
}

for (const strategy of STRATEGIES) {
  t.test(`${strategy}: a job running past the hotplug timeout fails cpuDown, and the CPU comes back with every per-CPU thread running`, async (t) => {
    // The gate job holds CPU 1 until the test opens it, so the cpuDown times out however
    // long the timeout; 2 s keeps every other wait of the test clear of a loaded machine.
    const rt = await startRuntime(t, { cpus: 2, strategy, hotplugTimeoutMs: 2000, modules: [JOB_FIXTURES, FIXTURES] });
    await rt.registerPerCpuThread('counter');
    const gate = new Gate();
    const long = rt.queueWork('gate', gate.args, { cpu: 1, affinity: 'strict' });
    t.ok(await gate.started(), 'the long job runs on CPU 1');
    const queued = Array.from({ length: 5 }, (_, i) => rt.queueWork('increment', i, { cpu: 1, affinity: 'strict', whenOffline: 'wait' }));
    const error = await rt.cpuDown(1).then(() => undefined, (e: unknown) => e);
    t.type(error, HotplugError, 'cpuDown fails: the job holds the CPU past the timeout');
    const failure = error as HotplugError;
    // The running job is inside the kworker's unit of work: a reader of the hotplug lock for
    // refcount and percpu-rwsem, whose writer then starves; a thread that cannot park (or, for
    // recreate, exit) for park and recreate, whose smpboot:threads step fails and rolls back.
    const expected = {
      park: ['ERR_CPUHP_STEP_FAILED', 'ERR_CPUHP_PARK_TIMEOUT'],
      refcount: ['ERR_CPUHP_WRITER_STARVED', undefined],
      'percpu-rwsem': ['ERR_CPUHP_WRITER_STARVED', undefined],
      recreate: ['ERR_CPUHP_STEP_FAILED', 'ERR_CPUHP_STOP_TIMEOUT'],
    }[strategy];
    t.same([failure.code, (failure.cause as HotplugError | undefined)?.code], expected, 'the code, and the code of its cause, say why');
    if (strategy === 'recreate') t.match(failure.message, /kworker\/1.* did not exit within 2000 ms of their stop/, 'recreate says the kworker did not exit, not park');
    t.equal(rt.cpuState(1), 'online', 'the CPU is online again');
    gate.open();
    t.equal(await long, 1, 'the long job finished on CPU 1');
    t.same(await Promise.all(queued), [1, 2, 3, 4, 5], 'the jobs queued behind it ran');
    await rt.drain({ timeoutMs: PATIENCE_MS });
    t.equal(await rt.queueWork('increment', 9, { cpu: 1, affinity: 'strict' }), 10, 'CPU 1 still runs jobs');
    for (const fn of ['cpuhp:kworker', 'counter']) {
      const threads = rt.kthreadList(1).filter((h) => h.fn === fn);
      t.equal(threads.length, 1, `CPU 1 has one ${fn} thread`);
      t.not(rt.kthreadInfo(threads[0]!).state, 'exited', `and it has not exited`);
    }
    const counter = groupThread(rt, 'counter', 1);
    t.ok(await rt.waitForIterations(counter, rt.kthreadInfo(counter).iterations + 256, PATIENCE_MS), 'the per-CPU thread runs');
    t.equal(rt.stats().violations, 0);
    await rt.cpuDown(1);
    t.equal(rt.cpuState(1), 'offline', 'with the job done, the CPU goes down');
  });
}
