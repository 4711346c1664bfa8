/**
 * A torture run's timeline (`cpuhp torture --trace`): the runtime's tracks (trace/perfetto.ts)
 * and a third process, 'torture', with one track per actor and each operation a span named
 * after it.
 *
 * One clock: the torture re-stamps each runtime event with its own clock as the event is
 * emitted, so events and operations (`at`/`endedAt`) are both in ms since runTorture() began.
 */

import { toChromeTrace as runtimeTimeline, type ChromeTrace, type ChromeTraceOptions } from '../trace/perfetto.js';
import type { TraceEvent } from '../trace/events.js';
import type { OpRecord } from './oplog.js';

export type { ChromeEvent, ChromeTrace, ChromeTraceOptions } from '../trace/perfetto.js';

export interface Timeline {
  readonly events: readonly TraceEvent[];
  readonly ops: readonly OpRecord[];
}

export function toChromeTrace(timeline: Timeline, options: ChromeTraceOptions): ChromeTrace {
  const spans = timeline.ops.map((op) => ({
    track: op.actor,
    name: op.op,
    at: op.at,
    ...(op.endedAt === undefined ? {} : { endedAt: op.endedAt }),
    args: { seq: op.seq, outcome: op.outcome },
  }));
  return runtimeTimeline({ events: timeline.events, spans: { process: 'torture', spans } }, options);
}
