/**
 * The 'listener' fault: a trace listener that throws. A listener is the application's
 * code, and an exception in it must change nothing about the runtime: every step, rollback
 * and worker death goes on as if the listener had returned, and the runtime counts the
 * error (stats().traceListenerErrors) and warns with process.emitWarning the first time this
 * listener throws (counted by process-watch.ts, which knows the warning by its cause: the
 * InjectedListenerError this listener threw). It throws on the first
 * event of every type, so each type is covered in every run that emits it, and then on
 * events chosen from the run's seed.
 */

import type { Random } from '../common/random.js';
import type { Runtime, TraceEvent } from '../index.js';
import type { TortureCounts } from './stats.js';

/** What the listener throws; the runtime's warning about the listener carries it as its `cause`. */
export class InjectedListenerError extends Error {
  override readonly name = 'InjectedListenerError';
}

export class ThrowingListener {
  private armed = false;
  private readonly seen = new Set<string>();

  constructor(
    private readonly random: Random,
    private readonly chance: number,
    private readonly counts: TortureCounts,
  ) {}

  /** Registered after any listener the run itself needs, so a throw cannot keep events from those. */
  attach(rt: Runtime): void {
    this.armed = true;
    rt.on('trace', (event) => this.listen(event));
  }

  disarm(): void {
    this.armed = false;
  }

  private listen(event: TraceEvent): void {
    if (!this.armed) return;
    const first = !this.seen.has(event.type);
    this.seen.add(event.type);
    if (!first && !(this.random.next() < this.chance)) return;
    this.counts.listenerThrows++;
    throw new InjectedListenerError(`torture: a trace listener throws on a '${event.type}' event of CPU ${event.cpu} (injected)`);
  }
}
