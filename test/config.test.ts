import t from 'tap';
import { Runtime } from '../src/index.js';
import { FIXTURES, startRuntime } from './helpers.js';

t.test('bad options are refused before any worker starts', async (t) => {
  await t.rejects(Runtime.start({ cpus: 0 }), { name: 'ConfigError', code: 'ERR_CPUHP_INVALID_ARG' }, 'zero CPUs');
  await t.rejects(Runtime.start({ cpus: 1000 }), { name: 'ConfigError', code: 'ERR_CPUHP_INVALID_ARG' }, 'absurd CPU count');
  await t.rejects(Runtime.start({ cpus: 1.5 }), { name: 'ConfigError', code: 'ERR_CPUHP_INVALID_ARG' }, 'fractional CPU count');
  await t.rejects(Runtime.start({ strategy: 'bogus' as never }), { name: 'ConfigError', code: 'ERR_CPUHP_INVALID_ARG', message: /options\.strategy must be one of 'park'/ });
  // A path that is not there is a bad argument, checked before any worker starts.
  await t.rejects(Runtime.start({ modules: ['/nonexistent/module.js'] }), { name: 'ConfigError', code: 'ERR_CPUHP_INVALID_ARG', message: /does not exist/ });
  await t.rejects(Runtime.start({ maxKthreads: 0 }), { name: 'ConfigError', code: 'ERR_CPUHP_INVALID_ARG' });
});

t.test('a module that fails to load is a ConfigError naming the cause', async (t) => {
  const broken = new URL('./fixtures/broken-module.js', import.meta.url);
  await t.rejects(Runtime.start({ cpus: 1, modules: [broken] }), { name: 'ConfigError', code: 'ERR_CPUHP_MODULE_LOAD', message: /failed to load.*broken on purpose/ });
});

t.test('bad kthread and hotplug requests are refused and change nothing', async (t) => {
  const rt = await startRuntime(t);
  const before = JSON.stringify(rt.stats().cpus.map((c) => c.state));
  await t.rejects(rt.cpuDown(7), { name: 'ConfigError', code: 'ERR_CPUHP_INVALID_ARG', message: /cpuDown\(cpu\): cpu must be a whole number from 0 to 1 .*got 7/ });
  await t.rejects(rt.cpuDown(-1), { name: 'ConfigError', code: 'ERR_CPUHP_INVALID_ARG' });
  await t.rejects(rt.kthreadCreateOnCpu(0, 'nope'), { name: 'ConfigError', code: 'ERR_CPUHP_INVALID_ARG', message: /no kthread export named 'nope'.*spinner/ });
  await t.rejects(rt.kthreadCreateOnCpu(0, 'onlineOnCpu'), { name: 'ConfigError', code: 'ERR_CPUHP_INVALID_ARG' }, 'a CPU callback is not a kthread');
  await t.rejects(rt.kthreadCreateOnCpu(0, 'spinner', { data: { f: () => 1 } }), { name: 'ConfigError', code: 'ERR_CPUHP_INVALID_ARG', message: /structured-cloneable/ });
  t.throws(() => rt.injectFailure(0, 'no:such:state'), { name: 'ConfigError', code: 'ERR_CPUHP_INVALID_ARG', message: /smpboot:threads/ });
  await t.rejects(rt.setupState('x', { startup: 'notAnExport' }), { name: 'ConfigError', code: 'ERR_CPUHP_INVALID_ARG' });
  t.equal(rt.kthreadList().length, 0, 'no thread was created by the refused calls');
  t.equal(JSON.stringify(rt.stats().cpus.map((c) => c.state)), before, 'no CPU changed state');

  await rt.cpuDown(1);
  await t.rejects(rt.cpuDown(0), { name: 'HotplugError', code: 'ERR_CPUHP_LAST_CPU', cpu: 0, message: /last online CPU/ });
  t.equal(rt.cpuState(0), 'online', 'the last CPU stayed online');
  await t.rejects(rt.kthreadCreateOnCpu(1, 'spinner'), { name: 'HotplugError', code: 'ERR_CPUHP_CPU_OFFLINE', cpu: 1 }, 'no thread is created on an offline CPU');
  await rt.cpuUp(1);
  t.same(rt.onlineCpus(), [0, 1]);
});

t.test('kthread operations on stopped threads are KthreadErrors', async (t) => {
  const rt = await startRuntime(t);
  const thread = await rt.kthreadCreateOnCpu(0, 'spinner');
  await rt.kthreadStop(thread);
  const gone = { name: 'KthreadError', code: 'ERR_CPUHP_THREAD_GONE', thread: thread.name };
  await t.rejects(rt.kthreadPark(thread), { ...gone, message: /stopped already/ });
  await t.rejects(rt.kthreadUnpark(thread), gone);
  await t.rejects(rt.kthreadStop(thread), gone);
});

t.test('the runtime refuses work after shutdown', async (t) => {
  const rt = await Runtime.start({ cpus: 1, modules: [FIXTURES] });
  await rt.shutdown();
  await rt.shutdown();
  await t.rejects(rt.cpuUp(0), { name: 'CpuhpError', code: 'ERR_CPUHP_SHUT_DOWN', message: /shut down/ });
});

t.test('after shutdown the runtime says what is true: every CPU offline, no thread', async (t) => {
  const rt = await Runtime.start({ cpus: 2, modules: [FIXTURES] });
  await rt.kthreadCreateOnCpu(1, 'spinner');
  await rt.cpuDown(1);
  await rt.shutdown();
  t.same(rt.onlineCpus(), [], 'no CPU is online');
  t.same([rt.cpuState(0), rt.cpuState(1)], ['offline', 'offline']);
  t.same(rt.stats().cpus.map((c) => [c.state, c.step, c.threads]), [['offline', 'offline', 0], ['offline', 'offline', 0]]);
  t.same(rt.kthreadList(), [], 'no thread is listed');
  t.same([rt.hasWorker(0), rt.hasWorker(1)], [false, false], 'no worker is left');
});
