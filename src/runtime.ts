/**
 * The public controller, a facade: it checks every argument, holds the hotplug lock, and
 * hands each call to the room that owns it. The rooms, like the kernel's:
 *
 *   hotplug/cpu.ts            cpu_up/cpu_down, the CPU state word's only writer (kernel/cpu.c)
 *   hotplug/builtin-states.ts the table of built-in states (cpuhp_hp_states[])
 *   hotplug/dynamic-states.ts setupState/removeState (cpuhp_setup_state)
 *   hotplug/cpu-failure.ts    workers that die, and the watchdog's soft lockups
 *   kthread/kthread.ts        one thread: create, park, unpark, stop, wake (kernel/kthread.c)
 *   kthread/smpboot.ts        a CPU's threads and the per-CPU threads (kernel/smpboot.c)
 *   jobs/workqueue.ts         queueWork and the per-CPU queues (kernel/workqueue.c)
 *
 * Hotplug operations, kthread creation and stop, and state registration are serialised by
 * one hotplug lock (async-mutex), like the kernel's cpu_hotplug_lock; park, unpark and
 * wake-up are single atomic writes to the thread's word and need no lock.
 */

import { EventEmitter } from 'node:events';
import { availableParallelism } from 'node:os';
import { Mutex } from 'async-mutex';
import { ConfigError, CpuhpError, HotplugError, KthreadError } from './errors.js';
import { describeError } from './describe-value.js';
import { KWORKER_EXPORT, type ExitRecord, type ModuleCatalogue } from './protocol/control-plane.js';
import { createSharedMemory, cpuBase, layoutFor, type Layout, CPU_DORMANCIES, CPU_HEARTBEAT, CPU_STATE, CPU_VIOLATIONS } from './protocol/layout.js';
import { mayRunBound } from './protocol/cpu-state.js';
import { waitForWord } from './protocol/wait.js';
import type { CpuStateName } from './protocol/cpu-state.js';
import { TraceDelivery, traceEventName, traceListener } from './trace/delivery.js';
import type { TraceEvent } from './trace/events.js';
import { allKeys, cpuNumber, knownName, MAX_WORD, nonEmptyString, readOptions, rejecting, timeoutMs as timeoutArgument, wholeNumber } from './controller/arguments.js';
import { BOOT_TIMEOUT_MS, CpuWorkers } from './controller/cpu-workers.js';
import { withDeadline } from './controller/deadline.js';
import { resolveOptions, type ResolvedOptions, type RuntimeOptions } from './controller/options.js';
import { SoftLockupWatchdog } from './controller/watchdog.js';
import { Workqueue } from './jobs/workqueue.js';
import type { QueueWorkOptions } from './jobs/job.js';
import type { JobDefinition } from './kthread/define.js';
import { assertCloneable, Kthreads } from './kthread/kthread.js';
import { PlantedRace } from './kthread/planted-race.js';
import { KthreadRegistry, type KthreadHandle, type KthreadInfo } from './kthread/registry.js';
import { Smpboot } from './kthread/smpboot.js';
import { builtinStates, type HotplugJobs } from './hotplug/builtin-states.js';
import { CpuHotplug } from './hotplug/cpu.js';
import { CpuFailures } from './hotplug/cpu-failure.js';
import { DynamicStates, type StateCallbacks } from './hotplug/dynamic-states.js';
import { HotplugMachine } from './hotplug/machine.js';
import { CPUHP_AP_SMPBOOT_THREADS } from './hotplug/states.js';
import { STRATEGY_FACTORIES, type Strategy, type StrategyName } from './hotplug/strategies/index.js';
import type { CpuStats, DrainOptions, KthreadCreateOptions, PerCpuThreadGroup, PerCpuThreadOptions, RuntimeStats } from './runtime-types.js';

export type { CpuStats, DrainOptions, KthreadCreateOptions, PerCpuThreadGroup, PerCpuThreadOptions, RuntimeStats, StateCallback, StateCallbacks } from './runtime-types.js';

/** The per-CPU thread group of the built-in kworkers, which run the jobs. */
const KWORKER_GROUP = 'kworker/%u';

