/**
 * The claim protocol (src/protocol/job-claim.ts): the words' semantics against a model, the
 * abort line, and the race it exists for: the controller's revoke and the kworker's take on
 * the same claim words from two threads at once. Exactly one wins each word, every time.
 */

import { Worker } from 'node:worker_threads';
import fc from 'fast-check';
import t from 'tap';
import {
  abortLine,
  AbortReason,
  abortReason,
  abortRequested,
  abortTag,
  isAbortTagFree,
  Claim,
  isTaken,
  offerClaim,
  queuedClaim,
  releaseClaim,
  requestAbort,
  revokeClaim,
  takeClaim,
  takenClaim,
  ticketOf,
  waitAbortLine,
} from '../../src/protocol/job-claim.js';
import { claimWord, cpuBase, createSharedMemory, layoutFor } from '../../src/protocol/layout.js';
import { waitForWord } from '../../src/protocol/wait.js';
import { Control, CONTROLLER_LEADS, KWORKER_LEADS, layoutOf, PATIENCE_MS, ticketFor, sweep, type RaceData } from './job-claim-race.js';

t.test('a ticket survives the round trip through a claim word, even where the word is negative', async (t) => {
  for (const id of [1, 2, 1000, 2 ** 29 - 1, 2 ** 29, 2 ** 30 + 5, 2 ** 31 - 1]) {
    const ticket = ticketOf(id);
    const words = new Int32Array(new SharedArrayBuffer(4));
    offerClaim(words, 0, ticket);
    t.equal(words[0], queuedClaim(ticket), `id ${id}: offered`);
    t.notOk(isTaken(words, 0));
    t.ok(takeClaim(words, 0, ticket), `id ${id}: taken`);
    t.equal(words[0], takenClaim(ticket));
    t.ok(isTaken(words, 0));
    t.notOk(revokeClaim(words, 0, ticket), 'a taken claim cannot be revoked');
    releaseClaim(words, 0);
    t.equal(words[0], Claim.EMPTY);
  }
  t.equal(ticketOf(5), ticketOf(5 + 2 ** 29), 'tickets repeat only every 2^29 jobs');
});

type Op = { kind: 'offer'; id: number } | { kind: 'take' | 'revoke'; stale: boolean } | { kind: 'release' };
type Model = { kind: 'empty' } | { kind: 'queued' | 'taken'; ticket: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('offer' as const), id: fc.integer({ min: 1, max: 2 ** 31 - 1 }) }),
  fc.record({ kind: fc.constantFrom('take' as const, 'revoke' as const), stale: fc.boolean() }),
  fc.record({ kind: fc.constant('release' as const) }),
);

t.test('property: one claim word follows its state machine, and each offer is won at most once', async (t) => {
  fc.assert(
    fc.property(fc.array(opArb, { maxLength: 60 }), (ops) => {
      const words = new Int32Array(new SharedArrayBuffer(4));
      let model: Model = { kind: 'empty' };
      let ticket = -1;
      let previous = -1;
      let wins = 0;
      for (const op of ops) {
        if (op.kind === 'offer') {
          if (model.kind !== 'empty') continue; // the controller offers only into an EMPTY slot
          [previous, ticket] = [ticket, ticketOf(op.id)];
          offerClaim(words, 0, ticket);
          model = { kind: 'queued', ticket };
          wins = 0;
        } else if (op.kind === 'release') {
          if (model.kind === 'queued') continue; // ... and releases only one that is not QUEUED
          releaseClaim(words, 0);
          model = { kind: 'empty' };
        } else {
          const asked = op.stale ? previous : ticket; // a stale hand-over names an earlier ticket
          const expected = model.kind === 'queued' && model.ticket === asked;
          const won = op.kind === 'take' ? takeClaim(words, 0, asked) : revokeClaim(words, 0, asked);
          if (won !== expected) return false;
          if (won) {
            wins++;
            model = op.kind === 'take' ? { kind: 'taken', ticket: asked } : { kind: 'empty' };
          }
        }
        const word = model.kind === 'empty' ? Claim.EMPTY : model.kind === 'queued' ? queuedClaim(model.ticket) : takenClaim(model.ticket);
        if (Atomics.load(words, 0) !== word || isTaken(words, 0) !== (model.kind === 'taken') || wins > 1) return false;
      }
      return true;
    }),
    { numRuns: 2000 },
  );
  t.pass('the word matched its model after every step');
});

