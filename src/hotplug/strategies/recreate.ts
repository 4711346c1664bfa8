/**
 * Before 2012: per-CPU threads did not survive their CPU. On CPU down every thread bound
 * to it is stopped (its cleanup runs) and the worker is terminated; on CPU up a new worker
 * is started and the per-CPU threads are created again (their setup runs). Whatever a
 * thread kept in kt.data is gone; plain kthreads on that CPU are gone for good.
 */

import type { StrategyFactory } from './strategy.js';

export const recreateStrategy: StrategyFactory = ({ threads }) => {
  return {
    name: 'recreate',
    recreatesWorkers: true,
    begin: async () => undefined,
    end: () => undefined,
    quiesce: (cpu, timeoutMs) => threads.stopCpu(cpu, timeoutMs),
    // The threads made afresh on the way up start parked, like every thread made during bring-up.
    release: (cpu) => threads.unparkCpu(cpu),
  };
};