// Every key of each options type: any other key is refused, so a typo cannot pass unnoticed.
const THREAD_OPTION_KEYS = allKeys<KthreadCreateOptions & PerCpuThreadOptions>()(['name', 'data']);
const STATE_CALLBACK_KEYS = allKeys<StateCallbacks>()(['startup', 'teardown']);
const DRAIN_OPTION_KEYS = allKeys<DrainOptions>()(['timeoutMs']);

/** The arguments a JobDefinition takes and the result it resolves with, for typed queueWork(). */
type JobArgs<J> = J extends JobDefinition<infer A, unknown> ? A : unknown;
type JobResult<J> = J extends JobDefinition<unknown, infer R> ? R : unknown;

export class Runtime extends EventEmitter {
  private readonly lock = new Mutex();
  private readonly words: Int32Array;
  private readonly layout: Layout;
  private readonly traces = new TraceDelivery(this);
  private readonly trace = this.traces.emit;
  private readonly workers: CpuWorkers;
  private readonly registry: KthreadRegistry;
  private readonly kthreads: Kthreads;
  private readonly smpboot: Smpboot;
  private readonly race: PlantedRace;
  private readonly strategy: Strategy;
  private readonly hotplug: CpuHotplug;
  private readonly machine: HotplugMachine;
  private readonly failures: CpuFailures;
  private readonly states: DynamicStates;
  private readonly watchdog: SoftLockupWatchdog | undefined;
  private catalogue: ModuleCatalogue = {};
  private jobs!: Workqueue; // made in boot(), once the modules' job exports are known
  private closed = false;
  /** Runtime.start has brought every CPU up: threads made before then get the boot bound. */
  private booted = false;

  private constructor(private readonly options: ResolvedOptions) {
    super();
    const { cpus, hotplugTimeoutMs: timeoutMs } = options;
    this.layout = layoutFor(cpus, options.maxKthreads, options.jobSlots);
    const words = (this.words = createSharedMemory(this.layout, options.strategy));
    const trace = this.trace;
    this.workers = new CpuWorkers(words, this.layout, options, {
      event: (cpu, event) => this.threadExited(cpu, event.id, event.ok, event.error),
      error: (cpu, error) => trace({ type: 'worker-error', cpu, error: error.message }),
      outcome: (cpu, outcome) => this.jobs?.outcome(cpu, outcome),
      death: (cpu, worker, death) => this.failures.workerDied(cpu, worker, death),
      // The first workers' ports are attached once the job runtime exists (boot); later ones at once.
      started: (cpu, worker) => this.jobs?.attach(cpu, worker.jobPort),
    });
    const registry = (this.registry = new KthreadRegistry(words, this.layout, trace));
    this.race = new PlantedRace(words, options.plantedRace);
    this.kthreads = new Kthreads({
      registry,
      trace,
      startOnCpu: (cpu, request) => this.workers.call(cpu, (api) => api.createKthread(request)),
      reap: (cpu, slot) => this.reap(cpu, slot),
      createTimeoutMs: () => (this.booted ? timeoutMs : Math.max(BOOT_TIMEOUT_MS, timeoutMs)),
    });
    this.smpboot = new Smpboot({
      registry,
      kthreads: this.kthreads,
      race: this.race,
      trace,
      threadsRun: (cpu) => this.machine.passed(cpu, CPUHP_AP_SMPBOOT_THREADS) && this.workers.of(cpu).alive,
      failCpu: (cpu, why) => this.failures.failCpu(cpu, why),
    });
    this.strategy = STRATEGY_FACTORIES[options.strategy]({ words, layout: this.layout, threads: this.smpboot });
    const jobs: HotplugJobs = {
      cpuOnline: (cpu) => this.jobs.cpuOnline(cpu),
      cpuUnavailable: (cpu) => this.jobs.cpuUnavailable(cpu),
      cpuDead: (cpu) => this.jobs.cpuDead(cpu),
      workerGone: (cpu, died) => this.jobs.workerGone(cpu, died),
    };
    const forgetThreads = (cpu: number, why: string): void => {
      registry.forgetCpu(cpu, `it was lost when the worker of CPU ${cpu} died (${why})`, `worker died: ${why}`);
      this.race.forgetCpu(cpu);
    };
    this.hotplug = new CpuHotplug({ words, layout: this.layout, ncpus: cpus, timeoutMs, strategy: this.strategy, jobs, trace, forgetThreads });
    const setState = this.hotplug.setState.bind(this.hotplug);
    this.machine = new HotplugMachine(cpus, builtinStates({ timeoutMs, strategy: this.strategy, workers: this.workers, smpboot: this.smpboot, race: this.race, jobs, setState }), timeoutMs, trace);
    this.hotplug.attach(this.machine);
    this.failures = new CpuFailures({
      words,
      layout: this.layout,
      workers: this.workers,
      registry,
      hotplug: this.hotplug,
      forgetThreads,
      jobs: () => this.jobs,
      trace,
      watchdogMs: options.watchdogMs,
      onLockup: options.onLockup,
      closed: () => this.closed,
      reapSoon: () => void this.locked(async () => undefined).catch(() => undefined),
    });
    this.states = new DynamicStates({
      machine: this.machine,
      trace,
      cpuCallbackNames: () => this.exportsOf('cpu-callback'),
      runOnCpu: (cpu, name, label) => this.failures.runningCallback(cpu, label, () => this.workers.call(cpu, (api) => api.runCpuCallback(name))),
      onlineCpus: () => this.onlineCpus(),
    });
    const word = (cpu: number, offset: number): number => Atomics.load(words, cpuBase(this.layout, cpu) + offset);
    this.watchdog =
      options.watchdogMs > 0
        ? new SoftLockupWatchdog(
            {
              ncpus: cpus,
              heartbeat: (cpu) => word(cpu, CPU_HEARTBEAT),
              watched: (cpu) => mayRunBound(word(cpu, CPU_STATE)) && this.workers.of(cpu).isAwake(),
              lockup: (cpu, stuckMs) => this.failures.softLockup(cpu, stuckMs),
            },
            options.watchdogMs,
          )
        : undefined;
  }

