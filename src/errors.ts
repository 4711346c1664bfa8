/**
 * Typed errors. Each message says what went wrong and what to do; every operation that
 * throws one of these has changed nothing (or has rolled back fully, for hotplug).
 *
 * Every error also has a `code`, as Node's own errors do: one per situation a caller may
 * want to tell apart. Codes are stable: a code keeps its name and its meaning between
 * versions, and new situations get new codes. Messages are for people and may be reworded
 * at any time, so code that decides anything switches on `code` (and the class), never on
 * the message. The Errors section of docs/design.md lists every code.
 */

/** Every code an error of cpuhp can carry, by a short name: `ERROR_CODES.LAST_CPU`. */
export const ERROR_CODES = {
  // ------------------------------------------------------------------ ConfigError
  /** A bad argument or option (or a module's define call), rejected before anything changed. */
  INVALID_ARG: 'ERR_CPUHP_INVALID_ARG',
  /** A module exists but its CPU worker could not load it: the import threw, two modules define the same export, the worker exited or did not load it in time. */
  MODULE_LOAD: 'ERR_CPUHP_MODULE_LOAD',

  // ------------------------------------------------------------------ CpuhpError
  /** A call after `shutdown()`. */
  SHUT_DOWN: 'ERR_CPUHP_SHUT_DOWN',
  /** `Runtime.start` failed for a reason outside cpuhp (the OS refusing a thread, say). */
  START_FAILED: 'ERR_CPUHP_START_FAILED',
  /** `drain({ timeoutMs })` timed out; the jobs still run. */
  DRAIN_TIMEOUT: 'ERR_CPUHP_DRAIN_TIMEOUT',
  /** A trace recorder's `stop()` could not write its file (`cause` says why). */
  TRACE_WRITE: 'ERR_CPUHP_TRACE_WRITE',
  /** A broken invariant inside cpuhp (a bug to report, or shared memory written from outside it). */
  INTERNAL: 'ERR_CPUHP_INTERNAL',
  /** `rt.serveDashboard` could not listen: the port is in use, or the host is not an address of this machine (`cause` is Node's error). */
  DASHBOARD_LISTEN: 'ERR_CPUHP_DASHBOARD_LISTEN',

  // ------------------------------------------------------------------ HotplugError
  /** cpuDown refused: the CPU is the last online one. Nothing changed. */
  LAST_CPU: 'ERR_CPUHP_LAST_CPU',
  /** Refused because the CPU is not online (HotplugError from kthreadCreateOnCpu, KthreadError from kthreadStop of a thread whose CPU is down). */
  CPU_OFFLINE: 'ERR_CPUHP_CPU_OFFLINE',
  /** cpuDown or cpuUp failed at a step (`step`) and the CPU was rolled back to where it started; `cause` says why the step failed. */
  STEP_FAILED: 'ERR_CPUHP_STEP_FAILED',
  /** cpuDown or cpuUp failed at a step, and so did the rollback: the CPU is left part-way (down-prepare or dead, not online); the next cpuUp or cpuDown completes it. */
  ROLLBACK_INCOMPLETE: 'ERR_CPUHP_ROLLBACK_INCOMPLETE',
  /**
   * The CPU's worker died during cpuDown or cpuUp: the CPU is failed, and cpuUp starts a fresh
   * worker. Also the `cause` of an error whose CPU's worker exited before it answered the
   * controller (CREATE_FAILED, RESULT_LOST, a STEP_FAILED).
   */
  WORKER_DIED: 'ERR_CPUHP_WORKER_DIED',
  /** cpuDown or cpuUp could not take the hotplug lock's writer side in time (refcount, percpu-rwsem: readers held it). Nothing changed; retry. */
  WRITER_STARVED: 'ERR_CPUHP_WRITER_STARVED',
  /** setupState: the startup failed on some CPU; the state was not added. */
  SETUP_FAILED: 'ERR_CPUHP_SETUP_FAILED',
  /** removeState: the teardown failed on some CPU; the state was removed anyway. */
  TEARDOWN_FAILED: 'ERR_CPUHP_TEARDOWN_FAILED',
  /** The `cause` of a STEP_FAILED: a failure injected with rt.injectFailure. */
  INJECTED_FAILURE: 'ERR_CPUHP_INJECTED_FAILURE',
  /** The `cause` of a STEP_FAILED or SETUP_FAILED: a state's callback did not finish within hotplugTimeoutMs. */
  CALLBACK_TIMEOUT: 'ERR_CPUHP_CALLBACK_TIMEOUT',
  /** The `cause` of a STEP_FAILED: the CPU's worker did not wake (cpuUp) or block (cpuDown) within hotplugTimeoutMs. */
  WORKER_TIMEOUT: 'ERR_CPUHP_WORKER_TIMEOUT',

  // ------------------------------------------------------------------ KthreadError (and the causes of hotplug failures)
  /** A thread did not park within hotplugTimeoutMs: kthreadPark's KthreadError, or the HotplugError `cause` of a cpuDown whose threads did not park (`unresponsive` names them). */
  PARK_TIMEOUT: 'ERR_CPUHP_PARK_TIMEOUT',
  /** A thread did not exit within hotplugTimeoutMs of its stop: kthreadStop's KthreadError, or the HotplugError `cause` of a recreate cpuDown. */
  STOP_TIMEOUT: 'ERR_CPUHP_STOP_TIMEOUT',
  /** A handle the runtime did not issue: a copy, a look-alike, another runtime's. */
  NOT_A_HANDLE: 'ERR_CPUHP_NOT_A_HANDLE',
  /** The handle's thread is gone: stopped already, reaped, or lost with a worker that died. */
  THREAD_GONE: 'ERR_CPUHP_THREAD_GONE',
  /** The thread has exited (returned or threw) and cannot be parked or unparked; kthreadStop collects its result. */
  THREAD_EXITED: 'ERR_CPUHP_THREAD_EXITED',
  /** kthreadStop: the thread threw, or returned a value that cannot be cloned. It is stopped and reaped. */
  THREAD_THREW: 'ERR_CPUHP_THREAD_THREW',
  /** A thread exited, but its result (exit record) could not be collected from its CPU. */
  RESULT_LOST: 'ERR_CPUHP_RESULT_LOST',
  /** A hand park or stop of a kworker, which runs a CPU's job queue: take the CPU down instead. */
  KWORKER: 'ERR_CPUHP_KWORKER',
  /** Every kthread slot is in use (maxKthreads). */
  NO_SLOTS: 'ERR_CPUHP_NO_SLOTS',
  /** The CPU did not start the new thread within hotplugTimeoutMs. */
  CREATE_TIMEOUT: 'ERR_CPUHP_CREATE_TIMEOUT',
  /** The CPU could not start the new thread (its worker refused it or went away). */
  CREATE_FAILED: 'ERR_CPUHP_CREATE_FAILED',
  /** kthreadBoundShouldStop() called outside a kthread: on the main thread, in a job, in a CPU callback. */
  NOT_IN_KTHREAD: 'ERR_CPUHP_NOT_IN_KTHREAD',

  // ------------------------------------------------------------------ JobError, by `reason`
  /** reason 'threw': the job threw or rejected, or returned a value that cannot be cloned. */
  JOB_THREW: 'ERR_CPUHP_JOB_THREW',
  /**
   * The job was cancelled rather than failed: reason 'aborted' (its AbortSignal fired),
   * 'timeout' (its timeoutMs passed) or 'shutdown' (the runtime shut down before it started
   * or finished, or refused it while shutting down). Node's own code for an abort, not an
   * ERR_CPUHP_ one, and the error's `name` is 'AbortError', so code that handles aborts as
   * Node reports them handles these too; `reason` tells the three apart.
   */
  JOB_ABORTED: 'ABORT_ERR',
  /** reason 'worker-died': the job was running when its CPU's worker died. */
  JOB_WORKER_DIED: 'ERR_CPUHP_JOB_WORKER_DIED',
  /** reason 'args-lost': its transferred arguments went with a worker that died before it started. */
  JOB_ARGS_LOST: 'ERR_CPUHP_JOB_ARGS_LOST',
  /** reason 'queue-full': maxQueue jobs were waiting already. */
  JOB_QUEUE_FULL: 'ERR_CPUHP_JOB_QUEUE_FULL',
  /** reason 'cpu-offline': strict affinity to a CPU that is not online, with whenOffline 'fail'. */
  JOB_CPU_OFFLINE: 'ERR_CPUHP_JOB_CPU_OFFLINE',
  /** reason 'soft-lockup': it was running when the watchdog found its CPU stuck and failed it. */
  JOB_SOFT_LOCKUP: 'ERR_CPUHP_JOB_SOFT_LOCKUP',

  // ------------------------------------------------------------------ ClusterError (cpuhp/cluster)
  /** cpuhp/cluster needs the optional packages bullmq and ioredis, and one of them is not installed. */
  BROKER_MISSING: 'ERR_CPUHP_BROKER_MISSING',
  /** A local redis-server was to be started, and the redis-server program is not installed. */
  REDIS_MISSING: 'ERR_CPUHP_REDIS_MISSING',
  /** A local redis-server was started and exited, or did not answer in time. */
  REDIS_START_FAILED: 'ERR_CPUHP_REDIS_START_FAILED',
  /** Redis did not answer at the URL given, in time. */
  REDIS_UNREACHABLE: 'ERR_CPUHP_REDIS_UNREACHABLE',
  /** A cluster job failed: its job threw, was unknown to the machine that took it, or stalled more often than the broker allows. */
  CLUSTER_JOB_FAILED: 'ERR_CPUHP_CLUSTER_JOB_FAILED',
  /** A cluster job's result did not come within the time asked for; the job itself goes on. */
  CLUSTER_TIMEOUT: 'ERR_CPUHP_CLUSTER_TIMEOUT',
  /** No such cluster job: never added, or removed after keepFinishedS. */
  CLUSTER_NO_JOB: 'ERR_CPUHP_CLUSTER_NO_JOB',
  /** A call on a cluster node or queue after it was closed. */
  CLUSTER_CLOSED: 'ERR_CPUHP_CLUSTER_CLOSED',
} as const;

