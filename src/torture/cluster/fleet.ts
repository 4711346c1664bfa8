/**
 * The torture's machines: one slot per machine name, each holding the machine process of
 * its current incarnation. The fleet is the only thing that starts, kills, downs and ups
 * them, so it is where the record the checker needs is kept: which incarnation (pid) was
 * SIGKILLed when, and when each graceful down held. A machine that exits without being
 * killed or closed is noted as unexpected (a violation).
 */

import { MachineProcess, type MachineSpec } from '../../cluster/machine-process.js';

export type SlotState = 'up' | 'down' | 'dead';

export interface MachineSlot {
  readonly name: string;
  state: SlotState;
  process: MachineProcess;
  /** The CPUs online now, as the machine last reported them. */
  onlineCpus: readonly number[];
  /** Incarnations started for this slot, the first included. */
  starts: number;
}

/** One SIGKILL: the incarnation it ended, and when (Date.now(), the ledger's clock). */
export interface KillRecord {
  readonly machine: string;
  readonly pid: number;
  readonly t: number;
}

/** One graceful down of an incarnation, from the call to the up (or the end of the run). */
export interface DownRecord {
  readonly machine: string;
  readonly pid: number;
  readonly from: number;
  to: number | undefined;
}

export class Fleet {
  readonly slots: MachineSlot[] = [];
  readonly kills: KillRecord[] = [];
  readonly downs: DownRecord[] = [];
  /** Machines that exited when nothing asked them to: each is a violation. */
  readonly unexpectedExits: string[] = [];
  /** Pids whose exit is expected (killed or closed). */
  private readonly ending = new Set<number>();

  private constructor(private readonly specFor: (name: string) => MachineSpec) {}

  /** Starts every machine at once; if one fails to start, the others are killed and the error thrown. */
  static async start(names: readonly string[], specFor: (name: string) => MachineSpec): Promise<Fleet> {
    const fleet = new Fleet(specFor);
    const started = await Promise.allSettled(names.map((name) => MachineProcess.start(specFor(name))));
    const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed !== undefined) {
      await Promise.all(started.map((s) => (s.status === 'fulfilled' ? s.value.kill() : undefined)));
      throw failed.reason;
    }
    for (const s of started) if (s.status === 'fulfilled') fleet.adopt({ name: s.value.name, state: 'up', process: s.value, onlineCpus: [], starts: 1 });
    await Promise.all(fleet.slots.map(async (slot) => (slot.onlineCpus = (await slot.process.stats()).onlineCpus)));
    return fleet;
  }

  /** Slots whose machine is up and fetching. */
  up(): MachineSlot[] {
    return this.slots.filter((s) => s.state === 'up');
  }

  /** A crash: SIGKILL, recorded before the signal goes so that no run can start after its record unseen. */
  async kill(slot: MachineSlot): Promise<void> {
    this.ending.add(slot.process.pid);
    this.closeDown(slot);
    this.kills.push({ machine: slot.name, pid: slot.process.pid, t: Date.now() });
    slot.state = 'dead';
    await slot.process.kill();
  }

  /** A new incarnation of a killed machine: the same name, a new pid. */
  async restart(slot: MachineSlot): Promise<void> {
    const machine = await MachineProcess.start(this.specFor(slot.name));
    slot.process = machine;
    slot.starts++;
    slot.state = 'up';
    this.watch(slot, machine);
    slot.onlineCpus = (await machine.stats()).onlineCpus;
  }

  async down(slot: MachineSlot): Promise<void> {
    const record: DownRecord = { machine: slot.name, pid: slot.process.pid, from: Date.now(), to: undefined };
    this.downs.push(record);
    slot.state = 'down';
    slot.onlineCpus = (await slot.process.down()).onlineCpus;
  }

  async bringUp(slot: MachineSlot): Promise<void> {
    slot.onlineCpus = (await slot.process.up()).onlineCpus;
    this.closeDown(slot);
    slot.state = 'up';
  }

  async cpuDown(slot: MachineSlot, cpu: number): Promise<void> {
    slot.onlineCpus = (await slot.process.cpuDown(cpu)).onlineCpus;
  }

  async cpuUp(slot: MachineSlot, cpu: number): Promise<void> {
    slot.onlineCpus = (await slot.process.cpuUp(cpu)).onlineCpus;
  }

  /** Every machine up again (killed ones restarted, downed ones up), so that every job left can finish. */
  async restoreAll(): Promise<void> {
    await Promise.all(
      this.slots.map(async (slot) => {
        if (slot.state === 'dead') await this.restart(slot);
        else if (slot.state === 'down') await this.bringUp(slot);
      }),
    );
  }

  /** Closes every machine (each drains first); a machine that will not close is killed. */
  async closeAll(): Promise<void> {
    await Promise.all(
      this.slots.map(async (slot) => {
        if (slot.state === 'dead') return;
        this.ending.add(slot.process.pid);
        this.closeDown(slot);
        await slot.process.close().catch(() => slot.process.kill());
      }),
    );
  }

  private adopt(slot: MachineSlot): void {
    this.slots.push(slot);
    this.watch(slot, slot.process);
  }

  private watch(slot: MachineSlot, machine: MachineProcess): void {
    void machine.exited.then((how) => {
      if (this.ending.has(machine.pid)) return;
      this.unexpectedExits.push(`machine ${slot.name} (pid ${machine.pid}) exited by itself (${how})`);
      if (slot.process === machine) slot.state = 'dead';
    });
  }

  private closeDown(slot: MachineSlot): void {
    const open = this.downs.find((d) => d.pid === slot.process.pid && d.to === undefined);
    if (open !== undefined) open.to = Date.now();
  }
}
