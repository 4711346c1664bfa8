/**
 * What the torture run watches in its own process while it runs: exceptions nobody caught
 * (a runtime that lets a listener's error or its own escape into a timer or an event
 * handler), and the warnings the runtime reports a throwing trace listener with. Those
 * warnings are counted, not printed: a run with the listener fault makes many. Every other
 * warning goes to the listeners it would have gone to, and is kept for the run's result.
 */

import { WARNING_CODES } from '../errors.js';
import { describeError } from '../describe-value.js';
import { InjectedListenerError } from './listener-fault.js';

type WarningListener = (warning: Error) => void;

/**
 * The runtime's warning about a trace listener that threw: known by its code, and by its
 * `cause` being the error torture's own listener threw, never by its message.
 */
export function isListenerWarning(warning: Error): boolean {
  return (warning as Error & { code?: unknown }).code === WARNING_CODES.TRACE_LISTENER_THREW && warning.cause instanceof InjectedListenerError;
}

export class ProcessWatch {
  /** Warnings that reported a trace listener's error. */
  listenerWarnings = 0;
  /** Every other warning, as "name: message", in the order emitted. */
  readonly warnings: string[] = [];
  private saved: WarningListener[] = [];
  private installed = false;
  private readonly onWarning = (warning: Error): void => {
    if (isListenerWarning(warning)) {
      this.listenerWarnings++;
      return;
    }
    this.warnings.push(`${warning.name}: ${warning.message}`);
    for (const listener of this.saved) listener(warning);
  };
  private readonly onException = (error: unknown): void => this.crash(`an exception no one caught reached the process: ${describeError(error)}`);
  private readonly onRejection = (reason: unknown): void => this.crash(`a promise rejection no one handled reached the process: ${describeError(reason)}`);

  constructor(private readonly crash: (what: string) => void) {}

  install(): void {
    if (this.installed) return;
    this.installed = true;
    this.saved = process.listeners('warning') as WarningListener[];
    process.removeAllListeners('warning');
    process.on('warning', this.onWarning);
    process.on('uncaughtException', this.onException);
    process.on('unhandledRejection', this.onRejection);
  }

  /** Lets the warnings already emitted arrive (process.emitWarning delivers on a later tick). */
  async settle(): Promise<void> {
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
  }

  uninstall(): void {
    if (!this.installed) return;
    this.installed = false;
    process.off('warning', this.onWarning);
    for (const listener of this.saved) process.on('warning', listener);
    process.off('uncaughtException', this.onException);
    process.off('unhandledRejection', this.onRejection);
  }
}