type Codes = typeof ERROR_CODES;
/** Any code a cpuhp error carries. */
export type CpuhpErrorCode = Codes[keyof Codes];
/** The codes of a plain CpuhpError (not one of its subclasses). */
export type RuntimeErrorCode = Codes['SHUT_DOWN' | 'START_FAILED' | 'DRAIN_TIMEOUT' | 'TRACE_WRITE' | 'INTERNAL' | 'DASHBOARD_LISTEN'];
export type ConfigErrorCode = Codes['INVALID_ARG' | 'MODULE_LOAD'];
export type HotplugErrorCode = Codes[
  | 'LAST_CPU'
  | 'CPU_OFFLINE'
  | 'STEP_FAILED'
  | 'ROLLBACK_INCOMPLETE'
  | 'WORKER_DIED'
  | 'WRITER_STARVED'
  | 'SETUP_FAILED'
  | 'TEARDOWN_FAILED'
  | 'INJECTED_FAILURE'
  | 'CALLBACK_TIMEOUT'
  | 'WORKER_TIMEOUT'
  | 'PARK_TIMEOUT'
  | 'STOP_TIMEOUT'
];
export type ClusterErrorCode = Codes[
  | 'BROKER_MISSING'
  | 'REDIS_MISSING'
  | 'REDIS_START_FAILED'
  | 'REDIS_UNREACHABLE'
  | 'CLUSTER_JOB_FAILED'
  | 'CLUSTER_TIMEOUT'
  | 'CLUSTER_NO_JOB'
  | 'CLUSTER_CLOSED'
  | 'JOB_ABORTED'
];
export type KthreadErrorCode = Codes[
  | 'PARK_TIMEOUT'
  | 'STOP_TIMEOUT'
  | 'NOT_A_HANDLE'
  | 'THREAD_GONE'
  | 'THREAD_EXITED'
  | 'THREAD_THREW'
  | 'RESULT_LOST'
  | 'KWORKER'
  | 'NO_SLOTS'
  | 'CREATE_TIMEOUT'
  | 'CREATE_FAILED'
  | 'CPU_OFFLINE'
  | 'NOT_IN_KTHREAD'
];

