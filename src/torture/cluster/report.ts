/**
 * How `cpuhp torture-cluster` shows its run: the header, the statistics (torture's onoff
 * table per action, then the job counters), the duplicates and why, the verdict, the command
 * that repeats the run, and the one JSON object of --json.
 */

import { formatCount, plural, renderTable } from '../../common/format.js';
import { formatDuration } from '../../cli/duration.js';
import type { ClusterTortureResult } from './run.js';
import { ACTIONS, type ActionCount } from './stats.js';
import { DOWN_TIMEOUT_MS, outstandingFor, stalledIntervalFor, type ClusterTortureSettings } from './settings.js';

export function repeatCommand(settings: ClusterTortureSettings): string {
  const flags = [
    `--seed ${settings.seed}`,
    `--machines ${settings.machines}`,
    `--cpus ${settings.cpusPerMachine}`,
    `--strategy ${settings.strategy}`,
    `--duration ${formatDuration(settings.durationMs)}`,
    `--onoff-interval ${formatDuration(settings.onoffIntervalMs)}`,
    settings.kills ? '' : '--no-kills',
    `--lock-duration ${formatDuration(settings.lockDurationMs)}`,
    `--max-stalled ${settings.maxStalledCount}`,
    settings.redisUrl === undefined ? '' : `--redis ${settings.redisUrl}`,
  ].filter((f) => f !== '');
  return `cpuhp torture-cluster ${flags.join(' ')}`;
}

export function renderHeader(settings: ClusterTortureSettings, redis: string): string {
  return [
    `cpuhp torture-cluster: seed ${settings.seed}, strategy ${settings.strategy}, ${plural(settings.machines, 'machine')} of ${plural(settings.cpusPerMachine, 'CPU')}, for ${formatDuration(settings.durationMs)}`,
    `  broker: ${redis}`,
    `  on/off every ${formatDuration(settings.onoffIntervalMs)}: CPU down/up, graceful machine down/up${settings.kills ? ', SIGKILL and restart' : ' (no kills)'}`,
    `  jobs: ${outstandingFor(settings)} outstanding; lock ${formatDuration(settings.lockDurationMs)}, stalled check every ${formatDuration(stalledIntervalFor(settings.lockDurationMs))}, maxStalledCount ${settings.maxStalledCount}, down timeout ${formatDuration(DOWN_TIMEOUT_MS)}`,
  ].join('\n');
}

export function redisLabel(settings: ClusterTortureSettings, port: number): string {
  return settings.redisUrl ?? `local redis-server on port ${port}`;
}

function ms(value: number | null): string {
  return value === null ? '-' : value.toFixed(1);
}

function actionRow(name: string, c: ActionCount): string[] {
  return [name, formatCount(c.attempts), formatCount(c.successes), ms(c.minMs), ms(c.avgMs), ms(c.maxMs)];
}

export function renderStatistics(result: ClusterTortureResult): string {
  const { settings, check } = result;
  const onoff = renderTable(
    [
      { header: 'action' },
      { header: 'attempts', align: 'right' },
      { header: 'succeeded', align: 'right' },
      { header: 'min ms', align: 'right' },
      { header: 'avg ms', align: 'right' },
      { header: 'max ms', align: 'right' },
    ],
    ACTIONS.map((a) => actionRow(a, result.actions[a])),
  );
  const c = check.counts;
  const row = (name: string, n: number, meaning: string): string[] => [name, formatCount(n), meaning];
  const restarts = result.machines.reduce((n, m) => n + m.incarnations - 1, 0);
  const counters = renderTable(
    [{ header: 'counter' }, { header: 'count', align: 'right' }, { header: 'what it counts' }],
    [
      row('kills', result.actions['machine kill'].successes, 'machines SIGKILLed mid-run (a crash: no down, no lock released)'),
      row('restarts', restarts, 'new incarnations of killed machines (same name, new pid), those of the final drain included'),
      row('jobs', c.jobs, 'jobs the producer added, each with its own job id'),
      row('completed', c.completed, 'jobs whose one result came back, and was their own'),
      row('failed as planned', c.failedPlanned, 'jobs of the throwing kind, reported once with their error'),
      row('failed as stalled', c.failedStalled, `jobs cut by a kill on each of their ${1 + settings.maxStalledCount} runs: BullMQ fails them`),
      row('lost', c.lost, 'jobs with no outcome within the timeout: must be 0'),
      row('runs', c.runs, 'runs in the ledger, every machine and incarnation'),
      row('duplicates', c.duplicates, 'runs beyond the first of a job'),
      row('in flight on killed', c.inFlightOnKilled, 'runs a kill cut, or ended unheard by the broker: = duplicates + failed as stalled'),
      row('violations', result.violations.length, 'must be 0'),
    ],
  );
  const title = `Statistics: strategy ${settings.strategy}, ${plural(settings.machines, 'machine')} of ${plural(settings.cpusPerMachine, 'CPU')}, ${(result.elapsedMs / 1000).toFixed(1)} s (drain ${(result.drainMs / 1000).toFixed(1)} s)`;
  return `${title}\n${onoff}\n\n${counters}`;
}

