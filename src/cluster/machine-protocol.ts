/**
 * The IPC protocol between a machine process (`cpuhp cluster-node`, forked with an IPC
 * channel) and the process that forked it (MachineProcess: the cluster torture, the cluster
 * benchmark, the tests). A closed union each way; the machine answers every request once,
 * by its id, in any order.
 *
 *   machine → parent   ready     once, when its node takes jobs
 *                      reply     the answer to one request: ok with a value, or the error
 *   parent → machine   request   one of the node's calls: cpuDown/cpuUp(cpu), down, up, stats, close
 */

import type { ClusterNodeStats } from './node.js';

export type MachineRequest =
  | { readonly type: 'request'; readonly id: number; readonly op: 'cpuDown' | 'cpuUp'; readonly cpu: number }
  | { readonly type: 'request'; readonly id: number; readonly op: 'down' | 'up' | 'stats' | 'close' };

export interface MachineReady {
  readonly type: 'ready';
  readonly name: string;
  readonly pid: number;
  readonly cpus: number;
}

export type MachineReply =
  | { readonly type: 'reply'; readonly id: number; readonly ok: true; readonly stats: ClusterNodeStats }
  | { readonly type: 'reply'; readonly id: number; readonly ok: false; readonly code: string | undefined; readonly message: string };

export type MachineMessage = MachineReady | MachineReply;

export function isMachineRequest(value: unknown): value is MachineRequest {
  if (typeof value !== 'object' || value === null) return false;
  const m = value as Record<string, unknown>;
  if (m.type !== 'request' || typeof m.id !== 'number') return false;
  if (m.op === 'cpuDown' || m.op === 'cpuUp') return typeof m.cpu === 'number';
  return m.op === 'down' || m.op === 'up' || m.op === 'stats' || m.op === 'close';
}

export function isMachineMessage(value: unknown): value is MachineMessage {
  if (typeof value !== 'object' || value === null) return false;
  const m = value as Record<string, unknown>;
  return (m.type === 'ready' && typeof m.pid === 'number') || (m.type === 'reply' && typeof m.id === 'number' && typeof m.ok === 'boolean');
}