  /** Starts the CPU workers, loads the modules in each, and brings every CPU online. */
  static async start(options: RuntimeOptions = {}): Promise<Runtime> {
    const runtime = new Runtime(resolveOptions(options));
    try {
      await runtime.boot();
    } catch (error) {
      await runtime.workers.terminate();
      if (error instanceof CpuhpError) throw error;
      // Whatever else stops a start (the OS refusing a thread, say) is still a typed error.
      throw new CpuhpError(`the runtime could not start: ${describeError(error)}; if the system is out of threads or memory, start fewer CPUs`, {
        code: 'ERR_CPUHP_START_FAILED',
        cause: error,
      });
    }
    return runtime;
  }

  private async boot(): Promise<void> {
    this.catalogue = await this.workers.boot();
    const jobNames = new Set(this.exportsOf('job'));
    this.jobs = new Workqueue({
      words: this.words,
      layout: this.layout,
      jobNames,
      maxQueue: this.options.maxQueue,
      takeBack: (cpu, ids) => this.workers.call(cpu, (api) => api.takeBackJobs([...ids])),
      trace: this.trace,
    });
    for (let cpu = 0; cpu < this.options.cpus; cpu++) this.jobs.attach(cpu, this.workers.of(cpu).jobPort);
    // With jobs to run, every CPU has a kworker from its first bring-up on.
    if (jobNames.size > 0) this.smpboot.addGroup({ fn: KWORKER_EXPORT, name: KWORKER_GROUP, data: undefined });
    for (let cpu = 0; cpu < this.options.cpus; cpu++) await this.machine.up(cpu);
    this.booted = true;
    this.watchdog?.start();
  }

  /**
   * A thread of `cpu` has exited. A plain kthread waits for kthreadStop() to collect its
   * result, as kthread_stop() does. A per-CPU thread that no stop() is waiting for is reaped
   * under the hotplug lock and replaced (Smpboot.replace).
   */
  private threadExited(cpu: number, id: number, ok: boolean, error: string | undefined): void {
    this.registry.exited(id, ok, error);
    const thread = this.registry.byId(id);
    if (thread?.group === undefined || this.closed) return;
    void this.locked(() => this.smpboot.replace(cpu, id)).catch((failure: unknown) => {
      this.trace({ type: 'percpu-replace-failed', cpu, thread: thread.name, error: describeError(failure) });
    });
  }