/** What every cpuhp error is given besides its message. */
interface ErrorOptions<Code extends CpuhpErrorCode> {
  readonly code: Code;
  readonly cause?: unknown;
}

export class CpuhpError extends Error {
  override name = 'CpuhpError';
  /** Which situation this is: stable between versions, unlike the message (see ERROR_CODES). */
  readonly code: CpuhpErrorCode;
  constructor(message: string, options: ErrorOptions<CpuhpErrorCode>) {
    // `cause` is set only when given, even as undefined: as Error itself does.
    super(message, 'cause' in options ? { cause: options.cause } : undefined);
    this.code = options.code;
  }
}

/** A CPU up/down operation failed or was refused; the CPU is back in the state it started in. */
export class HotplugError extends CpuhpError {
  override name = 'HotplugError';
  declare readonly code: HotplugErrorCode;
  readonly cpu: number;
  /** The hotplug step that failed or timed out, when one did. */
  readonly step?: string;
  /** Threads that did not acknowledge a park in time, as `name (id) on CPU n`. */
  readonly unresponsive: readonly string[];
  constructor(
    message: string,
    options: ErrorOptions<HotplugErrorCode> & { readonly cpu: number; readonly step?: string; readonly unresponsive?: readonly string[] },
  ) {
    super(message, options);
    this.cpu = options.cpu;
    this.step = options.step;
    this.unresponsive = options.unresponsive ?? [];
  }
}

