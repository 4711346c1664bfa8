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

import { Mutex } from 'async-mutex';
import { ConfigError, CpuhpError, HotplugError, KthreadError } from './errors.js';
import { describeError } from './describe-value.js';
import type { TraceEvent } from './trace/events.js';
import { KWORKER_EXPORT, type ModuleCatalogue } from './protocol/control-plane.js';
import type { CpuStateName } from './protocol/cpu-state.js';
import { createSharedMemory, cpuBase, layoutFor, type Layout, CPU_HEARTBEAT } from './protocol/layout.js';
import { waitForWord } from './protocol/wait.js';
import { TraceEmitter } from './trace/emitter.js';
import { TraceRecorder, type RecordTraceOptions, type TraceRecording } from './trace/recorder.js';
import { assembleRooms, type Rooms } from './assemble.js';
import { KeepAlive } from './controller/keep-alive.js';
import { allKeys, cpuNumber, knownName, MAX_WORD, nonEmptyString, readOptions, rejecting, timeoutMs as timeoutArgument, wholeNumber, writableFile } from './controller/arguments.js';
import { resolveOptions, type ResolvedOptions, type RuntimeOptions } from './controller/options.js';
import { warnIfCpusShareCores } from './controller/priority.js';
import { Workqueue } from './jobs/workqueue.js';
import type { QueueWorkOptions } from './jobs/job.js';
import { makeJobHandle, type JobHandle, type JobNames, type JobParams, type JobResult } from './jobs/handle.js';
import type { JobDefinition } from './kthread/define.js';
import { assertCloneable } from './kthread/kthread.js';
import type { KthreadHandle, KthreadInfo } from './kthread/registry.js';
import type { StateCallbacks } from './hotplug/dynamic-states.js';
import { CPUHP_AP_SMPBOOT_THREADS } from './hotplug/states.js';
import type { StrategyName } from './hotplug/strategies/index.js';
import { collectStats } from './runtime-stats.js';
import { startDashboard } from './dashboard/server.js';
import type { Dashboard, DashboardOptions } from './dashboard/types.js';
import type { DrainOptions, KthreadCreateOptions, PerCpuThreadGroup, PerCpuThreadOptions, RuntimeStats } from './runtime-types.js';

export type { CpuStats, CpuUtilization, DrainOptions, KthreadCreateOptions, PerCpuThreadGroup, PerCpuThreadOptions, RuntimeStats, StateCallback, StateCallbacks } from './runtime-types.js';

/** The per-CPU thread group of the built-in kworkers, which run the jobs. */
const KWORKER_GROUP = 'kworker/%u';

// Every key of each options type: any other key is refused, so a typo cannot pass unnoticed.
const THREAD_OPTION_KEYS = allKeys<KthreadCreateOptions & PerCpuThreadOptions>()(['name', 'data']);
const STATE_CALLBACK_KEYS = allKeys<StateCallbacks>()(['startup', 'teardown']);
const DRAIN_OPTION_KEYS = allKeys<DrainOptions>()(['timeoutMs']);
const RECORD_OPTION_KEYS = allKeys<RecordTraceOptions>()(['path']);

export class Runtime extends TraceEmitter implements AsyncDisposable {
  private readonly lock = new Mutex();
  /** Holds the process open while work is in flight (keep-alive.ts says what that is). */
  private readonly keepAlive = new KeepAlive();
  /** The drain() that holds the process while failed jobs still run (holdWhileJobsRun). */
  private jobsRunning: Promise<void> | undefined;
  private readonly words: Int32Array;
  private readonly layout: Layout;
  private readonly trace = this.traces.emit;
  /** The rooms this facade delegates to (assemble.ts). */
  private readonly rooms: Rooms;
  private catalogue: ModuleCatalogue = {};
  private workqueue!: Workqueue; // made in boot(), once the modules' job exports are known
  private jobHandle: object | undefined;
  private closed = false;
  /** Runtime.start has brought every CPU up: threads made before then get the boot bound. */
  private booted = false;
  /** The dashboards this runtime serves: shutdown() closes them. */
  private readonly dashboards = new Set<Dashboard>();

