/**
 * The table of cpuhp's built-in hotplug states, bottom-up, like cpuhp_hp_states[] in
 * kernel/cpu.c: each row names its state (states.ts) and the callbacks its subsystem owns.
 * Each callback sets the CPU state word it stands for, through the one writer (cpu.ts), so
 * the workers' invariant checks see DOWN_PREPARE while threads are asked to park, DYING
 * and DEAD only once all of them have, and OFFLINE once the worker is blocked.
 */

import { HotplugError } from '../errors.js';
import { CpuState, type CpuStateValue } from '../protocol/cpu-state.js';
import type { CpuWorkers } from '../controller/cpu-workers.js';
import type { PlantedRace } from '../kthread/planted-race.js';
import type { Smpboot } from '../kthread/smpboot.js';
import type { HotplugStep } from './machine.js';
import { CPUHP_AP_DYING, CPUHP_AP_SMPBOOT_THREADS, CPUHP_BRINGUP_CPU } from './states.js';
import type { Strategy } from './strategies/index.js';

/** What the job runtime does at each point of a CPU's hotplug (src/jobs/workqueue.ts). */
export interface HotplugJobs {
  /** The CPU is online: jobs may be handed to it again. */
  cpuOnline(cpu: number): void;
  /** The CPU is part-way: jobs waiting for it that may run elsewhere go elsewhere. */
  cpuUnavailable(cpu: number): void;
  /** CPU_DEAD: its kworker has parked after its running job; its queue goes elsewhere. */
  cpuDead(cpu: number): Promise<void>;
  /** Its worker ended (recreate) or died: the jobs handed to it move. */
  workerGone(cpu: number, died: string | undefined): void;
}

export interface BuiltinStateHost {
  readonly timeoutMs: number;
  readonly strategy: Strategy;
  readonly workers: CpuWorkers;
  readonly smpboot: Smpboot;
  readonly race: PlantedRace;
  readonly jobs: HotplugJobs;
  /** The CPU state word's one writer (cpu.ts). */
  setState(cpu: number, state: CpuStateValue): void;
}

export function builtinStates(host: BuiltinStateHost): HotplugStep[] {
  return [
    { name: CPUHP_BRINGUP_CPU, selfTimed: true, startup: (cpu) => bringupCpu(host, cpu), teardown: (cpu) => takedownCpu(host, cpu) },
    // Self-timed: parkHeldBack and cpuDead bound their own waits, so no guard timer is set
    // on every CPU down for the rare one that waits at all.
    { name: CPUHP_AP_DYING, selfTimed: true, teardown: (cpu) => cpuDying(host, cpu) },
    { name: CPUHP_AP_SMPBOOT_THREADS, selfTimed: true, startup: (cpu) => smpbootUnparkThreads(host, cpu), teardown: (cpu) => smpbootParkThreads(host, cpu) },
  ];
}

/** bringup_cpu(): BRINGUP, and the worker runs (a fresh one where there is none). */
async function bringupCpu(host: BuiltinStateHost, cpu: number): Promise<void> {
  host.setState(cpu, CpuState.BRINGUP);
  await host.workers.bringup(cpu);
}

/** takedown_cpu(): the worker sleeps (or is ended, with recreate); then the CPU is OFFLINE. */
async function takedownCpu(host: BuiltinStateHost, cpu: number): Promise<void> {
  const end = host.strategy.recreatesWorkers;
  await host.workers.takedown(cpu, end);
  if (end) host.jobs.workerGone(cpu, undefined);
  host.setState(cpu, CpuState.OFFLINE);
}

/** The CPU dies: DYING, DEAD; then its jobs queue moves (CPU_DEAD), once its kworker has parked. */
async function cpuDying(host: BuiltinStateHost, cpu: number): Promise<void> {
  host.setState(cpu, CpuState.DYING);
  host.setState(cpu, CpuState.DEAD);
  await host.race.parkHeldBack(cpu, host.timeoutMs);
  await host.jobs.cpuDead(cpu);
}

/**
 * smpboot_create_threads() + smpboot_unpark_threads(): made parked, released with the others
 * once ONLINE. On a CPU up the worker runs already (cpuhp:bringup woke it); on the rollback
 * of a CPU down it may be dormant, put there by its threads' park (PARK_THEN_SLEEP), and is
 * woken first.
 */
async function smpbootUnparkThreads(host: BuiltinStateHost, cpu: number): Promise<void> {
  await host.workers.ensureAwake(cpu, CPUHP_AP_SMPBOOT_THREADS);
  await host.smpboot.createMissing(cpu, true);
  host.setState(cpu, CpuState.ONLINE);
  host.strategy.release(cpu);
  host.jobs.cpuOnline(cpu);
}

/** smpboot_park_threads(), as the strategy quiesces: DOWN_PREPARE, then every bound thread parks (or stops). */
async function smpbootParkThreads(host: BuiltinStateHost, cpu: number): Promise<void> {
  const timeout = host.timeoutMs;
  host.setState(cpu, CpuState.DOWN_PREPARE);
  const unresponsive = await host.strategy.quiesce(cpu, timeout);
  if (unresponsive.length === 0) return;
  const threads = `${unresponsive.length === 1 ? 'thread' : 'threads'} ${unresponsive.join(', ')}`;
  if (!host.strategy.recreatesWorkers) {
    // quiesce() withdrew its park requests: every thread runs on as before.
    throw new HotplugError(
      `${threads} did not park within ${timeout} ms; a bound thread's loop must poll kt.boundShouldStop() and call kt.parkme(), and no job or thread of its CPU may hold the CPU that long without awaiting`,
      { code: 'ERR_CPUHP_PARK_TIMEOUT', cpu, step: CPUHP_AP_SMPBOOT_THREADS, unresponsive },
    );
  }
  // A stop cannot be withdrawn. The step undoes what it can before it fails: the per-CPU
  // threads that did stop are made again (their setup runs again); one still stopping is
  // replaced once it exits (Smpboot.replace). Plain kthreads that stopped are gone, as on
  // every recreate CPU down.
  await host.smpboot.createMissing(cpu, true);
  host.strategy.release(cpu);
  throw new HotplugError(
    `${threads} did not exit within ${timeout} ms of their stop (recreate stops every thread of a going-down CPU); a thread's loop must check kt.shouldStop(), and a job holding the kworker must end first. The CPU stays online: its per-CPU threads that had stopped were started again, and one still stopping is replaced once it exits`,
    { code: 'ERR_CPUHP_STOP_TIMEOUT', cpu, step: CPUHP_AP_SMPBOOT_THREADS, unresponsive },
  );
}