  /** Collects an exited thread's record from its CPU's worker, within the hotplug timeout. */
  private reap(cpu: number, slot: number): Promise<ExitRecord> {
    const timeout = this.options.hotplugTimeoutMs;
    const lost = (detail: string, cause?: unknown): KthreadError =>
      new KthreadError(`CPU ${cpu} could not hand over the exit record of slot ${slot}${detail}`, { code: 'ERR_CPUHP_RESULT_LOST', ...(cause === undefined ? {} : { cause }) });
    const record = this.workers.call<ExitRecord>(cpu, (api) => api.reap(slot)).catch((error: unknown): never => {
      throw lost(`: ${describeError(error)}`, error);
    });
    return withDeadline(record, timeout, () => lost(` within ${timeout} ms`));
  }

  /** Runs `body` under the hotplug lock, once the CPUs whose worker died are reaped. */
  private locked<T>(body: () => Promise<T>): Promise<T> {
    return this.lock.runExclusive(() => {
      this.hotplug.reapFailed();
      return body();
    });
  }

  // ---------------------------------------------------------------- CPU hotplug

  get cpuCount(): number {
    return this.options.cpus;
  }

  get strategyName(): StrategyName {
    return this.options.strategy;
  }

  /** cpu_down(): park every thread bound to `cpu` and make its worker dormant. */
  async cpuDown(cpu: number): Promise<void> {
    this.assertOpen();
    this.assertCpu('cpuDown(cpu)', cpu);
    await this.locked(() => this.hotplug.down(cpu));
  }

  /** cpu_up(): wake the worker of `cpu`, run the startup steps and unpark its threads. */
  async cpuUp(cpu: number): Promise<void> {
    this.assertOpen();
    this.assertCpu('cpuUp(cpu)', cpu);
    await this.locked(() => this.hotplug.up(cpu));
  }

  cpuState(cpu: number): CpuStateName {
    this.assertCpu('cpuState(cpu)', cpu);
    return this.hotplug.state(cpu);
  }

  onlineCpus(): number[] {
    return this.hotplug.onlineCpus();
  }

  /** Like writing a state to /sys/devices/system/cpu/cpuN/hotplug/fail: the step fails once. */
  injectFailure(cpu: number, step: string): void {
    const call = 'injectFailure(cpu, step)';
    this.assertOpen();
    this.assertCpu(call, cpu);
    knownName(call, 'step', step, this.machine.stepNames(), 'hotplug state', '');
    this.machine.injectFailure(cpu, step);
  }

  /** cpuhp_setup_state(): a named step above the built-in ones; startup runs now on online CPUs. */
  async setupState(name: string, callbacks?: StateCallbacks): Promise<void> {
    this.assertOpen();
    const step = this.states.prepare(name, () => readOptions('setupState(name, callbacks)', 'callbacks', callbacks, STATE_CALLBACK_KEYS));
    await this.locked(() => this.states.install(step));
  }

  /** cpuhp_remove_state(): teardown runs on every online CPU, then the state is gone. */
  async removeState(name: string): Promise<void> {
    this.assertOpen();
    const state = this.states.checkRemovable(name);
    await this.locked(() => this.states.remove(state));
  }

  // ---------------------------------------------------------------- kthreads

  /** kthread_create_on_cpu() + wake_up_process(): a thread bound to an online CPU, running. */
  async kthreadCreateOnCpu(cpu: number, fn: string, options?: KthreadCreateOptions): Promise<KthreadHandle> {
    const call = 'kthreadCreateOnCpu(cpu, fn, options)';
    this.assertOpen();
    this.assertCpu(call, cpu);
    this.assertThreadExport(call, fn);
    const { name, data } = readOptions(call, 'options', options, THREAD_OPTION_KEYS);
    const threadName = name === undefined ? `${fn}/${cpu}` : nonEmptyString(call, 'options.name', name, `${fn}/${cpu}`);
    return this.locked(async () => {
      if (!this.machine.isUp(cpu)) {
        throw new HotplugError(`CPU ${cpu} is ${this.cpuState(cpu)}; kthreads are created on online CPUs: bring it up first (rt.cpuUp(${cpu}))`, { code: 'ERR_CPUHP_CPU_OFFLINE', cpu });
      }
      return this.kthreads.create(cpu, fn, threadName, data, undefined, false);
    });
  }

