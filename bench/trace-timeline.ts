/**
 * A Chrome Trace Event file read into what a timeline picture draws: tracks (a process's
 * threads, then its async tracks) in the order the file asks for, each with its slices laid
 * out in lanes, and its instants.
 *
 * What is read (the "Trace Event Format" document the Perfetto docs link to): metadata 'M'
 * (process_name, thread_name, process_sort_index, thread_sort_index); complete slices 'X'
 * (ts + dur); duration slices 'B'/'E' (a stack per thread); async slices 'b'/'e' (nestable)
 * and 'S'/'F' (legacy), matched by process, category and id, one track per name of the
 * outermost slice; instants 'i'/'I' and async instants 'n'. Anything else (counters, flows,
 * samples) and any malformed event is counted, not drawn. Times are µs in the file, ms here.
 *
 * Lanes: a slice inside another (nested, as a span and its steps) goes on the lane below the
 * innermost slice that holds it; a slice that overlaps another without nesting goes on the
 * first lane free at its start. So both a trace whose slices nest and one whose slices merely
 * overlap are drawn without one bar hiding another.
 */

export interface Slice {
  readonly track: number;
  readonly lane: number;
  readonly name: string;
  readonly cat: string;
  readonly startMs: number;
  readonly endMs: number;
  readonly args: Readonly<Record<string, unknown>>;
}

export interface Instant {
  readonly track: number;
  readonly name: string;
  readonly cat: string;
  readonly atMs: number;
}

export interface Track {
  /** Index in `tracks`. */
  readonly index: number;
  readonly process: string;
  readonly name: string;
  /** 'thread' for a thread's own slices, 'async' for an async track of the process. */
  readonly kind: 'thread' | 'async';
  /** Lanes its slices need (at least 1). */
  readonly lanes: number;
}

export interface Timeline {
  readonly tracks: readonly Track[];
  readonly slices: readonly Slice[];
  readonly instants: readonly Instant[];
  readonly startMs: number;
  readonly endMs: number;
  /** Events of kinds not drawn (counters, flows...), by phase. */
  readonly notDrawn: Readonly<Record<string, number>>;
  /** Events that are not objects, or lack a phase, a pid or a finite time. */
  readonly malformed: number;
}

interface RawSlice {
  readonly key: string;
  readonly name: string;
  readonly cat: string;
  readonly start: number;
  readonly end: number;
  readonly args: Readonly<Record<string, unknown>>;
}

interface Event {
  readonly ph: string;
  readonly name: string;
  readonly cat: string;
  readonly pid: number;
  readonly tid: number;
  /** µs */
  readonly ts: number;
  readonly dur: number | undefined;
  readonly id: string | undefined;
  readonly args: Readonly<Record<string, unknown>>;
}

function record(value: unknown): Readonly<Record<string, unknown>> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

/** The event's fields this reads, checked; undefined when it cannot be drawn. */
function readEvent(raw: unknown): Event | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const e = raw as Record<string, unknown>;
  if (typeof e.ph !== 'string' || typeof e.pid !== 'number' || !Number.isFinite(e.pid)) return undefined;
  const ts = e.ph === 'M' ? 0 : e.ts;
  if (typeof ts !== 'number' || !Number.isFinite(ts)) return undefined;
  const id = e.id ?? record(e.id2).local ?? record(e.id2).global;
  return {
    ph: e.ph,
    name: typeof e.name === 'string' ? e.name : '',
    cat: typeof e.cat === 'string' ? e.cat : '',
    pid: e.pid,
    tid: typeof e.tid === 'number' && Number.isFinite(e.tid) ? e.tid : 0,
    ts,
    dur: typeof e.dur === 'number' && Number.isFinite(e.dur) && e.dur >= 0 ? e.dur : undefined,
    id: typeof id === 'string' || typeof id === 'number' ? String(id) : undefined,
    args: record(e.args),
  };
}

const threadKey = (pid: number, tid: number): string => `t:${pid}:${tid}`;
const asyncKey = (pid: number, name: string): string => `a:${pid}:${name}`;

/**
 * Overlap smaller than this is not overlap, ms: a file's times are µs with three decimals, and
 * ts + dur of one slice can exceed the next one's ts by a rounding error (1e-13) although
 * the two were written back to back.
 */
const TOUCHING_MS = 1e-6;

/** Places each slice of one track on a lane; slices sorted by start, longest first. */
export function assignLanes<T extends { readonly start: number; readonly end: number }>(slices: readonly T[]): { readonly slice: T; readonly lane: number }[] {
  const sorted = [...slices].sort((a, b) => a.start - b.start || b.end - a.end);
  const open: { readonly end: number; readonly lane: number }[] = [];
  const placed: { slice: T; lane: number }[] = [];
  for (const slice of sorted) {
    // Slices that ended by this one's start free their lanes (back to back is not overlap).
    for (let i = open.length - 1; i >= 0; i--) if (open[i]!.end <= slice.start + TOUCHING_MS) open.splice(i, 1);
    const holders = open.filter((o) => o.end + TOUCHING_MS >= slice.end);
    let lane = holders.length === 0 ? 0 : Math.max(...holders.map((o) => o.lane)) + 1;
    while (open.some((o) => o.lane === lane)) lane++;
    open.push({ end: slice.end, lane });
    placed.push({ slice, lane });
  }
  return placed;
}

