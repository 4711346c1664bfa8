/**
 * kernel/smpboot.c on the controller: the per-CPU threads (smpboot_register_percpu_thread)
 * and the operations on a CPU's whole set of bound threads that CPU hotplug performs:
 * park them all (smpboot_park_threads), let them run again (smpboot_unpark_threads), stop
 * them all (the recreate strategy), make the ones a CPU lacks (smpboot_create_threads),
 * and replace a per-CPU thread that exited on its own, because an online CPU always has
 * every per-CPU thread. Operations on one thread are kthread.ts.
 *
 * Everything here that changes which threads exist runs under the hotplug lock (the
 * caller holds it); park and unpark are writes of CPU_PARK to each thread's flags word.
 */

import { clearFlags, KtFlag, parkAcknowledged, setFlags } from '../protocol/kthread-state.js';
import { KT_FLAGS } from '../protocol/layout.js';
import { waitForWord } from '../protocol/wait.js';
import type { CpuThreadSet } from '../hotplug/strategies/strategy.js';
import type { TraceSink } from '../trace/events.js';
import type { Kthreads } from './kthread.js';
import type { PlantedRace } from './planted-race.js';
import { describeThread, type KthreadHandle, type KthreadRecord, type KthreadRegistry } from './registry.js';

/** A per-CPU thread that crashes this often within the window fails its CPU instead of being replaced again. */
export const CRASH_LOOP_LIMIT = 5;
export const CRASH_LOOP_WINDOW_MS = 10_000;

/** A registered group of per-CPU threads: one thread of `fn` on every CPU whose threads run. */
export interface PerCpuGroup {
  readonly fn: string;
  /** Name pattern; `%u` becomes the CPU number. Also the group's key. */
  readonly name: string;
  readonly data: unknown;
}

export interface SmpbootHost {
  readonly registry: KthreadRegistry;
  readonly kthreads: Kthreads;
  readonly race: PlantedRace;
  readonly trace: TraceSink;
  /** Whether the per-CPU threads of `cpu` run now: it stands above smpboot:threads with a live worker. */
  threadsRun(cpu: number): boolean;
  /** Fails a CPU that cannot keep its per-CPU threads running (its worker is ended). */
  failCpu(cpu: number, why: string): void;
  /** The worker of `cpu` blocks once all its threads have parked (CpuWorkers.parkThenSleep). */
  parkThenSleep(cpu: number, timeoutMs: number): Promise<boolean>;
  /** Wakes the worker of `cpu` if it is dormant. */
  wake(cpu: number): Promise<void>;
}

export class Smpboot implements CpuThreadSet {
  private readonly groups = new Map<string, PerCpuGroup>();
  /** Per-CPU threads stopped by kthreadStop() or shutdown(): not replaced when they exit. */
  private readonly stoppedByHand = new WeakSet<KthreadHandle>();
  /** Recent crashes of each per-CPU thread group on each CPU, to stop a crash loop. */
  private readonly crashes = new Map<string, number[]>();
  private readonly words: Int32Array;

  constructor(private readonly host: SmpbootHost) {
    this.words = host.registry.words;
  }

  hasGroup(name: string): boolean {
    return this.groups.has(name);
  }

  /** The group exists from now on: every CPU that comes up makes its thread. */
  addGroup(group: PerCpuGroup): void {
    this.groups.set(group.name, group);
  }

  /**
   * smpboot_register_percpu_thread(), under the hotplug lock: the group exists from now on,
   * and each CPU of `running` (those whose threads run) makes its thread now, running.
   */
  async register(group: PerCpuGroup, running: readonly number[]): Promise<void> {
    this.addGroup(group);
    for (const cpu of running) await this.createMissing(cpu, false);
  }

  /** smpboot_create_threads(): makes the per-CPU threads `cpu` lacks; `parked`: they wait for the CPU's release. */
  async createMissing(cpu: number, parked: boolean): Promise<void> {
    for (const [key, group] of this.groups) {
      if (this.host.registry.inGroup(key).some((t) => t.cpu === cpu)) continue;
      await this.host.kthreads.create(cpu, group.fn, group.name.replaceAll('%u', String(cpu)), group.data, key, parked);
    }
  }

