/**
 * kernel/cpu.c's room: CPU up and down under the hotplug lock (the caller holds it), the
 * strategy's writer side around the state machine (cpu_hotplug_begin/done), what a
 * failure leaves behind, the reaping of CPUs whose worker died, and per-CPU counters.
 *
 * The CPU state word (protocol/layout.ts CPU_STATE; its states in protocol/cpu-state.ts)
 * has one writer: setState() here. Workers only read it. Every transition notifies the
 * word and is traced as 'cpu-state'.
 */

import { CpuhpError, HotplugError } from '../errors.js';
import { CpuState, cpuStateName, type CpuStateName, type CpuStateValue } from '../protocol/cpu-state.js';
import { cpuBase, CPU_STATE, type Layout } from '../protocol/layout.js';
import type { HotplugDirection, TraceSink } from '../trace/events.js';
import { Latency } from '../controller/latency.js';
import type { HotplugJobs } from './builtin-states.js';
import type { HotplugMachine } from './machine.js';
import { CPUHP_AP_SMPBOOT_THREADS } from './states.js';
import type { Strategy } from './strategies/index.js';

export interface CpuCounters {
  ups: number;
  downs: number;
  rollbacks: number;
  /** Times the CPU's worker died (an uncaught error, process.exit, out of memory, failed by the watchdog). */
  failures: number;
  /** Soft lockups the watchdog found on the CPU. */
  lockups: number;
}

export interface CpuHotplugHost {
  readonly words: Int32Array;
  readonly layout: Layout;
  readonly ncpus: number;
  readonly timeoutMs: number;
  readonly strategy: Strategy;
  readonly jobs: HotplugJobs;
  readonly trace: TraceSink;
  /** Forgets the threads of a CPU whose worker died (the kthread registry and smpboot). */
  forgetThreads(cpu: number, why: string): void;
}

/** A state word's name; a value no writer writes is a broken invariant, not a state. */
function stateName(cpu: number, value: number): CpuStateName {
  const name = cpuStateName(value);
  if (name !== undefined) return name;
  throw new CpuhpError(`cpuhp: the state word of CPU ${cpu} holds ${value}, which is no CPU state (the shared memory was written from outside cpuhp, or this is a bug to report)`, {
    code: 'ERR_CPUHP_INTERNAL',
  });
}

export class CpuHotplug {
  readonly counters: CpuCounters[];
  readonly downLatency = new Latency();
  readonly upLatency = new Latency();
  /** Why each CPU's worker died, until the hotplug lock has reaped the CPU (reapFailed). */
  private readonly dying = new Map<number, string>();
  private machine!: HotplugMachine; // set once, right after construction (the table's callbacks need setState)

  constructor(private readonly host: CpuHotplugHost) {
    this.counters = Array.from({ length: host.ncpus }, () => ({ ups: 0, downs: 0, rollbacks: 0, failures: 0, lockups: 0 }));
  }

  attach(machine: HotplugMachine): void {
    this.machine = machine;
  }

  /** The CPU state word's only writer. */
  setState(cpu: number, state: CpuStateValue): void {
    const word = cpuBase(this.host.layout, cpu) + CPU_STATE;
    if (Atomics.exchange(this.host.words, word, state) === state) return;
    Atomics.notify(this.host.words, word);
    this.host.trace({ type: 'cpu-state', cpu, state: stateName(cpu, state) });
  }

  state(cpu: number): CpuStateName {
    return stateName(cpu, Atomics.load(this.host.words, cpuBase(this.host.layout, cpu) + CPU_STATE));
  }

  onlineCpus(): number[] {
    const out: number[] = [];
    for (let cpu = 0; cpu < this.host.ncpus; cpu++) if (this.machine.isUp(cpu)) out.push(cpu);
    return out;
  }

