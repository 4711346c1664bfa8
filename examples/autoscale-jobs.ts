/**
 * The job module of the autoscale example (examples/autoscale.ts). Every CPU worker loads
 * the compiled copy, dist/examples/autoscale-jobs.js, and runs these jobs on its kworker.
 */

import { createHash } from 'node:crypto';
// Module authors import the definition helpers alone (cpuhp/kthread): every CPU worker loads
// this module, and the package root would load the whole controller into each of them.
import { defineJob } from 'cpuhp/kthread';

/** One block of input. Made once per worker, so a job's time is hashing, not allocating. */
const BLOCK = Buffer.alloc(64 * 1024, 0x5a);

/**
 * The CPU-bound work of one job: `rounds` chained SHA-256 passes over BLOCK. Chaining each
 * digest into the next pass keeps the work sequential, like a real key-stretching loop.
 * Exported so that the application can time it once and size its jobs for this machine.
 */
export function hashRounds(rounds: number, seed: number): string {
  let digest = Buffer.from(String(seed));
  for (let i = 0; i < rounds; i++) digest = createHash('sha256').update(digest).update(BLOCK).digest();
  return digest.toString('hex', 0, 8);
}

export interface HashArgs {
  /** One counter per job, in shared memory: the job adds 1 at its own index when it runs. */
  readonly runs: Int32Array;
  readonly index: number;
  readonly rounds: number;
}

export interface HashResult {
  readonly cpu: number;
  readonly digest: string;
}

/**
 * The application's unit of work. The count in `runs` is written by the job itself, on the
 * CPU that runs it, so the application can check that no job ran twice or not at all,
 * whatever CPUs went down under it.
 */
export const hashBlock = defineJob<HashArgs, HashResult>(({ runs, index, rounds }, ctx) => {
  Atomics.add(runs, index, 1);
  return { cpu: ctx.cpu, digest: hashRounds(rounds, index) };
});
