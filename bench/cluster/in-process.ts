/**
 * The in-process row: no broker. One cpuhp runtime of `cpusPerMachine` CPUs in this process,
 * jobs submitted with rt.queueWork under the same closed loop and window as the broker rows.
 * Against the cpuhp ×1 row (one machine of the same CPUs), it is what the broker costs.
 */

import { shutDownRuntime, startRuntime } from '../runtime-session.js';
import { runClosedLoop, type LoopResult, type Submit } from '../jobs/closed-loop.js';
import { JOBS_MODULE } from '../jobs/cpuhp-target.js';
import type { Workload } from '../jobs/workloads.js';
import { warmupJobs, type ClusterBenchSettings } from './settings.js';

export interface InProcessMeasurement {
  readonly loop: LoopResult;
  readonly violations: number;
}

export async function measureInProcess(workload: Workload, settings: ClusterBenchSettings, jobs: number): Promise<InProcessMeasurement> {
  const rt = await startRuntime({ cpus: settings.cpusPerMachine, strategy: 'park', modules: [JOBS_MODULE] });
  try {
    const submit: Submit = (args) => rt.queueWork(workload.cpuhpJob, args);
    const plan = (n: number) => ({ concurrency: settings.window, jobs: n, settleTimeoutMs: settings.settleTimeoutMs });
    const warm = await runClosedLoop(workload, submit, plan(warmupJobs(jobs)));
    if (warm.lost > 0) throw new Error(`${warm.lost} of ${warm.submitted} warm-up jobs did not come back`);
    const loop = await runClosedLoop(workload, submit, plan(jobs));
    return { loop, violations: rt.stats().violations };
  } finally {
    await shutDownRuntime(rt);
  }
}
