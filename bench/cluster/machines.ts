/**
 * The cpuhp rows: N machine processes (`cpuhp cluster-node`, forked by MachineProcess), each
 * a cpuhp runtime of `cpusPerMachine` CPUs whose BullMQ worker takes cpus × jobsPerCpu jobs
 * at a time and runs each through queueWork on a CPU worker thread. The job module is the
 * job benchmark's (bench/jobs/cpuhp-jobs.ts), so the work is the same code as there.
 */

import { fileURLToPath } from 'node:url';
import { MachineProcess } from '../../src/cluster/machine-process.js';
import { JOBS_MODULE } from '../jobs/cpuhp-target.js';
import type { Workers } from './broker-row.js';
import { forget, track } from './children.js';
import type { ClusterBenchSettings } from './settings.js';

export async function startMachines(settings: ClusterBenchSettings, count: number, redisUrl: string, queue: string): Promise<Workers> {
  const started = await Promise.allSettled(
    Array.from({ length: count }, (_, i) =>
      MachineProcess.start({
        redis: redisUrl,
        queue,
        name: `bench-m${i + 1}`,
        modules: [fileURLToPath(JOBS_MODULE)],
        cpus: settings.cpusPerMachine,
        jobsPerCpu: settings.jobsPerCpu,
        strategy: 'park',
      }).then((m) => track(m)),
    ),
  );
  const machines = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed !== undefined) {
    await Promise.allSettled(machines.map((m) => m.kill().finally(() => forget(m))));
    throw failed.reason;
  }
  return {
    stop: async () => {
      // close() drains the machine (nothing is running by now) and ends its process.
      const stats = await Promise.all(machines.map((m) => m.close().finally(() => forget(m))));
      return stats.map((s) => s.completed);
    },
  };
}
