/**
 * How `cpuhp torture` shows its run: the header before it starts, the statistics after it
 * (in the spirit of the kernel torture tests' end-of-run lines), the violation report with
 * what it takes to repeat the run, and the one JSON object of --json.
 */

import type { OpRecord } from '../torture/oplog.js';
import { watchdogMsFor, type TortureResult, type TortureSettings } from '../torture/settings.js';
import { FAULT_NAMES } from '../torture/faults.js';
import type { MinAvgMax } from '../torture/stats.js';
import { formatCount, formatMs, plural, renderTable } from '../common/format.js';
import { describeTime } from './torture-flags.js';
import { formatDuration } from './duration.js';

/** CPUs that outnumber cores share them: then every latency includes OS scheduling. */
export function oversubscriptionWarning(cpus: number, cores: number): string | undefined {
  if (cpus <= cores) return undefined;
  return `warning: ${plural(cpus, 'CPU')} on ${plural(cores, 'core')}: the CPU workers share cores, so the latencies include OS scheduling, not only cpuhp's own work`;
}

function budget(settings: TortureSettings): string {
  const { durationMs, ops } = settings;
  if (durationMs !== undefined && ops !== undefined) return `for ${describeTime(durationMs)} or ${plural(ops, 'operation')}, whichever comes first`;
  if (ops !== undefined) return `for ${plural(ops, 'operation')}`;
  return `for ${describeTime(durationMs ?? 0)}`;
}

/** What the settings make of the figures, known before the run starts: in the header, and in the JSON's `warnings`. */
export function settingsWarnings(settings: TortureSettings, cores: number): string[] {
  const warnings: string[] = [];
  const warning = oversubscriptionWarning(settings.cpus, cores);
  if (warning !== undefined) warnings.push(warning);
  if (settings.durationMs !== undefined && settings.onoffHoldoffMs >= settings.durationMs) {
    warnings.push(`warning: the holdoff (${describeTime(settings.onoffHoldoffMs)}) is as long as the run: no CPU will go down or up`);
  }
  return warnings;
}

/** Printed before the run starts, so the user knows what the next minute is doing and how to repeat it. */
export function renderHeader(settings: TortureSettings, cores: number): string {
  const { strategy, cpus, threadsPerCpu, failRate, seed } = settings;
  const lines = [
    `cpuhp torture: strategy ${strategy}, ${plural(cpus, 'CPU')} (one worker thread each) on ${plural(cores, 'core')}, ` +
      `${plural(threadsPerCpu, 'torture kthread')} per CPU (+ the per-CPU tkworker, and the kworker that runs jobs)`,
    `${budget(settings)}; a CPU goes down or up every ${describeTime(settings.onoffIntervalMs)}` +
      `${settings.onoffHoldoffMs > 0 ? ` after a holdoff of ${describeTime(settings.onoffHoldoffMs)}` : ''}; hotplug timeout ${describeTime(settings.hotplugTimeoutMs)}`,
    `fail rate ${failRate}${failRate === 0 ? ' (no faults injected)' : `, faults: ${allFaults(settings) ? 'all kinds' : settings.faults.join(', ')}`}; seed ${seed} (--seed ${seed} repeats these choices)`,
    settings.watchdog
      ? `watchdog: a CPU that runs ${describeTime(watchdogMsFor(settings.hotplugTimeoutMs))} without yielding fails (onLockup 'fail')`
      : 'watchdog: off (--no-watchdog); no job that spins forever is queued',
    ...settingsWarnings(settings, cores),
  ];
  if (settings.plantedRace) {
    lines.push('planted race: CPU down declares the CPU dead before its last running thread parks (test-only); this run is expected to fail');
  }
  return lines.join('\n');
}

function allFaults(settings: TortureSettings): boolean {
  return FAULT_NAMES.every((name) => settings.faults.includes(name));
}

