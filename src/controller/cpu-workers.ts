/**
 * The CPUs' workers, one per CPU: starting them and loading their modules, calling into
 * them, and the arch part of CPU hotplug (the callbacks of the cpuhp:bringup state): a
 * CPU coming up wakes its worker, or starts a fresh one where it has none (the recreate
 * strategy ended it, or it died); a CPU going down makes it dormant, or ends it.
 */

import { ConfigError, HotplugError } from '../errors.js';
import type { CpuWorkerEvent, ModuleCatalogue } from '../protocol/control-plane.js';
import type { JobOutcome, ReturnedJob } from '../protocol/jobs.js';
import type { Layout } from '../protocol/layout.js';
import { CPUHP_AP_DYING, CPUHP_BRINGUP_CPU } from '../hotplug/states.js';
import { CpuWorker, type WorkerDeath } from './cpu-worker.js';
import { withDeadline } from './deadline.js';
import type { ResolvedOptions } from './options.js';

/**
 * Starting a worker and loading its modules is not a hotplug step: it gets at least this long.
 * A bound against an import that hangs, not a latency: at a load average of 19 on 2 cores, 8
 * workers starting together took more than 30 s to load theirs.
 */
export const BOOT_TIMEOUT_MS = 120_000;

/** What happens on a worker, reported to the runtime with the CPU it happened on. */
export interface CpuWorkerHandlers {
  readonly event: (cpu: number, event: CpuWorkerEvent) => void;
  readonly error: (cpu: number, error: Error) => void;
  readonly outcome: (cpu: number, outcome: JobOutcome) => void;
  readonly death: (cpu: number, worker: CpuWorker, death: WorkerDeath) => void;
  /** `worker` became the worker of `cpu` (its job port is new). */
  readonly started: (cpu: number, worker: CpuWorker) => void;
}

/** A worker started ahead of its CPU's bring-up (prestart), and its module load. */
interface Spare {
  readonly worker: CpuWorker;
  readonly loaded: Promise<ModuleCatalogue>;
}

export class CpuWorkers {
  private readonly workers: CpuWorker[] = [];
  private readonly spares: Array<Spare | undefined> = [];

  constructor(
    private readonly words: Int32Array,
    private readonly layout: Layout,
    private readonly options: ResolvedOptions,
    /** The nice value each worker sets for itself (controllerPriority, priority.ts), if any. */
    private readonly workerNice: number | undefined,
    private readonly on: CpuWorkerHandlers,
  ) {}

  /** Starts every CPU's worker and waits for each to load the modules; the catalogue of CPU 0's. */
  async boot(): Promise<ModuleCatalogue> {
    for (let cpu = 0; cpu < this.options.cpus; cpu++) this.workers.push(this.current(cpu, this.start(cpu)));
    const catalogues = await Promise.all(this.workers.map((worker, cpu) => this.loaded(worker, cpu)));
    return catalogues[0] ?? {};
  }

  of(cpu: number): CpuWorker {
    return this.workers[cpu]!;
  }

  /** Whether `worker` is the current worker of `cpu` (a death of an older one is old news). */
  isCurrent(cpu: number, worker: CpuWorker): boolean {
    return this.workers[cpu] === worker;
  }

  /** A control-plane call to a CPU's worker that fails at once if the worker is, or goes, away. */
  call<T>(cpu: number, request: (api: CpuWorker['api']) => Promise<T>): Promise<T> {
    const worker = this.workers[cpu]!;
    return worker.call(request(worker.api));
  }

  /**
   * At CPU_DEAD, the unstarted jobs whose transferred arguments went to the worker of `cpu`
   * come back from it. The worker is woken for that if its threads' park put it to sleep,
   * and the call is bounded by the hotplug timeout (the DYING step sets no guard of its own).
   */
  async takeBackJobs(cpu: number, ids: readonly number[]): Promise<readonly ReturnedJob[]> {
    const timeout = this.options.hotplugTimeoutMs;
    await this.ensureAwake(cpu, CPUHP_AP_DYING);
    const returned = this.call(cpu, (api) => api.takeBackJobs([...ids]));
    return withDeadline(returned, timeout, () => new HotplugError(`CPU ${cpu} did not hand back its jobs' arguments within ${timeout} ms`, { code: 'ERR_CPUHP_WORKER_TIMEOUT', cpu, step: CPUHP_AP_DYING }));
  }

  /** bringup_cpu(): the worker of `cpu` runs again, a fresh one if it has none. */
  async bringup(cpu: number): Promise<void> {
    if (!this.workers[cpu]!.alive) {
      const spare = this.takeSpare(cpu);
      const worker = this.current(cpu, spare?.worker ?? this.start(cpu));
      this.workers[cpu] = worker;
      await (spare?.loaded ?? this.loaded(worker, cpu));
    }
    await this.wake(cpu, CPUHP_BRINGUP_CPU);
  }

