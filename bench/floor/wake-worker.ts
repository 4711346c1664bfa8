/**
 * The worker side of the wake-up round trip: blocked in Atomics.wait on PING as a dormant
 * CPU worker blocks (the same blockWhileWord), it answers each round on PONG at once.
 */

import { parentPort, workerData } from 'node:worker_threads';
import { blockWhileWord } from '../../src/protocol/wait.js';
import { PING, PONG, STOP } from './wake-protocol.js';

/** Longest single wait: the loop re-checks the word, so this only bounds a lost wake. */
const WAIT_SLICE_MS = 1000;

const words = new Int32Array((workerData as { readonly buffer: SharedArrayBuffer }).buffer);
// PING starts at 0 and the main thread writes round 1 only once it has this 'ready': the
// worker waits for a change from 0, not from whatever it would read after posting.
let seen = 0;
parentPort?.postMessage('ready');
for (;;) {
  seen = blockWhileWord(words, PING, seen, WAIT_SLICE_MS);
  if (seen === STOP) break;
  Atomics.store(words, PONG, seen);
  Atomics.notify(words, PONG);
}
