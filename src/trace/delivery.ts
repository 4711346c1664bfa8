/**
 * Delivery of trace events to a runtime's 'trace' listeners. Events are stamped when they
 * are emitted and delivered in order on the next microtask, so no listener runs inside a
 * transition: whatever it does (throw, call back into the runtime) happens once the change
 * it reports is complete and the state consistent. Each listener is called on its own; one
 * that throws is counted and, the first time, reported as a process warning, and the other
 * listeners still hear the event. Runs on the controller thread only.
 */

import type { EventEmitter } from 'node:events';
import { ConfigError, emitCpuhpWarning, WARNING_CODES } from '../errors.js';
import { describeError } from '../describe-value.js';
import type { TraceEvent, TraceEventBody } from './events.js';

export class TraceDelivery {
  private pending: TraceEvent[] = [];
  private readonly epoch = performance.now();
  private readonly warned = new WeakSet<object>();
  /** Errors thrown by listeners, all of them counted (stats().traceListenerErrors). */
  errors = 0;

  constructor(private readonly emitter: EventEmitter) {}

  /** The clock events are stamped with: ms since the runtime was made. */
  now(): number {
    return performance.now() - this.epoch;
  }

  /** Stamps `event` and queues it for the listeners; nothing is kept when none listens. */
  readonly emit = (event: TraceEventBody): void => {
    if (this.emitter.listenerCount('trace') === 0) return;
    this.pending.push({ ts: this.now(), ...event });
    if (this.pending.length === 1) queueMicrotask(this.deliver);
  };

  private readonly deliver = (): void => {
    const events = this.pending;
    this.pending = [];
    for (const event of events) {
      // rawListeners: a once() listener's wrapper removes itself when called.
      for (const listener of this.emitter.rawListeners('trace') as Array<(event: TraceEvent) => void>) {
        try {
          listener.call(this.emitter, event);
        } catch (error) {
          this.listenerFailed(listener, event, error);
        }
      }
    }
  };

  /**
   * A listener threw. The runtime is unaffected; the error is counted and, the first time
   * each listener throws, reported as a process warning (a listener that throws on every
   * event would otherwise flood stderr).
   */
  private listenerFailed(listener: object, event: TraceEvent, error: unknown): void {
    this.errors++;
    if (this.warned.has(listener)) return;
    this.warned.add(listener);
    emitCpuhpWarning(
      `a 'trace' listener threw on a '${event.type}' event (${describeError(error)}); cpuhp caught it and carried on. Later errors of this listener are only counted, in stats().traceListenerErrors`,
      WARNING_CODES.TRACE_LISTENER_THREW,
      error,
    );
  }
}

/** The one event a runtime emits; any other name is a mistake worth hearing about. */
export function traceEventName(event: unknown, call: string): 'trace' {
  if (event === 'trace') return event;
  throw new ConfigError(`${call}(event, listener): a runtime emits only 'trace' events, got ${typeof event === 'string' ? `'${event.slice(0, 40)}'` : typeof event}; listen with rt.${call}('trace', (event) => ...)`);
}

/** A 'trace' listener must be a function. */
export function traceListener(listener: unknown, call: string): (...args: unknown[]) => void {
  if (typeof listener === 'function') return listener as (...args: unknown[]) => void;
  throw new ConfigError(`${call}('trace', listener): listener must be a function (event) => void, got ${listener === null ? 'null' : typeof listener}`);
}
