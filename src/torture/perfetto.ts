/**
 * A torture run's timeline as a Chrome Trace Event Format file, which ui.perfetto.dev and
 * chrome://tracing open as-is. Three processes, one track per thing:
 *
 *   CPUs      two tracks per CPU: its state word over time (one span per state, with
 *             instants where its worker died and where its jobs moved) and the hotplug steps
 *             run on it (one span per callback, failures and rollbacks marked);
 *   kthreads  one track per thread name: "parked" spans for kthreadPark, "CPU n down" spans
 *             from the CPU's park request to its return, and instants for create, park,
 *             unpark, stop and exit;
 *   torture   one track per actor: each operation as a span named after it.
 *
 * Format reference: "Trace Event Format" (Google doc linked from the Perfetto docs):
 * ph "X" is a complete event (ts + dur), "i" an instant, "M" metadata naming a pid or tid.
 * Times are in microseconds.
 *
 * One clock: the torture re-stamps each runtime event with its own clock as the event is
 * emitted, so events and operations (`at`/`endedAt`) are both in ms since runTorture() began.
 */

import type { TraceEvent, TraceEventOf } from '../trace/events.js';
import type { OpRecord } from './oplog.js';

export interface Timeline {
  readonly events: readonly TraceEvent[];
  readonly ops: readonly OpRecord[];
}

export interface ChromeTraceOptions {
  readonly cpus: number;
  /** End of the run (ms, the run's clock): open spans are closed here. */
  readonly endMs: number;
}

type Args = Readonly<Record<string, unknown>>;

export type ChromeEvent =
  | { readonly ph: 'M'; readonly name: 'process_name' | 'thread_name' | 'process_sort_index' | 'thread_sort_index'; readonly pid: number; readonly tid: number; readonly args: Args }
  | { readonly ph: 'X'; readonly name: string; readonly cat: string; readonly pid: number; readonly tid: number; readonly ts: number; readonly dur: number; readonly args: Args }
  | { readonly ph: 'i'; readonly name: string; readonly cat: string; readonly pid: number; readonly tid: number; readonly ts: number; readonly s: 't'; readonly args: Args };

export interface ChromeTrace {
  readonly traceEvents: ChromeEvent[];
  readonly displayTimeUnit: 'ms';
}

const PID = { cpus: 1, kthreads: 2, torture: 3 } as const;

/** ms → µs, kept to the nanosecond so that spans placed back to back still touch. */
function us(ms: number): number {
  return Math.round(ms * 1e6) / 1e3;
}

/** One named track of one process; its events are collected in `out`. */
class Tracks {
  private readonly tids = new Map<string, number>();

  constructor(
    private readonly pid: number,
    private readonly out: ChromeEvent[],
  ) {}

  /** The tid of a track, naming it (and fixing its place in the list) the first time. */
  tid(name: string, sortIndex?: number): number {
    let tid = this.tids.get(name);
    if (tid === undefined) {
      tid = this.tids.size + 1;
      this.tids.set(name, tid);
      this.out.push({ ph: 'M', name: 'thread_name', pid: this.pid, tid, args: { name } });
      this.out.push({ ph: 'M', name: 'thread_sort_index', pid: this.pid, tid, args: { sort_index: sortIndex ?? tid } });
    }
    return tid;
  }

  span(track: string, name: string, cat: string, fromMs: number, toMs: number, args: Args, sortIndex?: number): void {
    const ts = us(fromMs);
    this.out.push({ ph: 'X', name, cat, pid: this.pid, tid: this.tid(track, sortIndex), ts, dur: Math.max(0, us(toMs - fromMs)), args });
  }

  instant(track: string, name: string, cat: string, atMs: number, args: Args, sortIndex?: number): void {
    this.out.push({ ph: 'i', name, cat, pid: this.pid, tid: this.tid(track, sortIndex), ts: us(atMs), s: 't', args });
  }
}

function processName(out: ChromeEvent[], pid: number, name: string): void {
  out.push({ ph: 'M', name: 'process_name', pid, tid: 0, args: { name } });
  out.push({ ph: 'M', name: 'process_sort_index', pid, tid: 0, args: { sort_index: pid } });
}

