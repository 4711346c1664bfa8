/**
 * The strategies by name: the one place a strategy name becomes a strategy on the
 * controller side (the worker side's read locks are chosen in protocol/hotplug-lock.ts).
 */

import { parkStrategy } from './park.js';
import { percpuRwsemStrategy } from './percpu-rwsem.js';
import { recreateStrategy } from './recreate.js';
import { refcountStrategy } from './refcount.js';
import type { StrategyFactory, StrategyName } from './strategy.js';

export const STRATEGY_FACTORIES: Readonly<Record<StrategyName, StrategyFactory>> = {
  park: parkStrategy,
  refcount: refcountStrategy,
  'percpu-rwsem': percpuRwsemStrategy,
  recreate: recreateStrategy,
};

export { STRATEGIES } from './strategy.js';
export type { CpuThreadSet, HotplugDirection, Strategy, StrategyContext, StrategyFactory, StrategyName } from './strategy.js';
