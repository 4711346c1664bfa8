/**
 * Reading kthreads' iteration counters from the controller. Each counter is one Int32 word in
 * shared memory, so it wraps after 2^31 units (minutes of an empty loop); differences are
 * taken modulo 2^32, which is exact as long as a window sees fewer than 2^32 units.
 */

import type { KthreadHandle, Runtime } from '../src/index.js';

/** Units done between two reads of one counter. */
export function unitsBetween(before: number, after: number): number {
  return (after - before) >>> 0;
}

export function readIterations(rt: Runtime, threads: readonly KthreadHandle[]): number[] {
  return threads.map((t) => rt.kthreadInfo(t).iterations);
}

/** Units done by each thread between two reads of all of them. */
export function unitsPerThread(before: readonly number[], after: readonly number[]): number[] {
  return before.map((b, i) => unitsBetween(b, after[i]!));
}

export function sum(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0);
}
