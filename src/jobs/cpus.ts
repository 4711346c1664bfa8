/**
 * The CPUs as the job runtime sees them: each one's state word (cpu-state.ts, written by the
 * controller's hotplug steps in runtime.ts), and which CPUs a failed rollback left part-way.
 * The job runtime reads the state word and never writes it.
 */

import { CpuState, mayRunBound } from '../protocol/cpu-state.js';
import { cpuBase, CPU_STATE, type Layout } from '../protocol/layout.js';

export class JobCpus {
  /**
   * CPUs a failed rollback left between online and offline (DOWN_PREPARE or DEAD): not up
   * for placement until an operation completes them. Set only while the CPU is not ONLINE,
   * and cleared by markOnline in the same turn the runtime makes the CPU ONLINE, so it is
   * never set on an ONLINE CPU.
   */
  private readonly partWay: boolean[];

  constructor(
    private readonly words: Int32Array,
    private readonly layout: Layout,
  ) {
    this.partWay = new Array<boolean>(layout.ncpus).fill(false);
  }

  /** How many CPUs the runtime has. */
  get count(): number {
    return this.layout.ncpus;
  }

  private state(cpu: number): number {
    return Atomics.load(this.words, cpuBase(this.layout, cpu) + CPU_STATE);
  }

  /** Jobs are handed only to ONLINE CPUs: from DOWN_PREPARE on, a CPU gets no new ones. */
  isOnline(cpu: number): boolean {
    return this.state(cpu) === CpuState.ONLINE;
  }

  /**
   * Up for a job's placement: its bound threads may run (ONLINE, or DOWN_PREPARE while a
   * cpuDown is under way, which may yet roll back), and a failed rollback did not leave it
   * part-way (DOWN_PREPARE then too, but no operation is under way to finish it).
   */
  isUp(cpu: number): boolean {
    return mayRunBound(this.state(cpu)) && !this.partWay[cpu];
  }

  /** How a CPU that is not up is named in an error message. */
  describe(cpu: number): string {
    return this.state(cpu) === CpuState.FAILED ? 'failed (its worker died)' : 'offline';
  }

  /** The CPU is ONLINE (up, or rolled back to online). */
  markOnline(cpu: number): void {
    this.partWay[cpu] = false;
  }

  /** A failed rollback left the CPU between online and offline. */
  markPartWay(cpu: number): void {
    this.partWay[cpu] = true;
  }
}
