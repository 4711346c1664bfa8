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
    for (const event of events) this.callEach('trace', event.type, [event]);
  };

  /**
   * Emits a backpressure event of the job queue ('needsDrain', 'drain'; jobs/backpressure.ts)
   * on the next microtask, as piscina does: no listener runs inside the call that caused it,
   * and each is isolated as the trace listeners are.
   */
  readonly backpressure = (event: BackpressureEvent): void => {
    queueMicrotask(() => this.callEach(event, event, []));
  };

  /** Calls each listener of `name` on its own; one that throws is counted and reported. */
  private callEach(name: RuntimeEventName, what: string, args: readonly unknown[]): void {
    // rawListeners: a once() listener's wrapper removes itself when called.
    for (const listener of this.emitter.rawListeners(name) as Array<(...args: unknown[]) => void>) {
      try {
        listener.apply(this.emitter, args as unknown[]);
      } catch (error) {
        this.listenerFailed(listener, name, what, error);
      }
    }
  }

  /**
   * A listener threw. The runtime is unaffected; the error is counted and, the first time
   * each listener throws, reported as a process warning (a listener that throws on every
   * event would otherwise flood stderr).
   */
  private listenerFailed(listener: object, name: RuntimeEventName, what: string, error: unknown): void {
    this.errors++;
    if (this.warned.has(listener)) return;
    this.warned.add(listener);
    emitCpuhpWarning(
      `a '${name}' listener threw on ${name === 'trace' ? `a '${what}' event` : 'it'} (${describeError(error)}); cpuhp caught it and carried on. Later errors of this listener are only counted, in stats().traceListenerErrors`,
      WARNING_CODES.TRACE_LISTENER_THREW,
      error,
    );
  }
}

/** The job queue's backpressure events, after piscina's (jobs/backpressure.ts). */
export type BackpressureEvent = 'needsDrain' | 'drain';
/**
 * The events a runtime emits, and 'error', which it never emits but accepts a listener for:
 * events.once() and events.on() listen for 'error' beside the event they wait for.
 */
export type RuntimeEventName = 'trace' | BackpressureEvent | 'error';
const RUNTIME_EVENTS: readonly RuntimeEventName[] = ['trace', 'needsDrain', 'drain', 'error'];

/** The events a runtime emits; any other name is a mistake worth hearing about. */
export function traceEventName(event: unknown, call: string): RuntimeEventName {
  if ((RUNTIME_EVENTS as readonly unknown[]).includes(event)) return event as RuntimeEventName;
  throw new ConfigError(`${call}(event, listener): a runtime emits only 'trace', 'needsDrain' and 'drain' events, got ${typeof event === 'string' ? `'${event.slice(0, 40)}'` : typeof event}; listen with rt.${call}('trace', (event) => ...)`);
}

/** A 'trace' listener must be a function. */
export function traceListener(listener: unknown, call: string): (...args: unknown[]) => void {
  if (typeof listener === 'function') return listener as (...args: unknown[]) => void;
  throw new ConfigError(`${call}('trace', listener): listener must be a function (event) => void, got ${listener === null ? 'null' : typeof listener}`);
}
