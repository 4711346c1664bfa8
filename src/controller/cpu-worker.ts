/**
 * The controller's handle on one CPU worker: starting it, its comlink remote, its job port,
 * the controller's half of the dormancy handshake (cpu-state.ts), and telling a worker that
 * was ended from one that died.
 */

import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort, type ResourceLimits, type WorkerOptions } from 'node:worker_threads';
import * as Comlink from 'comlink';
import type { CpuWorkerApi, CpuWorkerData, CpuWorkerEvent } from '../protocol/control-plane.js';
import { isCpuWorkerEvent } from '../protocol/control-plane.js';
import { endpointOf } from '../protocol/endpoint.js';
import type { JobOutcome } from '../protocol/jobs.js';
import { cpuBase, type Layout, CPU_DORMANT } from '../protocol/layout.js';
import { Dormancy, requestParkThenSleep, withdrawParkThenSleep } from '../protocol/cpu-state.js';
import { waitForWord } from '../protocol/wait.js';
import { HotplugError } from '../errors.js';
import { setLongTimeout, type LongTimer } from './timer.js';
import { WorkerUtilization, type CpuUtilization } from './cpu-utilization.js';
import { execArgvRefused, type ResolvedWorkerOptions } from './worker-options.js';

const WORKER_ENTRY = new URL('../../workers/cpu.js', import.meta.url);

/** Why a worker ended without being asked to: its exit code and, if it threw, the error. */
export interface WorkerDeath {
  readonly code: number;
  readonly error: Error | undefined;
}

export interface CpuWorkerOptions {
  readonly cpu: number;
  readonly words: Int32Array;
  readonly layout: Layout;
  readonly modules: readonly string[];
  readonly resourceLimits: ResourceLimits | undefined;
  /** The caller's part of Node's WorkerOptions (RuntimeOptions.workerOptions). */
  readonly worker: ResolvedWorkerOptions;
  /** The nice value the worker sets for its own thread at start (priority.ts), if any. */
  readonly nice: number | undefined;
  readonly onEvent: (event: CpuWorkerEvent) => void;
  readonly onError: (error: Error) => void;
  /** A job's outcome, posted on the job port. */
  readonly onOutcome: (outcome: JobOutcome) => void;
  /** The worker ended without shutdown() or terminate(): it died. Every outcome it posted came first. */
  readonly onDeath: (death: WorkerDeath) => void;
}

/** The caller's WorkerOptions as Node takes them: only those given, so Node's defaults hold for the rest. */
function workerOptions(o: ResolvedWorkerOptions): WorkerOptions {
  return {
    ...(o.argv === undefined ? {} : { argv: [...o.argv] }),
    ...(o.env === undefined ? {} : { env: o.env }),
    ...(o.execArgv === undefined ? {} : { execArgv: [...o.execArgv] }),
    ...(o.trackUnmanagedFds === undefined ? {} : { trackUnmanagedFds: o.trackUnmanagedFds }),
  };
}

/** new Worker(); a flag of execArgv that Node refuses is the caller's ConfigError. */
function startWorker(options: WorkerOptions): Worker {
  try {
    return new Worker(WORKER_ENTRY, options);
  } catch (error) {
    throw execArgvRefused(error) ?? error;
  }
}

export class CpuWorker {
  readonly api: Comlink.Remote<CpuWorkerApi>;
  /** The controller's end of the job port (jobs.ts). */
  readonly jobPort: MessagePort;
  private readonly worker: Worker;
  private readonly dormant: number;
  private exited = false;
  private ending = false;
  private lastError: Error | undefined;
  readonly exit: Promise<number>;
  /** Its event-loop utilisation, less the time it was dormant (cpu-utilization.ts). */
  private readonly elu: WorkerUtilization;

