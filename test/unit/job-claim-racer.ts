/**
 * The kworker's side of the claim race in job-claim.test.ts, run in a worker_thread: each
 * round it sweeps every claim slot in order with takeClaim, the kworker's one call, while
 * the controller (the test's main thread) sweeps the same slots with revokeClaim (sweep()
 * says how the two keep pace). It writes what it won into `results` and says DONE. Every wait is an Atomics.wait with a timeout.
 */

import { workerData } from 'node:worker_threads';
import { queuedClaim, takeClaim } from '../../src/protocol/job-claim.js';
import { claimWord } from '../../src/protocol/layout.js';
import { Control, KWORKER_LEADS, layoutOf, PATIENCE_MS, ticketFor, sweep, type RaceData } from './job-claim-race.js';

const data = workerData as RaceData;
const claims = new Int32Array(data.claims);
const control = new Int32Array(data.control);
const taken = new Uint8Array(data.results);
const layout = layoutOf(data.slots);

let seen = 0;
for (;;) {
  if (Atomics.wait(control, Control.GO, seen, PATIENCE_MS) === 'timed-out') throw new Error(`racer: no round after ${seen} within ${PATIENCE_MS} ms`);
  const round = Atomics.load(control, Control.GO);
  if (round < 0) break; // the controller is done
  seen = round;
  const leads = Atomics.load(control, Control.LEAD) === KWORKER_LEADS;
  const spin = Atomics.load(control, Control.SPIN);
  if (leads) {
    Atomics.store(control, Control.STARTED, round);
    Atomics.notify(control, Control.STARTED);
  }
  const word = (slot: number): number => claimWord(layout, 0, slot);
  const ticket = (slot: number): number => ticketFor(round, slot, data.slots);
  taken.set(
    sweep(
      data.slots,
      leads,
      spin,
      (slot) => takeClaim(claims, word(slot), ticket(slot)),
      (slot) => Atomics.load(claims, word(slot)) === queuedClaim(ticket(slot)),
    ),
  );
  Atomics.store(control, Control.DONE, round);
  Atomics.notify(control, Control.DONE);
}
