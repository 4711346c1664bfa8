/**
 * The public controller: a runtime of CPU workers, the hotplug operations on them, and the
 * kthread operations on the threads bound to them. Hotplug operations, kthread creation
 * and stop, and state registration are serialised by one hotplug lock (async-mutex), like
 * the kernel's cpu_hotplug_lock; park, unpark and wake-up are single atomic writes to the
 * thread's word and need no lock.
 */

import { EventEmitter } from 'node:events';
import { availableParallelism } from 'node:os';
import { Mutex } from 'async-mutex';
import { ConfigError, CpuhpError, HotplugError, KthreadError } from './errors.js';
import { KWORKER_EXPORT, type CpuWorkerEvent, type ExitRecord, type ModuleCatalogue } from './protocol/control-plane.js';
import { createSharedMemory, cpuBase, layoutFor, type Layout, CPU_CURRENT, CPU_DORMANCIES, CPU_HEARTBEAT, CPU_READERS, CPU_READ_HELD, CPU_STATE, CPU_VIOLATIONS } from './protocol/layout.js';
import { dropDeadReaders } from './protocol/hotplug-lock.js';
import { CpuState, cpuStateName, mayRunBound, type CpuStateName, type CpuStateValue } from './protocol/cpu-state.js';
import { TraceDelivery } from './trace/delivery.js';
import type { TraceEvent } from './trace/events.js';
import { describeError } from './describe-value.js';
import { SoftLockupWatchdog } from './controller/watchdog.js';
import { waitForWord } from './protocol/wait.js';
import { CpuWorker, type WorkerDeath } from './controller/cpu-worker.js';
import { Workqueue, type CpuJobStats, type JobStats } from './jobs/workqueue.js';
import type { QueueWorkOptions } from './jobs/job.js';
import type { JobDefinition } from './kthread/define.js';
import { withDeadline } from './controller/deadline.js';
import { allKeys, cpuNumber, describeValue, knownName, MAX_WORD, nonEmptyString, readOptions, rejecting, timeoutMs as timeoutArgument, wholeNumber } from './controller/arguments.js';
import { HotplugMachine, type HotplugCallback, type HotplugStep } from './hotplug/machine.js';
import { CPUHP_AP_DYING, CPUHP_AP_SMPBOOT_THREADS, CPUHP_BRINGUP_CPU, isBuiltinState, RESERVED_STATE_PREFIXES } from './hotplug/states.js';
import { KthreadRegistry, type KthreadHandle, type KthreadInfo } from './controller/kthreads.js';
import { Latency, type LatencySummary } from './controller/latency.js';
import { resolveOptions, type ResolvedOptions, type RuntimeOptions } from './controller/options.js';
import { STRATEGY_FACTORIES, type HotplugDirection, type Strategy, type StrategyName } from './hotplug/strategies/index.js';

export interface KthreadCreateOptions {
  /** Thread name, as in `ps`; default `<fn>/<cpu>`. */
  readonly name?: string;
  /** Initial `kt.data`, sent by structured clone. */
  readonly data?: unknown;
}

export interface PerCpuThreadOptions {
  /** Name pattern; `%u` becomes the CPU number. Default `<fn>/%u`. */
  readonly name?: string;
  /** Initial `kt.data` of each thread, sent by structured clone. */
  readonly data?: unknown;
}

export interface PerCpuThreadGroup {
  readonly name: string;
  readonly fn: string;
  /** The group's threads, one per CPU that has been online since registration. */
  threads(): KthreadHandle[];
}

/**
 * A state callback: a function runs on the controller (like the kernel's BP states), a
 * string names a `defineCpuCallback` export that runs on the CPU itself (an AP state).
 */
export type StateCallback = HotplugCallback | string;

export interface StateCallbacks {
  readonly startup?: StateCallback;
  readonly teardown?: StateCallback;
}

export interface CpuStats {
  readonly cpu: number;
  readonly state: CpuStateName;
  /** The last hotplug step whose startup has run. */
  readonly step: string;
  readonly heartbeat: number;
  readonly dormancies: number;
  readonly violations: number;
  readonly ups: number;
  readonly downs: number;
  readonly rollbacks: number;
  /** Times the CPU's worker died (an uncaught error, process.exit, out of memory, failed by the watchdog). */
  readonly failures: number;
  /** Soft lockups the watchdog found on the CPU (its heartbeat stood still for watchdogMs). */
  readonly lockups: number;
  readonly threads: number;
  readonly jobs: CpuJobStats;
}

export interface RuntimeStats {
  readonly strategy: StrategyName;
  readonly cores: number;
  readonly cpus: readonly CpuStats[];
  readonly kthreads: readonly KthreadInfo[];
  readonly latency: { readonly cpuDown: LatencySummary; readonly cpuUp: LatencySummary; readonly park: LatencySummary };
  /** Invariant violations counted by the workers: must be 0. */
  readonly violations: number;
  readonly jobs: JobStats;
  /** Errors thrown by 'trace' listeners: caught, reported once per listener as a process warning. */
  readonly traceListenerErrors: number;
}


interface CpuCounters {
  ups: number;
  downs: number;
  rollbacks: number;
  failures: number;
  lockups: number;
}

