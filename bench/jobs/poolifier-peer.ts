/**
 * poolifier as a job-benchmark peer: a FixedThreadPool of `threads` threads with poolifier's
 * defaults (no tasks queue, the LEAST_USED worker choice), whose worker files are
 * ThreadWorkers around the same work functions (poolifier-trivial.ts, poolifier-spin.ts).
 * Loaded by dynamic import: poolifier is a devDependency.
 */

import { fileURLToPath } from 'node:url';
import { installedVersion, loadOptional } from './optional.js';
import type { PeerStatus } from './peers.js';
import type { Workload, WorkloadName } from './workloads.js';

const WORKER_FILES: Readonly<Record<WorkloadName, URL>> = {
  trivial: new URL('./poolifier-trivial.js', import.meta.url),
  cpu: new URL('./poolifier-spin.js', import.meta.url),
};

export async function loadPoolifier(): Promise<PeerStatus> {
  const loaded = await loadOptional('poolifier', () => import('poolifier'));
  if ('missing' in loaded) return { name: 'poolifier', missing: loaded.missing };
  const { FixedThreadPool } = loaded.module;
  return {
    name: 'poolifier',
    peer: {
      name: 'poolifier',
      version: installedVersion('poolifier'),
      options: 'new FixedThreadPool(threads, workerFile) with its defaults',
      pool: (threads: number, workload: Workload) => {
        const pool = new FixedThreadPool<unknown, unknown>(threads, fileURLToPath(WORKER_FILES[workload.name]));
        return { run: (args) => pool.execute(args), destroy: () => pool.destroy() };
      },
    },
  };
}
