/**
 * Invariant 4 across CPU hotplug, under every strategy: jobs queued on a CPU that goes down
 * move to other CPUs and run exactly once; the job running there finishes first; strict
 * jobs wait for their CPU or fail, as their caller chose.
 */

import t from 'tap';
import type { JobDefinition } from '../src/index.js';
import { Gate, STRATEGIES, settle, sharedInts, startJobRuntime, traceEvent } from './helpers.js';

type Record = JobDefinition<{ runs: Int32Array; index: number; spinMs?: number }, number>;

for (const strategy of STRATEGIES) {
  t.test(`${strategy}: the running job finishes on its CPU, the queued ones move, each runs once`, async (t) => {
    const rt = await startJobRuntime(t, { strategy, cpus: 2 });
    const gate = new Gate();
    const running = rt.queueWork<JobDefinition<unknown, number>>('gate', gate.args, { cpu: 1 });
    t.ok(await gate.started(), 'the gate job runs on CPU 1');
    const count = 30;
    const runs = sharedInts(count);
    const queued = Array.from({ length: count }, (_, index) => rt.queueWork<Record>('record', { runs, index }, { cpu: 1 }));
    // Under park the kworker is asked to park (under recreate, to stop) while its job runs.
    // Under percpu-rwsem the running job holds the read side, so the writer waits; once it has
    // blocked new readers, the kworker can take no other job. Under refcount, whose writer
    // waits for a zero count while readers go on, the queued jobs may yet run on CPU 1.
    const asked =
      strategy === 'park'
        ? traceEvent(rt, 'park-cpu', (e) => e.cpu === 1)
        : strategy === 'recreate'
          ? traceEvent(rt, 'stop', (e) => e.thread === 'kworker/1')
          : strategy === 'percpu-rwsem'
            ? traceEvent(rt, 'hotplug-begin', (e) => e.cpu === 1)
            : undefined;
    const down = rt.cpuDown(1);
    if (asked !== undefined) await asked;
    if (strategy === 'park' || strategy === 'recreate') {
      t.equal(rt.cpuState(1), 'down-prepare', 'the CPU waits in DOWN_PREPARE for the running job');
    }
    gate.open();
    await down;
    t.equal(await running, 1, 'the running job finished on CPU 1');
    const cpus = await Promise.all(queued);
    t.same([...runs], new Array(count).fill(1), 'every queued job ran exactly once');
    t.equal(rt.cpuState(1), 'offline');
    if (strategy !== 'refcount') {
      t.ok(cpus.every((cpu) => cpu === 0), 'the queued jobs ran on CPU 0');
      t.equal(rt.stats().jobs.migrated, count, 'and were counted as moved');
    }
    t.equal(rt.stats().cpus[1]!.jobs.handed, 0, 'nothing is left handed to the offline CPU');
    t.equal(rt.stats().violations, 0, 'no job ran while its CPU was not online');
    await rt.cpuUp(1);
    t.equal(await rt.queueWork('spin', { ms: 1 }, { cpu: 1, affinity: 'strict' }), 1, 'CPU 1 runs jobs again once it is up');
  });
}

t.test('strict jobs wait for their CPU or fail, as their caller chose; preferred ones run elsewhere', async (t) => {
  const rt = await startJobRuntime(t, { cpus: 2 });
  await rt.cpuDown(1);
  await t.rejects(rt.queueWork('increment', 1, { cpu: 1, affinity: 'strict' }), {
    name: 'JobError',
    code: 'ERR_CPUHP_JOB_CPU_OFFLINE',
    reason: 'cpu-offline',
    started: false,
    message: /needs CPU 1.*offline.*rt\.cpuUp\(1\).*whenOffline: 'wait'/,
  });
  t.equal(await rt.queueWork('spin', { ms: 1 }, { cpu: 1 }), 0, 'a preferred job for an offline CPU runs on an online one');
  const runs = sharedInts(2);
  const waiting = rt.queueWork<Record>('record', { runs, index: 0 }, { cpu: 1, affinity: 'strict', whenOffline: 'wait' });
  await rt.drain({ timeoutMs: 200 }).then(
    () => t.fail('drain cannot finish while a job waits for an offline CPU'),
    (error: unknown) => t.match(error, { name: 'CpuhpError', code: 'ERR_CPUHP_DRAIN_TIMEOUT', message: /CPU 1 \(offline\): 0 handed \(0 running\), 1 waiting for it; bring it up \(rt\.cpuUp\(1\)\)/ }, 'drain times out, and says what it waits for'),
  );
  t.equal(runs[0], 0, 'the waiting job has not run');
  await rt.cpuUp(1);
  t.equal(await waiting, 1, 'it runs on its CPU once that is up');

  // A strict job that fails when offline, queued behind a job that holds its CPU: the CPU
  // goes down before it starts, so it is rejected and never runs.
  const gate = new Gate();
  const held = rt.queueWork('gate', gate.args, { cpu: 1, affinity: 'strict' });
  t.ok(await gate.started());
  const doomed = settle(rt.queueWork<Record>('record', { runs, index: 1 }, { cpu: 1, affinity: 'strict' }));
  const parking = traceEvent(rt, 'park-cpu', (e) => e.cpu === 1);
  const down = rt.cpuDown(1);
  await parking;
  gate.open();
  await Promise.all([held, down]);
  const outcome = await doomed;
  t.notOk(outcome.ok);
  if (!outcome.ok) t.same([outcome.error.code, outcome.error.reason, outcome.error.started], ['ERR_CPUHP_JOB_CPU_OFFLINE', 'cpu-offline', false]);
  t.equal(runs[1], 0, 'it never ran');
  t.equal(rt.stats().violations, 0);
});
