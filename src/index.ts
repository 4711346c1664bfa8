/** cpuhp: Linux CPU hotplug and kthread parking, for real, on worker threads. */

export { Runtime } from './runtime.js';
export type {
  CpuStats,
  CpuUtilization,
  DrainOptions,
  KthreadCreateOptions,
  PerCpuThreadGroup,
  PerCpuThreadOptions,
  RuntimeStats,
  StateCallback,
  StateCallbacks,
} from './runtime.js';
export type * from './trace/events.js';
export type { Dashboard, DashboardOptions } from './dashboard/types.js';
export type { ChromeEvent, ChromeTrace } from './trace/perfetto.js';
export type { RecordTraceOptions, TraceRecording } from './trace/recorder.js';
export type { WorkerThreadOptions } from './controller/worker-options.js';
export type { LockupAction, RuntimeOptions } from './controller/options.js';
export type { StrategyName } from './hotplug/strategies/strategy.js';
export { BUILTIN_STATES, CPUHP_AP_DYING, CPUHP_AP_SMPBOOT_THREADS, CPUHP_BRINGUP_CPU } from './hotplug/states.js';
export type { BuiltinStateName } from './hotplug/states.js';
export type { KthreadHandle, KthreadInfo } from './kthread/registry.js';
export type { LatencySummary } from './controller/latency.js';
export type { CpuStateName } from './protocol/cpu-state.js';
export type { KthreadStateName } from './protocol/kthread-state.js';
export { ClusterError, CpuhpError, ConfigError, ERROR_CODES, HotplugError, JobError, KthreadError, WARNING_CODES } from './errors.js';
export type { ClusterErrorCode, ClusterJobFailure, ConfigErrorCode, CpuhpErrorCode, CpuhpWarningCode, HotplugErrorCode, JobErrorCode, JobFailure, KthreadErrorCode, RuntimeErrorCode } from './errors.js';
export { defineCpuCallback, defineJob, defineKthread, definePerCpuThread, transfer } from './kthread/define.js';
export type { CpuCallbackFn, JobContext, JobDefinition, JobFn, Kthread, KthreadFn, PerCpuThreadHooks } from './kthread/define.js';
export type { CpuCallbackDefinition, KthreadDefinition, PerCpuThreadDefinition } from './kthread/define.js';
export type { Affinity, QueueWorkOptions, WhenOffline } from './jobs/job.js';
export type { JobArgs, JobHandle, JobNames, JobParams, JobResult } from './jobs/handle.js';
export type { CpuJobStats, JobCounts, JobStats, TimeSummary } from './jobs/workqueue.js';
