/**
 * The controller's handle on one CPU worker: starting it, its comlink remote, and the
 * controller's half of the dormancy handshake (cpu-state.ts).
 */

import { Worker } from 'node:worker_threads';
import * as Comlink from 'comlink';
import type { CpuWorkerApi, CpuWorkerData, CpuWorkerEvent } from '../protocol/control-plane.js';
import { isCpuWorkerEvent } from '../protocol/control-plane.js';
import { endpointOf } from '../protocol/endpoint.js';
import { cpuBase, type Layout, CPU_DORMANT } from '../protocol/layout.js';
import { Dormancy } from '../protocol/cpu-state.js';
import { waitForWord } from '../protocol/wait.js';

const WORKER_ENTRY = new URL('../../workers/cpu.js', import.meta.url);

export interface CpuWorkerOptions {
  readonly cpu: number;
  readonly words: Int32Array;
  readonly layout: Layout;
  readonly modules: readonly string[];
  readonly onEvent: (event: CpuWorkerEvent) => void;
  readonly onError: (error: Error) => void;
}

export class CpuWorker {
  readonly api: Comlink.Remote<CpuWorkerApi>;
  private readonly worker: Worker;
  private readonly dormant: number;
  private exited = false;
  readonly exit: Promise<number>;

  constructor(private readonly options: CpuWorkerOptions) {
    const data: CpuWorkerData = { cpu: options.cpu, memory: options.words.buffer as SharedArrayBuffer, modules: options.modules };
    this.dormant = cpuBase(options.layout, options.cpu) + CPU_DORMANT;
    // A worker replacing a terminated one (recreate strategy) finds the word at SHUTDOWN.
    Atomics.store(options.words, this.dormant, Dormancy.AWAKE);
    this.worker = new Worker(WORKER_ENTRY, { workerData: data, name: `cpu${options.cpu}` });
    this.api = Comlink.wrap<CpuWorkerApi>(endpointOf(this.worker));
    this.worker.on('message', (message: unknown) => {
      if (isCpuWorkerEvent(message)) options.onEvent(message);
    });
    this.worker.on('error', (error) => options.onError(error));
    this.exit = new Promise((resolve) => {
      this.worker.once('exit', (code) => {
        this.exited = true;
        resolve(code);
      });
    });
  }

  get alive(): boolean {
    return !this.exited;
  }

  /**
   * Asks the worker to block in Atomics.wait and waits for its DORMANT acknowledgement.
   * On timeout the request is withdrawn (or, if the worker slept meanwhile, undone), so the
   * CPU is left awake as it was; returns false.
   */
  async sleep(timeoutMs: number): Promise<boolean> {
    const { words } = this.options;
    Atomics.store(words, this.dormant, Dormancy.SLEEP_REQUESTED);
    Atomics.notify(words, this.dormant);
    if (await waitForWord(words, this.dormant, (v) => v === Dormancy.DORMANT, timeoutMs)) return true;
    if (Atomics.compareExchange(words, this.dormant, Dormancy.SLEEP_REQUESTED, Dormancy.AWAKE) !== Dormancy.SLEEP_REQUESTED) {
      await this.wake(timeoutMs);
    }
    return false;
  }

  /** Releases the worker from Atomics.wait and waits until it runs again. */
  async wake(timeoutMs: number): Promise<boolean> {
    const { words } = this.options;
    const before = Atomics.compareExchange(words, this.dormant, Dormancy.DORMANT, Dormancy.WAKE_REQUESTED);
    if (before === Dormancy.AWAKE) return true;
    Atomics.notify(words, this.dormant);
    return waitForWord(words, this.dormant, (v) => v === Dormancy.AWAKE, timeoutMs);
  }

  isDormant(): boolean {
    return Atomics.load(this.options.words, this.dormant) === Dormancy.DORMANT;
  }

  /** Ends the worker: SHUTDOWN releases it even from Atomics.wait; terminate() if it does not leave. */
  async shutdown(timeoutMs: number): Promise<void> {
    if (this.exited) return;
    const { words } = this.options;
    Atomics.store(words, this.dormant, Dormancy.SHUTDOWN);
    Atomics.notify(words, this.dormant);
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), timeoutMs);
    });
    const outcome = await Promise.race([this.exit, late]);
    clearTimeout(timer);
    this.api[Comlink.releaseProxy]();
    if (outcome === 'late') await this.worker.terminate();
  }

  async terminate(): Promise<void> {
    if (!this.exited) await this.worker.terminate();
  }
}
