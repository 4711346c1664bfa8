/**
 * rt.recordTrace(): an embedder records the runtime's timeline, as `cpuhp torture --trace`
 * does, and gets it as Chrome Trace Event JSON (perfetto.ts) to open in ui.perfetto.dev or
 * chrome://tracing. The recorder is a 'trace' listener that keeps every event from its start
 * to its stop, in memory: record the stretch that matters, not a whole long life.
 */

import { writeFile } from 'node:fs/promises';
import { CpuhpError } from '../errors.js';
import { describeError } from '../describe-value.js';
import type { CpuStateName } from '../protocol/cpu-state.js';
import type { TraceEvent } from './events.js';
import { toChromeTrace, type ChromeTrace } from './perfetto.js';

export interface RecordTraceOptions {
  /**
   * Where stop() writes the trace: the path or file: URL of a file, in a directory that
   * exists. Default: no file; stop() resolves with the trace, to write or send as you like.
   */
  readonly path?: string | URL;
}

export interface TraceRecording {
  /**
   * Stops recording and resolves with the trace (a JSON-ready object), once it is written
   * to `path` if one was given. Every call returns the same promise. If the file cannot be
   * written it rejects with a CpuhpError (ERR_CPUHP_TRACE_WRITE).
   */
  stop(): Promise<ChromeTrace>;
}

/** What a recorder needs of its runtime. */
export interface RecorderHost {
  readonly cpus: number;
  /** The CPUs' states now, the first span of each CPU's state track. */
  states(): CpuStateName[];
  /** The clock events are stamped with. */
  now(): number;
  listen(listener: (event: TraceEvent) => void): void;
  unlisten(listener: (event: TraceEvent) => void): void;
}

export class TraceRecorder implements TraceRecording {
  private readonly events: TraceEvent[] = [];
  private readonly startMs: number;
  private readonly statesAtStart: readonly CpuStateName[];
  private stopped: Promise<ChromeTrace> | undefined;
  /** Events stamped before the start are pending delivery still; the states at the start include them. */
  private readonly listener = (event: TraceEvent): void => {
    if (event.ts >= this.startMs) this.events.push(event);
  };

  constructor(
    private readonly host: RecorderHost,
    private readonly path: string | undefined,
  ) {
    this.startMs = host.now();
    this.statesAtStart = host.states();
    host.listen(this.listener);
  }

  stop(): Promise<ChromeTrace> {
    this.stopped ??= this.finish();
    return this.stopped;
  }

  private async finish(): Promise<ChromeTrace> {
    const endMs = this.host.now();
    // Events emitted before stop() are delivered on a microtask queued before this one.
    await Promise.resolve();
    this.host.unlisten(this.listener);
    const trace = toChromeTrace({ events: this.events }, { cpus: this.host.cpus, startMs: this.startMs, endMs, statesAtStart: this.statesAtStart });
    if (this.path === undefined) return trace;
    try {
      await writeFile(this.path, `${JSON.stringify(trace)}\n`);
    } catch (error) {
      throw new CpuhpError(`recordTrace: the trace could not be written to ${this.path} (${describeError(error)}); record without a path and write the trace stop() resolves with yourself`, {
        code: 'ERR_CPUHP_TRACE_WRITE',
        cause: error,
      });
    }
    return trace;
  }
}
