/**
 * Peter Zijlstra's proposal ("Re: CPU Hotplug rework", LKML, 2012): bound threads poll kthread_bound_should_stop();
 * after DOWN_PREPARE the controller waits until every thread bound to the CPU has parked.
 * Nothing is taken on the fast path, and no CPU but the one going down is disturbed: there
 * is no writer side to wait for at the start of an operation.
 */

import type { StrategyFactory } from './strategy.js';

export const parkStrategy: StrategyFactory = ({ threads }) => {
  return {
    name: 'park',
    recreatesWorkers: false,
    begin: async () => undefined,
    end: () => undefined,
    quiesce: (cpu, timeoutMs) => threads.parkCpu(cpu, timeoutMs),
    release: (cpu) => threads.unparkCpu(cpu),
  };
};