  constructor(private readonly options: CpuWorkerOptions) {
    const channel = new MessageChannel();
    this.jobPort = channel.port1;
    const data: CpuWorkerData = {
      cpu: options.cpu,
      memory: options.words.buffer as SharedArrayBuffer,
      modules: options.modules,
      jobPort: channel.port2,
      ...(options.nice === undefined ? {} : { nice: options.nice }),
    };
    this.dormant = cpuBase(options.layout, options.cpu) + CPU_DORMANT;
    // A worker replacing a terminated or dead one finds the word at SHUTDOWN or anywhere.
    Atomics.store(options.words, this.dormant, Dormancy.AWAKE);
    this.worker = startWorker({
      ...workerOptions(options.worker),
      workerData: data,
      transferList: [channel.port2],
      name: `cpu${options.cpu}`,
      ...(options.resourceLimits ? { resourceLimits: options.resourceLimits } : {}),
    });
    this.api = Comlink.wrap<CpuWorkerApi>(endpointOf(this.worker));
    const worker = this.worker;
    this.elu = new WorkerUtilization(() => worker.performance.eventLoopUtilization());
    this.worker.on('message', (message: unknown) => {
      if (isCpuWorkerEvent(message)) options.onEvent(message);
    });
    this.jobPort.on('message', (outcome: JobOutcome) => options.onOutcome(outcome));
    // Neither the worker nor its job port holds the process open: the runtime's KeepAlive
    // does, while work is in flight (keep-alive.ts). After the listeners: adding a 'message'
    // listener refs a port again.
    this.worker.unref();
    this.jobPort.unref();
    this.worker.on('error', (error) => {
      this.lastError = error;
      options.onError(error);
    });
    this.exit = new Promise((resolve) => {
      this.worker.once('exit', (code) => {
        this.exited = true;
        // Wakes the controller's waits on the word (awaitWord). A replacement worker is made
        // only once this one is seen to have exited, so this cannot overwrite its word.
        Atomics.store(options.words, this.dormant, Dormancy.SHUTDOWN);
        Atomics.notify(options.words, this.dormant);
        // Every outcome the worker posted is queued on the port by now: take them all
        // before anyone decides which of its jobs were left running.
        for (let message = receiveMessageOnPort(this.jobPort); message !== undefined; message = receiveMessageOnPort(this.jobPort)) {
          options.onOutcome(message.message as JobOutcome);
        }
        this.jobPort.close();
        if (!this.ending) options.onDeath({ code, error: this.lastError });
        resolve(code);
      });
    });
  }

  /** The last error the worker threw (its 'error' event), if any: why it died, when it did. */
  get error(): Error | undefined {
    return this.lastError;
  }

  get alive(): boolean {
    return !this.exited;
  }

  /** A control-plane call that fails at once, rather than never, if the worker dies first. */
  call<T>(request: Promise<T>): Promise<T> {
    const { cpu } = this.options;
    if (this.exited) return Promise.reject(new HotplugError(`the worker of CPU ${cpu} has exited`, { code: 'ERR_CPUHP_WORKER_DIED', cpu }));
    const died = this.exit.then((code): never => {
      throw new HotplugError(`the worker of CPU ${cpu} exited (code ${code}) before it answered`, { code: 'ERR_CPUHP_WORKER_DIED', cpu });
    });
    died.catch(() => undefined);
    return Promise.race([request, died]);
  }

  /**
   * Waits for the dormancy word; false at once if the worker is gone or goes. Its exit
   * writes SHUTDOWN to the word (constructor), which wakes this wait: nothing is chained on
   * the exit promise per wait, which would hold one closure per hotplug operation for the
   * worker's whole life.
   */
  private async awaitWord(done: (value: number) => boolean, timeoutMs: number): Promise<boolean> {
    if (this.exited) return false;
    const seen = await waitForWord(this.options.words, this.dormant, (v) => this.exited || done(v), timeoutMs);
    return seen && !this.exited;
  }

