/**
 * What a hotplug strategy supplies: how the threads bound to a CPU are quiesced before the
 * CPU dies, and released when it is back. The rest of the state machine is shared.
 */

export type StrategyName = 'park';

export const STRATEGIES: readonly StrategyName[] = ['park'];

export interface Strategy {
  readonly name: StrategyName;
  /**
   * The smpboot teardown step: make every thread bound to `cpu` stop executing. Returns
   * the threads that did not within the timeout, after undoing its own request.
   */
  quiesce(cpu: number, timeoutMs: number): Promise<string[]>;
  /** The smpboot startup step (and rollback): let the threads bound to `cpu` run again. */
  release(cpu: number): void;
}
