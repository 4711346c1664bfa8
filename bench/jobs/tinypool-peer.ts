/**
 * tinypool as a job-benchmark peer: a pool of exactly `threads` threads (minThreads =
 * maxThreads) with tinypool's other defaults, running the same task files as piscina (a
 * module's default export: tinypool follows piscina's API). Loaded by dynamic import:
 * tinypool is a devDependency.
 */

import { installedVersion, loadOptional } from './optional.js';
import type { PeerStatus } from './peers.js';
import type { Workload } from './workloads.js';

export async function loadTinypool(): Promise<PeerStatus> {
  const loaded = await loadOptional('tinypool', () => import('tinypool'));
  if ('missing' in loaded) return { name: 'tinypool', missing: loaded.missing };
  const { Tinypool } = loaded.module;
  return {
    name: 'tinypool',
    peer: {
      name: 'tinypool',
      version: installedVersion('tinypool'),
      options: 'new Tinypool({ filename, minThreads: threads, maxThreads: threads }) with its other defaults',
      pool: (threads: number, workload: Workload) => {
        const pool = new Tinypool({ filename: workload.taskFile.href, minThreads: threads, maxThreads: threads });
        return { run: (args) => pool.run(args) as Promise<unknown>, destroy: () => pool.destroy() };
      },
    },
  };
}
