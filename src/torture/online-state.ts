/**
 * The run's own hotplug state, `torture:online`. With the 'rollbacks' fault its startup and
 * teardown throw on calls chosen from the run's seed, in either direction. Most of those
 * calls are a CPU going up or down, which then rolls back; but when a CPU down fails at a
 * step below this state, rolling back runs this startup, and when a CPU up fails above it,
 * rolling back runs this teardown: a throw there makes the rollback itself fail, and the CPU
 * is left part-way until the next cpuUp or cpuDown completes it.
 */

import type { Random } from '../common/random.js';
import type { StateCallbacks } from '../index.js';
import type { TortureCounts } from './stats.js';

export const TORTURE_STATE = 'torture:online';

export class OnlineState {
  private armed = false;

  constructor(
    private readonly random: Random,
    /** Chance that one call throws, while armed. */
    private readonly chance: number,
    private readonly counts: TortureCounts,
  ) {}

  callbacks(): StateCallbacks {
    return { startup: (cpu) => this.call('startup', cpu), teardown: (cpu) => this.call('teardown', cpu) };
  }

  /** Starts throwing (after setupState, which must succeed) ... */
  arm(): void {
    this.armed = this.chance > 0;
  }

  /** ... and stops, so that the end of the run can bring every CPU to rest. */
  disarm(): void {
    this.armed = false;
  }

  private call(direction: 'startup' | 'teardown', cpu: number): void {
    if (!this.armed || !(this.random.next() < this.chance)) return;
    this.counts.stateCallbackThrows++;
    throw new Error(`torture: the ${direction} of '${TORTURE_STATE}' throws on CPU ${cpu} (injected)`);
  }
}
