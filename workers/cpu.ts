/**
 * A CPU: the entry point of one CPU worker thread.
 *
 * It loads the runtime's kthread modules, runs the kthreads bound to this CPU as cooperative
 * async functions (scheduler.ts), answers the controller's control-plane calls over comlink,
 * and follows the dormancy handshake of cpu-state.ts (dormancy.ts): when the CPU goes down
 * this OS thread blocks in Atomics.wait, so a dead CPU runs no JavaScript at all.
 */

import { setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import * as Comlink from 'comlink';
import { KWORKER_EXPORT, type CpuWorkerApi, type CpuWorkerData, type CpuWorkerEvent, type CreateKthreadRequest, type ExitRecord } from '../src/protocol/control-plane.js';
import { attachSharedMemory, cpuBase, ktBase, CPU_HEARTBEAT, KT_BOUND_CPU, KT_FLAGS } from '../src/protocol/layout.js';
import { CpuDormancy } from './dormancy.js';
import { KthreadTask } from './kthread-task.js';
import { DEFINITION } from '../src/kthread/definition.js';
import { runAsCurrentKthread } from '../src/kthread/current.js';
import { CpuScheduler } from './scheduler.js';
import { loadModules, type LoadedModules } from './modules.js';
import { JobQueue } from './job-queue.js';
import { smpbootThreadFn, type HotplugReadSide } from './smpboot.js';
import { READ_LOCK_FACTORIES } from '../src/protocol/hotplug-lock.js';
import { endpointOf } from '../src/protocol/endpoint.js';

const HEARTBEAT_MS = 5;

if (parentPort === null) throw new Error('workers/cpu.js is a worker_threads entry point; start it through Runtime.start()');
const port = parentPort;
const { cpu, memory, modules, jobPort, nice } = workerData as CpuWorkerData;
if (nice !== undefined) {
  try {
    setPriority(0, nice); // this thread only (Linux: a nice value is per thread)
  } catch {
    // lowering one's own priority is permitted everywhere it exists; elsewhere, nothing to do
  }
}
const { words, layout, strategy } = attachSharedMemory(memory);
const base = cpuBase(layout, cpu);
const readLock = READ_LOCK_FACTORIES[strategy](words, layout, cpu);
const readSide: HotplugReadSide | undefined = readLock === undefined ? undefined : { words, readLock };
const scheduler = new CpuScheduler();
const tasks = new Map<number, KthreadTask>();
const exits = new Map<number, ExitRecord>();
const loaded = loadModules(modules);
// A failed load is reported through catalogue(); keep it from being an unhandled rejection.
loaded.catch(() => undefined);
let definitions: LoadedModules['definitions'] | undefined;
void loaded.then((modules) => (definitions = modules.definitions), () => undefined);
const jobs = new JobQueue(jobPort, words, layout, cpu, () => definitions);
const dormancy = new CpuDormancy(words, base, function* () {
  for (const slot of tasks.keys()) yield ktBase(layout, slot) + KT_FLAGS;
});

function post(event: CpuWorkerEvent): void {
  port.postMessage(event);
}

/** A thrown value as text; never throws itself, whatever was thrown. */
function describe(error: unknown): string {
  try {
    return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  } catch {
    return 'a value that cannot be described';
  }
}

/**
 * What a new thread runs: its module's thread function, or an smpboot loop around hooks; as
 * the current kthread (kthreadBoundShouldStop()) if its definition asked to be tracked.
 */
type ThreadBody = (task: KthreadTask) => Promise<unknown>;

function tracked(body: ThreadBody, trackCurrent: boolean): ThreadBody {
  return trackCurrent ? (task) => runAsCurrentKthread(task, () => body(task)) : body;
}

function threadBody(exportName: string, definitions: LoadedModules['definitions']): ThreadBody {
  // The built-in kworker is an smpboot thread whose hooks are this CPU's job queue; it is never
  // the current kthread, so that a job calling kthreadBoundShouldStop() is told it is not in one.
  if (exportName === KWORKER_EXPORT) return (task) => smpbootThreadFn(task, jobs.kworkerHooks(task), readSide);
  const definition = definitions.get(exportName);
  if (definition === undefined) throw new Error(`no cpuhp definition exported as '${exportName}'`);
  switch (definition[DEFINITION]) {
    case 'kthread':
      return tracked(async (task) => definition.fn(task), definition.trackCurrent === true);
    case 'percpu':
      return tracked((task) => smpbootThreadFn(task, definition.hooks, readSide), definition.trackCurrent === true);
    case 'job':
    case 'cpu-callback':
      throw new Error(`export '${exportName}' is a ${definition[DEFINITION] === 'job' ? 'job' : 'CPU callback'}, not a kthread`);
  }
}

async function createKthread(request: CreateKthreadRequest): Promise<void> {
  const body = threadBody(request.exportName, (await loaded).definitions);
  const slotBase = ktBase(layout, request.slot);
  if (Atomics.load(words, slotBase + KT_BOUND_CPU) !== cpu) {
    throw new Error(`slot ${request.slot} is bound to CPU ${Atomics.load(words, slotBase + KT_BOUND_CPU)}, not CPU ${cpu}`);
  }
  const task = new KthreadTask(cpu, request.id, request.name, request.data, { words, slot: slotBase, cpu: base }, scheduler, dormancy);
  // A slot is reused only after the controller forgot its last thread; an exit record it
  // never collected (a reap that timed out) must not be taken for the new thread's.
  exits.delete(request.slot);
  tasks.set(request.slot, task);
  dormancy.forgetChecks();
  task.markStarted();
  const run = body(task);
  run.then(
    (value) => finish(request, task, exitRecord(value)),
    (error: unknown) => finish(request, task, { ok: false, error: describe(error) }),
  );
}

/**
 * What a thread returned, as kthreadStop() will collect it. The record crosses to the
 * controller by structured clone, so a value that cannot be cloned becomes an error now, at
 * exit, rather than failing the reap and leaving the thread's slot held.
 */
function exitRecord(value: unknown): ExitRecord {
  try {
    structuredClone(value);
    return { ok: true, value };
  } catch (error) {
    return { ok: false, error: `it returned a value that cannot be sent to the controller (${describe(error)}); return structured-cloneable data` };
  }
}

function finish(request: CreateKthreadRequest, task: KthreadTask, record: ExitRecord): void {
  exits.set(request.slot, record);
  task.markExited();
  post({ type: 'cpuhp:kthread-exit', slot: request.slot, id: request.id, ok: record.ok, ...(record.ok ? {} : { error: record.error }) });
}

const api: CpuWorkerApi = {
  async catalogue() {
    return (await loaded).catalogue;
  },
  createKthread(request) {
    return createKthread(request);
  },
  reap(slot) {
    const record = exits.get(slot);
    if (record === undefined) throw new Error(`thread in slot ${slot} has not exited`);
    exits.delete(slot);
    tasks.delete(slot);
    return record;
  },
  takeBackJobs(ids) {
    const { jobs: returned, transfer } = jobs.takeBack(ids);
    return Comlink.transfer(returned, transfer);
  },
  async runCpuCallback(exportName) {
    const definition = (await loaded).definitions.get(exportName);
    if (definition === undefined || definition[DEFINITION] !== 'cpu-callback') {
      throw new Error(`no defineCpuCallback export named '${exportName}'`);
    }
    await definition.fn(cpu);
  },
};
Comlink.expose(api, endpointOf(port));

const heartbeat = setInterval(() => {
  Atomics.add(words, base + CPU_HEARTBEAT, 1);
  Atomics.notify(words, base + CPU_HEARTBEAT);
}, HEARTBEAT_MS);

void dormancy.controlLoop(() => {
  clearInterval(heartbeat);
  process.exit(0);
});
