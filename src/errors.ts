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

/**
 * Why a job did not produce a result:
 *   threw        the job function threw (or rejected); `cause` is its error, cloned
 *   aborted      the caller's AbortSignal fired
 *   timeout      its timeoutMs passed
 *   worker-died  it was running when its CPU's worker died
 *   args-lost    its transferred arguments went with a worker that died before it started
 *   queue-full   refused at submission: maxQueue jobs were waiting already
 *   cpu-offline  strict affinity to a CPU that is not online, with whenOffline 'fail'
 *   shutdown     the runtime shut down before it started, or before it finished
 *   soft-lockup  it was running when the watchdog found its CPU stuck (the job, or something
 *                else on its CPU, ran synchronously past watchdogMs) and failed the CPU
 */
export type JobFailure = 'threw' | 'aborted' | 'timeout' | 'worker-died' | 'args-lost' | 'queue-full' | 'cpu-offline' | 'shutdown' | 'soft-lockup';

/** A job was refused, or ended without a result. Says whether the job ran (`started`). */
export class JobError extends CpuhpError {
  override name = 'JobError';
  constructor(
    message: string,
    /** The job's name (its export). */
    readonly job: string,
    readonly reason: JobFailure,
    /** Whether the job started running (it may have had effects), as far as the runtime knows. */
    readonly started: boolean,
    /** The job's id, once it had one. */
    readonly id?: number,
    /** The CPU it ran or was to run on, when there was one. */
    readonly cpu?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
