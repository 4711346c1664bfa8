/**
 * A reader of the hotplug lock on a real worker thread, for the strategy suite: it takes the
 * read lock its strategy's table entry gives (READ_LOCK_FACTORIES, as workers/cpu.ts does)
 * over the runtime's shared memory, and reports through the control words of
 * strategy-control.ts. A refused reader backs off exactly as smpboot's loop does (backOff on
 * the writer word), with a long slice, so that it retries only when the writer wakes it.
 *
 *   hold   enter once (retrying after each refusal), hold the section, answer pings, leave
 *          on RELEASE.
 *   churn  enter and leave, one short section a turn, yielding to the event loop between
 *          sections as smpboot's schedule() does, until STOP.
 *   hammer enter and leave in bursts of HAMMER_BURST sections with nothing between them,
 *          retrying a refused tryEnter() at once (no back-off), and yielding to the event
 *          loop between bursts, until STOP: the read side at full speed against a writer.
 */

import { workerData } from 'node:worker_threads';
import { backOff, READ_LOCK_FACTORIES, type ReadLock } from '../../src/protocol/hotplug-lock.js';
import { attachSharedMemory } from '../../src/protocol/layout.js';
import {
  bump,
  CMD,
  DONE,
  ENTERED,
  EXITED,
  HAS_LOCK,
  LOCK,
  NO_LOCK,
  PONG,
  readerWord,
  REFUSED,
  RELEASE,
  STOP,
  store,
  VIOLATIONS,
  WRITER_IN,
  type ReaderData,
} from './strategy-control.js';

/** Loads of WRITER_IN inside one churn section: the section lasts long enough to overlap. */
const CHECKS_PER_SECTION = 32;
/** Sections (or refusals) of a hammering reader between two looks at STOP. */
const HAMMER_BURST = 4096;

const data = workerData as ReaderData;
const { words, layout, strategy } = attachSharedMemory(data.memory);
const control = new Int32Array(data.control);
const at = (word: number): number => readerWord(data.reader, word);
const stopped = (): boolean => Atomics.load(control, STOP) === 1;

/** Inside a section: a writer that holds the lock exclusively at the same time is a violation. */
function check(): void {
  let seen = false;
  for (let i = 0; i < CHECKS_PER_SECTION; i++) seen ||= Atomics.load(control, WRITER_IN) === 1;
  if (seen) bump(control, at(VIOLATIONS));
}

/** Enters a section, backing off after each refusal; false if stopped first. */
async function enter(lock: ReadLock): Promise<boolean> {
  while (!stopped()) {
    if (lock.tryEnter()) {
      bump(control, at(ENTERED));
      return true;
    }
    bump(control, at(REFUSED));
    // A pending Atomics.waitAsync does not keep a worker alive (a CPU worker has its heartbeat
    // timer for that): without this timer the reader's thread would end inside its back-off.
    const keepAlive = setTimeout(() => undefined, data.sliceMs);
    await backOff(words, stopped, data.sliceMs);
    clearTimeout(keepAlive);
  }
  return false;
}

function leave(lock: ReadLock): void {
  check();
  bump(control, at(EXITED));
  lock.exit();
}

async function hold(lock: ReadLock): Promise<void> {
  if (!(await enter(lock))) return;
  check();
  for (;;) {
    const command = Atomics.load(control, at(CMD));
    if (command & RELEASE) break;
    if (Atomics.load(control, at(PONG)) !== command) store(control, at(PONG), command);
    // This reader's whole job now is to hold the section: it may block its thread.
    Atomics.wait(control, at(CMD), command, data.sliceMs);
  }
  leave(lock);
}

async function churn(lock: ReadLock): Promise<void> {
  while (await enter(lock)) {
    check();
    leave(lock);
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

/**
 * ENTERED, EXITED and REFUSED are plain counters here, published with Atomics.store (each has
 * this one writer) and notified once a burst, so that the loop is mostly the lock itself.
 * ENTERED is stored after tryEnter() succeeded and EXITED before exit(), as everywhere.
 */
async function hammer(lock: ReadLock): Promise<void> {
  let entered = Atomics.load(control, at(ENTERED));
  let exited = Atomics.load(control, at(EXITED));
  let refused = Atomics.load(control, at(REFUSED));
  while (!stopped()) {
    for (let i = 0; i < HAMMER_BURST; i++) {
      if (!lock.tryEnter()) {
        Atomics.store(control, at(REFUSED), ++refused);
        continue;
      }
      Atomics.store(control, at(ENTERED), ++entered);
      if (Atomics.load(control, WRITER_IN) === 1) bump(control, at(VIOLATIONS));
      Atomics.store(control, at(EXITED), ++exited);
      lock.exit();
    }
    for (const word of [ENTERED, EXITED, REFUSED]) Atomics.notify(control, at(word));
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

const MODES: Readonly<Record<ReaderData['mode'], (lock: ReadLock) => Promise<void>>> = { hold, churn, hammer };

async function main(): Promise<void> {
  const lock = READ_LOCK_FACTORIES[strategy](words, layout, data.cpu);
  store(control, at(LOCK), lock === undefined ? NO_LOCK : HAS_LOCK);
  if (lock !== undefined) await MODES[data.mode](lock);
  store(control, at(DONE), 1);
}

await main();
