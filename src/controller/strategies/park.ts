/**
 * Peter Zijlstra's proposal (the seed, 2012): bound threads poll kthread_bound_should_stop();
 * after DOWN_PREPARE the controller waits until every thread bound to the CPU has parked.
 * Nothing is taken on the fast path: the thread's one load of its own flags word is all.
 */

import type { KthreadRegistry } from '../kthreads.js';
import type { Strategy } from './strategy.js';

export function parkStrategy(kthreads: KthreadRegistry): Strategy {
  return {
    name: 'park',
    quiesce: (cpu, timeoutMs) => kthreads.parkCpu(cpu, timeoutMs),
    release: (cpu) => kthreads.unparkCpu(cpu),
  };
}
