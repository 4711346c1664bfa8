/**
 * The job-benchmark peers besides piscina, each a worker pool an application could use in
 * its place, started with exactly `threads` threads and its other defaults: what the closed
 * loop needs of one (submit a job, shut the pool down) and what the report says of it.
 */

import { loadPoolifier } from './poolifier-peer.js';
import { loadTinypool } from './tinypool-peer.js';
import type { Workload } from './workloads.js';

export type PeerName = 'poolifier' | 'tinypool';

export interface PeerPool {
  /** Runs one job of the pool's workload; resolves with its result. */
  run(args: unknown): Promise<unknown>;
  /** Ends the pool and its threads. */
  destroy(): Promise<void>;
}

export interface Peer {
  readonly name: PeerName;
  readonly version: string;
  /** How the pools are started, in the library's own terms, for the report. */
  readonly options: string;
  /** A new pool of `threads` threads that runs `workload`'s jobs. */
  pool(threads: number, workload: Workload): PeerPool;
}

/** A peer as loaded: ready to measure, or a note that it is not installed. */
export type PeerStatus = { readonly name: PeerName; readonly peer: Peer } | { readonly name: PeerName; readonly missing: string };

/** Both peers, loaded (each library by dynamic import); each ready or a note that it is not installed. */
export async function loadPeers(): Promise<PeerStatus[]> {
  return [await loadPoolifier(), await loadTinypool()];
}