  /**
   * smpboot_park_threads() for every thread bound to `cpu`: set CPU_PARK on each, then wait
   * until all have acknowledged. The worker is asked in the same step to block once they
   * have (PARK_THEN_SLEEP, cpu-state.ts), so the controller waits on one word rather than on
   * each thread's, and the CPU down costs two cross-thread wake-ups whatever the number of
   * threads. Returns the threads that did not acknowledge, with CPU_PARK withdrawn from all
   * of them again in that case, so a timed-out CPU down leaves every thread running.
   */
  async parkCpu(cpu: number, timeoutMs: number): Promise<string[]> {
    const { race } = this.host;
    const threads = race.threadsToPark(cpu, this.host.registry.recordsOn(cpu));
    const started = performance.now();
    const fresh = threads.filter((r) => !(setFlags(this.words, r.base + KT_FLAGS, KtFlag.CPU_PARK) & (KtFlag.PARKED | KtFlag.EXITED)));
    this.host.trace({ type: 'park-cpu', cpu, threads: threads.map((r) => r.name) });
    // With the race planted one running thread is left out on purpose, so the worker must
    // not wait for every thread: then (or when the worker is not awake, or on timeout) each
    // thread's own acknowledgement is what counts.
    let unresponsive: string[];
    if (!race.enabled && (await this.host.parkThenSleep(cpu, timeoutMs))) {
      const parkedIn = performance.now() - started;
      for (const record of fresh) this.host.kthreads.parkLatency.record(parkedIn);
      unresponsive = this.unacknowledged(threads);
      if (unresponsive.length > 0) await this.host.wake(cpu);
    } else {
      unresponsive = await this.awaitEach(threads, fresh, started, Math.max(0, started + timeoutMs - performance.now()));
    }
    if (unresponsive.length > 0) this.unparkCpu(cpu);
    return unresponsive;
  }

  private unacknowledged(threads: readonly KthreadRecord[]): string[] {
    return threads.filter((r) => !parkAcknowledged(Atomics.load(this.words, r.base + KT_FLAGS))).map(describeThread);
  }

  /** Waits for each thread's own PARKED; the ones that did not within `timeoutMs`. */
  private async awaitEach(threads: readonly KthreadRecord[], fresh: readonly KthreadRecord[], started: number, timeoutMs: number): Promise<string[]> {
    const unresponsive: string[] = [];
    await Promise.all(
      threads.map(async (record) => {
        if (!(await waitForWord(this.words, record.base + KT_FLAGS, parkAcknowledged, timeoutMs))) {
          unresponsive.push(describeThread(record));
        } else if (fresh.includes(record)) {
          this.host.kthreads.parkLatency.record(performance.now() - started);
        }
      }),
    );
    return unresponsive;
  }

  /** smpboot_unpark_threads(): clears CPU_PARK on every thread bound to `cpu`; threads with SHOULD_PARK stay parked. */
  unparkCpu(cpu: number): void {
    for (const record of this.host.registry.recordsOn(cpu)) clearFlags(this.words, record.base + KT_FLAGS, KtFlag.CPU_PARK);
  }

  /**
   * The recreate strategy's CPU down: stop every thread bound to `cpu` and reap it. Returns
   * the threads that did not exit in time (the others are gone; a stop cannot be undone).
   */
  async stopCpu(cpu: number, timeoutMs: number): Promise<string[]> {
    const unresponsive: string[] = [];
    await Promise.all(
      this.host.registry.recordsOn(cpu).map(async (record) => {
        // A thread that threw was still reaped (its record is gone); one that did not exit is not.
        await this.host.kthreads.stopRecord(record, timeoutMs).catch(() => undefined);
        if (record.gone === undefined) unresponsive.push(describeThread(record));
      }),
    );
    return unresponsive;
  }

  /** A per-CPU thread is being stopped by hand (kthreadStop, shutdown): it is not replaced when it exits. */
  stoppingByHand(handle: KthreadHandle): void {
    this.stoppedByHand.add(handle);
  }

  /**
   * Under the hotplug lock: a per-CPU thread `id` of `cpu` exited with no stop() waiting for
   * it (a hook threw, or a stop that timed out during a CPU down that rolled back). It is
   * reaped and, while its CPU's threads run, replaced; one that keeps crashing fails its CPU.
   */
  async replace(cpu: number, id: number): Promise<void> {
    const thread = this.host.registry.byId(id);
    if (thread?.group === undefined) return;
    const exit = await this.host.kthreads.reapOrphan(id);
    if (exit === undefined) return; // a stop() reaps it, or it is gone already
    const error = exit.ok ? undefined : exit.error;
    this.host.trace({ type: 'percpu-exit', cpu, thread: thread.name, ...(error === undefined ? {} : { error }) });
    if (this.stoppedByHand.has(thread.handle)) return;
    if (error !== undefined && this.crashLooping(cpu, thread.group)) {
      this.host.failCpu(cpu, `per-CPU thread '${thread.name}' exited ${CRASH_LOOP_LIMIT} times within ${CRASH_LOOP_WINDOW_MS} ms (last: ${error}); its CPU cannot keep it running`);
      return;
    }
    // Made again only where the threads run; a CPU below smpboot:threads makes it when it comes up.
    if (this.host.threadsRun(cpu)) await this.createMissing(cpu, false);
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
}