/** A kthread operation was refused or did not complete (timed out, thread exited, ...). */
export class KthreadError extends CpuhpError {
  override name = 'KthreadError';
  declare readonly code: KthreadErrorCode;
  readonly thread?: string;
  constructor(message: string, options: ErrorOptions<KthreadErrorCode> & { readonly thread?: string }) {
    super(message, options);
    this.thread = options.thread;
  }
}

/** Bad configuration or argument, rejected before anything changed. */
export class ConfigError extends CpuhpError {
  override name = 'ConfigError';
  declare readonly code: ConfigErrorCode;
  /** The code is ERR_CPUHP_INVALID_ARG unless given (ERR_CPUHP_MODULE_LOAD). */
  constructor(message: string, options: Partial<ErrorOptions<ConfigErrorCode>> = {}) {
    super(message, { ...options, code: options.code ?? ERROR_CODES.INVALID_ARG });
  }
}

/**
 * A cluster node, queue or local Redis (cpuhp/cluster) failed or was refused. A cluster job
 * that was cancelled rejects with one whose code is 'ABORT_ERR' and name 'AbortError', as
 * the runtime's own aborted jobs do.
 */
export class ClusterError extends CpuhpError {
  override name: 'ClusterError' | 'AbortError' = 'ClusterError';
  declare readonly code: ClusterErrorCode;
  /** The cluster job's id, for an error about one job. */
  readonly jobId?: string;
  /** Why a cluster job failed, for CLUSTER_JOB_FAILED (see ClusterJobFailure). */
  readonly reason?: ClusterJobFailure;
  constructor(message: string, options: ErrorOptions<ClusterErrorCode> & { readonly jobId?: string; readonly reason?: ClusterJobFailure }) {
    super(message, options);
    if (this.code === ERROR_CODES.JOB_ABORTED) this.name = 'AbortError';
    this.jobId = options.jobId;
    this.reason = options.reason;
  }
}

/**
 * Why a cluster job failed (a CLUSTER_JOB_FAILED ClusterError's `reason`):
 *   threw     the job threw or rejected (or returned what cannot be cloned); it ran once
 *   stalled   the machines running it were lost (killed, or stalled past their lock) more
 *             than maxStalledCount times
 *   machine   the machine that took it could not run it to an end: no such job there, data
 *             not added by a ClusterQueue, or its CPU's worker died or locked up under it
 */
export type ClusterJobFailure = 'threw' | 'stalled' | 'machine';

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