  /** kthread_park(): resolves once the thread acknowledged PARKED. Idempotent. */
  async kthreadPark(thread: KthreadHandle): Promise<void> {
    this.assertOpen();
    this.assertNotKworker(thread, 'park');
    await this.kthreads.park(thread, this.options.hotplugTimeoutMs);
  }

  /** kthread_unpark(): the thread runs again, unless its CPU is down (then once it is up). */
  async kthreadUnpark(thread: KthreadHandle): Promise<void> {
    this.assertOpen();
    this.kthreads.unpark(thread);
  }

  /** wake_up_process(): ends the thread's kt.sleep() early. */
  wakeUpProcess(thread: KthreadHandle): void {
    this.assertOpen();
    this.kthreads.wakeUp(thread);
  }

  /** kthread_stop(): asks the thread to stop, waits for it to exit, returns its result. */
  async kthreadStop(thread: KthreadHandle): Promise<unknown> {
    this.assertOpen();
    this.assertNotKworker(thread, 'stop');
    this.registry.lookup(thread); // a stopped or foreign handle is refused before waiting for the lock
    return this.locked(async () => {
      // Read under the lock: the CPU may have gone down, or the thread exited, meanwhile.
      const info = this.registry.info(thread);
      if (!this.machine.passed(info.cpu, CPUHP_AP_SMPBOOT_THREADS)) {
        const why = info.state === 'exited' ? 'has exited, and its result is held by' : 'is parked on';
        throw new KthreadError(
          `'${info.name}' ${why} CPU ${info.cpu}, which is ${this.cpuState(info.cpu)}; a bound thread runs only on its own CPU, so bring CPU ${info.cpu} up (rt.cpuUp(${info.cpu})) and stop it then`,
          { code: 'ERR_CPUHP_CPU_OFFLINE', thread: info.name },
        );
      }
      this.smpboot.stoppingByHand(thread);
      return this.kthreads.stop(thread, this.options.hotplugTimeoutMs);
    });
  }

  kthreadInfo(thread: KthreadHandle): KthreadInfo {
    return this.registry.info(thread);
  }

  /** Threads bound to `cpu`, or all threads. */
  kthreadList(cpu?: number): KthreadHandle[] {
    if (cpu === undefined) return this.registry.all();
    this.assertCpu('kthreadList(cpu)', cpu);
    return this.registry.onCpu(cpu);
  }

  /**
   * smpboot_register_percpu_thread(): one thread per online CPU now, and one for every CPU
   * that comes up later; parked with their CPU on down, unparked on up.
   */
  async registerPerCpuThread(fn: string, options?: PerCpuThreadOptions): Promise<PerCpuThreadGroup> {
    const call = 'registerPerCpuThread(fn, options)';
    this.assertOpen();
    this.assertThreadExport(call, fn);
    const o = readOptions(call, 'options', options, THREAD_OPTION_KEYS);
    const name = o.name === undefined ? `${fn}/%u` : nonEmptyString(call, 'options.name', o.name, `${fn}/%u`);
    if (this.smpboot.hasGroup(name)) throw new ConfigError(`${call}: per-CPU threads named '${name}' are registered already; pass another name pattern`);
    assertCloneable(o.data, `data of per-CPU threads '${name}'`);
    await this.locked(async () => {
      this.smpboot.addGroup({ fn, name, data: o.data });
      // Every CPU whose threads run gets one now (a CPU a failed rollback left above
      // smpboot:threads included); the others make theirs when they come up.
      for (let cpu = 0; cpu < this.options.cpus; cpu++) {
        if (this.machine.passed(cpu, CPUHP_AP_SMPBOOT_THREADS)) await this.smpboot.createMissing(cpu, false);
      }
    });
    return { name, fn, threads: () => this.registry.inGroup(name) };
  }

  // ---------------------------------------------------------------- jobs