  private constructor(private readonly options: ResolvedOptions) {
    super();
    this.layout = layoutFor(options.cpus, options.maxKthreads, options.jobSlots);
    this.words = createSharedMemory(this.layout, options.strategy);
    this.rooms = assembleRooms(this.words, this.layout, options, {
      trace: this.trace,
      jobs: () => this.workqueue,
      locked: (body) => this.locked(body),
      closed: () => this.closed,
      booted: () => this.booted,
      exportsOf: (kind) => this.exportsOf(kind),
    });
  }

  /** Starts the CPU workers, loads the modules in each, and brings every CPU online. */
  static async start(options: RuntimeOptions = {}): Promise<Runtime> {
    const resolved = resolveOptions(options);
    warnIfCpusShareCores(resolved.cpus);
    const runtime = new Runtime(resolved);
    try {
      await runtime.keepAlive.during(() => runtime.boot());
    } catch (error) {
      // Held until the workers are gone, or the process could end before start() rejects.
      await runtime.keepAlive.hold(runtime.rooms.workers.terminate());
      runtime.keepAlive.close();
      runtime.rooms.priority.restore();
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
    this.catalogue = await this.rooms.workers.boot();
    const jobNames = new Set(this.exportsOf('job'));
    this.workqueue = new Workqueue({
      words: this.words,
      layout: this.layout,
      jobNames,
      maxQueue: this.options.maxQueue,
      takeBack: (cpu, ids) => this.rooms.workers.takeBackJobs(cpu, ids),
      trace: this.trace,
      backpressure: this.traces.backpressure,
    });
    for (let cpu = 0; cpu < this.options.cpus; cpu++) this.workqueue.attach(cpu, this.rooms.workers.of(cpu).jobPort);
    // With jobs to run, every CPU has a kworker from its first bring-up on.
    if (jobNames.size > 0) this.rooms.smpboot.addGroup({ fn: KWORKER_EXPORT, name: KWORKER_GROUP, data: undefined });
    // Parallel bring-up (the kernel's cpuhp.parallel, 2023): every CPU climbs the table at
    // once. Each CPU's position in the state machine is its own, and nothing else can run
    // a hotplug operation before start() returns, so the CPUs cannot meet in a step.
    const ups = await Promise.allSettled(Array.from({ length: this.options.cpus }, (_, cpu) => this.rooms.machine.up(cpu)));
    const failed = ups.find((up): up is PromiseRejectedResult => up.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
    this.booted = true;
    this.rooms.watchdog?.start();
  }

  /** Runs `body` under the hotplug lock, once the CPUs whose worker died are reaped. */
  private locked<T>(body: () => Promise<T>): Promise<T> {
    // Held from the call on, while it waits for the lock too: it is work in flight.
    return this.keepAlive.hold(
      this.lock.runExclusive(() => {
        this.rooms.hotplug.reapFailed();
        return body();
      }),
    );
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
    await this.locked(() => this.rooms.hotplug.down(cpu));
  }

  /** cpu_up(): wake the worker of `cpu`, run the startup steps and unpark its threads. */
  async cpuUp(cpu: number): Promise<void> {
    this.assertOpen();
    this.assertCpu('cpuUp(cpu)', cpu);
    this.rooms.workers.prestart(cpu);
    await this.locked(() => this.rooms.hotplug.up(cpu));
  }

  cpuState(cpu: number): CpuStateName {
    this.assertCpu('cpuState(cpu)', cpu);
    return this.rooms.hotplug.state(cpu);
  }

  onlineCpus(): number[] {
    return this.rooms.hotplug.onlineCpus();
  }

  /** Like writing a state to /sys/devices/system/cpu/cpuN/hotplug/fail: the step fails once. */
  injectFailure(cpu: number, step: string): void {
    const call = 'injectFailure(cpu, step)';
    this.assertOpen();
    this.assertCpu(call, cpu);
    knownName(call, 'step', step, this.rooms.machine.stepNames(), 'hotplug state', '');
    this.rooms.machine.injectFailure(cpu, step);
  }

  /** cpuhp_setup_state(): a named step above the built-in ones; startup runs now on online CPUs. */
  async setupState(name: string, callbacks?: StateCallbacks): Promise<void> {
    this.assertOpen();
    const step = this.rooms.states.prepare(name, () => readOptions('setupState(name, callbacks)', 'callbacks', callbacks, STATE_CALLBACK_KEYS));
    await this.locked(() => this.rooms.states.install(step));
  }

  /** cpuhp_remove_state(): teardown runs on every online CPU, then the state is gone. */
  async removeState(name: string): Promise<void> {
    this.assertOpen();
    const state = this.rooms.states.checkRemovable(name);
    await this.locked(() => this.rooms.states.remove(state));
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
      if (!this.rooms.machine.isUp(cpu)) {
        throw new HotplugError(`CPU ${cpu} is ${this.cpuState(cpu)}; kthreads are created on online CPUs: bring it up first (rt.cpuUp(${cpu}))`, { code: 'ERR_CPUHP_CPU_OFFLINE', cpu });
      }
      return this.rooms.kthreads.create(cpu, fn, threadName, data, undefined, false);
    });
  }