/**
 * A JobError's code, by its reason: `code` always follows from `reason`.
 *
 * A job that was cancelled, not failed, has Node's code and name for an abort: 'ABORT_ERR'
 * and 'AbortError' (the AbortError of fs, timers/promises, events.once, stream.finished,
 * piscina's run), whether its caller's signal fired ('aborted'), its timeoutMs passed
 * ('timeout', as Node reports an AbortSignal.timeout()), or the runtime shut down
 * ('shutdown'). Code that already treats `error.code === 'ABORT_ERR'` or `error.name ===
 * 'AbortError'` as "cancelled, not a failure" then treats these the same way without knowing
 * cpuhp. The error stays a JobError (it has `job`, `started`, `id`, `cpu`, and `instanceof
 * JobError` holds), and `reason` tells the three apart. Its `cause` is the signal's reason:
 * for `controller.abort()` a DOMException named 'AbortError', for a timeoutMs a DOMException
 * named 'TimeoutError' (what AbortSignal.timeout() gives).
 */
export const JOB_FAILURE_CODES = {
  threw: ERROR_CODES.JOB_THREW,
  aborted: ERROR_CODES.JOB_ABORTED,
  timeout: ERROR_CODES.JOB_ABORTED,
  'worker-died': ERROR_CODES.JOB_WORKER_DIED,
  'args-lost': ERROR_CODES.JOB_ARGS_LOST,
  'queue-full': ERROR_CODES.JOB_QUEUE_FULL,
  'cpu-offline': ERROR_CODES.JOB_CPU_OFFLINE,
  shutdown: ERROR_CODES.JOB_ABORTED,
  'soft-lockup': ERROR_CODES.JOB_SOFT_LOCKUP,
} as const satisfies Record<JobFailure, CpuhpErrorCode>;

export type JobErrorCode = (typeof JOB_FAILURE_CODES)[JobFailure];

/** A job was refused, or ended without a result. Says whether the job ran (`started`). */
export class JobError extends CpuhpError {
  /** 'AbortError' for a job that was cancelled (code 'ABORT_ERR'), else 'JobError'. */
  override name: 'JobError' | 'AbortError' = 'JobError';
  /** Follows from `reason` (JOB_FAILURE_CODES). */
  declare readonly code: JobErrorCode;
  /** The job's name (its export). */
  readonly job: string;
  readonly reason: JobFailure;
  /** Whether the job started running (it may have had effects), as far as the runtime knows. */
  readonly started: boolean;
  /** The job's id, once it had one. */
  readonly id?: number;
  /** The CPU it ran or was to run on, when there was one. */
  readonly cpu?: number;
  constructor(
    message: string,
    options: {
      readonly job: string;
      readonly reason: JobFailure;
      readonly started: boolean;
      readonly id?: number;
      readonly cpu?: number;
      readonly cause?: unknown;
    },
  ) {
    super(message, { ...options, code: JOB_FAILURE_CODES[options.reason] });
    if (this.code === ERROR_CODES.JOB_ABORTED) this.name = 'AbortError';
    this.job = options.job;
    this.reason = options.reason;
    this.started = options.started;
    this.id = options.id;
    this.cpu = options.cpu;
  }
}

/**
 * The codes of the process warnings a runtime emits (`process.emitWarning`, name
 * 'CpuhpWarning'): a warning reports something the runtime carried on through. Stable, like
 * the error codes; listen with `process.on('warning', (w) => w.code === ...)`.
 */
export const WARNING_CODES = {
  /** A 'trace' listener threw; the runtime caught it (once per listener). */
  TRACE_LISTENER_THREW: 'CPUHP_TRACE_LISTENER_THREW',
  /** The watchdog found a CPU stuck and onLockup is 'warn', so the CPU was left as it is. */
  SOFT_LOCKUP: 'CPUHP_SOFT_LOCKUP',
  /** A runtime was started with at least as many CPUs as cores: the controller shares them (once per process). */
  CPUS_SHARE_CORES: 'CPUHP_CPUS_SHARE_CORES',
} as const;

export type CpuhpWarningCode = (typeof WARNING_CODES)[keyof typeof WARNING_CODES];

/** Emits a CpuhpWarning with its code, as a process warning. */
export function emitCpuhpWarning(message: string, code: CpuhpWarningCode, cause?: unknown): void {
  const warning = new Error(message, cause === undefined ? undefined : { cause }) as Error & { code: CpuhpWarningCode };
  warning.name = 'CpuhpWarning';
  warning.code = code;
  process.emitWarning(warning);
}
