/**
 * Parallel bring-up (the kernel's cpuhp.parallel): Runtime.start brings every CPU up at
 * once, and cpuUps called together start their CPUs' workers at once (a CPU with no worker,
 * under recreate or after a crash, gets one before its cpuUp waits for the hotplug lock).
 * What must hold whatever the interleaving: every CPU ends online with its per-CPU threads
 * running and its kworker taking jobs, no bound thread ran on a CPU that was not online,
 * and a CPU's worker runs no kthread before the CPU is up.
 */

import t from 'tap';
import { groupThread, JOB_FIXTURES, PATIENCE_MS, STRATEGIES, FIXTURES } from './helpers.js';
import { Runtime } from '../src/index.js';

t.test('Runtime.start brings 8 CPUs up together: each online, with its per-CPU threads and kworker', async (t) => {
  const rt = await Runtime.start({ cpus: 8, modules: [FIXTURES, JOB_FIXTURES] });
  t.teardown(() => rt.shutdown());
  t.same(rt.onlineCpus(), [0, 1, 2, 3, 4, 5, 6, 7]);
  const results = await Promise.all(rt.onlineCpus().map((cpu) => rt.queueWork('increment', cpu, { cpu, affinity: 'strict' })));
  t.same(results, [1, 2, 3, 4, 5, 6, 7, 8], "every CPU's kworker runs its jobs");
  const group = await rt.registerPerCpuThread('counter');
  for (const cpu of rt.onlineCpus()) t.ok(await rt.waitForIterations(groupThread(rt, group.fn, cpu), 64, PATIENCE_MS), `CPU ${cpu}'s per-CPU thread runs`);
  t.equal(rt.stats().violations, 0);
});

for (const strategy of STRATEGIES) {
  t.test(`${strategy}: three cpuUps called together all complete, and the CPUs run their threads and jobs`, async (t) => {
    const rt = await Runtime.start({ cpus: 4, strategy, modules: [FIXTURES, JOB_FIXTURES] });
    t.teardown(() => rt.shutdown());
    const group = await rt.registerPerCpuThread('counter');
    for (const cpu of [1, 2, 3]) await rt.cpuDown(cpu);
    t.same(rt.onlineCpus(), [0]);
    await Promise.all([1, 2, 3].map((cpu) => rt.cpuUp(cpu)));
    t.same(rt.onlineCpus(), [0, 1, 2, 3], 'every CPU is online');
    for (const cpu of [1, 2, 3]) {
      t.ok(await rt.waitForIterations(groupThread(rt, group.fn, cpu), 64, PATIENCE_MS), `CPU ${cpu}'s per-CPU thread runs`);
      t.equal(await rt.queueWork('increment', cpu, { cpu, affinity: 'strict' }), cpu + 1, `CPU ${cpu} runs jobs`);
    }
    // A second cpuUp of an online CPU changes nothing, even while the others come up.
    await rt.cpuDown(2);
    await Promise.all([rt.cpuUp(2), rt.cpuUp(2), rt.cpuUp(1)]);
    t.same(rt.onlineCpus(), [0, 1, 2, 3]);
    t.equal(rt.stats().violations, 0, 'no bound thread ran on a CPU that was not online');
  });
}
