/**
 * Builds a runtime's rooms and connects them, each through the small host interface it
 * declares, so no room imports the runtime or another room's internals. The runtime
 * (runtime.ts) is the facade in front of them; this is the only place that knows how they
 * fit together.
 */

import { describeError } from './describe-value.js';
import { KthreadError } from './errors.js';
import type { ExitRecord } from './protocol/control-plane.js';
import { mayRunBound } from './protocol/cpu-state.js';
import { cpuBase, CPU_HEARTBEAT, CPU_STATE, type Layout } from './protocol/layout.js';
import type { TraceSink } from './trace/events.js';
import { BOOT_TIMEOUT_MS, CpuWorkers } from './controller/cpu-workers.js';
import { planPriority, type PriorityPlan } from './controller/priority.js';
import { withDeadline } from './controller/deadline.js';
import type { ResolvedOptions } from './controller/options.js';
import { SoftLockupWatchdog } from './controller/watchdog.js';
import type { Workqueue } from './jobs/workqueue.js';
import { Kthreads } from './kthread/kthread.js';
import { PlantedRace } from './kthread/planted-race.js';
import { KthreadRegistry } from './kthread/registry.js';
import { Smpboot } from './kthread/smpboot.js';
import { builtinStates, type HotplugJobs } from './hotplug/builtin-states.js';
import { CpuHotplug } from './hotplug/cpu.js';
import { CpuFailures } from './hotplug/cpu-failure.js';
import { DynamicStates } from './hotplug/dynamic-states.js';
import { HotplugMachine } from './hotplug/machine.js';
import { CPUHP_AP_SMPBOOT_THREADS } from './hotplug/states.js';
import { STRATEGY_FACTORIES } from './hotplug/strategies/index.js';

/** What the rooms need from the runtime that owns them. */
export interface RuntimeHooks {
  readonly trace: TraceSink;
  /** The job runtime, once boot has made it. */
  jobs(): Workqueue | undefined;
  /** Runs `body` under the hotplug lock. */
  locked<T>(body: () => Promise<T>): Promise<T>;
  closed(): boolean;
  /** Runtime.start has brought every CPU up. */
  booted(): boolean;
  /** The module exports of one kind ('kthread', 'percpu', 'job', 'cpu-callback'). */
  exportsOf(kind: string): string[];
}

export interface Rooms {
  readonly workers: CpuWorkers;
  readonly registry: KthreadRegistry;
  readonly kthreads: Kthreads;
  readonly smpboot: Smpboot;
  readonly race: PlantedRace;
  readonly hotplug: CpuHotplug;
  readonly machine: HotplugMachine;
  readonly states: DynamicStates;
  readonly watchdog: SoftLockupWatchdog | undefined;
  /** controllerPriority at work: what the workers set themselves to, and how to undo it. */
  readonly priority: PriorityPlan;
}

