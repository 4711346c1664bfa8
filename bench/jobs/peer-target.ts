/**
 * A peer's side of the job benchmark (poolifier, tinypool): a fresh pool per measurement,
 * warmed up, then the same closed loop as cpuhp and piscina. No churn rows: like piscina, the
 * peers cannot take one chosen worker out, and the pool-replacement churn is shown once, for
 * piscina.
 *
 * The pool's destroy() is awaited for at most DESTROY_TIMEOUT_MS: poolifier 5.3.2's sometimes
 * never resolves (its workers have exited, threadId -1, but the 'exit' event its terminate()
 * waits for was missed; 2 pools in 20 on this machine), and a benchmark must not hang on a
 * peer's teardown. The row says when that happened.
 */

import { runClosedLoop, type LoopResult, type Submit } from './closed-loop.js';
import { measuredLoop, warmUp, type MeasurePlan } from './measurement.js';
import type { Peer, PeerPool } from './peers.js';

const DESTROY_TIMEOUT_MS = 2000;

export interface PeerMeasurement {
  readonly loop: LoopResult;
  /** What the row should say besides its figures (a teardown that did not finish). */
  readonly notes: readonly string[];
}

/** Resolves true once the pool is destroyed, false if DESTROY_TIMEOUT_MS passes first (the timer keeps the process alive meanwhile). */
async function destroyWithin(pool: PeerPool): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), DESTROY_TIMEOUT_MS);
  });
  try {
    return await Promise.race([pool.destroy().then(() => true), timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

export async function measurePeer(peer: Peer, plan: MeasurePlan): Promise<PeerMeasurement> {
  if (plan.churn) throw new Error(`${peer.name} has no churn rows: the pool-replacement churn is measured for piscina only`);
  const pool = peer.pool(plan.settings.threads, plan.workload);
  const submit: Submit = (args) => pool.run(args);
  try {
    await warmUp(plan, submit);
    const loop = await runClosedLoop(plan.workload, submit, measuredLoop(plan));
    const destroyed = await destroyWithin(pool);
    return { loop, notes: destroyed ? [] : [`${peer.name}'s destroy() had not resolved ${DESTROY_TIMEOUT_MS} ms after the loop; the run went on without it`] };
  } catch (error) {
    await destroyWithin(pool);
    throw error;
  }
}
