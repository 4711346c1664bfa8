/** What both sides of the claim race (job-claim.test.ts, job-claim-racer.ts) share. */

import { ticketOf } from '../../src/protocol/job-claim.js';
import { layoutFor, LINE_WORDS, type Layout } from '../../src/protocol/layout.js';

/** Bound of every wait: a missing side fails the test instead of hanging it. */
export const PATIENCE_MS = 20_000;

/** Words of the control buffer, each on its own cache line. */
export const Control = {
  /** The round to run (controller writes; -1: stop). */
  GO: 0 * LINE_WORDS,
  /** Who leads the round (controller writes, before GO). */
  LEAD: 1 * LINE_WORDS,
  /** Busy work per slot for the side that leads (controller writes, before GO). */
  SPIN: 2 * LINE_WORDS,
  /** The round the kworker has begun, when it leads (kworker writes). */
  STARTED: 3 * LINE_WORDS,
  /** The round the kworker has finished, its results written (kworker writes). */
  DONE: 4 * LINE_WORDS,
  WORDS: 5 * LINE_WORDS,
} as const;

export const KWORKER_LEADS = 0;
export const CONTROLLER_LEADS = 1;

export interface RaceData {
  /** The claim words, laid out as a runtime of one CPU with `slots` job slots lays them out. */
  readonly claims: SharedArrayBuffer;
  readonly control: SharedArrayBuffer;
  /** Bytes, per slot: 1 if the kworker took it this round (kworker writes, before DONE). */
  readonly results: SharedArrayBuffer;
  readonly slots: number;
}

export function layoutOf(slots: number): Layout {
  return layoutFor(1, 0, slots);
}

/** A different ticket for every slot of every round. */
export function ticketFor(round: number, slot: number, slots: number): number {
  return ticketOf(round * slots + slot);
}

let sink = 0;

/** Work the JIT cannot remove, to slow the side that leads. */
export function busy(iterations: number): void {
  let x = sink;
  for (let i = 0; i < iterations; i++) x = (Math.imul(x, 1103515245) + 12345) | 0;
  sink = x;
}

/** The leader's busy work comes in pieces this long, each followed by a look at the slot's word. */
const PIECE = 16;

/**
 * One side's sweep over every slot, in slot order: `attempt` is takeClaim or revokeClaim on
 * the slot's word, and what it says is recorded. The follower goes flat out. The leader
 * starts first (the follower is still waking up), so it is slowed: up to `leadSpin`
 * iterations before each slot, in pieces, looking between them whether the slot is still
 * `queued`. Once it is not, the follower has caught up: the leader goes for that word at
 * once (a piece after the follower did), and flat out from then on, right behind or ahead.
 */
export function sweep(slots: number, leads: boolean, leadSpin: number, attempt: (slot: number) => boolean, queued: (slot: number) => boolean): Uint8Array {
  const won = new Uint8Array(slots);
  let caught = !leads;
  for (let slot = 0; slot < slots; slot++) {
    for (let done = 0; !caught && done < leadSpin; done += PIECE) {
      busy(PIECE);
      caught = !queued(slot);
    }
    won[slot] = attempt(slot) ? 1 : 0;
  }
  return won;
}