  /** kthread_park(): resolves once the thread acknowledged PARKED. Idempotent. */
  async kthreadPark(thread: KthreadHandle): Promise<void> {
    this.assertOpen();
    this.rooms.kthreads.refuseKworker(thread, 'park');
    await this.keepAlive.hold(this.rooms.kthreads.park(thread, this.options.hotplugTimeoutMs));
  }

  /** kthread_unpark(): the thread runs again, unless its CPU is down (then once it is up). */
  async kthreadUnpark(thread: KthreadHandle): Promise<void> {
    this.assertOpen();
    this.rooms.kthreads.unpark(thread);
  }

  /** wake_up_process(): ends the thread's kt.sleep() early. */
  wakeUpProcess(thread: KthreadHandle): void {
    this.assertOpen();
    this.rooms.kthreads.wakeUp(thread);
  }

  /** kthread_stop(): asks the thread to stop, waits for it to exit, returns its result. */
  async kthreadStop(thread: KthreadHandle): Promise<unknown> {
    this.assertOpen();
    this.rooms.kthreads.refuseKworker(thread, 'stop');
    this.rooms.registry.lookup(thread); // a stopped or foreign handle is refused before waiting for the lock
    return this.locked(async () => {
      // Read under the lock: the CPU may have gone down, or the thread exited, meanwhile.
      const info = this.rooms.registry.info(thread);
      if (!this.rooms.machine.passed(info.cpu, CPUHP_AP_SMPBOOT_THREADS)) {
        const why = info.state === 'exited' ? 'has exited, and its result is held by' : 'is parked on';
        throw new KthreadError(
          `'${info.name}' ${why} CPU ${info.cpu}, which is ${this.cpuState(info.cpu)}; a bound thread runs only on its own CPU, so bring CPU ${info.cpu} up (rt.cpuUp(${info.cpu})) and stop it then`,
          { code: 'ERR_CPUHP_CPU_OFFLINE', thread: info.name },
        );
      }
      this.rooms.smpboot.stoppingByHand(thread);
      return this.rooms.kthreads.stop(thread, this.options.hotplugTimeoutMs);
    });
  }

  kthreadInfo(thread: KthreadHandle): KthreadInfo {
    return this.rooms.registry.info(thread);
  }