/** `npx cpuhp torture ...` with every setting that shapes the run spelled out, defaults included. */
export function repeatCommand(settings: TortureSettings): string {
  const flags = [
    `--strategy ${settings.strategy}`,
    `--cpus ${settings.cpus}`,
    `--threads ${settings.threadsPerCpu}`,
    ...(settings.durationMs === undefined ? [] : [`--duration ${formatDuration(settings.durationMs)}`]),
    ...(settings.ops === undefined ? [] : [`--ops ${settings.ops}`]),
    `--onoff-interval ${formatDuration(settings.onoffIntervalMs)}`,
    `--onoff-holdoff ${formatDuration(settings.onoffHoldoffMs)}`,
    `--fail-rate ${settings.failRate}`,
    ...(allFaults(settings) ? [] : [`--faults ${settings.faults.join(',')}`]),
    ...(settings.watchdog ? [] : ['--no-watchdog']),
    `--timeout ${formatDuration(settings.hotplugTimeoutMs)}`,
    ...(settings.plantedRace ? ['--plant-race'] : []),
    `--seed ${settings.seed}`,
  ];
  return `npx cpuhp torture ${flags.join(' ')}`;
}

function latencyRow(name: string, attempts: number, successes: number, latency: MinAvgMax): string[] {
  const ms = (value: number): string => (latency.count === 0 ? '-' : formatMs(value));
  return [name, formatCount(attempts), formatCount(successes), ms(latency.minMs), ms(latency.avgMs), ms(latency.maxMs)];
}

/** The end-of-run statistics: hotplug operations with their latency, then every counter. */
export function renderStatistics(result: TortureResult): string {
  const { counts, latency, settings } = result;
  const hotplug = renderTable(
    [
      { header: 'operation' },
      { header: 'attempts', align: 'right' },
      { header: 'succeeded', align: 'right' },
      { header: 'min ms', align: 'right' },
      { header: 'avg ms', align: 'right' },
      { header: 'max ms', align: 'right' },
    ],
    [
      latencyRow('CPU offline', counts.offlineAttempts, counts.offlineSuccesses, latency.offline),
      latencyRow('CPU online', counts.onlineAttempts, counts.onlineSuccesses, latency.online),
    ],
  );
  const row = (name: string, n: number, meaning: string): string[] => [name, formatCount(n), meaning];
  const counters = renderTable(
    [{ header: 'counter' }, { header: 'count', align: 'right' }, { header: 'what it counts' }],
    [
      row('rollbacks', counts.rollbacks, 'hotplug operations that failed and rolled back'),
      row('parks', counts.parks, 'kthreadPark calls the thread acknowledged'),
      row('park timeouts', counts.parkTimeouts, 'kthreadPark calls ignored by a thread in an injected deaf spell'),
      row('unparks', counts.unparks, 'kthreadUnpark calls'),
      row('creates', counts.creates, 'threads created, the initial ones included'),
      row('stops', counts.stops, 'threads stopped, the final clean-up included'),
      row('callback failures', counts.injectedCallbackFailures, 'injected: a hotplug step made to fail once'),
      row('deaf spells', counts.deafSpells, 'injected: a thread ignoring park requests for 1.5 × the timeout'),
      row('throwing kthreads', counts.injectedThrows, 'injected: a thread that throws after a few units'),
      row('worker deaths', counts.workerDeaths, 'injected: a job that killed its worker (process.exit, an uncaught error, out of memory)'),
      row('states added', counts.statesAdded, 'injected: hotplug states added with setupState, whose callbacks fail on some CPUs'),
      row('states removed', counts.statesRemoved, 'removeState calls, the end of the run included'),
      row('setup failures', counts.setupFailures, 'setupState calls that failed on some CPU and were undone'),
      row('remove failures', counts.removeFailures, 'removeState calls whose teardown failed on some CPU; the state went anyway'),
      row('state callback throws', counts.stateCallbackThrows, `injected: a callback of the run's own state that threw, in either direction`),
      row('rollback failures', counts.rollbackFailures, 'CPU downs and ups whose rollback failed too, leaving the CPU part-way'),
      row('hostile results', counts.hostileResults, "injected: jobs that handed back a hostile value, rejected as 'threw'"),
      row('listener throws', counts.listenerThrows, 'injected: trace events whose listener threw'),
      row('listener warnings', counts.listenerWarnings, 'warnings the runtime gave for that listener (one per throwing listener)'),
      row('lockups', counts.lockups, "injected: jobs that spun forever, rejected by the watchdog as 'soft-lockup'"),
      row('long jobs', counts.longJobs, 'injected: jobs longer than the hotplug timeout, with a cpuDown of their CPU meanwhile'),
      row('forged handles', counts.forgedHandles, 'injected: kthread calls with forged or foreign handles, each refused'),
      row('faults survived', counts.faultsSurvived, 'failures the runtime rolled back or absorbed, leaving everything consistent'),
      row('refused', counts.refused, 'operations refused as the API promises (last online CPU, thread gone, CPU down)'),
      row('jobs queued', counts.jobsQueued, 'jobs given to queueWork, of every placement'),
      row('jobs completed', counts.jobsCompleted, 'jobs that ran once and resolved'),
      row('jobs rejected', counts.jobsRejected, 'aborted, timed out, strict to a CPU that went down, or injected faults, as the API promises'),
      row('violations', result.violations.length, 'invariant violations: must be 0'),
    ],
  );
  const title = `Statistics: strategy ${settings.strategy}, ${plural(settings.cpus, 'CPU')}, ${plural(result.operations, 'operation')} in ${(result.elapsedMs / 1000).toFixed(1)} s`;
  return `${title}\n${hotplug}\n\n${counters}`;
}

