/**
 * What the runtime reads of a module's definitions: the tag the define* helpers put on each
 * (kthread/define.ts), how a CPU worker recognises one among a module's exports, and how a
 * job's transfer() result is told from a plain value. Internal: `cpuhp/kthread` exports the
 * helpers and the definition types, not the tag or these readers, so that no module depends
 * on how a definition is built.
 *
 * The tags are registry symbols, so a module that imports another copy of cpuhp still defines
 * kthreads this runtime recognises.
 */

import type { TransferListItem } from 'node:worker_threads';
import type { DefinitionKind } from '../protocol/control-plane.js';
import type { CpuCallbackFn, JobFn, KthreadFn, PerCpuThreadHooks } from './define.js';

export const DEFINITION: unique symbol = Symbol.for('cpuhp.definition') as never;

/** A defineKthread export: name it in rt.kthreadCreate(). */
export interface KthreadDefinition {
  readonly [DEFINITION]: 'kthread';
  readonly fn: KthreadFn;
  /** Runs as the current kthread, for kthreadBoundShouldStop() (kthread/current.ts). */
  readonly trackCurrent: boolean;
}

/** A definePerCpuThread export: name it in rt.registerPerCpuThread(). */
export interface PerCpuThreadDefinition {
  readonly [DEFINITION]: 'percpu';
  readonly hooks: PerCpuThreadHooks;
  /** Runs as the current kthread, for kthreadBoundShouldStop() (kthread/current.ts). */
  readonly trackCurrent: boolean;
}

/** A defineCpuCallback export: name it in rt.setupState(). */
export interface CpuCallbackDefinition {
  readonly [DEFINITION]: 'cpu-callback';
  readonly fn: CpuCallbackFn;
}

/** A defineJob export; its type parameters let rt.queueWork<typeof job>() check args and result. */
export interface JobDefinition<Args = unknown, Result = unknown> {
  readonly [DEFINITION]: 'job';
  readonly fn: JobFn;
  readonly __args?: Args;
  readonly __result?: Result;
}

export type Definition = KthreadDefinition | PerCpuThreadDefinition | CpuCallbackDefinition | JobDefinition;

export type { DefinitionKind };
// Every tag a definition can carry is a kind the protocol names: a new kind must be added there first.
const TAGS_ARE_PROTOCOL_KINDS: Definition[typeof DEFINITION] extends DefinitionKind ? true : never = true;
void TAGS_ARE_PROTOCOL_KINDS;

export function definitionKind(value: unknown): DefinitionKind | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const kind = (value as { [DEFINITION]?: unknown })[DEFINITION];
  return kind === 'kthread' || kind === 'percpu' || kind === 'cpu-callback' || kind === 'job' ? kind : undefined;
}

export const TRANSFER: unique symbol = Symbol.for('cpuhp.transfer') as never;

/** A job result whose buffers move to the controller instead of being copied (made by transfer()). */
export interface Transfer<T> {
  readonly [TRANSFER]: true;
  readonly value: T;
  readonly transfer: readonly TransferListItem[];
}

export function asTransfer(value: unknown): Transfer<unknown> | undefined {
  return typeof value === 'object' && value !== null && (value as { [TRANSFER]?: unknown })[TRANSFER] === true ? (value as Transfer<unknown>) : undefined;
}
