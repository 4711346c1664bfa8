/**
 * What a runtime is as an EventEmitter: it emits 'trace' events (events.ts), and the job
 * queue's 'needsDrain' and 'drain' (jobs/backpressure.ts), delivered by TraceDelivery. Any
 * other event name ('error' aside: see traceEventName), or a listener that is not a function,
 * is refused at once with a ConfigError, so a typo cannot pass unnoticed.
 */

import { EventEmitter } from 'node:events';
import { TraceDelivery, traceEventName, traceListener, type BackpressureEvent } from './delivery.js';
import type { TraceEvent } from './events.js';

export class TraceEmitter extends EventEmitter {
  protected readonly traces = new TraceDelivery(this);

  override on(event: 'trace', listener: (event: TraceEvent) => void): this;
  override on(event: BackpressureEvent, listener: () => void): this;
  override on(event: string | symbol, listener: (...args: never[]) => void): this {
    return super.on(traceEventName(event, 'on'), traceListener(listener, 'on'));
  }

  override addListener(event: 'trace', listener: (event: TraceEvent) => void): this;
  override addListener(event: BackpressureEvent, listener: () => void): this;
  override addListener(event: string | symbol, listener: (...args: never[]) => void): this {
    return super.addListener(traceEventName(event, 'addListener'), traceListener(listener, 'addListener'));
  }

  override once(event: 'trace', listener: (event: TraceEvent) => void): this;
  override once(event: BackpressureEvent, listener: () => void): this;
  override once(event: string | symbol, listener: (...args: never[]) => void): this {
    return super.once(traceEventName(event, 'once'), traceListener(listener, 'once'));
  }

  override prependListener(event: 'trace', listener: (event: TraceEvent) => void): this;
  override prependListener(event: BackpressureEvent, listener: () => void): this;
  override prependListener(event: string | symbol, listener: (...args: never[]) => void): this {
    return super.prependListener(traceEventName(event, 'prependListener'), traceListener(listener, 'prependListener'));
  }

  override prependOnceListener(event: 'trace', listener: (event: TraceEvent) => void): this;
  override prependOnceListener(event: BackpressureEvent, listener: () => void): this;
  override prependOnceListener(event: string | symbol, listener: (...args: never[]) => void): this {
    return super.prependOnceListener(traceEventName(event, 'prependOnceListener'), traceListener(listener, 'prependOnceListener'));
  }
}
