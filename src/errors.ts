/**
 * Typed errors. Each message says what went wrong and what to do; every operation that
 * throws one of these has changed nothing (or has rolled back fully, for hotplug).
 */

export class CpuhpError extends Error {
  override name = 'CpuhpError';
}

/** A CPU up/down operation failed or was refused; the CPU is back in the state it started in. */
export class HotplugError extends CpuhpError {
  override name = 'HotplugError';
  constructor(
    message: string,
    readonly cpu: number,
    /** The hotplug step that failed or timed out, when one did. */
    readonly step?: string,
    /** Threads that did not acknowledge a park in time, as `name (id) on CPU n`. */
    readonly unresponsive: readonly string[] = [],
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A kthread operation was refused or did not complete (timed out, thread exited, ...). */
export class KthreadError extends CpuhpError {
  override name = 'KthreadError';
  constructor(
    message: string,
    readonly thread?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Bad configuration or argument, rejected before anything changed. */
export class ConfigError extends CpuhpError {
  override name = 'ConfigError';
}
