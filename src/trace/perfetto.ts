/**
 * A runtime's timeline as a Chrome Trace Event Format file, which ui.perfetto.dev and
 * chrome://tracing open as-is. Used by rt.recordTrace() (recorder.ts) and by `cpuhp torture
 * --trace` (torture/perfetto.ts adds its operations). Processes, and their tracks:
 *
 *   CPUs      two tracks per CPU: its state word over time (one span per state, with
 *             instants where its worker died and where its jobs moved) and the hotplug steps
 *             run on it (one span per callback, failures and rollbacks marked);
 *   kthreads  two tracks per thread name: the thread's own, with "parked" spans for
 *             kthreadPark and instants for create, park, unpark, stop and exit; and
 *             "<thread> (CPU down)", with "CPU n down" spans from its CPU's park request to
 *             the CPU's return. The two overlap freely (a thread parked by hand, then its
 *             CPU going down, then the thread unparked), so they cannot share a track;
 *   a process of the caller's own (torture: its actors), one track per name.
 *
 * On every track, complete events nest or are disjoint, as the format requires (a viewer
 * draws a slice that overlaps another without nesting on top of it, or drops it): spans of
 * one track that would overlap are moved to a further lane of it, "<track> (2)" and on.
 *
 * Format reference: "Trace Event Format" (Google doc linked from the Perfetto docs):
 * ph "X" is a complete event (ts + dur), "i" an instant, "M" metadata naming a pid or tid.
 * Times are in microseconds, kept to the nanosecond.
 */

import type { CpuStateName } from '../protocol/cpu-state.js';
import type { TraceEvent, TraceEventOf } from './events.js';

/** A span of the caller's own process (torture: one operation of one actor), in ms of the events' clock. */
export interface TimelineSpan {
  readonly track: string;
  readonly name: string;
  readonly at: number;
  /** Still running at the end: the span runs to the end of the timeline. */
  readonly endedAt?: number;
  readonly args: Args;
}

export interface Timeline {
  readonly events: readonly TraceEvent[];
  /** A process of the caller's own, drawn after the runtime's. */
  readonly spans?: { readonly process: string; readonly spans: readonly TimelineSpan[] };
}

export interface ChromeTraceOptions {
  readonly cpus: number;
  /** End of the timeline (ms, the events' clock): open spans are closed here. */
  readonly endMs: number;
  /** Start of the timeline (ms); default: its earliest event or span. */
  readonly startMs?: number;
  /**
   * Each CPU's state at the start. Default: guessed from its first change ('offline' if that
   * is 'bringup', else 'online'), right when the timeline begins once the runtime has started.
   */
  readonly statesAtStart?: readonly CpuStateName[];
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

const PID = { cpus: 1, kthreads: 2, caller: 3 } as const;

/** ms → whole ns: spans compare, nest and touch exactly, with no rounding between ts and ts + dur. */
function ns(ms: number): number {
  return Math.round(ms * 1e6);
}

interface Span {
  readonly name: string;
  readonly cat: string;
  readonly from: number; // ns
  readonly to: number; // ns
  readonly args: Args;
}

/** One named track of one process: its spans, laid out in lanes at the end, and its instants. */
interface Track {
  readonly name: string;
  readonly sortIndex: number;
  readonly spans: Span[];
  readonly instants: Array<{ readonly name: string; readonly cat: string; readonly at: number; readonly args: Args }>;
}

/** The tracks of one process, written out by finish(). */
class Tracks {
  private readonly tracks = new Map<string, Track>();

  constructor(private readonly pid: number) {}

  /** A track, placed the first time by `sortIndex` (default: in the order of first use). */
  private track(name: string, sortIndex?: number): Track {
    let track = this.tracks.get(name);
    if (track === undefined) {
      track = { name, sortIndex: sortIndex ?? this.tracks.size + 1, spans: [], instants: [] };
      this.tracks.set(name, track);
    }
    return track;
  }

  span(track: string, name: string, cat: string, fromMs: number, toMs: number, args: Args, sortIndex?: number): void {
    const from = ns(fromMs);
    this.track(track, sortIndex).spans.push({ name, cat, from, to: Math.max(from, ns(toMs)), args });
  }

  instant(track: string, name: string, cat: string, atMs: number, args: Args, sortIndex?: number): void {
    this.track(track, sortIndex).instants.push({ name, cat, at: ns(atMs), args });
  }

