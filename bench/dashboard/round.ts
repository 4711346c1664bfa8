/**
 * One round of the dashboard-cost benchmark, the same in both arms: for `roundMs`, trivial
 * jobs through queueWork in a closed loop of `window` (each that settles replaced at once: the
 * runtime's full rate), while every `hotplugEveryMs` a CPU other than 0 goes down and comes
 * back up, each call timed. What the round returns is this workload's own measure; the arms
 * differ only in whether the page is served and read meanwhile (run.ts).
 */

import { setTimeout as sleep } from 'node:timers/promises';
import type { Runtime } from '../../src/index.js';
import type { Random } from '../../src/common/random.js';
import { WholeHistogram } from '../../src/controller/latency.js';
import type { DashboardBenchSettings } from './settings.js';

/** Hotplug latencies are kept in µs, up to a minute. */
const MAX_US = 60_000_000;

export interface RoundMeasure {
  readonly elapsedMs: number;
  readonly jobs: number;
  readonly jobsPerSec: number;
  /** Jobs that rejected: must be 0 (a CPU going down hands its jobs on, never fails them). */
  readonly failedJobs: number;
  readonly cpuDownUs: WholeHistogram;
  readonly cpuUpUs: WholeHistogram;
  /** The same latencies as a list, µs, for an arm's totals over its rounds. */
  readonly cpuDownSamples: number[];
  readonly cpuUpSamples: number[];
}

/** `halt` ends the round early (an interrupted run): the lanes and the hotplug loop stop at their next turn. */
export async function measureRound(rt: Runtime, settings: DashboardBenchSettings, random: Random, halt?: AbortSignal): Promise<RoundMeasure> {
  const cpuDownUs = new WholeHistogram(MAX_US);
  const cpuUpUs = new WholeHistogram(MAX_US);
  const cpuDownSamples: number[] = [];
  const cpuUpSamples: number[] = [];
  let jobs = 0;
  let failedJobs = 0;
  const started = performance.now();
  const deadline = started + settings.roundMs;
  const lane = async (): Promise<void> => {
    let x = 0;
    while (performance.now() < deadline && halt?.aborted !== true) {
      try {
        await rt.queueWork('trivial', { x: x++ });
        jobs++;
      } catch {
        failedJobs++;
        // A rejection can come at once (a runtime shut down under the round): yield, so a
        // lane of them never keeps the event loop to itself until the deadline.
        await new Promise((resolve) => setImmediate(resolve));
      }
    }
  };
  const hotplug = async (): Promise<void> => {
    for (;;) {
      await sleep(settings.hotplugEveryMs);
      if (performance.now() >= deadline || halt?.aborted === true) return;
      const candidates = rt.onlineCpus().filter((cpu) => cpu !== 0);
      if (candidates.length === 0) continue;
      const cpu = random.pick(candidates);
      let t0 = performance.now();
      await rt.cpuDown(cpu);
      const down = (performance.now() - t0) * 1000;
      cpuDownUs.record(down);
      cpuDownSamples.push(down);
      t0 = performance.now();
      await rt.cpuUp(cpu);
      const up = (performance.now() - t0) * 1000;
      cpuUpUs.record(up);
      cpuUpSamples.push(up);
    }
  };
  // Jobs per second over the lanes' own time: the last hotplug cycle may end a little later.
  const lanes = Promise.all(Array.from({ length: settings.window }, lane)).then(() => performance.now());
  const [lanesEnded] = await Promise.all([lanes, hotplug()]);
  const elapsedMs = lanesEnded - started;
  return { elapsedMs, jobs, jobsPerSec: (jobs / elapsedMs) * 1000, failedJobs, cpuDownUs, cpuUpUs, cpuDownSamples, cpuUpSamples };
}
