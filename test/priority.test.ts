/**
 * Keeping a core for the controller (src/controller/priority.ts): the default CPU count
 * leaves a core to the controller where that still leaves 2 CPUs; a runtime with as many
 * CPUs as cores says so once per process, with its code; controllerPriority 'raised'
 * either raises the controller thread's priority or, where that is not permitted, has the
 * workers lower their own, and gives the controller's back when the last runtime is shut down.
 */

import { getPriority } from 'node:os';
import t from 'tap';
import { defaultCpuCount } from '../src/controller/options.js';
import { planPriority, PRIORITY_STEP, warnIfCpusShareCores } from '../src/controller/priority.js';
import { JOB_FIXTURES } from './helpers.js';
import { Runtime } from '../src/index.js';

t.test('the default CPU count keeps a core for the controller, and at least 2 CPUs', async (t) => {
  t.equal(defaultCpuCount(1), 2);
  t.equal(defaultCpuCount(2), 2, 'a 2-core machine still gets 2 CPUs (one can go down while the other runs)');
  t.equal(defaultCpuCount(3), 2);
  t.equal(defaultCpuCount(8), 7);
  t.equal(defaultCpuCount(10_000), 128, 'never more than MAX_CPUS');
});

t.test('CPUs at or above the cores: one CpuhpWarning per process, with its code', async (t) => {
  const warnings: Error[] = [];
  const onWarning = (w: Error): void => void warnings.push(w);
  process.on('warning', onWarning);
  t.teardown(() => void process.off('warning', onWarning));
  t.equal(warnIfCpusShareCores(3, 4), false, '3 CPUs on 4 cores leave one to the controller');
  const first = warnIfCpusShareCores(4, 4);
  const again = warnIfCpusShareCores(8, 4);
  await new Promise((resolve) => setImmediate(resolve));
  const ours = warnings.filter((w) => (w as Error & { code?: string }).code === 'CPUHP_CPUS_SHARE_CORES');
  // Another test file in this process may have warned first; either way it is said once.
  t.equal(again, false, 'said at most once');
  t.equal(ours.length, first ? 1 : 0);
  if (first) t.match(ours[0]!.message, /4 CPU workers on 4 cores.*at most 3 CPUs \(the cores less one\).*controllerPriority: 'raised'/);
});

t.test("controllerPriority 'raised': the controller ahead of its workers, and given back", async (t) => {
  const base = getPriority(0);
  t.same(planPriority('normal').workerNice, undefined, "'normal' changes nothing");
  const first = planPriority('raised');
  const second = planPriority('raised');
  if (first.outcome === 'raised') {
    t.equal(getPriority(0), base - PRIORITY_STEP, 'the controller thread runs at a lower nice value');
    t.equal(first.workerNice, base, 'workers go back to the nice value the controller had');
    first.restore();
    t.equal(getPriority(0), base - PRIORITY_STEP, 'still raised while another runtime holds it');
    second.restore();
    second.restore();
    t.equal(getPriority(0), base, 'given back once the last holder restored it, and only once');
  } else {
    t.equal(first.outcome, 'workers-lowered', 'not permitted here: the workers step back instead');
    t.equal(first.workerNice, Math.min(19, base + PRIORITY_STEP));
    t.equal(getPriority(0), base, "the controller's own is untouched");
  }
});

t.test("a runtime with controllerPriority 'raised' reports it, runs jobs, and restores it at shutdown", async (t) => {
  const base = getPriority(0);
  const rt = await Runtime.start({ cpus: 2, modules: [JOB_FIXTURES], controllerPriority: 'raised' });
  t.teardown(() => rt.shutdown());
  t.not(rt.stats().controllerPriority, 'normal');
  t.equal(await rt.queueWork('increment', 41), 42, 'its CPUs run jobs');
  await rt.cpuDown(1);
  await rt.cpuUp(1);
  await rt.shutdown();
  t.equal(getPriority(0), base, "the controller thread's priority is what it was");
});
