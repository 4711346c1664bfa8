/**
 * The cpuhp side of the job benchmark: a fresh runtime per measurement, jobs submitted with
 * rt.queueWork() to any online CPU, and under churn the highest-numbered CPU taken down at one
 * tick and brought up at the next, while the loop runs. That CPU is never the last online
 * one: the runtime has at least 2 CPUs and the others stay up.
 */

import { shutDownRuntime, startRuntime } from '../runtime-session.js';
import { runClosedLoop, type Submit } from './closed-loop.js';
import { measuredLoop, warmUp, type CpuhpChurn, type MeasurePlan, type Measurement } from './measurement.js';
import { startTicker } from './ticker.js';

/** The job module, compiled beside this file. */
export const JOBS_MODULE = new URL('./cpuhp-jobs.js', import.meta.url);

export async function measureCpuhp(plan: MeasurePlan): Promise<Measurement> {
  const { settings, workload } = plan;
  const rt = await startRuntime({ cpus: settings.threads, strategy: 'park', modules: [JOBS_MODULE] });
  try {
    const submit: Submit = (args) => rt.queueWork(workload.cpuhpJob, args);
    await warmUp(plan, submit);
    const cpu = settings.threads - 1;
    const movedBefore = rt.stats().jobs.migrated;
    const ticker = plan.churn ? startTicker(settings.churnIntervalMs, () => (rt.onlineCpus().includes(cpu) ? rt.cpuDown(cpu) : rt.cpuUp(cpu))) : undefined;
    let loop;
    try {
      loop = await runClosedLoop(workload, submit, measuredLoop(plan));
    } finally {
      await ticker?.stop();
      // The runtime ends as it started, every CPU online, whatever the last tick did.
      if (!rt.onlineCpus().includes(cpu)) await rt.cpuUp(cpu);
    }
    const stats = rt.stats();
    const churned = stats.cpus[cpu]!;
    const churn: CpuhpChurn | null =
      ticker === undefined
        ? null
        : {
            runtime: 'cpuhp',
            intervalMs: settings.churnIntervalMs,
            cpu,
            cpuDowns: churned.downs,
            cpuUps: churned.ups, // boot is not counted; the restoring cpuUp after the loop is
            movedJobs: stats.jobs.migrated - movedBefore,
            cpuDownMs: stats.latency.cpuDown,
            cpuUpMs: stats.latency.cpuUp,
            errors: ticker.errors.toJSON(),
          };
    return { loop, churn, violations: stats.violations };
  } finally {
    await shutDownRuntime(rt);
  }
}