export function readTimeline(events: readonly unknown[]): Timeline {
  const processNames = new Map<number, string>();
  const processOrder = new Map<number, number>();
  const threadNames = new Map<string, string>();
  const threadOrder = new Map<string, number>();
  const raw: RawSlice[] = [];
  const instants: { key: string; name: string; cat: string; at: number }[] = [];
  const stacks = new Map<string, Event[]>();
  const openAsync = new Map<string, { readonly event: Event; readonly key: string }[]>();
  const notDrawn: Record<string, number> = {};
  let malformed = 0;
  let first = Infinity;
  let last = -Infinity;
  const seenThreads: string[] = [];
  const seen = (key: string): void => {
    if (!seenThreads.includes(key)) seenThreads.push(key);
  };
  const slice = (key: string, e: Event, start: number, end: number): void => {
    seen(key);
    raw.push({ key, name: e.name, cat: e.cat, start: start / 1000, end: Math.max(start, end) / 1000, args: e.args });
  };

  const parsed = events.map(readEvent);
  for (const e of parsed) {
    if (e === undefined) {
      malformed++;
      continue;
    }
    if (e.ph !== 'M') [first, last] = [Math.min(first, e.ts), Math.max(last, e.ts + (e.dur ?? 0))];
  }
  for (const e of parsed) {
    if (e === undefined) continue;
    const thread = threadKey(e.pid, e.tid);
    switch (e.ph) {
      case 'M': {
        const value = e.args.name ?? e.args.sort_index;
        if (e.name === 'process_name' && typeof value === 'string') processNames.set(e.pid, value);
        else if (e.name === 'thread_name' && typeof value === 'string') threadNames.set(thread, value);
        else if (e.name === 'process_sort_index' && typeof value === 'number') processOrder.set(e.pid, value);
        else if (e.name === 'thread_sort_index' && typeof value === 'number') threadOrder.set(thread, value);
        break;
      }
      case 'X':
        slice(thread, e, e.ts, e.ts + (e.dur ?? 0));
        break;
      case 'B':
        stacks.set(thread, [...(stacks.get(thread) ?? []), e]);
        break;
      case 'E': {
        const begun = stacks.get(thread)?.pop();
        if (begun === undefined) malformed++;
        else slice(thread, begun, begun.ts, e.ts);
        break;
      }
      case 'b':
      case 'S': {
        const scope = `${e.pid}:${e.cat}:${e.id ?? ''}`;
        const open = openAsync.get(scope) ?? [];
        // A slice begun inside an open one of the same id nests on its track.
        const key = open.length > 0 ? open[open.length - 1]!.key : asyncKey(e.pid, e.name);
        open.push({ event: e, key });
        openAsync.set(scope, open);
        break;
      }
      case 'e':
      case 'F': {
        const open = openAsync.get(`${e.pid}:${e.cat}:${e.id ?? ''}`) ?? [];
        // The innermost open slice of that name, or failing a name the innermost.
        let at = open.map((o) => o.event.name).lastIndexOf(e.name);
        if (at < 0) at = open.length - 1;
        if (at < 0) {
          malformed++;
          break;
        }
        const [begun] = open.splice(at, 1);
        slice(begun!.key, begun!.event, begun!.event.ts, e.ts);
        break;
      }
      case 'i':
      case 'I':
        seen(thread);
        instants.push({ key: thread, name: e.name, cat: e.cat, at: e.ts / 1000 });
        break;
      case 'n': {
        const key = asyncKey(e.pid, e.name);
        seen(key);
        instants.push({ key, name: e.name, cat: e.cat, at: e.ts / 1000 });
        break;
      }
      default:
        notDrawn[e.ph] = (notDrawn[e.ph] ?? 0) + 1;
    }
  }
  // Slices still open at the end of the file run to its end.
  for (const [thread, stack] of stacks) for (const begun of stack) slice(thread, begun, begun.ts, last);
  for (const open of openAsync.values()) for (const { event, key } of open) slice(key, event, event.ts, last);

  const pidOf = (key: string): number => Number(key.split(':')[1]);
  const isAsync = (key: string): boolean => key.startsWith('a:');
  const order = (key: string): [number, number, number, number] => {
    const pid = pidOf(key);
    return [processOrder.get(pid) ?? pid, pid, isAsync(key) ? 1 : 0, isAsync(key) ? seenThreads.indexOf(key) : (threadOrder.get(key) ?? Number(key.split(':')[2]))];
  };
  const keys = [...seenThreads].sort((a, b) => {
    const [x, y] = [order(a), order(b)];
    return x[0] - y[0] || x[1] - y[1] || x[2] - y[2] || x[3] - y[3];
  });

  const tracks: Track[] = [];
  const slices: Slice[] = [];
  for (const key of keys) {
    const index = tracks.length;
    const placed = assignLanes(raw.filter((r) => r.key === key));
    for (const { slice: r, lane } of placed) slices.push({ track: index, lane, name: r.name, cat: r.cat, startMs: r.start, endMs: r.end, args: r.args });
    const pid = pidOf(key);
    tracks.push({
      index,
      process: processNames.get(pid) ?? `process ${pid}`,
      name: isAsync(key) ? key.slice(`a:${pid}:`.length) : (threadNames.get(key) ?? `thread ${key.split(':')[2]}`),
      kind: isAsync(key) ? 'async' : 'thread',
      lanes: Math.max(1, ...placed.map((p) => p.lane + 1)),
    });
  }
  const trackOf = new Map(keys.map((k, i) => [k, i]));
  return {
    tracks,
    slices,
    instants: instants.map((i) => ({ track: trackOf.get(i.key)!, name: i.name, cat: i.cat, atMs: i.at })),
    startMs: Number.isFinite(first) ? first / 1000 : 0,
    endMs: Number.isFinite(last) ? last / 1000 : 0,
    notDrawn,
    malformed,
  };
}