export function toChromeTrace(timeline: Timeline, options: ChromeTraceOptions): ChromeTrace {
  const out: ChromeEvent[] = [];
  processName(out, PID.cpus, 'CPUs');
  processName(out, PID.kthreads, 'kthreads');
  processName(out, PID.torture, 'torture');
  const { events } = timeline;
  // Folded rather than spread into Math.min: a long run has more events than a call has room for arguments.
  let start = options.endMs;
  let end = options.endMs;
  for (const e of events) [start, end] = [Math.min(start, e.ts), Math.max(end, e.ts)];
  for (const op of timeline.ops) [start, end] = [Math.min(start, op.at), Math.max(end, op.endedAt ?? op.at)];

  const cpus = new Tracks(PID.cpus, out);
  cpuStates(cpus, events, options.cpus, start, end);
  hotplugSteps(cpus, events, end);
  kthreads(new Tracks(PID.kthreads, out), events, end);
  operations(new Tracks(PID.torture, out), timeline.ops, end);
  return { traceEvents: out, displayTimeUnit: 'ms' };
}

/** The state track of CPU n sorts just before its hotplug track. */
const stateTrack = (cpu: number): [string, number] => [`CPU ${cpu} state`, cpu * 2 + 1];
const hotplugTrack = (cpu: number): [string, number] => [`CPU ${cpu} hotplug`, cpu * 2 + 2];

/**
 * The state the CPU was in before its first recorded change. The torture listens only once
 * Runtime.start() has brought every CPU up, so a CPU's first change is normally out of
 * 'online' (into 'down-prepare'); a first 'bringup' means it was offline.
 */
function stateBefore(first: string | undefined): string {
  return first === 'bringup' ? 'offline' : 'online';
}

/** One span per state, from each cpu-state event to the next; the last runs to the end. */
function cpuStates(tracks: Tracks, events: readonly TraceEvent[], cpus: number, start: number, end: number): void {
  for (let cpu = 0; cpu < cpus; cpu++) {
    const changes = events.filter((e): e is TraceEventOf<'cpu-state'> => e.type === 'cpu-state' && e.cpu === cpu);
    const [track, sort] = stateTrack(cpu);
    let state: string = stateBefore(changes[0]?.state);
    let since = start;
    for (const change of changes) {
      tracks.span(track, state, 'cpu-state', since, change.ts, { cpu, state }, sort);
      state = change.state;
      since = change.ts;
    }
    tracks.span(track, state, 'cpu-state', since, end, { cpu, state, until: 'end of run' }, sort);
  }
}

interface OpenStep {
  readonly at: number;
  readonly step: string;
  readonly direction: string;
  readonly rollback: boolean;
}

/**
 * Each hotplug callback as a span: 'begin' (or 'rollback', a callback run to undo a failed
 * operation) opens it, 'end' or 'fail' closes it. The machine runs one callback per CPU at
 * a time under the hotplug lock, so one open step per CPU is enough.
 */
function hotplugSteps(tracks: Tracks, events: readonly TraceEvent[], end: number): void {
  const open = new Map<number, OpenStep>();
  const close = (cpu: number, to: number, outcome: 'ok' | 'failed' | 'unfinished', error?: string): void => {
    const step = open.get(cpu);
    if (step === undefined) return;
    open.delete(cpu);
    const [track, sort] = hotplugTrack(cpu);
    const mark = step.rollback ? ' (rollback)' : outcome === 'failed' ? ' (failed)' : outcome === 'unfinished' ? ' (unfinished)' : '';
    const args = { cpu, step: step.step, direction: step.direction, rollback: step.rollback, outcome, ...(error === undefined ? {} : { error }) };
    tracks.span(track, `${step.step} ${step.direction}${mark}`, 'hotplug', step.at, to, args, sort);
  };
  for (const e of events) {
    if (e.type === 'hotplug') {
      const phase = e.phase;
      if (phase === 'begin' || phase === 'rollback') {
        close(e.cpu, e.ts, 'unfinished');
        open.set(e.cpu, { at: e.ts, step: e.step, direction: e.direction, rollback: phase === 'rollback' });
      } else if (phase === 'end') {
        close(e.cpu, e.ts, 'ok');
      } else if (phase === 'fail') {
        close(e.cpu, e.ts, 'failed', e.error);
      }
    } else if (e.type === 'rollback') {
      const [track, sort] = hotplugTrack(e.cpu);
      tracks.instant(track, 'rolled back', 'hotplug', e.ts, { cpu: e.cpu, leftAtStep: e.step }, sort);
    } else if (e.type === 'worker-error' || e.type === 'cpu-failed' || e.type === 'jobs-moved') {
      const [track, sort] = stateTrack(e.cpu);
      const { ts, type, cpu, ...detail } = e;
      tracks.instant(track, CPU_INSTANTS[type], 'cpu', ts, { cpu, ...detail }, sort);
    }
  }
  for (const cpu of [...open.keys()]) close(cpu, end, 'unfinished');
}