/** The seed and the command that repeats the run: printed when it was interrupted, or when the process must exit without its report. */
export function renderRepeat(settings: TortureSettings): string {
  return `seed: ${settings.seed}\nto repeat it: ${repeatCommand(settings)}`;
}

/** The last line of the run, and after an interrupted one what repeats it. */
export function renderVerdict(result: TortureResult): string {
  if (result.interrupted) {
    const found = result.ok ? 'no violation so far' : plural(result.violations.length, 'violation');
    return `interrupted after ${plural(result.operations, 'operation')} in ${(result.elapsedMs / 1000).toFixed(1)} s (the end-of-run checks were not made): ${found}\n${renderRepeat(result.settings)}`;
  }
  if (!result.ok) return `FAILED: ${plural(result.violations.length, 'violation')}; seed ${result.settings.seed}`;
  const faults = result.counts.faultsSurvived > 0 ? `, ${plural(result.counts.faultsSurvived, 'fault')} survived` : '';
  return `ok: no violation in ${plural(result.operations, 'operation')}${faults}; seed ${result.settings.seed}`;
}

function traceTable(trace: readonly OpRecord[]): string {
  return renderTable(
    [{ header: 'seq', align: 'right' }, { header: 'at ms', align: 'right' }, { header: 'took ms', align: 'right' }, { header: 'actor' }, { header: 'operation' }, { header: 'outcome' }],
    trace.map((op) => [
      String(op.seq),
      op.at.toFixed(1),
      op.endedAt === undefined ? 'running' : (op.endedAt - op.at).toFixed(1),
      op.actor,
      op.op,
      op.outcome,
    ]),
  );
}

/** What a failed run found, how to repeat it, and the operations that led there. */
export function renderViolations(result: TortureResult): string {
  const seed = result.settings.seed;
  return [
    `cpuhp torture found ${plural(result.violations.length, 'violation')}:`,
    ...result.violations.map((v) => `  at ${v.at.toFixed(1)} ms: ${v.what}`),
    '',
    `seed: ${seed}`,
    `to repeat it: ${repeatCommand(result.settings)}`,
    '  (the seed repeats every random choice; thread timings differ from run to run, so a race may take a few runs to show again)',
    '',
    `the operations since the run last found everything consistent (${plural(result.trace.length, 'operation')}; times in ms since the run started):`,
    traceTable(result.trace),
  ].join('\n');
}

/**
 * The --json object: the result without its timeline (that is the --trace file), with the
 * seed at the top and settings left unset written as null, so every key is always there.
 */
export function renderJson(result: TortureResult, extra: { readonly traceFile: string | null; readonly warnings: readonly string[] }): string {
  const { timeline: _timeline, settings, ...rest } = result;
  const object = {
    seed: settings.seed,
    ...rest,
    warnings: [...extra.warnings, ...result.warnings],
    settings: { ...settings, durationMs: settings.durationMs ?? null, ops: settings.ops ?? null },
    repeat: repeatCommand(settings),
    traceFile: extra.traceFile,
  };
  return JSON.stringify(object, null, 2);
}