  /** Every track as metadata and events: lane 0 keeps the track's name, further lanes sort right after it. */
  finish(out: ChromeEvent[]): void {
    let tid = 0;
    const sorted = [...this.tracks.values()].sort((a, b) => a.sortIndex - b.sortIndex);
    for (const [order, track] of sorted.entries()) {
      const lanes = nestedLanes(track.spans);
      if (lanes.length === 0) lanes.push([]);
      for (const [lane, spans] of lanes.entries()) {
        tid++;
        const name = lane === 0 ? track.name : `${track.name} (${lane + 1})`;
        out.push({ ph: 'M', name: 'thread_name', pid: this.pid, tid, args: { name } });
        out.push({ ph: 'M', name: 'thread_sort_index', pid: this.pid, tid, args: { sort_index: order * MAX_LANES + lane } });
        for (const s of spans) out.push({ ph: 'X', name: s.name, cat: s.cat, pid: this.pid, tid, ts: s.from / 1e3, dur: (s.to - s.from) / 1e3, args: s.args });
        if (lane === 0) for (const i of track.instants) out.push({ ph: 'i', name: i.name, cat: i.cat, pid: this.pid, tid, ts: i.at / 1e3, s: 't', args: i.args });
      }
    }
  }
}

/** Room for a track's lanes in the sort order; a track with more sorts them among the next track's. */
const MAX_LANES = 1000;

/**
 * Lays spans out in lanes so that on each lane every two spans nest or are disjoint (touching
 * ends count as disjoint): each span, longest first among those that start together, goes to
 * the first lane where it fits, else to a new one. A lane is a stack of the spans open there.
 * Each lane lists its spans in the order they were given.
 */
export function nestedLanes<S extends { readonly from: number; readonly to: number }>(spans: readonly S[]): S[][] {
  const order = [...spans.keys()].sort((a, b) => spans[a]!.from - spans[b]!.from || spans[b]!.to - spans[a]!.to);
  const open: number[][] = [];
  const laneOf: number[] = [];
  for (const index of order) {
    const span = spans[index]!;
    let lane = open.findIndex((ends) => {
      while (ends.length > 0 && ends.at(-1)! <= span.from) ends.pop();
      return ends.length === 0 || span.to <= ends.at(-1)!;
    });
    if (lane < 0) lane = open.push([]) - 1;
    open[lane]!.push(span.to);
    laneOf[index] = lane;
  }
  const lanes: S[][] = open.map(() => []);
  spans.forEach((span, index) => lanes[laneOf[index]!]!.push(span));
  return lanes;
}

function processName(out: ChromeEvent[], pid: number, name: string): void {
  out.push({ ph: 'M', name: 'process_name', pid, tid: 0, args: { name } });
  out.push({ ph: 'M', name: 'process_sort_index', pid, tid: 0, args: { sort_index: pid } });
}

export function toChromeTrace(timeline: Timeline, options: ChromeTraceOptions): ChromeTrace {
  const out: ChromeEvent[] = [];
  processName(out, PID.cpus, 'CPUs');
  processName(out, PID.kthreads, 'kthreads');
  const { events } = timeline;
  const spans = timeline.spans?.spans ?? [];
  // Folded rather than spread into Math.min: a long run has more events than a call has room for arguments.
  let start = options.startMs ?? options.endMs;
  let end = options.endMs;
  for (const e of events) [start, end] = [Math.min(start, e.ts), Math.max(end, e.ts)];
  for (const span of spans) [start, end] = [Math.min(start, span.at), Math.max(end, span.endedAt ?? span.at)];

  const cpus = new Tracks(PID.cpus);
  cpuStates(cpus, events, options, start, end);
  hotplugSteps(cpus, events, end);
  cpus.finish(out);
  const threads = new ThreadTracks(new Tracks(PID.kthreads));
  kthreads(threads, events, end);
  threads.tracks.finish(out);
  if (timeline.spans !== undefined) {
    processName(out, PID.caller, timeline.spans.process);
    const own = new Tracks(PID.caller);
    for (const span of spans) own.span(span.track, span.name, 'operation', span.at, span.endedAt ?? end, span.args);
    own.finish(out);
  }
  return { traceEvents: out, displayTimeUnit: 'ms' };
}

/** The state track of CPU n sorts just before its hotplug track. */
const stateTrack = (cpu: number): [string, number] => [`CPU ${cpu} state`, cpu * 2 + 1];
const hotplugTrack = (cpu: number): [string, number] => [`CPU ${cpu} hotplug`, cpu * 2 + 2];

/**
 * The state the CPU was in before its first recorded change, when the caller does not say.
 * The torture listens only once Runtime.start() has brought every CPU up, so a CPU's first
 * change is normally out of 'online' (into 'down-prepare'); a first 'bringup' means it was offline.
 */
function stateBefore(first: string | undefined): string {
  return first === 'bringup' ? 'offline' : 'online';
}

/** One span per state, from each cpu-state event to the next; the last runs to the end. */
function cpuStates(tracks: Tracks, events: readonly TraceEvent[], options: ChromeTraceOptions, start: number, end: number): void {
  for (let cpu = 0; cpu < options.cpus; cpu++) {
    const changes = events.filter((e): e is TraceEventOf<'cpu-state'> => e.type === 'cpu-state' && e.cpu === cpu);
    const [track, sort] = stateTrack(cpu);
    let state: string = options.statesAtStart?.[cpu] ?? stateBefore(changes[0]?.state);
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

/** Each thread's two tracks, side by side in the order the threads first appear. */
class ThreadTracks {
  private readonly order = new Map<string, number>();

  constructor(readonly tracks: Tracks) {}

  private sort(thread: string): number {
    let index = this.order.get(thread);
    if (index === undefined) {
      index = this.order.size;
      this.order.set(thread, index);
    }
    return index;
  }

  /** The thread's own track: its parks by hand and its life. */
  own(thread: string): [string, number] {
    return [thread, this.sort(thread) * 2];
  }

  /** Its CPU's parks, on a track of their own: they overlap its own parks freely. */
  cpuDown(thread: string): [string, number] {
    return [`${thread} (CPU down)`, this.sort(thread) * 2 + 1];
  }

  instant(e: ThreadInstant): void {
    const { ts, type, cpu, thread, ...detail } = e;
    const [track, sort] = this.own(thread);
    this.tracks.instant(track, type, 'kthread', ts, { cpu, ...detail }, sort);
  }
}

/**
 * Spans of one kind on the threads' tracks, at most one open per thread: from begin() to
 * end(), or to the end of the run.
 */
class ThreadSpans {
  private readonly open = new Map<string, { at: number; cpu: number }>();

  constructor(
    private readonly threads: ThreadTracks,
    private readonly track: (thread: string) => [string, number],
    private readonly name: (cpu: number) => string,
  ) {}

  /** Opens a span for `thread` unless one is open already. */
  begin(thread: string, at: number, cpu: number): void {
    if (!this.open.has(thread)) this.open.set(thread, { at, cpu });
  }

  end(thread: string, to: number, endedBy: string): void {
    const since = this.open.get(thread);
    if (since === undefined) return;
    this.open.delete(thread);
    const [track, sort] = this.track(thread);
    this.threads.tracks.span(track, this.name(since.cpu), 'kthread', since.at, to, { cpu: since.cpu, endedBy }, sort);
  }

  /** Ends the spans opened on `cpu` (every span, without one). */
  endAll(to: number, endedBy: string, cpu?: number): void {
    for (const [thread, since] of [...this.open]) if (cpu === undefined || since.cpu === cpu) this.end(thread, to, endedBy);
  }
}

/**
 * "parked" spans from a 'parked' event to the thread's next 'unpark' (or exit): the parks
 * of kthreadPark/kthreadUnpark. An 'unpark' of a thread whose CPU is down ends its span
 * although the thread stays parked until the CPU is up; the "CPU n down" span shows that.
 */
function kthreads(threads: ThreadTracks, events: readonly TraceEvent[], end: number): void {
  const parked = new ThreadSpans(threads, (thread) => threads.own(thread), () => 'parked');
  for (const e of events) {
    switch (e.type) {
      case 'parked':
        parked.begin(e.thread, e.ts, e.cpu);
        break;
      case 'unpark':
      case 'exit':
        parked.end(e.thread, e.ts, e.type);
        threads.instant(e);
        break;
      case 'create':
      case 'park':
      case 'stop':
        threads.instant(e);
        break;
    }
  }
  parked.endAll(end, 'end of run');
  cpuParks(threads, events, end);
}

/**
 * "CPU n down" spans on each thread that a CPU going down asked to park ('park-cpu', which
 * names them), from the request to the CPU's next 'online' (after its cpuUp, or a rollback),
 * the thread's exit, or the end of the run.
 */
function cpuParks(threads: ThreadTracks, events: readonly TraceEvent[], end: number): void {
  const down = new ThreadSpans(threads, (thread) => threads.cpuDown(thread), (cpu) => `CPU ${cpu} down`);
  for (const e of events) {
    if (e.type === 'park-cpu') {
      for (const thread of e.threads) down.begin(thread, e.ts, e.cpu);
    } else if (e.type === 'cpu-state' && e.state === 'online') {
      down.endAll(e.ts, 'CPU online', e.cpu);
    } else if (e.type === 'exit') {
      down.end(e.thread, e.ts, 'exit');
    }
  }
  down.endAll(end, 'end of run');
}