/** Runtime events drawn as instants on a CPU's state track, and their names there. */
const CPU_INSTANTS: { readonly [T in 'worker-error' | 'cpu-failed' | 'jobs-moved']: string } = {
  'worker-error': 'worker error',
  'cpu-failed': 'worker died',
  'jobs-moved': 'jobs moved',
};

/** Events of one thread drawn as instants on its track, with their fields beyond its name. */
type ThreadInstant = TraceEventOf<'create' | 'park' | 'unpark' | 'stop' | 'exit'>;

function threadInstant(tracks: Tracks, e: ThreadInstant): void {
  const { ts, type, cpu, thread, ...detail } = e;
  tracks.instant(thread, type, 'kthread', ts, { cpu, ...detail });
}

/**
 * "parked" spans from a 'parked' event to the thread's next 'unpark' (or exit): the parks
 * of kthreadPark/kthreadUnpark. An 'unpark' of a thread whose CPU is down ends its span
 * although the thread stays parked until the CPU is up; the "CPU n down" span shows that.
 */
function kthreads(tracks: Tracks, events: readonly TraceEvent[], end: number): void {
  cpuParks(tracks, events, end);
  const parkedSince = new Map<string, { at: number; cpu: number }>();
  const endPark = (thread: string, to: number, endedBy: string): void => {
    const since = parkedSince.get(thread);
    if (since === undefined) return;
    parkedSince.delete(thread);
    tracks.span(thread, 'parked', 'kthread', since.at, to, { cpu: since.cpu, endedBy });
  };
  for (const e of events) {
    switch (e.type) {
      case 'parked':
        if (!parkedSince.has(e.thread)) parkedSince.set(e.thread, { at: e.ts, cpu: e.cpu });
        break;
      case 'unpark':
      case 'exit':
        endPark(e.thread, e.ts, e.type);
        threadInstant(tracks, e);
        break;
      case 'create':
      case 'park':
      case 'stop':
        threadInstant(tracks, e);
        break;
    }
  }
  for (const thread of [...parkedSince.keys()]) endPark(thread, end, 'end of run');
}

/** Each operation as a span on its actor's track; one still running at the end runs to it. */
function operations(tracks: Tracks, ops: readonly OpRecord[], end: number): void {
  for (const op of ops) {
    tracks.span(op.actor, op.op, 'operation', op.at, op.endedAt ?? end, { seq: op.seq, outcome: op.outcome });
  }
}

/**
 * "CPU n down" spans on each thread that a CPU going down asked to park ('park-cpu', which
 * names them), from the request to the CPU's next 'online' (after its cpuUp, or a rollback),
 * the thread's exit, or the end of the run.
 */
function cpuParks(tracks: Tracks, events: readonly TraceEvent[], end: number): void {
  const open = new Map<string, { at: number; cpu: number }>();
  const close = (thread: string, to: number, endedBy: string): void => {
    const since = open.get(thread);
    if (since === undefined) return;
    open.delete(thread);
    tracks.span(thread, `CPU ${since.cpu} down`, 'kthread', since.at, to, { cpu: since.cpu, endedBy });
  };
  for (const e of events) {
    if (e.type === 'park-cpu') {
      for (const thread of e.threads) if (!open.has(thread)) open.set(thread, { at: e.ts, cpu: e.cpu });
    } else if (e.type === 'cpu-state' && e.state === 'online') {
      for (const [thread, since] of [...open]) if (since.cpu === e.cpu) close(thread, e.ts, 'CPU online');
    } else if (e.type === 'exit') {
      close(e.thread, e.ts, 'exit');
    }
  }
  for (const thread of [...open.keys()]) close(thread, end, 'end of run');
}
