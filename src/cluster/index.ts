/**
 * cpuhp/cluster: machines as CPUs on a real broker (BullMQ on Redis). A ClusterNode is one
 * machine (a cpuhp Runtime and a BullMQ worker); a ClusterQueue adds jobs and awaits them.
 * bullmq and ioredis are optional peer dependencies, loaded when a node or queue is made.
 * docs/cluster.md has the semantics and the failure model.
 */

export { ClusterNode } from './node.js';
export type { ClusterNodeState, ClusterNodeStats } from './node.js';
export { ClusterQueue } from './queue.js';
export type { CancelOutcome, ClusterAddOptions, ClusterJob, ClusterResultOptions } from './queue.js';
export type { ClusterNodeOptions, ClusterQueueOptions } from './options.js';
export { startLocalRedis } from './redis-server.js';
export type { LocalRedis } from './redis-server.js';
export { ClusterError, ConfigError, ERROR_CODES } from '../errors.js';
export type { ClusterErrorCode, ClusterJobFailure } from '../errors.js';