  /**
   * Asks the worker to block in Atomics.wait and waits for its DORMANT acknowledgement (at
   * once if it is dormant already: its threads' park put it there, PARK_THEN_SLEEP).
   * On timeout the request is withdrawn (or, if the worker slept meanwhile, undone), so the
   * CPU is left awake as it was; returns false.
   */
  async sleep(timeoutMs: number): Promise<boolean> {
    const { words } = this.options;
    if (this.isDormant()) return true;
    Atomics.store(words, this.dormant, Dormancy.SLEEP_REQUESTED);
    Atomics.notify(words, this.dormant);
    if (await this.awaitWord((v) => v === Dormancy.DORMANT, timeoutMs)) {
      this.elu.slept();
      return true;
    }
    if (this.exited) return false;
    if (Atomics.compareExchange(words, this.dormant, Dormancy.SLEEP_REQUESTED, Dormancy.AWAKE) !== Dormancy.SLEEP_REQUESTED) {
      await this.wake(timeoutMs);
    }
    return false;
  }

  /**
   * PARK_THEN_SLEEP (cpu-state.ts): the caller has set CPU_PARK on every thread of the CPU;
   * the worker blocks once they have all acknowledged, and this waits for that on the one
   * dormancy word. True once DORMANT; false on timeout, with the request withdrawn (the
   * worker stays awake, its threads as they are: the caller withdraws their park requests),
   * or if the worker is gone or was not awake.
   */
  async parkThenSleep(timeoutMs: number): Promise<boolean> {
    const { words } = this.options;
    if (this.exited || !requestParkThenSleep(words, this.dormant)) return false;
    if (await this.awaitWord((v) => v === Dormancy.DORMANT, timeoutMs)) {
      this.elu.slept();
      return true;
    }
    return !this.exited && withdrawParkThenSleep(words, this.dormant);
  }

  /** Releases the worker from Atomics.wait and waits until it runs again. */
  async wake(timeoutMs: number): Promise<boolean> {
    const { words } = this.options;
    const before = Atomics.compareExchange(words, this.dormant, Dormancy.DORMANT, Dormancy.WAKE_REQUESTED);
    if (before === Dormancy.AWAKE) return !this.exited;
    Atomics.notify(words, this.dormant);
    const awake = await this.awaitWord((v) => v === Dormancy.AWAKE, timeoutMs);
    if (awake) this.elu.woke();
    return awake;
  }

  /** The worker's event-loop utilisation since it started, its dormant time counted as idle. */
  utilization(): CpuUtilization {
    return this.elu.now();
  }

  /**
   * Awake in the dormancy handshake: neither asked to sleep, nor asleep, nor being woken.
   * A worker whose threads are parking (PARK_THEN_SLEEP) still runs as usual until then.
   */
  isAwake(): boolean {
    if (this.exited) return false;
    const value = Atomics.load(this.options.words, this.dormant);
    return value === Dormancy.AWAKE || value === Dormancy.PARK_THEN_SLEEP;
  }

  isDormant(): boolean {
    return !this.exited && Atomics.load(this.options.words, this.dormant) === Dormancy.DORMANT;
  }

  /** Ends the worker: SHUTDOWN releases it even from Atomics.wait; terminate() if it does not leave. */
  async shutdown(timeoutMs: number): Promise<void> {
    this.ending = true;
    if (this.exited) return;
    const { words } = this.options;
    Atomics.store(words, this.dormant, Dormancy.SHUTDOWN);
    Atomics.notify(words, this.dormant);
    let timer: LongTimer | undefined;
    const late = new Promise<'late'>((resolve) => {
      timer = setLongTimeout(() => resolve('late'), timeoutMs);
    });
    const outcome = await Promise.race([this.exit, late]);
    timer?.clear();
    this.api[Comlink.releaseProxy]();
    if (outcome === 'late') await this.worker.terminate();
    await this.exit;
  }

  /**
   * Ends a worker that cannot be asked to leave (it is stuck in synchronous code): it is
   * terminated, and its end is reported as a death with `reason` as its error, so that its
   * CPU is failed and its jobs recovered exactly as if it had crashed.
   */
  kill(reason: string, name = 'CpuKilled'): void {
    if (this.exited || this.ending) return;
    this.lastError = new Error(reason);
    this.lastError.name = name;
    void this.worker.terminate();
  }

  async terminate(): Promise<void> {
    this.ending = true;
    if (!this.exited) await this.worker.terminate();
  }
}
