/**
 * What dormancy.test.ts and its racer share: the shared words of the PARK_THEN_SLEEP race
 * and their layout. One CPU (cpuBase 0 of a one-CPU layout) with THREADS kthread slots.
 */

import { cpuBase, ktBase, layoutFor, type Layout } from '../../src/protocol/layout.js';

export const THREADS = 8;
/** Longest any side waits for the other before the test fails. */
export const PATIENCE_MS = 20_000;

export const layout: Layout = layoutFor(1, THREADS, 1);
export const CPU = cpuBase(layout, 0);
export const flagsOf = (thread: number): number => ktBase(layout, thread);

/** Control words, in their own buffer: written by the test's main thread only. */
export const Control = {
  /** 1 once the racer must end its threads and leave (after SHUTDOWN). */
  STOP: 0,
} as const;
