/**
 * The on/off actor, in the style of the kernel's torture_onoff: every onoff interval it
 * picks a random machine and does the one thing that fits its state:
 *
 *   dead   restart it (a new incarnation: same name, new pid)
 *   down   up()
 *   up     one of: a random CPU of it down if online, up if not (torture_onoff's choice);
 *          a graceful down(); a SIGKILL (with --kills)
 *
 * A graceful down or a kill is only done while another machine is up, so that jobs keep
 * flowing. Each action counts an attempt, and a success when it did what it meant to; a CPU
 * down refused because it is the machine's last online CPU is an attempt, not a violation,
 * as in torture. Actions run one at a time; stop() waits for the one under way.
 */

import { setTimeout as sleep } from 'node:timers/promises';
import { errorText } from '../../controller/arguments.js';
import { ERROR_CODES } from '../../errors.js';
import type { Random } from '../../common/random.js';
import type { Fleet, MachineSlot } from './fleet.js';
import { ActionStats, type ActionName } from './stats.js';

/** How many failure messages are kept for the report. */
const KEPT_FAILURES = 10;

export class OnOffActor {
  readonly stats = new ActionStats();
  /** The first few actions that failed other than by a LAST_CPU refusal. */
  readonly failures: string[] = [];
  private stopped = false;
  private readonly stopper = new AbortController();
  private loop: Promise<void> | undefined;

  constructor(
    private readonly fleet: Fleet,
    private readonly random: Random,
    private readonly options: { readonly intervalMs: number; readonly kills: boolean; readonly cpus: number },
  ) {}

  start(): void {
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.stopper.abort();
    await this.loop;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      await sleep(this.options.intervalMs, undefined, { signal: this.stopper.signal }).catch(() => undefined);
      if (this.stopped) return;
      await this.act(this.random.pick(this.fleet.slots));
    }
  }

  private async act(slot: MachineSlot): Promise<void> {
    if (slot.state === 'dead') return this.attempt('machine restart', slot, () => this.fleet.restart(slot));
    if (slot.state === 'down') return this.attempt('machine up', slot, () => this.fleet.bringUp(slot));
    // Another machine up is what lets this one go away without stopping the flow of jobs.
    const others = this.fleet.up().length > 1;
    const roll = this.random.next();
    if (others && this.options.kills && roll < 0.2) return this.attempt('machine kill', slot, () => this.fleet.kill(slot));
    if (others && roll >= 0.2 && roll < 0.4) return this.attempt('machine down', slot, () => this.fleet.down(slot));
    const cpu = this.random.below(this.options.cpus);
    if (slot.onlineCpus.includes(cpu)) return this.attempt('CPU offline', slot, () => this.fleet.cpuDown(slot, cpu));
    return this.attempt('CPU online', slot, () => this.fleet.cpuUp(slot, cpu));
  }

  private async attempt(action: ActionName, slot: MachineSlot, body: () => Promise<void>): Promise<void> {
    const started = performance.now();
    try {
      await body();
      this.stats.record(action, performance.now() - started, true);
    } catch (error) {
      this.stats.record(action, performance.now() - started, false);
      // MachineProcess carries the node's own error code in cause.
      const code = (error as { cause?: { code?: unknown } } | null)?.cause?.code;
      if (code === ERROR_CODES.LAST_CPU) return;
      if (this.failures.length < KEPT_FAILURES) this.failures.push(`${action} of ${slot.name}: ${errorText(error)}`);
    }
  }
}
