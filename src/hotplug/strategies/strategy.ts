/**
 * What a hotplug strategy supplies: what a CPU up or down must wait for before it starts
 * (the writer side of a hotplug lock, if the strategy has one), how the threads bound to a
 * CPU are quiesced before the CPU dies and released when it is back, and whether the
 * CPU's worker sleeps or is terminated. The state machine around it is shared.
 */

import type { StrategyName } from '../../protocol/hotplug-lock.js';
import { STRATEGY_IDS, type Layout } from '../../protocol/layout.js';
import type { HotplugDirection } from '../../trace/events.js';

export type { StrategyName };

export const STRATEGIES: readonly StrategyName[] = STRATEGY_IDS;

export type { HotplugDirection };

export interface Strategy {
  readonly name: StrategyName;
  /**
   * cpu_hotplug_begin(): runs before the first step. Throws a HotplugError (having undone
   * its own request) if the readers did not let the writer in within the timeout.
   */
  begin(cpu: number, direction: HotplugDirection, timeoutMs: number): Promise<void>;
  /** cpu_hotplug_done(): runs after the operation, completed or rolled back. */
  end(cpu: number): void;
  /**
   * The smpboot teardown step: make every thread bound to `cpu` stop executing. Returns
   * the threads that did not within the timeout, after undoing its own request.
   */
  quiesce(cpu: number, timeoutMs: number): Promise<string[]>;
  /** The smpboot startup step (and rollback): let the threads bound to `cpu` run again. */
  release(cpu: number): void;
  /** The pre-2012 way: the worker of a dead CPU is terminated, and a new one started on up. */
  readonly recreatesWorkers: boolean;
}

/**
 * What a strategy asks of smpboot (src/kthread/smpboot.ts): the operations on the whole set
 * of threads bound to one CPU. Each returns the threads that did not answer in time.
 */
export interface CpuThreadSet {
  /** Asks every thread bound to `cpu` to park; waits for all of them, withdrawing the request on timeout. */
  parkCpu(cpu: number, timeoutMs: number): Promise<string[]>;
  /** Lets the threads bound to `cpu` run again. */
  unparkCpu(cpu: number): void;
  /** Stops every thread bound to `cpu` and reaps each one that exits. */
  stopCpu(cpu: number, timeoutMs: number): Promise<string[]>;
}

/** What every strategy may be built from; each takes what it needs. */
export interface StrategyContext {
  readonly words: Int32Array;
  readonly layout: Layout;
  readonly threads: CpuThreadSet;
}

export type StrategyFactory = (context: StrategyContext) => Strategy;
