/**
 * How `cpuhp torture` shows a long run while it runs: a bar redrawn in place for a person at
 * a terminal, or a plain status line about every 5 s for a log or a pipe. The engine reports
 * about once a second; the run ends on time or on an operation count, whichever comes first,
 * so the bar shows whichever of the two is further along.
 */

import cliProgress from 'cli-progress';
import type { TortureProgress } from '../torture/settings.js';
import { formatCount } from '../common/format.js';
import { describeTime } from './torture-flags.js';

export interface ProgressView {
  update(progress: TortureProgress): void;
  /** The run is over: clear the bar, so only the report stays on screen. */
  stop(): void;
}

export interface Budget {
  readonly durationMs: number | undefined;
  readonly ops: number | undefined;
}

const LINE_EVERY_MS = 5000;

/** 0 to 1: how far the run is through its budget. */
function fraction(progress: TortureProgress, budget: Budget): number {
  const byTime = budget.durationMs === undefined ? 0 : progress.elapsedMs / budget.durationMs;
  const byOps = budget.ops === undefined ? 0 : progress.operations / budget.ops;
  return Math.min(1, Math.max(byTime, byOps));
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

function status(progress: TortureProgress): { ops: string; hotplug: string; violations: string } {
  const { counts } = progress;
  return {
    ops: `${formatCount(progress.operations)} operations`,
    hotplug: `${formatCount(counts.offlineSuccesses)} offlines, ${formatCount(counts.onlineSuccesses)} onlines`,
    violations: `${formatCount(progress.violations)} ${progress.violations === 1 ? 'violation' : 'violations'}`,
  };
}

export function barProgress(stream: NodeJS.WriteStream, budget: Budget): ProgressView {
  const bar = new cliProgress.SingleBar(
    {
      stream,
      format: 'cpuhp torture [{bar}] {percentage}% {time} | {ops} | {hotplug} | {violations}',
      clearOnComplete: true,
      // The engine reports once a second; a faster redraw would show nothing new.
      fps: 2,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(1000, 0, { time: seconds(0), ops: '0 operations', hotplug: '0 offlines, 0 onlines', violations: '0 violations' });
  return {
    update: (progress) => bar.update(Math.round(fraction(progress, budget) * 1000), { time: seconds(progress.elapsedMs), ...status(progress) }),
    stop: () => bar.stop(),
  };
}

/** A status line about every 5 s; the first after 5 s, so a short run prints none. */
export function lineProgress(stream: NodeJS.WritableStream, budget: Budget): ProgressView {
  let next = LINE_EVERY_MS;
  const of = budget.durationMs === undefined ? '' : ` of ${describeTime(budget.durationMs)}`;
  return {
    update: (progress) => {
      if (progress.elapsedMs < next) return;
      next = progress.elapsedMs + LINE_EVERY_MS - 500; // the engine's 1 s tick drifts; keep lines about 5 s apart
      const s = status(progress);
      stream.write(`cpuhp torture: ${seconds(progress.elapsedMs)}${of}, ${s.ops}, ${s.hotplug}, ${s.violations}\n`);
    },
    stop: () => undefined,
  };
}