export function assembleRooms(words: Int32Array, layout: Layout, options: ResolvedOptions, hooks: RuntimeHooks): Rooms {
  const { cpus, hotplugTimeoutMs: timeoutMs } = options;
  const { trace } = hooks;
  // The rooms refer to each other through these late-bound lets: each is set below before
  // anything can call it (no worker event arrives before boot).
  let failures: CpuFailures;
  let smpboot: Smpboot;
  let machine: HotplugMachine;
  const jobs = (): Workqueue => hooks.jobs()!;

  const priority = planPriority(options.controllerPriority);
  const workers = new CpuWorkers(words, layout, options, priority.workerNice, {
    event: (cpu, event) => threadExited(cpu, event.id, event.ok, event.error),
    error: (cpu, error) => trace({ type: 'worker-error', cpu, error: error.message }),
    outcome: (cpu, outcome) => hooks.jobs()?.outcome(cpu, outcome),
    death: (cpu, worker, death) => failures.workerDied(cpu, worker, death),
    // The first workers' ports are attached once the job runtime exists (boot); later ones at once.
    started: (cpu, worker) => hooks.jobs()?.attach(cpu, worker.jobPort),
  });

  /** Collects an exited thread's record from its CPU's worker, within the hotplug timeout. */
  const reap = (cpu: number, slot: number): Promise<ExitRecord> => {
    const lost = (detail: string, cause?: unknown): KthreadError =>
      new KthreadError(`CPU ${cpu} could not hand over the exit record of slot ${slot}${detail}`, { code: 'ERR_CPUHP_RESULT_LOST', ...(cause === undefined ? {} : { cause }) });
    const record = workers.call<ExitRecord>(cpu, (api) => api.reap(slot)).catch((error: unknown): never => {
      throw lost(`: ${describeError(error)}`, error);
    });
    return withDeadline(record, timeoutMs, () => lost(` within ${timeoutMs} ms`));
  };

  const registry = new KthreadRegistry(words, layout, trace);
  const race = new PlantedRace(words, options.plantedRace);
  const kthreads = new Kthreads({
    registry,
    trace,
    startOnCpu: (cpu, request) => workers.call(cpu, (api) => api.createKthread(request)),
    reap,
    // The first threads, made while Runtime.start brings the CPUs up, are part of starting
    // the runtime: like loading the modules, they get the boot bound.
    createTimeoutMs: () => (hooks.booted() ? timeoutMs : Math.max(BOOT_TIMEOUT_MS, timeoutMs)),
  });
  smpboot = new Smpboot({
    registry,
    kthreads,
    race,
    trace,
    threadsRun: (cpu) => machine.passed(cpu, CPUHP_AP_SMPBOOT_THREADS) && workers.of(cpu).alive,
    failCpu: (cpu, why) => failures.failCpu(cpu, why),
    parkThenSleep: (cpu, ms) => workers.parkThenSleep(cpu, ms),
    wake: (cpu) => workers.ensureAwake(cpu, CPUHP_AP_SMPBOOT_THREADS),
  });

  /**
   * A thread of `cpu` has exited. A plain kthread waits for kthreadStop() to collect its
   * result, as kthread_stop() does. A per-CPU thread that no stop() is waiting for is reaped
   * under the hotplug lock and replaced (Smpboot.replace).
   */
  const threadExited = (cpu: number, id: number, ok: boolean, error: string | undefined): void => {
    registry.exited(id, ok, error);
    const thread = registry.byId(id);
    if (thread?.group === undefined || hooks.closed()) return;
    void hooks.locked(() => smpboot.replace(cpu, id)).catch((failure: unknown) => {
      trace({ type: 'percpu-replace-failed', cpu, thread: thread.name, error: describeError(failure) });
    });
  };

  const strategy = STRATEGY_FACTORIES[options.strategy]({ words, layout, threads: smpboot });
  const hotplugJobs: HotplugJobs = {
    cpuOnline: (cpu) => jobs().cpuOnline(cpu),
    cpuUnavailable: (cpu) => jobs().cpuUnavailable(cpu),
    cpuDead: (cpu) => jobs().cpuDead(cpu),
    workerGone: (cpu, died) => jobs().workerGone(cpu, died),
  };
  const forgetThreads = (cpu: number, why: string): void => {
    registry.forgetCpu(cpu, `it was lost when the worker of CPU ${cpu} died (${why})`, `worker died: ${why}`);
    race.forgetCpu(cpu);
  };
  const hotplug = new CpuHotplug({ words, layout, ncpus: cpus, timeoutMs, strategy, jobs: hotplugJobs, trace, forgetThreads });
  const setState = hotplug.setState.bind(hotplug);
  machine = new HotplugMachine(cpus, builtinStates({ timeoutMs, strategy, workers, smpboot, race, jobs: hotplugJobs, setState }), timeoutMs, trace);
  hotplug.attach(machine);
  failures = new CpuFailures({
    words,
    layout,
    workers,
    registry,
    hotplug,
    forgetThreads,
    jobs: () => hooks.jobs(),
    trace,
    watchdogMs: options.watchdogMs,
    onLockup: options.onLockup,
    closed: () => hooks.closed(),
    reapSoon: () => void hooks.locked(async () => undefined).catch(() => undefined),
  });
  const states = new DynamicStates({
    machine,
    trace,
    cpuCallbackNames: () => hooks.exportsOf('cpu-callback'),
    runOnCpu: (cpu, name, label) => failures.runningCallback(cpu, label, () => workers.call(cpu, (api) => api.runCpuCallback(name))),
    onlineCpus: () => hotplug.onlineCpus(),
  });
  const word = (cpu: number, offset: number): number => Atomics.load(words, cpuBase(layout, cpu) + offset);
  const watchdog =
    options.watchdogMs > 0
      ? new SoftLockupWatchdog(
          {
            ncpus: cpus,
            heartbeat: (cpu) => word(cpu, CPU_HEARTBEAT),
            watched: (cpu) => mayRunBound(word(cpu, CPU_STATE)) && workers.of(cpu).isAwake(),
            lockup: (cpu, stuckMs) => failures.softLockup(cpu, stuckMs),
          },
          options.watchdogMs,
        )
      : undefined;
  return { workers, registry, kthreads, smpboot, race, hotplug, machine, states, watchdog, priority };
}