  /** The other half: the worker of `cpu` blocks in Atomics.wait (dormant), or with `end`, is ended. */
  async takedown(cpu: number, end: boolean): Promise<void> {
    const timeout = this.options.hotplugTimeoutMs;
    if (end) {
      await this.workers[cpu]!.shutdown(timeout);
      return;
    }
    if (!(await this.workers[cpu]!.sleep(timeout))) {
      throw new HotplugError(`the worker of CPU ${cpu} did not block within ${timeout} ms; a kthread on it may be running a long synchronous loop`, {
        code: 'ERR_CPUHP_WORKER_TIMEOUT',
        cpu,
        step: CPUHP_BRINGUP_CPU,
      });
    }
  }

  /**
   * The worker of `cpu` blocks as soon as every thread bound to it has parked
   * (PARK_THEN_SLEEP): true once it has; false on timeout (withdrawn) or without a worker.
   */
  parkThenSleep(cpu: number, timeoutMs: number): Promise<boolean> {
    return this.workers[cpu]!.parkThenSleep(timeoutMs);
  }

  /**
   * A step that needs the worker of `cpu` to run (a rollback to smpboot:threads, a job's
   * transferred arguments to take back) wakes it if its threads' park made it dormant.
   */
  async ensureAwake(cpu: number, step: string): Promise<void> {
    if (this.workers[cpu]!.isDormant()) await this.wake(cpu, step);
  }

  /** Wakes the worker of `cpu` (at once if it runs already); a HotplugError of `step` if it does not within the timeout. */
  private async wake(cpu: number, step: string): Promise<void> {
    const timeout = this.options.hotplugTimeoutMs;
    if (!(await this.workers[cpu]!.wake(timeout))) {
      throw new HotplugError(`the worker of CPU ${cpu} did not wake within ${timeout} ms`, { code: 'ERR_CPUHP_WORKER_TIMEOUT', cpu, step });
    }
  }

  /** Ends every worker, dormant ones included, giving each the hotplug timeout. */
  shutdown(): Promise<void[]> {
    return Promise.all([...this.workers, ...this.dropSpares()].map((w) => w.shutdown(this.options.hotplugTimeoutMs)));
  }

  /** Ends every worker at once (a start that failed). */
  terminate(): Promise<void[]> {
    return Promise.all([...this.workers, ...this.dropSpares()].map((w) => w.terminate()));
  }

  /**
   * Parallel bring-up for cpuUp: a CPU with no worker (recreate ended it, or it died) gets
   * one started now, before its cpuUp waits for the hotplug lock, so that several cpuUps
   * called together load their workers at once and each bring-up, when its turn comes,
   * finds its worker ready (the kernel's cpuhp.parallel lets each AP run its early
   * bring-up ahead of its turn in the same way). The spare runs no kthread and no job: it
   * only loads the modules; it becomes the CPU's worker in cpuhp:bringup.
   */
  prestart(cpu: number): void {
    if (this.workers[cpu]!.alive || this.spares[cpu] !== undefined) return;
    const worker = this.start(cpu);
    const loaded = this.loaded(worker, cpu);
    loaded.catch(() => undefined); // reported by the bring-up that takes it, if one does
    this.spares[cpu] = { worker, loaded };
  }

  /** The spare of `cpu` if it is still alive (one that died is dropped: a fresh one is started). */
  private takeSpare(cpu: number): Spare | undefined {
    const spare = this.spares[cpu];
    this.spares[cpu] = undefined;
    if (spare === undefined || spare.worker.alive) return spare;
    return undefined;
  }

  private dropSpares(): CpuWorker[] {
    const spares = this.spares.filter((s): s is Spare => s !== undefined).map((s) => s.worker);
    this.spares.fill(undefined);
    return spares;
  }

  /** `worker` becomes the worker of `cpu`: its job port is attached from now on. */
  private current(cpu: number, worker: CpuWorker): CpuWorker {
    this.on.started(cpu, worker);
    return worker;
  }

  private start(cpu: number): CpuWorker {
    const worker: CpuWorker = new CpuWorker({
      cpu,
      words: this.words,
      layout: this.layout,
      modules: this.options.modules,
      resourceLimits: this.options.resourceLimits,
      worker: this.options.worker,
      nice: this.workerNice,
      onEvent: (event) => this.on.event(cpu, event),
      onError: (error) => this.on.error(cpu, error),
      onOutcome: (outcome) => this.on.outcome(cpu, outcome),
      onDeath: (death) => this.on.death(cpu, worker, death),
    });
    return worker;
  }

  /** Waits for a new worker to import the modules; a failed import is a ConfigError. */
  private loaded(worker: CpuWorker, cpu: number): Promise<ModuleCatalogue> {
    // A short hotplug timeout chosen for tests must not fail a start on a loaded machine.
    const bootMs = Math.max(BOOT_TIMEOUT_MS, this.options.hotplugTimeoutMs);
    // comlink never settles a call to a worker that died: race the call against its exit.
    const died = worker.exit.then((code): never => {
      const why = worker.error === undefined ? '' : `: ${worker.error.message}`;
      throw new ConfigError(`the worker of CPU ${cpu} exited (code ${code}) before it loaded its modules${why}`, { code: 'ERR_CPUHP_MODULE_LOAD', cause: worker.error });
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
}