/** Why each duplicate ran: per kill, what it found in flight and what became of it. */
export function renderDuplicates(result: ClusterTortureResult): string {
  const { kills, duplicates } = result.check;
  if (kills.length === 0) return 'duplicates: none (no kills)';
  const t0 = Math.min(...kills.map((k) => k.t));
  const table = renderTable(
    [
      { header: 'kill' },
      { header: 'cut mid-run', align: 'right' },
      { header: 'ended unheard', align: 'right' },
      { header: 'run again', align: 'right' },
      { header: 'failed stalled', align: 'right' },
    ],
    kills.map((k) => [`${k.machine} pid ${k.pid} (+${((k.t - t0) / 1000).toFixed(1)} s)`, String(k.cutMidRun), String(k.endedUnheard), String(k.rerun), String(k.failedStalled)]),
  );
  const unexplained = duplicates.filter((d) => d.why.some((w) => w.startsWith('UNEXPLAINED')));
  const more = unexplained.length === 0 ? '' : `\nunexplained duplicates:\n${unexplained.map((d) => `  ${d.key}: ${d.why.join('; ')}`).join('\n')}`;
  return `duplicates and why (each run a kill cut was run again, or its job failed as stalled):\n${table}${more}`;
}

export function renderVerdict(result: ClusterTortureResult): string {
  const c = result.check.counts;
  const head = result.interrupted ? 'interrupted; after the drain, ' : '';
  if (!result.ok) {
    const ledger = result.ledger === null ? '' : `\nthe ledger is kept at ${result.ledger}`;
    return `FAILED: ${head}${plural(result.violations.length, 'violation')}:\n${result.violations.map((v) => `  ${v}`).join('\n')}${ledger}\nseed ${result.settings.seed}; to repeat it: ${repeatCommand(result.settings)}`;
  }
  return (
    `ok: ${head}every one of ${plural(c.jobs, 'job')} completed once or failed as allowed; ${plural(c.duplicates, 'duplicate')}, each on a killed machine; ` +
    `seed ${result.settings.seed}\nto repeat it: ${repeatCommand(result.settings)}`
  );
}

export function renderJson(result: ClusterTortureResult): string {
  const { settings, check, ...rest } = result;
  return JSON.stringify(
    {
      seed: settings.seed,
      ok: rest.ok,
      interrupted: rest.interrupted,
      kills: rest.actions['machine kill'].successes,
      restarts: rest.machines.reduce((n, m) => n + m.incarnations - 1, 0),
      counts: check.counts,
      violations: rest.violations,
      actions: rest.actions,
      actionFailures: rest.actionFailures,
      duplicatesByKill: check.kills,
      duplicates: check.duplicates,
      machines: rest.machines,
      elapsedMs: Math.round(rest.elapsedMs),
      drainMs: Math.round(rest.drainMs),
      redis: rest.redis,
      queue: rest.queue,
      ledger: rest.ledger,
      settings: { ...settings, redisUrl: settings.redisUrl ?? null },
      repeat: repeatCommand(settings),
    },
    null,
    2,
  );
}