t.test('the abort line: the controller names the job and why; the worker reads both and is woken', async (t) => {
  const layout = layoutFor(2, 0, 1);
  const words = createSharedMemory(layout, 'park');
  const base = cpuBase(layout, 1);
  t.equal(abortLine(words, base), 0, 'no job has been asked to stop');
  t.notOk(abortRequested(words, base, 7));
  const seen = abortLine(words, base);
  const waiting = waitAbortLine(words, base, seen, PATIENCE_MS);
  t.ok(waiting, 'a wait on an unchanged line waits');
  requestAbort(words, base, 7, AbortReason.TIMED_OUT);
  t.equal(await waiting, 'ok', 'the request wakes it');
  t.ok(abortRequested(words, base, 7));
  t.notOk(abortRequested(words, base, 8), 'another job is not asked');
  t.equal(abortReason(words, base), AbortReason.TIMED_OUT);
  t.equal(waitAbortLine(words, base, seen, PATIENCE_MS), undefined, 'a wait on a line that has moved returns at once');
  t.equal(abortLine(words, cpuBase(layout, 0)), 0, "another CPU's line is untouched");
  requestAbort(words, base, 9, AbortReason.ABORTED);
  t.ok(abortRequested(words, base, 9));
  t.notOk(abortRequested(words, base, 7), 'the line names the last job asked only');
  t.equal(abortReason(words, base), AbortReason.ABORTED);
  // After 2^31 - 1 jobs the ids no longer fit the word as they are: they still name their job.
  for (const id of [2 ** 31 - 1, 2 ** 31, 2 ** 31 + 5, 2 ** 32 - 1, 2 ** 32 + 3]) {
    requestAbort(words, base, id, AbortReason.ABORTED);
    t.ok(abortRequested(words, base, id), `job ${id} is asked`);
    t.notOk(abortRequested(words, base, id + 1), `job ${id + 1} is not`);
    t.equal(abortLine(words, base), abortTag(id), 'the line holds its tag');
  }
  t.notOk(isAbortTagFree(2 ** 32), 'an id whose tag is "no job" is never issued');
  t.ok(isAbortTagFree(2 ** 32 + 1));
});

const SLOTS = 1024;
const ROUNDS = 400;
const MIN_SPIN = 16;
const MAX_SPIN = 1 << 14;

/**
 * Each round the controller offers every slot, then both sides sweep all of them in the same
 * order, the kworker (a worker_thread) with takeClaim and the controller (this thread) with
 * revokeClaim, and then the controller checks every word. They take turns to lead; the
 * leader is slowed until the other catches it up (sweep() in job-claim-race.ts), so in each
 * round where that happens both sides go for the word where it happened within a few dozen
 * nanoseconds, and race on from there. The slowing adapts so the catching up comes early in
 * the sweep. Only what must hold whatever the timing is asserted.
 */
