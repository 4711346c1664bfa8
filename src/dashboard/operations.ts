/**
 * Completed hotplug and park operations, told from the trace stream (OperationSample), for
 * the page's live latency charts and the /metrics latency histograms.
 *
 * How an operation is told, per CPU (hotplug operations are serialised by the runtime's
 * hotplug lock, so a CPU has at most one under way):
 *   cpuDown  'hotplug-begin' down  ->  'cpu-state' offline (ok: takedown, the lowest step,
 *            sets it last), or 'rollback' / 'cpu-failed' (failed)
 *   cpuUp    'hotplug-begin' up    ->  the top step's startup 'hotplug' end (ok: the CPU is
 *            online once the last step ran, and ONLINE itself is set below the states an
 *            embedder adds, which may still fail), or 'rollback' / 'cpu-failed' (failed)
 *   park     'park' of a thread    ->  'parked' of that thread (ok); a park that times out
 *            never ends and is forgotten at the thread's next 'park'. These are kthreadPark's
 *            parks: the threads of a CPU going down park with no 'parked' event each (their
 *            time is the cpuDown's), so stats().latency.park, which counts them too, is more.
 * A sample's duration is between the two events' trace stamps.
 *
 * observe() runs for every trace event the runtime emits while a dashboard exists: it does a
 * constant amount of work (a map look-up or two) and keeps only the samples not yet taken.
 */

import type { TraceEvent } from '../trace/events.js';
import type { OperationSample } from './protocol.js';

/**
 * Samples kept for the stream between two snapshots (or while no stream takes them): past
 * this, the older half is dropped at once, so keeping them costs O(1) per sample amortised.
 */
const MAX_PENDING = 1000;

type HotplugOp = 'cpuDown' | 'cpuUp';

export interface OperationCounts {
  readonly cpuDown: { ok: number; failed: number };
  readonly cpuUp: { ok: number; failed: number };
  readonly park: { ok: number; failed: number };
}

export class OperationTracker {
  private readonly hotplug = new Map<number, { readonly op: HotplugOp; readonly ts: number }>();
  private readonly parks = new Map<string, number>();
  private pending: OperationSample[] = [];
  /** Every operation seen to end since the dashboard started (cpuhp_hotplug_operations_total). */
  readonly counts: OperationCounts = { cpuDown: { ok: 0, failed: 0 }, cpuUp: { ok: 0, failed: 0 }, park: { ok: 0, failed: 0 } };

  /**
   * @param topStep the name of the top hotplug step now (read only at an up's step end)
   * @param ended called once per completed operation (the metrics' histograms)
   */
  constructor(
    private readonly topStep: () => string | undefined,
    private readonly ended: (sample: OperationSample) => void,
  ) {}

  readonly observe = (event: TraceEvent): void => {
    switch (event.type) {
      case 'hotplug-begin':
        this.hotplug.set(event.cpu, { op: event.direction === 'down' ? 'cpuDown' : 'cpuUp', ts: event.ts });
        return;
      case 'cpu-state': {
        const op = this.hotplug.get(event.cpu);
        if (op?.op === 'cpuDown' && event.state === 'offline') this.endHotplug(event.cpu, event.ts, true);
        else if (op !== undefined && event.state === 'failed') this.endHotplug(event.cpu, event.ts, false);
        return;
      }
      case 'hotplug': {
        const op = this.hotplug.get(event.cpu);
        if (op?.op === 'cpuUp' && event.phase === 'end' && event.direction === 'startup' && event.step === this.topStep()) this.endHotplug(event.cpu, event.ts, true);
        return;
      }
      case 'rollback':
      case 'cpu-failed':
        if (this.hotplug.has(event.cpu)) this.endHotplug(event.cpu, event.ts, false);
        return;
      case 'park':
        this.parks.set(parkKey(event.cpu, event.thread), event.ts);
        return;
      case 'parked': {
        const key = parkKey(event.cpu, event.thread);
        const began = this.parks.get(key);
        if (began === undefined) return;
        this.parks.delete(key);
        this.record({ op: 'park', cpu: event.cpu, ts: event.ts, ms: event.ts - began, ok: true });
        return;
      }
      case 'exit':
        this.parks.delete(parkKey(event.cpu, event.thread));
        return;
      default:
        return;
    }
  };

  /** The samples completed since the last take(), oldest first. */
  take(): OperationSample[] {
    const taken = this.pending;
    this.pending = [];
    return taken;
  }

  /** The samples not yet taken, left in place. */
  peek(): readonly OperationSample[] {
    return this.pending;
  }

  private endHotplug(cpu: number, ts: number, ok: boolean): void {
    const op = this.hotplug.get(cpu)!;
    this.hotplug.delete(cpu);
    this.record({ op: op.op, cpu, ts, ms: ts - op.ts, ok });
  }

  private record(sample: OperationSample): void {
    this.counts[sample.op][sample.ok ? 'ok' : 'failed']++;
    if (this.pending.length >= MAX_PENDING) this.pending.splice(0, MAX_PENDING / 2);
    this.pending.push(sample);
    this.ended(sample);
  }
}

function parkKey(cpu: number, thread: string): string {
  return `${cpu}\u0000${thread}`;
}