  /** cpu_down(), under the hotplug lock. The last online CPU stays up. */
  async down(cpu: number): Promise<void> {
    if (this.machine.isDown(cpu)) return;
    if (!this.onlineCpus().some((c) => c !== cpu)) {
      throw new HotplugError(`CPU ${cpu} is the last online CPU and cannot go down; bring another CPU up first (rt.cpuUp(n))`, { code: 'ERR_CPUHP_LAST_CPU', cpu });
    }
    await this.run(cpu, 'down');
  }

  /** cpu_up(), under the hotplug lock. */
  async up(cpu: number): Promise<void> {
    if (this.machine.isUp(cpu)) return;
    await this.run(cpu, 'up');
  }

  /**
   * One CPU up or down: the strategy's writer side around the state machine, latency and
   * counters on success, the CPU state word set from where the rollback left the CPU on
   * failure. A worker that died meanwhile makes the CPU FAILED instead.
   */
  private async run(cpu: number, direction: HotplugDirection): Promise<void> {
    const started = performance.now();
    // Traced as the writer side is asked for: begin() raises any flag it has before it first waits.
    this.host.trace({ type: 'hotplug-begin', cpu, direction });
    await this.host.strategy.begin(cpu, direction, this.host.timeoutMs);
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
      this.host.strategy.end(cpu);
    }
    const died = this.dying.get(cpu);
    if (died !== undefined) {
      // Whatever the steps did meanwhile, the worker is gone: the CPU is FAILED, not rolled back.
      this.reapFailed();
      throw new HotplugError(
        `the worker of CPU ${cpu} died during cpu${direction === 'down' ? 'Down' : 'Up'}(${cpu}) (${died}); the CPU is marked failed, and rt.cpuUp(${cpu}) starts a fresh worker`,
        { code: 'ERR_CPUHP_WORKER_DIED', cpu, ...(failed ? { cause: failure } : {}) },
      );
    }
    // Failed or not, a CPU that a failed rollback had left part-way resumes from that step:
    // whatever its state word said there, the word now says where the machine left it.
    this.settle(cpu);
    if (failed) {
      this.counters[cpu]!.rollbacks++;
      this.host.trace({ type: 'rollback', cpu, step: this.machine.stepOf(cpu) });
      throw failure;
    }
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
  private settle(cpu: number): void {
    if (this.machine.isUp(cpu)) {
      this.setState(cpu, CpuState.ONLINE);
      this.host.jobs.cpuOnline(cpu);
    } else if (this.machine.isDown(cpu)) {
      this.setState(cpu, CpuState.OFFLINE);
    } else {
      this.setState(cpu, this.machine.passed(cpu, CPUHP_AP_SMPBOOT_THREADS) ? CpuState.DOWN_PREPARE : CpuState.DEAD);
      this.host.jobs.cpuUnavailable(cpu);
    }
  }

  /**
   * The worker of `cpu` died: the CPU is FAILED at once (what lives in shared memory and the
   * job queues is settled by the caller), and its hotplug steps are forgotten under the
   * hotplug lock (reapFailed), after any operation that holds it now.
   */
  markFailed(cpu: number, why: string): void {
    this.dying.set(cpu, why);
    this.setState(cpu, CpuState.FAILED);
    this.counters[cpu]!.failures++;
  }

  /**
   * Under the hotplug lock: forgets the hotplug steps of CPUs whose worker died, and any
   * thread an operation that was under way made for the dead worker since.
   */
  reapFailed(): void {
    for (const [cpu, why] of this.dying) {
      this.machine.reset(cpu);
      this.host.forgetThreads(cpu, why);
      this.setState(cpu, CpuState.FAILED);
    }
    this.dying.clear();
  }

  /** After shutdown: nothing runs any more, so every CPU is OFFLINE at the machine's bottom. */
  offlineAll(): void {
    for (let cpu = 0; cpu < this.host.ncpus; cpu++) {
      this.machine.reset(cpu);
      this.setState(cpu, CpuState.OFFLINE);
    }
  }
}