t.test('the race: revoke and take on the same claim words from two threads, exactly one wins each, every round', async (t) => {
  const layout = layoutOf(SLOTS);
  const data: RaceData = {
    claims: createSharedMemory(layout, 'park').buffer as SharedArrayBuffer,
    control: new SharedArrayBuffer(Control.WORDS * Int32Array.BYTES_PER_ELEMENT),
    results: new SharedArrayBuffer(SLOTS),
    slots: SLOTS,
  };
  const claims = new Int32Array(data.claims);
  const control = new Int32Array(data.control);
  const taken = new Uint8Array(data.results);
  const racer = new Worker(new URL('./job-claim-racer.js', import.meta.url), { workerData: data });
  let racerError: unknown;
  racer.on('error', (error) => (racerError = error));
  const exited = new Promise<number>((resolve) => racer.once('exit', resolve));
  t.teardown(() => racer.terminate());

  const violations: string[] = [];
  let [kworkerWins, controllerWins, met, switches, rounds] = [0, 0, 0, 0, 0];
  let spin = 256;
  for (let round = 1; round <= ROUNDS && violations.length < 20; round++) {
    for (let slot = 0; slot < SLOTS; slot++) offerClaim(claims, claimWord(layout, 0, slot), ticketFor(round, slot, SLOTS));
    const controllerLeads = round % 2 === 1;
    Atomics.store(control, Control.LEAD, controllerLeads ? CONTROLLER_LEADS : KWORKER_LEADS);
    Atomics.store(control, Control.SPIN, spin);
    Atomics.store(control, Control.GO, round);
    Atomics.notify(control, Control.GO);
    if (!controllerLeads && !(await waitForWord(control, Control.STARTED, (v) => v === round, PATIENCE_MS))) {
      violations.push(`round ${round}: the kworker did not start within ${PATIENCE_MS} ms`);
      break;
    }
    const word = (slot: number): number => claimWord(layout, 0, slot);
    const ticket = (slot: number): number => ticketFor(round, slot, SLOTS);
    const revoked = sweep(
      SLOTS,
      controllerLeads,
      spin,
      (slot) => revokeClaim(claims, word(slot), ticket(slot)),
      (slot) => Atomics.load(claims, word(slot)) === queuedClaim(ticket(slot)),
    );
    if (!(await waitForWord(control, Control.DONE, (v) => v === round, PATIENCE_MS))) {
      violations.push(`round ${round}: the kworker did not finish within ${PATIENCE_MS} ms`);
      break;
    }
    const follower = controllerLeads ? taken : revoked;
    let caughtUp = -1;
    for (let slot = 0; slot < SLOTS; slot++) {
      const [kworker, controller] = [taken[slot] === 1, revoked[slot] === 1];
      const value = Atomics.load(claims, word(slot));
      if (kworker === controller) violations.push(`round ${round}, slot ${slot}: ${kworker ? 'both sides won' : 'neither side won'}`);
      else if (kworker && value !== takenClaim(ticket(slot))) violations.push(`round ${round}, slot ${slot}: taken, but the word is ${value}`);
      else if (controller && value !== Claim.EMPTY) violations.push(`round ${round}, slot ${slot}: revoked, but the word is ${value}`);
      if (kworker) kworkerWins++;
      if (controller) controllerWins++;
      if (slot > 0 && taken[slot] !== taken[slot - 1]) switches++;
      if (caughtUp < 0 && follower[slot] === 1) caughtUp = slot;
      releaseClaim(claims, word(slot)); // the job ran, or was never there: the slot is free for the next round
    }
    rounds++;
    if (caughtUp >= 0) met++;
    // Slow the leader more if the follower caught up late or never, less if early.
    spin = caughtUp < 0 || caughtUp > SLOTS / 4 ? Math.min(Math.ceil(spin * 1.5), MAX_SPIN) : Math.max(MIN_SPIN, Math.floor(spin * 0.9));
  }
  Atomics.store(control, Control.GO, -1);
  Atomics.notify(control, Control.GO);
  t.equal(await exited, 0, 'the racer stopped when told');
  t.equal(racerError, undefined, 'the racer threw nothing');
  t.same(violations, [], 'exactly one side won every word of every round, and the word says which');
  t.equal(rounds, ROUNDS);
  t.equal(kworkerWins + controllerWins, ROUNDS * SLOTS, 'every offer was won by one side');
  t.ok(met > 0, 'in some rounds the follower caught the leader up: the two went for the same word at once');
  t.comment(`${ROUNDS} rounds of ${SLOTS} words: the kworker took ${kworkerWins}, the controller revoked ${controllerWins}; the follower caught up in ${met} rounds; the winner changed ${switches} times along the sweeps`);
});