  /**
   * queue_work(): runs the defineJob export `name` with `args` on one online CPU, by its
   * kworker, and resolves with what the job returns. Every job runs exactly once, or not at
   * all when its promise rejects with a JobError whose `started` is false.
   */
  queueWork<J = unknown>(name: string, args?: JobArgs<J>, options?: QueueWorkOptions): Promise<JobResult<J>> {
    try {
      this.assertOpen();
      return this.jobs.submit(name, args, options) as Promise<JobResult<J>>;
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Resolves once every job submitted so far has settled and none is running. */
  drain(options?: DrainOptions): Promise<void> {
    return rejecting(async () => {
      const call = 'drain(options)';
      const { timeoutMs } = readOptions(call, 'options', options, DRAIN_OPTION_KEYS);
      return this.jobs.drain(timeoutMs === undefined ? undefined : timeoutArgument(call, 'options.timeoutMs', timeoutMs, false));
    });
  }

  // ---------------------------------------------------------------- observation

  /** Resolves true once the thread has done `atLeast` iterations, false on timeout. */
  waitForIterations(thread: KthreadHandle, atLeast: number, timeoutMs: number): Promise<boolean> {
    return rejecting(async () => {
      const call = 'waitForIterations(thread, atLeast, timeoutMs)';
      const target = wholeNumber(call, 'atLeast', atLeast, 0, MAX_WORD);
      const timeout = timeoutArgument(call, 'timeoutMs', timeoutMs, true);
      return waitForWord(this.words, this.registry.iterationsWord(thread), (v) => v >= target, timeout);
    });
  }

  /** Ticks of the worker's own interval timer: it stands still while the CPU is dormant. */
  heartbeat(cpu: number): number {
    this.assertCpu('heartbeat(cpu)', cpu);
    return Atomics.load(this.words, cpuBase(this.layout, cpu) + CPU_HEARTBEAT);
  }

  /** Resolves true once `cpu`'s worker timer has ticked `ticks` more times, false on timeout. */
  waitForHeartbeat(cpu: number, ticks: number, timeoutMs: number): Promise<boolean> {
    return rejecting(async () => {
      const call = 'waitForHeartbeat(cpu, ticks, timeoutMs)';
      this.assertCpu(call, cpu);
      const more = wholeNumber(call, 'ticks', ticks, 0, MAX_WORD);
      const timeout = timeoutArgument(call, 'timeoutMs', timeoutMs, true);
      const word = cpuBase(this.layout, cpu) + CPU_HEARTBEAT;
      const target = Atomics.load(this.words, word) + more;
      return waitForWord(this.words, word, (v) => v >= target, timeout);
    });
  }

  /** Whether `cpu`'s worker is blocked in Atomics.wait (acknowledged DORMANT). */
  isDormant(cpu: number): boolean {
    this.assertCpu('isDormant(cpu)', cpu);
    return this.workers.of(cpu).isDormant();
  }

  /** Whether `cpu` has a worker thread at all (the recreate strategy ends it on CPU down). */
  hasWorker(cpu: number): boolean {
    this.assertCpu('hasWorker(cpu)', cpu);
    return this.workers.of(cpu).alive;
  }

  stats(): RuntimeStats {
    const cpus: CpuStats[] = [];
    for (let cpu = 0; cpu < this.options.cpus; cpu++) {
      const word = (offset: number): number => Atomics.load(this.words, cpuBase(this.layout, cpu) + offset);
      cpus.push({
        cpu,
        state: this.hotplug.state(cpu),
        step: this.machine.stepOf(cpu),
        heartbeat: word(CPU_HEARTBEAT),
        dormancies: word(CPU_DORMANCIES),
        violations: word(CPU_VIOLATIONS),
        ...this.hotplug.counters[cpu]!,
        threads: this.registry.onCpu(cpu).length,
        jobs: this.jobs.cpuStats(cpu),
      });
    }
    return {
      strategy: this.options.strategy,
      cores: availableParallelism(),
      cpus,
      kthreads: this.registry.all().map((t) => this.registry.info(t)),
      latency: { cpuDown: this.hotplug.downLatency.summary(), cpuUp: this.hotplug.upLatency.summary(), park: this.kthreads.parkLatency.summary() },
      violations: cpus.reduce((sum, c) => sum + c.violations, 0),
      jobs: this.jobs.stats(),
      traceListenerErrors: this.traces.errors,
    };
  }

  // A runtime emits only 'trace' events (src/trace/events.ts); any other name, or a listener
  // that is not a function, is refused at once (traceEventName, traceListener).
  override on(event: 'trace', listener: (event: TraceEvent) => void): this;
  override on(event: string | symbol, listener: (...args: never[]) => void): this {
    return super.on(traceEventName(event, 'on'), traceListener(listener, 'on'));
  }

  override addListener(event: 'trace', listener: (event: TraceEvent) => void): this;
  override addListener(event: string | symbol, listener: (...args: never[]) => void): this {
    return super.addListener(traceEventName(event, 'addListener'), traceListener(listener, 'addListener'));
  }

  override once(event: 'trace', listener: (event: TraceEvent) => void): this;
  override once(event: string | symbol, listener: (...args: never[]) => void): this {
    return super.once(traceEventName(event, 'once'), traceListener(listener, 'once'));
  }

  override prependListener(event: 'trace', listener: (event: TraceEvent) => void): this;
  override prependListener(event: string | symbol, listener: (...args: never[]) => void): this {
    return super.prependListener(traceEventName(event, 'prependListener'), traceListener(listener, 'prependListener'));
  }

  override prependOnceListener(event: 'trace', listener: (event: TraceEvent) => void): this;
  override prependOnceListener(event: string | symbol, listener: (...args: never[]) => void): this {
    return super.prependOnceListener(traceEventName(event, 'prependOnceListener'), traceListener(listener, 'prependOnceListener'));
  }

  /**
   * Takes no new jobs and rejects every job not started yet; stops every thread on an online
   * CPU (each gets the hotplug timeout to exit: a kworker finishes its running job first),
   * then ends all workers, dormant ones included. Idempotent.
   */
  async shutdown(): Promise<void> {
    if (this.closed) return;
    this.watchdog?.stop();
    this.jobs.close();
    await this.locked(async () => {
      this.closed = true;
      const running = this.registry.all().filter((t) => this.machine.passed(t.cpu, CPUHP_AP_SMPBOOT_THREADS));
      await Promise.all(running.map((t) => this.kthreads.stop(t, this.options.hotplugTimeoutMs).catch(() => undefined)));
      await this.workers.shutdown();
      // Nothing runs any more: every CPU is offline, and no thread is left, so what the
      // runtime reports after shutdown is true.
      for (let cpu = 0; cpu < this.options.cpus; cpu++) {
        this.jobs.workerGone(cpu, undefined);
        this.registry.forgetCpu(cpu, 'the runtime was shut down');
        this.race.forgetCpu(cpu);
      }
      this.hotplug.offlineAll();
    });
  }

  // ---------------------------------------------------------------- validation

  private assertOpen(): void {
    if (this.closed) throw new CpuhpError('this runtime has been shut down; start a new one with Runtime.start()', { code: 'ERR_CPUHP_SHUT_DOWN' });
  }

  /** `call` is the public call's signature, for the message: "cpuDown(cpu)". */
  private assertCpu(call: string, cpu: unknown): asserts cpu is number {
    cpuNumber(call, 'cpu', cpu, this.options.cpus);
  }

  private exportsOf(...kinds: string[]): string[] {
    return Object.entries(this.catalogue)
      .filter(([, kind]) => kinds.includes(kind))
      .map(([name]) => name);
  }

  private assertThreadExport(call: string, fn: unknown): asserts fn is string {
    knownName(call, 'fn', fn, this.exportsOf('kthread', 'percpu'), 'kthread export', ' (define them with defineKthread or definePerCpuThread and pass the module in Runtime.start({ modules }))');
  }

  /**
   * The built-in kworkers run the job queues: parking or stopping one by hand would strand
   * the jobs handed to its CPU. They park and stop with their CPU (cpuDown), like smpboot's.
   * The registry's own record decides, not the fields of the object passed in.
   */
  private assertNotKworker(handle: KthreadHandle, what: 'park' | 'stop'): void {
    const thread = this.registry.lookup(handle);
    if (thread.fn !== KWORKER_EXPORT) return;
    throw new KthreadError(
      `'${thread.name}' runs the job queue of CPU ${thread.cpu} and cannot be ${what === 'park' ? 'parked' : 'stopped'} by hand; take the CPU down instead (rt.cpuDown(${thread.cpu})), which moves its queued jobs to other CPUs`,
      { code: 'ERR_CPUHP_KWORKER', thread: thread.name },
    );
  }
}
