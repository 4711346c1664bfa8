/**
 * The control words between a strategy test (strategy-suite.ts) and its reader workers
 * (strategy-reader.ts): one Int32Array over a SharedArrayBuffer of its own, apart from the
 * runtime's layout, one 64-byte line per group so that the readers' counters do not share a
 * line with each other.
 *
 * Line 0, the test's (it writes, readers only read):
 *   WRITER_IN   0 or 1: 1 while the test holds the hotplug lock's write side exclusively,
 *               set after the begin() (or refcount's quiesce()) that shut readers out resolved,
 *               cleared before end(). A reader that sees 1 inside its section counts a violation.
 *   STOP        0 or 1: 1 asks every reader to leave its loop. The test kicks the writer word
 *               after setting it (kickReaders), as the controller does for a park request, so a
 *               reader backed off on the writer word sees it.
 *
 * Line 1 + r, reader r's; each word has one writer, named first:
 *   LOCK        reader, once at start: 0 not yet known, HAS_LOCK it took a read lock from
 *               READ_LOCK_FACTORIES, NO_LOCK the strategy has none (the reader then ends).
 *   ENTERED     reader: sections entered, stored after tryEnter() succeeded (so inside one).
 *               A hammering reader stores it with Atomics.store and notifies once a burst.
 *   EXITED      reader: sections left, stored before exit() (so still inside one). Hence
 *               ENTERED - EXITED > 0, read EXITED first, only while the reader holds the lock.
 *   REFUSED     reader: tryEnter() calls that were refused (each followed by a backOff()).
 *   VIOLATIONS  reader: times it saw WRITER_IN = 1 while inside a section.
 *   CMD         test: what a holding reader is asked: the low bits count pings, and RELEASE
 *               asks it to leave its section. Only ever added to.
 *   PONG        reader: the ping count it last answered while holding.
 *   DONE        reader: 0 while it runs, 1 once it has left its loop for good.
 *
 * Every writer notifies the word it wrote, and every wait on these words is waitForWord
 * (the test) or Atomics.wait (a holding reader) with a bound.
 */

import { LINE_WORDS } from '../../src/protocol/layout.js';

export const WRITER_IN = 0;
export const STOP = 1;

export const LOCK = 0;
export const ENTERED = 1;
export const EXITED = 2;
export const REFUSED = 3;
export const VIOLATIONS = 4;
export const CMD = 5;
export const PONG = 6;
export const DONE = 7;

export const HAS_LOCK = 1;
export const NO_LOCK = 2;
export const RELEASE = 1 << 30;

/**
 * A reader either holds one section until released, or enters and leaves until stopped:
 * `churn` one section an event-loop turn, backing off when refused, as smpboot does;
 * `hammer` in tight synchronous bursts, retrying at once when refused, so that its stores
 * and loads meet the writer's in every order the two threads can produce.
 */
export type ReaderMode = 'hold' | 'churn' | 'hammer';

export interface ReaderData {
  /** The runtime's shared memory, as createSharedMemory() made it. */
  readonly memory: SharedArrayBuffer;
  readonly control: SharedArrayBuffer;
  /** Which reader block of `control` is this reader's. */
  readonly reader: number;
  /** The CPU whose read lock it takes. */
  readonly cpu: number;
  readonly mode: ReaderMode;
  /** The bound of one backOff() or Atomics.wait: long, so that wake-ups must come from notifies. */
  readonly sliceMs: number;
}

export function controlWords(readers: number): Int32Array {
  return new Int32Array(new SharedArrayBuffer((1 + readers) * LINE_WORDS * Int32Array.BYTES_PER_ELEMENT));
}

/** Index of `word` in reader `reader`'s line. */
export function readerWord(reader: number, word: number): number {
  return (1 + reader) * LINE_WORDS + word;
}

/** Adds to a counter and wakes whoever waits on it. */
export function bump(control: Int32Array, index: number, by = 1): number {
  const after = Atomics.add(control, index, by) + by;
  Atomics.notify(control, index);
  return after;
}

export function store(control: Int32Array, index: number, value: number): void {
  Atomics.store(control, index, value);
  Atomics.notify(control, index);
}