const BOOT_TIMEOUT_MS = 30_000;
/** A per-CPU thread that crashes this often within the window fails its CPU instead of being replaced again. */
const CRASH_LOOP_LIMIT = 5;
const CRASH_LOOP_WINDOW_MS = 10_000;
/** The per-CPU thread group of the built-in kworkers, which run the jobs. */
const KWORKER_GROUP = 'kworker/%u';

export interface DrainOptions {
  /** Reject after this many ms, saying what is still outstanding; Infinity (or none) waits as long as it takes. */
  readonly timeoutMs?: number;
}

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
  private readonly workers: CpuWorker[] = [];
  private readonly kthreads: KthreadRegistry;
  private readonly machine: HotplugMachine;
  private readonly strategy: Strategy;
  private readonly groups = new Map<string, { fn: string; name: string; data: unknown }>();
  private readonly counters: CpuCounters[];
  private readonly downLatency = new Latency();
  private readonly upLatency = new Latency();
  private catalogue: ModuleCatalogue = {};
  private jobs!: Workqueue; // made in boot(), once the modules' job exports are known
  /** Why each CPU's worker died, until the hotplug lock has reaped the CPU (reapFailedCpus). */
  private readonly dying = new Map<number, string>();
  private closed = false;
  /** Runtime.start has brought every CPU up (see spawn). */
  private booted = false;
  /** Per-CPU threads stopped by kthreadStop() or shutdown(): not replaced when they exit. */
  private readonly stoppedByHand = new WeakSet<KthreadHandle>();
  /** Recent crashes of each per-CPU thread group on each CPU, to stop a crash loop. */
  private readonly crashes = new Map<string, number[]>();
  /** The on-CPU hotplug callback each CPU is running, for the watchdog to name. */
  private readonly cpuCallbacks = new Map<number, string>();
  private readonly watchdog: SoftLockupWatchdog | undefined;
  private readonly traces = new TraceDelivery(this);
  private readonly emitTrace = this.traces.emit;

  private constructor(private readonly options: ResolvedOptions) {
    super();
    this.layout = layoutFor(options.cpus, options.maxKthreads, options.jobSlots);
    this.words = createSharedMemory(this.layout, options.strategy);
    this.kthreads = new KthreadRegistry(this.words, this.layout, (e) => this.emitTrace(e));
    this.kthreads.plantedRace = options.plantedRace;
    this.strategy = STRATEGY_FACTORIES[options.strategy]({ words: this.words, layout: this.layout, threads: this.kthreads, reap: (cpu, slot) => this.reap(cpu, slot) });
    this.counters = Array.from({ length: options.cpus }, () => ({ ups: 0, downs: 0, rollbacks: 0, failures: 0, lockups: 0 }));
    this.machine = new HotplugMachine(options.cpus, this.builtinSteps(), options.hotplugTimeoutMs, (e) => this.emitTrace(e));
    this.watchdog =
      options.watchdogMs > 0
        ? new SoftLockupWatchdog(
            {
              ncpus: options.cpus,
              heartbeat: (cpu) => Atomics.load(this.words, cpuBase(this.layout, cpu) + CPU_HEARTBEAT),
              watched: (cpu) => mayRunBound(Atomics.load(this.words, cpuBase(this.layout, cpu) + CPU_STATE)) && this.workers[cpu]!.isAwake(),
              lockup: (cpu, stuckMs) => this.softLockup(cpu, stuckMs),
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
      await Promise.all(runtime.workers.map((w) => w.terminate()));
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
    const { cpus } = this.options;
    for (let cpu = 0; cpu < cpus; cpu++) this.workers.push(this.newWorker(cpu));
    const catalogues = await Promise.all(this.workers.map((worker, cpu) => this.loadedCatalogue(worker, cpu)));
    this.catalogue = catalogues[0] ?? {};
    const jobNames = new Set(Object.keys(this.catalogue).filter((name) => this.catalogue[name] === 'job'));
    this.jobs = new Workqueue({
      words: this.words,
      layout: this.layout,
      jobNames,
      maxQueue: this.options.maxQueue,
      takeBack: (cpu, ids) => this.onCpu(cpu, (api) => api.takeBackJobs([...ids])),
      trace: (event) => this.emitTrace(event),
    });
    this.workers.forEach((worker, cpu) => this.jobs.attach(cpu, worker.jobPort));
    // With jobs to run, every CPU has a kworker from its first bring-up on.
    if (jobNames.size > 0) this.groups.set(KWORKER_GROUP, { fn: KWORKER_EXPORT, name: KWORKER_GROUP, data: undefined });
    for (let cpu = 0; cpu < cpus; cpu++) await this.machine.up(cpu);
    this.booted = true;
    this.watchdog?.start();
  }

  private newWorker(cpu: number): CpuWorker {
    const worker: CpuWorker = new CpuWorker({
      cpu,
      words: this.words,
      layout: this.layout,
      modules: this.options.modules,
      resourceLimits: this.options.resourceLimits,
      onEvent: (event) => this.threadExited(cpu, event),
      onError: (error) => this.emitTrace({ type: 'worker-error', cpu, error: error.message }),
      onOutcome: (outcome) => this.jobs?.outcome(cpu, outcome),
      onDeath: (death) => this.workerDied(cpu, worker, death),
    });
    // The first workers are attached once the job runtime exists (boot); later ones at once.
    this.jobs?.attach(cpu, worker.jobPort);
    return worker;
  }

  /**
   * A CPU's worker died. What lives in shared memory and in the controller's job queues is
   * settled at once: the job it was running is rejected, its other jobs move, its threads
   * are gone, its readers are dropped, and the CPU is FAILED. The state machine is reset
   * under the hotplug lock (reapFailedCpus), after any operation that holds it now.
   */
  private workerDied(cpu: number, worker: CpuWorker, death: WorkerDeath): void {
    if (this.workers[cpu] !== worker || this.closed || this.jobs === undefined) return; // a death while booting fails the start
    const why = death.error !== undefined ? `${death.error.name}: ${death.error.message}` : `it exited with code ${death.code}`;
    const base = cpuBase(this.layout, cpu);
    dropDeadReaders(this.words, base + CPU_READ_HELD, base + CPU_READERS);
    this.jobs.workerGone(cpu, why, death.error?.name === 'SoftLockup' ? 'soft-lockup' : 'worker-died');
    this.kthreads.workerDied(cpu, why);
    this.dying.set(cpu, why);
    this.setState(cpu, CpuState.FAILED);
    this.counters[cpu]!.failures++;
    this.emitTrace({ type: 'cpu-failed', cpu, error: why });
    void this.locked(async () => undefined).catch(() => undefined);
  }

  /**
   * Fails a CPU whose worker cannot go on (it is stuck, or cannot keep its per-CPU threads):
   * the worker is terminated, and its end is handled as a death (workerDied) with `why`.
   */
  private failCpu(cpu: number, why: string, kind: 'SoftLockup' | 'CpuKilled' = 'CpuKilled'): void {
    this.workers[cpu]?.kill(why, kind);
  }

  /**
   * The watchdog found `cpu` stuck: its worker has run no event-loop turn for `stuckMs`.
   * Traced and counted; then, with onLockup 'fail', the CPU is failed like a worker that
   * died (the running job rejects with reason 'soft-lockup', the jobs handed to it move,
   * its threads' handles say why), and cpuUp starts a fresh worker. With 'warn', a process
   * warning says so and the CPU is left as it is.
   */
  private softLockup(cpu: number, stuckMs: number): void {
    if (this.closed) return;
    const culprit = this.lockupCulprit(cpu);
    const action = this.options.onLockup;
    this.counters[cpu]!.lockups++;
    const what = `soft lockup: CPU ${cpu} stuck for ${Math.round(stuckMs)} ms (watchdogMs ${this.options.watchdogMs}) running ${culprit}`;
    this.emitTrace({ type: 'soft-lockup', cpu, stuckMs: Math.round(stuckMs), culprit, action });
    if (action === 'fail') {
      this.failCpu(cpu, what, 'SoftLockup');
      return;
    }
    const warning = new Error(`${what}; onLockup is 'warn', so the CPU is left as it is: it runs nothing else until that code returns`);
    warning.name = 'CpuhpWarning';
    process.emitWarning(warning);
  }

  /** What a stuck CPU was running, as well as the controller can tell from outside. */
  private lockupCulprit(cpu: number): string {
    const callback = this.cpuCallbacks.get(cpu);
    if (callback !== undefined) return callback;
    const job = this.jobs.runningOn(cpu);
    if (job !== undefined) return `job '${job.name}' (id ${job.id}${job.settled ? ', aborted or timed out already' : ''})`;
    const current = this.words[cpuBase(this.layout, cpu) + CPU_CURRENT]!;
    const unit = current === 0 ? undefined : this.kthreads.byId(current);
    if (unit !== undefined) return `a run() of per-CPU thread '${unit.name}'`;
    const running = this.kthreads
      .onCpu(cpu)
      .map((handle) => this.kthreads.info(handle))
      .filter((info) => info.state === 'running' || info.state === 'parking' || info.state === 'stopping');
    if (running.length === 0) return 'code outside any thread or job (a module, or a timer it set)';
    return `one of its threads: ${running.map((info) => `'${info.name}'`).join(', ')}`;
  }

  /**
   * A thread of `cpu` has exited. A plain kthread waits for kthreadStop() to collect its
   * result, as kthread_stop() does. A per-CPU thread that no stop() is waiting for ended on
   * its own (a hook threw) or after a stop that timed out (a CPU down that rolled back): it
   * is reaped under the hotplug lock and, while its CPU's threads run, replaced, because an
   * online CPU always has every per-CPU thread (replacePerCpuThread).
   */
  private threadExited(cpu: number, event: CpuWorkerEvent): void {
    this.kthreads.exited(event.id, event.ok, event.error);
    const thread = this.kthreads.byId(event.id);
    if (thread === undefined || thread.group === undefined || this.closed) return;
    void this.locked(() => this.replacePerCpuThread(cpu, event.id)).catch((error: unknown) => {
      this.emitTrace({ type: 'percpu-replace-failed', cpu, thread: thread.name, error: describeError(error) });
    });
  }

  /** Under the hotplug lock: reaps an exited per-CPU thread and starts its replacement. */
  private async replacePerCpuThread(cpu: number, id: number): Promise<void> {
    const thread = this.kthreads.byId(id);
    if (thread === undefined || this.closed) return;
    const exit = await this.kthreads.reapOrphan(id, (slot) => this.reap(cpu, slot));
    if (exit === undefined) return; // a stop() reaps it, or it is gone already
    const error = exit.ok ? undefined : exit.error;
    this.emitTrace({ type: 'percpu-exit', cpu, thread: thread.name, ...(error === undefined ? {} : { error }) });
    if (this.stoppedByHand.has(thread.handle)) return;
    if (error !== undefined && this.crashLooping(cpu, thread.group!)) {
      this.failCpu(cpu, `per-CPU thread '${thread.name}' exited ${CRASH_LOOP_LIMIT} times within ${CRASH_LOOP_WINDOW_MS} ms (last: ${error}); its CPU cannot keep it running`);
      return;
    }
    // Made again only where the threads run; a CPU below smpboot:threads makes it when it comes up.
    if (this.machine.passed(cpu, CPUHP_AP_SMPBOOT_THREADS) && this.workers[cpu]!.alive) await this.createMissingPerCpuThreads(cpu, false);
  }

  /** Counts a per-CPU thread's crash; true once its group's thread on `cpu` crashes too often. */
  private crashLooping(cpu: number, group: string): boolean {
    const key = `${cpu}\u0000${group}`;
    const now = performance.now();
    const recent = (this.crashes.get(key) ?? []).filter((at) => now - at < CRASH_LOOP_WINDOW_MS);
    recent.push(now);
    this.crashes.set(key, recent);
    return recent.length >= CRASH_LOOP_LIMIT;
  }

  /**
   * Forgets the hotplug steps of CPUs whose worker died, and any thread an operation that
   * was under way made for the dead worker since. Under the hotplug lock.
   */
  private reapFailedCpus(): void {
    for (const [cpu, why] of this.dying) {
      this.machine.reset(cpu);
      this.kthreads.workerDied(cpu, why);
      this.setState(cpu, CpuState.FAILED);
    }
    this.dying.clear();
  }

  /** A control-plane call to a CPU's worker that fails at once if the worker is, or goes, away. */
  private onCpu<T>(cpu: number, request: (api: CpuWorker['api']) => Promise<T>): Promise<T> {
    const worker = this.workers[cpu]!;
    return worker.call(request(worker.api));
  }

  /** Runs `body` under the hotplug lock, once the CPUs whose worker died are reaped. */
  private locked<T>(body: () => Promise<T>): Promise<T> {
    return this.lock.runExclusive(() => {
      this.reapFailedCpus();
      return body();
    });
  }

  /** Waits for a new worker to import the modules; a failed import is a ConfigError. */
  private loadedCatalogue(worker: CpuWorker, cpu: number): Promise<ModuleCatalogue> {
    // Starting a worker and importing modules is not a hotplug step: a short hotplug timeout
    // chosen for tests must not fail a start on a loaded machine.
    const bootMs = Math.max(BOOT_TIMEOUT_MS, this.options.hotplugTimeoutMs);
    // comlink never settles a call to a worker that died: race the call against its exit.
    const died = worker.exit.then((code): never => {
      throw new ConfigError(`the worker of CPU ${cpu} exited (code ${code}) before it loaded its modules`, { code: 'ERR_CPUHP_MODULE_LOAD' });
    });
    died.catch(() => undefined);
    const loaded = Promise.race([worker.api.catalogue(), died]);
    return withDeadline(loaded, bootMs, () => new ConfigError(`CPU ${cpu} did not load its modules within ${bootMs} ms`, { code: 'ERR_CPUHP_MODULE_LOAD' })).catch(
      (error: unknown) => {
        if (error instanceof ConfigError) throw error;
        throw new ConfigError(`a kthread module failed to load: ${error instanceof Error ? error.message : String(error)}`, { code: 'ERR_CPUHP_MODULE_LOAD', cause: error });
      },
    );
  }

  // ---------------------------------------------------------------- hotplug steps

  private setState(cpu: number, state: CpuStateValue): void {
    const word = cpuBase(this.layout, cpu) + CPU_STATE;
    if (Atomics.exchange(this.words, word, state) === state) return;
    Atomics.notify(this.words, word);
    this.emitTrace({ type: 'cpu-state', cpu, state: cpuStateName(state) });
  }

  /**
   * The built-in steps, bottom-up. Each sets the CPU state word it stands for, so the
   * workers' invariant checks see DOWN_PREPARE while threads are asked to park, DYING and
   * DEAD only once all of them have, and OFFLINE once the worker is blocked.
   */
  private builtinSteps(): HotplugStep[] {
    const timeout = this.options.hotplugTimeoutMs;
    return [
      {
        name: CPUHP_BRINGUP_CPU,
        selfTimed: true,
        startup: async (cpu) => {
          this.setState(cpu, CpuState.BRINGUP);
          if (!this.workers[cpu]!.alive) {
            const worker = this.newWorker(cpu);
            this.workers[cpu] = worker;
            await this.loadedCatalogue(worker, cpu);
          }
          if (!(await this.workers[cpu]!.wake(timeout))) {
            throw new HotplugError(`the worker of CPU ${cpu} did not wake within ${timeout} ms`, { code: 'ERR_CPUHP_WORKER_TIMEOUT', cpu, step: CPUHP_BRINGUP_CPU });
          }
        },
        teardown: async (cpu) => {
          if (this.strategy.recreatesWorkers) {
            await this.workers[cpu]!.shutdown(timeout);
            this.jobs.workerGone(cpu, undefined);
          } else if (!(await this.workers[cpu]!.sleep(timeout))) {
            throw new HotplugError(
              `the worker of CPU ${cpu} did not block within ${timeout} ms; a kthread on it may be running a long synchronous loop`,
              { code: 'ERR_CPUHP_WORKER_TIMEOUT', cpu, step: CPUHP_BRINGUP_CPU },
            );
          }
          this.setState(cpu, CpuState.OFFLINE);
        },
      },
      {
        name: CPUHP_AP_DYING,
        teardown: async (cpu) => {
          this.setState(cpu, CpuState.DYING);
          this.setState(cpu, CpuState.DEAD);
          await this.kthreads.parkHeldBack(cpu, this.options.hotplugTimeoutMs);
          // CPU_DEAD: the kworker has parked after its running job; its queue goes elsewhere.
          await this.jobs.cpuDead(cpu);
        },
      },
      {
        name: CPUHP_AP_SMPBOOT_THREADS,
        selfTimed: true,
        startup: async (cpu) => {
          // Made parked, and released with the others once the CPU is online.
          await this.createMissingPerCpuThreads(cpu, true);
          this.setState(cpu, CpuState.ONLINE);
          this.strategy.release(cpu);
          this.jobs.cpuOnline(cpu);
        },
        teardown: async (cpu) => {
          this.setState(cpu, CpuState.DOWN_PREPARE);
          const unresponsive = await this.strategy.quiesce(cpu, timeout);
          if (unresponsive.length === 0) return;
          const threads = `${unresponsive.length === 1 ? 'thread' : 'threads'} ${unresponsive.join(', ')}`;
          if (!this.strategy.recreatesWorkers) {
            // quiesce() withdrew its park requests: every thread runs on as before.
            throw new HotplugError(
              `${threads} did not park within ${timeout} ms; a bound thread's loop must poll kt.boundShouldStop() and call kt.parkme(), and no job or thread of its CPU may hold the CPU that long without awaiting`,
              { code: 'ERR_CPUHP_PARK_TIMEOUT', cpu, step: CPUHP_AP_SMPBOOT_THREADS, unresponsive },
            );
          }
          // A stop cannot be withdrawn. The step undoes what it can before it fails: the
          // per-CPU threads that did stop are made again (their setup runs again); one still
          // stopping is replaced once it exits (threadExited). Plain kthreads that stopped are
          // gone, as on every recreate CPU down.
          await this.createMissingPerCpuThreads(cpu, true);
          this.strategy.release(cpu);
          throw new HotplugError(
            `${threads} did not exit within ${timeout} ms of their stop (recreate stops every thread of a going-down CPU); a thread's loop must check kt.shouldStop(), and a job holding the kworker must end first. The CPU stays online: its per-CPU threads that had stopped were started again, and one still stopping is replaced once it exits`,
            { code: 'ERR_CPUHP_STOP_TIMEOUT', cpu, step: CPUHP_AP_SMPBOOT_THREADS, unresponsive },
          );
        },
      },
    ];
  }

  /** Makes the per-CPU threads `cpu` lacks; `parked`: they wait for the CPU's release. */
  private async createMissingPerCpuThreads(cpu: number, parked: boolean): Promise<void> {
    for (const [group, spec] of this.groups) {
      if (this.kthreads.inGroup(group).some((t) => t.cpu === cpu)) continue;
      await this.spawn(cpu, spec.fn, spec.name.replaceAll('%u', String(cpu)), spec.data, group, parked);
    }
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
    await this.locked(async () => {
      if (this.machine.isDown(cpu)) return;
      const others = this.onlineCpus().filter((c) => c !== cpu);
      if (others.length === 0) {
        throw new HotplugError(`CPU ${cpu} is the last online CPU and cannot go down; bring another CPU up first (rt.cpuUp(n))`, { code: 'ERR_CPUHP_LAST_CPU', cpu });
      }
      await this.hotplug(cpu, 'down');
    });
  }

  /** cpu_up(): wake the worker of `cpu`, run the startup steps and unpark its threads. */
  async cpuUp(cpu: number): Promise<void> {
    this.assertOpen();
    this.assertCpu('cpuUp(cpu)', cpu);
    await this.locked(async () => {
      if (this.machine.isUp(cpu)) return;
      await this.hotplug(cpu, 'up');
    });
  }

  /**
   * One CPU up or down, under the hotplug lock: the strategy's writer side around the
   * state machine (cpu_hotplug_begin/done), latency and counters on success, the CPU state
   * word set from where the rollback left the CPU on failure.
   */
  private async hotplug(cpu: number, direction: HotplugDirection): Promise<void> {
    const started = performance.now();
    // Traced as the writer side is asked for: begin() raises any flag it has before it first waits.
    this.emitTrace({ type: 'hotplug-begin', cpu, direction });
    await this.strategy.begin(cpu, direction, this.options.hotplugTimeoutMs);
    let failed = false;
    let failure: unknown;
    try {
      if (direction === 'down') {
        this.setState(cpu, CpuState.DOWN_PREPARE);
        await this.machine.down(cpu);
      } else {
        await this.machine.up(cpu);
      }
    } catch (error) {
      failed = true;
      failure = error;
    } finally {
      this.strategy.end(cpu);
    }
    const died = this.dying.get(cpu);
    if (died !== undefined) {
      // Whatever the steps did meanwhile, the worker is gone: the CPU is FAILED, not rolled back.
      this.reapFailedCpus();
      throw new HotplugError(
        `the worker of CPU ${cpu} died during cpu${direction === 'down' ? 'Down' : 'Up'}(${cpu}) (${died}); the CPU is marked failed, and rt.cpuUp(${cpu}) starts a fresh worker`,
        { code: 'ERR_CPUHP_WORKER_DIED', cpu, ...(failed ? { cause: failure } : {}) },
      );
    }
    if (failed) {
      this.counters[cpu]!.rollbacks++;
      this.settleState(cpu);
      this.emitTrace({ type: 'rollback', cpu, step: this.machine.stepOf(cpu) });
      throw failure;
    }
    // A CPU that a failed rollback had left part-way resumes from that step: whatever its
    // state word said there, a completed operation leaves it wholly online or offline.
    this.settleState(cpu);
    (direction === 'down' ? this.downLatency : this.upLatency).record(performance.now() - started);
    this.counters[cpu]![direction === 'down' ? 'downs' : 'ups']++;
  }

  /**
   * Makes the CPU state word say where the machine has left the CPU, once an operation has
   * ended: ONLINE at the top (and jobs are handed to it again), OFFLINE at the bottom. A CPU
   * that a failed rollback left between the two is DOWN_PREPARE while it stands above
   * smpboot:threads (its threads run, as in the window of a CPU going down), DEAD below it
   * (its threads are parked); either way it is not online and takes no jobs, so the jobs
   * waiting for it in particular that may run elsewhere go elsewhere now.
   */
  private settleState(cpu: number): void {
    if (this.machine.isUp(cpu)) {
      this.setState(cpu, CpuState.ONLINE);
      this.jobs.cpuOnline(cpu);
    } else if (this.machine.isDown(cpu)) {
      this.setState(cpu, CpuState.OFFLINE);
    } else {
      this.setState(cpu, this.machine.passed(cpu, CPUHP_AP_SMPBOOT_THREADS) ? CpuState.DOWN_PREPARE : CpuState.DEAD);
      this.jobs.cpuUnavailable(cpu);
    }
  }

  cpuState(cpu: number): CpuStateName {
    this.assertCpu('cpuState(cpu)', cpu);
    return cpuStateName(Atomics.load(this.words, cpuBase(this.layout, cpu) + CPU_STATE));
  }

  onlineCpus(): number[] {
    const out: number[] = [];
    for (let cpu = 0; cpu < this.options.cpus; cpu++) if (this.machine.isUp(cpu)) out.push(cpu);
    return out;
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
    const call = 'setupState(name, callbacks)';
    this.assertOpen();
    nonEmptyString(call, 'name', name, 'app:online');
    if (isBuiltinState(name)) {
      throw new ConfigError(`${call}: names starting with ${RESERVED_STATE_PREFIXES.map((p) => `'${p}'`).join(' or ')} are reserved for the built-in states, got '${name}'; pick a name of your own such as 'app:online'`);
    }
    const exists = (): ConfigError => new ConfigError(`${call}: a hotplug state named '${name}' exists already; pick another name or removeState('${name}') first`);
    if (this.machine.hasStep(name)) throw exists();
    const { startup, teardown } = readOptions(call, 'callbacks', callbacks, STATE_CALLBACK_KEYS);
    const step: HotplugStep = { name, ...this.stateCallback(name, 'startup', startup), ...this.stateCallback(name, 'teardown', teardown) };
    await this.locked(async () => {
      // Again under the lock: a concurrent setupState of the same name may have won.
      if (this.machine.hasStep(name)) throw exists();
      await this.machine.addStep(step, this.onlineCpus());
    });
  }

  /** cpuhp_remove_state(): teardown runs on every online CPU, then the state is gone. */
  async removeState(name: string): Promise<void> {
    const call = 'removeState(name)';
    this.assertOpen();
    nonEmptyString(call, 'name', name, 'app:online');
    const removable = this.machine.stepNames().filter((step) => !isBuiltinState(step));
    if (!removable.includes(name) && this.machine.hasStep(name)) {
      throw new ConfigError(`${call}: name '${name}' is a built-in state and cannot be removed; only states added with setupState can`);
    }
    knownName(call, 'name', name, removable, 'removable hotplug state', ' (the states added with setupState)');
    const errors = await this.locked(() => this.machine.removeStep(name));
    if (errors.length > 0) {
      const failed = errors.map((e) => `CPU ${e.cpu}: ${e.error}`);
      this.emitTrace({ type: 'remove-state-errors', cpu: -1, state: name, errors: failed });
      // cpuhp_remove_state() cannot be refused: the state is gone, but its owner must hear of it.
      throw new HotplugError(`state '${name}' was removed from every CPU, but its teardown failed on ${failed.join('; ')}`, {
        code: 'ERR_CPUHP_TEARDOWN_FAILED',
        cpu: errors[0]!.cpu,
        step: name,
      });
    }
  }

  private stateCallback(state: string, which: 'startup' | 'teardown', callback: unknown): Partial<Record<typeof which, HotplugCallback>> {
    const call = 'setupState(name, callbacks)';
    if (callback === undefined) return {};
    if (typeof callback === 'function') return { [which]: callback as HotplugCallback };
    if (typeof callback !== 'string') {
      throw new ConfigError(`${call}: callbacks.${which} must be a function or the name of a defineCpuCallback export, got ${describeValue(callback)}`);
    }
    const name = knownName(call, `callbacks.${which}`, callback, this.exportsOf('cpu-callback'), 'defineCpuCallback export', '');
    const label = `the ${which} callback '${name}' of state '${state}'`;
    return {
      [which]: async (cpu: number) => {
        // What the watchdog names if the CPU is found stuck meanwhile.
        this.cpuCallbacks.set(cpu, label);
        try {
          await this.onCpu(cpu, (api) => api.runCpuCallback(name));
        } finally {
          this.cpuCallbacks.delete(cpu);
        }
      },
    };
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
      return this.spawn(cpu, fn, threadName, data, undefined, false);
    });
  }

  private async spawn(cpu: number, fn: string, name: string, data: unknown, group: string | undefined, startParked: boolean): Promise<KthreadHandle> {
    assertCloneable(data, `data for '${name}'`);
    const reserved = this.kthreads.reserve(cpu, fn, name, group, startParked);
    // The first threads, made while Runtime.start brings the CPUs up, are part of starting
    // the runtime: like loading the modules, they get the boot bound, so a short hotplug
    // timeout does not fail a start on a loaded machine.
    const timeout = this.booted ? this.options.hotplugTimeoutMs : Math.max(BOOT_TIMEOUT_MS, this.options.hotplugTimeoutMs);
    try {
      await withDeadline(this.onCpu(cpu, (api) => api.createKthread(KthreadRegistry.request(reserved, data))), timeout, () =>
        new KthreadError(`CPU ${cpu} did not start '${name}' within ${timeout} ms`, { code: 'ERR_CPUHP_CREATE_TIMEOUT', thread: name }),
      );
    } catch (error) {
      if (error instanceof KthreadError) throw error; // the worker may still start it: keep the slot
      this.kthreads.discard(reserved.record);
      throw new KthreadError(`CPU ${cpu} could not start '${name}': ${error instanceof Error ? error.message : String(error)}`, {
        code: 'ERR_CPUHP_CREATE_FAILED',
        thread: name,
        cause: error,
      });
    }
    this.emitTrace({ type: 'create', cpu, thread: name });
    return reserved.record;
  }

  /** kthread_park(): resolves once the thread acknowledged PARKED. Idempotent. */
  async kthreadPark(thread: KthreadHandle): Promise<void> {
    this.assertOpen();
    this.assertNotKworker(thread, 'park');
    await this.kthreads.park(thread, this.options.hotplugTimeoutMs);
  }

  /**
   * The built-in kworkers run the job queues: parking or stopping one by hand would strand
   * the jobs handed to its CPU. They park and stop with their CPU (cpuDown), like smpboot's.
   */
  private assertNotKworker(handle: KthreadHandle, what: 'park' | 'stop'): void {
    // The registry's own record decides, not the fields of the object passed in.
    const thread = this.kthreads.identify(handle);
    if (thread.fn !== KWORKER_EXPORT) return;
    throw new KthreadError(
      `'${thread.name}' runs the job queue of CPU ${thread.cpu} and cannot be ${what === 'park' ? 'parked' : 'stopped'} by hand; take the CPU down instead (rt.cpuDown(${thread.cpu})), which moves its queued jobs to other CPUs`,
      { code: 'ERR_CPUHP_KWORKER', thread: thread.name },
    );
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
    this.kthreads.info(thread); // a stopped or foreign handle is refused before waiting for the lock
    return this.locked(async () => {
      // Read under the lock: the CPU may have gone down, or the thread exited, meanwhile.
      const info = this.kthreads.info(thread);
      if (!this.machine.passed(info.cpu, CPUHP_AP_SMPBOOT_THREADS)) {
        const why = info.state === 'exited' ? 'has exited, and its result is held by' : 'is parked on';
        throw new KthreadError(
          `'${info.name}' ${why} CPU ${info.cpu}, which is ${this.cpuState(info.cpu)}; a bound thread runs only on its own CPU, so bring CPU ${info.cpu} up (rt.cpuUp(${info.cpu})) and stop it then`,
          { code: 'ERR_CPUHP_CPU_OFFLINE', thread: info.name },
        );
      }
      this.stoppedByHand.add(thread);
      return this.kthreads.stop(thread, this.options.hotplugTimeoutMs, (slot) => this.reap(info.cpu, slot));
    });
  }

  /** Collects an exited thread's record from its CPU's worker, within the hotplug timeout. */
  private reap(cpu: number, slot: number): Promise<ExitRecord> {
    const timeout = this.options.hotplugTimeoutMs;
    const record = this.onCpu<ExitRecord>(cpu, (api) => api.reap(slot)).catch((error: unknown): never => {
      throw new KthreadError(`CPU ${cpu} could not hand over the exit record of slot ${slot}: ${error instanceof Error ? error.message : String(error)}`, { code: 'ERR_CPUHP_RESULT_LOST', cause: error });
    });
    return withDeadline(record, timeout, () => new KthreadError(`CPU ${cpu} did not hand over the exit record of slot ${slot} within ${timeout} ms`, { code: 'ERR_CPUHP_RESULT_LOST' }));
  }

  kthreadInfo(thread: KthreadHandle): KthreadInfo {
    return this.kthreads.info(thread);
  }

  /** Threads bound to `cpu`, or all threads. */
  kthreadList(cpu?: number): KthreadHandle[] {
    if (cpu === undefined) return this.kthreads.all();
    this.assertCpu('kthreadList(cpu)', cpu);
    return this.kthreads.onCpu(cpu);
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
    const data = o.data;
    if (this.groups.has(name)) throw new ConfigError(`${call}: per-CPU threads named '${name}' are registered already; pass another name pattern`);
    assertCloneable(data, `data of per-CPU threads '${name}'`);
    await this.locked(async () => {
      this.groups.set(name, { fn, name, data });
      // Every CPU whose threads run gets one now (a CPU a failed rollback left above
      // smpboot:threads included); the others make theirs when they come up.
      for (let cpu = 0; cpu < this.options.cpus; cpu++) {
        if (this.machine.passed(cpu, CPUHP_AP_SMPBOOT_THREADS)) await this.createMissingPerCpuThreads(cpu, false);
      }
    });
    return { name, fn, threads: () => this.kthreads.inGroup(name) };
  }

  // ---------------------------------------------------------------- jobs

  /**
   * queue_work(): runs the defineJob export `name` with `args` on one online CPU, by its
   * kworker, and resolves with what the job returns. Every job runs exactly once, or not at
   * all when its promise rejects with a JobError whose `started` is false. Queued jobs of a
   * CPU that goes down move to other CPUs (or, for strict affinity, wait or fail); a running
   * job finishes before its CPU's kworker parks.
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
      return waitForWord(this.words, this.kthreads.iterationsWord(thread), (v) => v >= target, timeout);
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
    return this.workers[cpu]!.isDormant();
  }

  /** Whether `cpu` has a worker thread at all (the recreate strategy ends it on CPU down). */
  hasWorker(cpu: number): boolean {
    this.assertCpu('hasWorker(cpu)', cpu);
    return this.workers[cpu]!.alive;
  }

  stats(): RuntimeStats {
    const cpus: CpuStats[] = [];
    let violations = 0;
    for (let cpu = 0; cpu < this.options.cpus; cpu++) {
      const base = cpuBase(this.layout, cpu);
      const v = Atomics.load(this.words, base + CPU_VIOLATIONS);
      violations += v;
      cpus.push({
        cpu,
        state: this.cpuState(cpu),
        step: this.machine.stepOf(cpu),
        heartbeat: Atomics.load(this.words, base + CPU_HEARTBEAT),
        dormancies: Atomics.load(this.words, base + CPU_DORMANCIES),
        violations: v,
        ...this.counters[cpu]!,
        threads: this.kthreads.onCpu(cpu).length,
        jobs: this.jobs.cpuStats(cpu),
      });
    }
    return {
      strategy: this.options.strategy,
      cores: availableParallelism(),
      cpus,
      kthreads: this.kthreads.all().map((t) => this.kthreads.info(t)),
      latency: { cpuDown: this.downLatency.summary(), cpuUp: this.upLatency.summary(), park: this.kthreads.parkLatency.summary() },
      violations,
      jobs: this.jobs.stats(),
      traceListenerErrors: this.traces.errors,
    };
  }

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
      const timeout = this.options.hotplugTimeoutMs;
      await Promise.all(
        this.kthreads
          .all()
          .filter((t) => this.machine.passed(t.cpu, CPUHP_AP_SMPBOOT_THREADS))
          .map((t) => this.kthreads.stop(t, timeout, (slot) => this.reap(t.cpu, slot)).catch(() => undefined)),
      );
      await Promise.all(this.workers.map((w) => w.shutdown(timeout)));
      // Nothing runs any more: every CPU is offline, and no thread is left, so what the
      // runtime reports after shutdown is true.
      for (let cpu = 0; cpu < this.options.cpus; cpu++) {
        this.jobs.workerGone(cpu, undefined);
        this.kthreads.forgetCpu(cpu, 'the runtime was shut down');
        this.machine.reset(cpu);
        this.setState(cpu, CpuState.OFFLINE);
      }
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
}

/** The one event a runtime emits; any other name is a mistake worth hearing about. */
function traceEventName(event: unknown, call: string): 'trace' {
  if (event === 'trace') return event;
  throw new ConfigError(`${call}(event, listener): a runtime emits only 'trace' events, got ${typeof event === 'string' ? `'${event.slice(0, 40)}'` : typeof event}; listen with rt.${call}('trace', (event) => ...)`);
}

function traceListener(listener: unknown, call: string): (...args: unknown[]) => void {
  if (typeof listener === 'function') return listener as (...args: unknown[]) => void;
  throw new ConfigError(`${call}('trace', listener): listener must be a function (event) => void, got ${listener === null ? 'null' : typeof listener}`);
}

function assertCloneable(value: unknown, what: string): void {
  try {
    structuredClone(value);
  } catch (error) {
    throw new ConfigError(
      `${what} cannot be sent to a worker (${error instanceof Error ? error.message : String(error)}); pass structured-cloneable data: plain objects, arrays, numbers, strings, typed arrays`,
    );
  }
}