  /** Threads bound to `cpu`, or all threads. */
  kthreadList(cpu?: number): KthreadHandle[] {
    if (cpu === undefined) return this.rooms.registry.all();
    this.assertCpu('kthreadList(cpu)', cpu);
    return this.rooms.registry.onCpu(cpu);
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
    if (this.rooms.smpboot.hasGroup(name)) throw new ConfigError(`${call}: per-CPU threads named '${name}' are registered already; pass another name pattern`);
    assertCloneable(o.data, `data of per-CPU threads '${name}'`);
    await this.locked(() => this.rooms.smpboot.register({ fn, name, data: o.data }, this.cpusRunningThreads()));
    return { name, fn, threads: () => this.rooms.registry.inGroup(name) };
  }

  // ---------------------------------------------------------------- jobs

  /**
   * queue_work(): runs the defineJob export `name` with `args` on one online CPU, by its
   * kworker, and resolves with what the job returns. Every job runs exactly once, or not at
   * all when its promise rejects with a JobError whose `started` is false.
   *
   * Typed by the job module, the name, the arguments and the result are checked:
   * `rt.queueWork<typeof import('./jobs.js'), 'resize'>('resize', args)`; rt.jobs() does the
   * same with less to write.
   */
  queueWork<M extends object, N extends JobNames<M>>(name: N, ...params: JobParams<M[N]>): Promise<JobResult<M[N]>>;
  queueWork(name: string, args?: unknown, options?: QueueWorkOptions): Promise<unknown>;
  /**
   * @deprecated Typed by one job's definition, the arguments and the result are checked but
   * the name is not: `queueWork<typeof resize>('crop', ...)` compiles. Type it by the job
   * module (`queueWork<typeof import('./jobs.js'), 'resize'>`) or use rt.jobs().
   */
  queueWork<J extends JobDefinition<unknown, unknown>>(name: string, ...params: JobParams<J>): Promise<JobResult<J>>;
  queueWork(name: string, args?: unknown, options?: unknown): Promise<unknown> {
    try {
      this.assertOpen();
      const job = this.workqueue.submit(name, args, options);
      return this.keepAlive.hold(
        job.catch((error: unknown) => {
          this.holdWhileJobsRun();
          throw error;
        }),
      );
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * A typed handle on the jobs of a module: `const jobs = rt.jobs<typeof import('./jobs.js')>()`
   * has one method per defineJob export, `jobs.resize(args, options?)`, which is
   * `rt.queueWork('resize', args, options)` with the name, the arguments and the result
   * checked by the compiler. A name the runtime did not load is refused with a ConfigError
   * when it is read. The same handle object serves every call.
   */
  jobs<M extends object = Record<string, JobDefinition>>(): JobHandle<M> {
    this.jobHandle ??= makeJobHandle(new Set(this.exportsOf('job')), (name, args, options) => this.queueWork(name, args, options as QueueWorkOptions));
    return this.jobHandle as JobHandle<M>;
  }

  /**
   * piscina's needsDrain: true once the jobs waiting in the runtime's queues reach what the
   * CPUs can take at once, so a job queued now would wait; 'needsDrain' is emitted then, and
   * 'drain' once the queues have emptied again. A producer that waits for 'drain' while this
   * is true never meets a 'queue-full' refusal.
   */
  get needsDrain(): boolean {
    return this.workqueue.needsDrain;
  }

  /** Resolves once every job submitted so far has settled and none is running. */
  drain(options?: DrainOptions): Promise<void> {
    return this.held(async () => {
      const call = 'drain(options)';
      const { timeoutMs } = readOptions(call, 'options', options, DRAIN_OPTION_KEYS);
      return this.workqueue.drain(timeoutMs === undefined ? undefined : timeoutArgument(call, 'options.timeoutMs', timeoutMs, false));
    });
  }

  // ---------------------------------------------------------------- observation

  /** Resolves true once the thread has done `atLeast` iterations, false on timeout. */
  waitForIterations(thread: KthreadHandle, atLeast: number, timeoutMs: number): Promise<boolean> {
    return this.held(async () => {
      const call = 'waitForIterations(thread, atLeast, timeoutMs)';
      const target = wholeNumber(call, 'atLeast', atLeast, 0, MAX_WORD);
      const timeout = timeoutArgument(call, 'timeoutMs', timeoutMs, true);
      return waitForWord(this.words, this.rooms.registry.iterationsWord(thread), (v) => v >= target, timeout);
    });
  }

  /** Ticks of the worker's own interval timer: it stands still while the CPU is dormant. */
  heartbeat(cpu: number): number {
    this.assertCpu('heartbeat(cpu)', cpu);
    return Atomics.load(this.words, cpuBase(this.layout, cpu) + CPU_HEARTBEAT);
  }

  /** Resolves true once `cpu`'s worker timer has ticked `ticks` more times, false on timeout. */
  waitForHeartbeat(cpu: number, ticks: number, timeoutMs: number): Promise<boolean> {
    return this.held(async () => {
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
    return this.rooms.workers.of(cpu).isDormant();
  }

  /** Whether `cpu` has a worker thread at all (the recreate strategy ends it on CPU down). */
  hasWorker(cpu: number): boolean {
    this.assertCpu('hasWorker(cpu)', cpu);
    return this.rooms.workers.of(cpu).alive;
  }

  /**
   * Records the runtime's timeline from now until the handle's stop(), which resolves with it
   * as Chrome Trace Event JSON (ui.perfetto.dev, chrome://tracing) and writes it to
   * `options.path` if given. Events are kept in memory meanwhile.
   */
  recordTrace(options?: RecordTraceOptions): TraceRecording {
    const call = 'recordTrace(options)';
    this.assertOpen();
    const { path } = readOptions(call, 'options', options, RECORD_OPTION_KEYS);
    const file = path === undefined ? undefined : writableFile(call, 'options.path', path);
    const host = {
      cpus: this.options.cpus,
      states: () => Array.from({ length: this.options.cpus }, (_, cpu) => this.rooms.hotplug.state(cpu)),
      now: () => this.traces.now(),
      listen: (listener: (event: TraceEvent) => void) => this.on('trace', listener),
      unlisten: (listener: (event: TraceEvent) => void) => this.off('trace', listener),
    };
    return new TraceRecorder(host, file);
  }

  /**
   * Serves a live page of this runtime, its /metrics and its controls over HTTP (src/dashboard/
   * says how; docs/dashboard.md how to use it). Binds 127.0.0.1 on any free port unless told
   * otherwise; controls need the token (given, or random). Never holds the process open.
   */
  async serveDashboard(options?: DashboardOptions): Promise<Dashboard> {
    this.assertOpen();
    const dashboard = await startDashboard(
      { rt: this, steps: () => this.rooms.machine.stepNames(), now: () => this.traces.now(), forget: (d) => this.dashboards.delete(d) },
      options,
    );
    if (this.closed) {
      // shutdown() began while it started listening: it is closed as shutdown() would have.
      await dashboard.shutdown();
      this.assertOpen();
    }
    this.dashboards.add(dashboard);
    return dashboard;
  }

  stats(): RuntimeStats {
    return collectStats(this.words, this.layout, this.options, this.rooms, this.workqueue, this.traces.errors);
  }

  /**
   * Takes no new jobs and rejects every job not started yet; stops every thread on an online
   * CPU (each gets the hotplug timeout to exit: a kworker finishes its running job first),
   * then ends all workers, dormant ones included. Idempotent.
   */
  async shutdown(): Promise<void> {
    if (this.closed) return;
    this.rooms.watchdog?.stop();
    this.workqueue.close();
    await this.locked(async () => {
      this.closed = true;
      const cpus = this.cpusRunningThreads();
      const running = this.rooms.registry.all().filter((t) => cpus.includes(t.cpu));
      await Promise.all(running.map((t) => this.rooms.kthreads.stop(t, this.options.hotplugTimeoutMs).catch(() => undefined)));
      await this.rooms.workers.shutdown();
      // Nothing runs any more: every CPU is offline, and no thread is left, so what the
      // runtime reports after shutdown is true.
      for (let cpu = 0; cpu < this.options.cpus; cpu++) {
        this.workqueue.workerGone(cpu, undefined);
        this.rooms.registry.forgetCpu(cpu, 'the runtime was shut down');
        this.rooms.race.forgetCpu(cpu);
      }
      this.rooms.hotplug.offlineAll();
      this.rooms.priority.restore();
      this.keepAlive.close();
    });
    // Last, so each page's final snapshot shows the runtime as shutdown left it.
    await Promise.all([...this.dashboards].map((d) => d.shutdown()));
    this.dashboards.clear();
  }

  /**
   * `await using rt = await Runtime.start(...)`: shutdown() at the end of the scope. (Node
   * defines Symbol.asyncDispose from 20.4 on, as Symbol.for('nodejs.asyncDispose').)
   */
  [Symbol.asyncDispose](): Promise<void> {
    return this.shutdown();
  }

  // ---------------------------------------------------------------- the process

  /**
   * Like a timer's or a worker's ref(): the runtime holds the process open even when it has
   * no work in flight, until shutdown(). Returns the runtime.
   */
  ref(): this {
    this.keepAlive.setMode('ref');
    return this;
  }

  /**
   * Like a timer's or a worker's unref(): the runtime never holds the process open, even with
   * work in flight (a call or job still pending when the process exits never settles).
   * Returns the runtime. By default, neither: the runtime holds the process open only while
   * work is in flight (docs/lifecycle.md says what counts).
   */
  unref(): this {
    this.keepAlive.setMode('unref');
    return this;
  }

  /** Like Node's hasRef(): whether the runtime holds the process open now. */
  hasRef(): boolean {
    return this.keepAlive.holding;
  }

  /**
   * A job that failed may still run: one aborted, timed out or shut down while running is
   * settled at once, but its kworker finishes it. It is still work in flight, so the process
   * is held until no job runs (one drain() at a time, however many jobs failed).
   */
  private holdWhileJobsRun(): void {
    if (this.jobsRunning !== undefined) return;
    const idle = this.workqueue.drain();
    this.jobsRunning = idle;
    void this.keepAlive.hold(idle).then(() => {
      this.jobsRunning = undefined;
    });
  }

  /** A call whose promise holds the process open while pending; argument errors reject it. */
  private held<T>(body: () => Promise<T>): Promise<T> {
    return this.keepAlive.hold(rejecting(body));
  }

  // ---------------------------------------------------------------- validation

  private assertOpen(): void {
    if (this.closed) throw new CpuhpError('this runtime has been shut down; start a new one with Runtime.start()', { code: 'ERR_CPUHP_SHUT_DOWN' });
  }

  /** `call` is the public call's signature, for the message: "cpuDown(cpu)". */
  private assertCpu(call: string, cpu: unknown): asserts cpu is number {
    cpuNumber(call, 'cpu', cpu, this.options.cpus);
  }

  /**
   * The CPUs whose threads run: those above smpboot:threads, online or left part-way there
   * by a failed rollback.
   */
  private cpusRunningThreads(): number[] {
    return [...Array(this.options.cpus).keys()].filter((cpu) => this.rooms.machine.passed(cpu, CPUHP_AP_SMPBOOT_THREADS));
  }

  private exportsOf(...kinds: string[]): string[] {
    return Object.entries(this.catalogue)
      .filter(([, kind]) => kinds.includes(kind))
      .map(([name]) => name);
  }

  private assertThreadExport(call: string, fn: unknown): asserts fn is string {
    knownName(call, 'fn', fn, this.exportsOf('kthread', 'percpu'), 'kthread export', ' (define them with defineKthread or definePerCpuThread and pass the module in Runtime.start({ modules }))');
  }

}
