/**
 * Type-level tests of the typed job API, checked by tsc as part of the build (`npm run
 * build` fails if one breaks): every `@ts-expect-error` line must be an error, and every
 * other line must compile. Nothing here runs; the functions exist to be type-checked. The
 * run-time behaviour is tested in test/jobs-api.test.ts.
 */

import type { JobHandle, Runtime } from '../../src/index.js';
import { defineJob } from '../../src/kthread/define.js';

/** The fixture job module, with two exports that are not jobs. */
type Jobs = typeof import('../fixtures/jobs.js') & { readonly helper: (x: number) => number; readonly VERSION: string };

/** A job that takes nothing. */
const ping = defineJob(() => 'pong' as const);
type Ping = { readonly ping: typeof ping };

/** True when A and B are the same type, both ways. */
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function expectType<A, B>(proof: Equal<A, B>): void {
  void proof;
}

export function theHandle(rt: Runtime): void {
  const jobs = rt.jobs<Jobs>();
  expectType<ReturnType<typeof jobs.increment>, Promise<number>>(true);
  expectType<ReturnType<typeof jobs.record>, Promise<number>>(true);
  void jobs.increment(41);
  void jobs.increment(41, { cpu: 1, timeoutMs: 100, transferList: [] });
  void jobs.record({ runs: new Int32Array(1), index: 0 });
  // @ts-expect-error a name the module does not export is not a method
  void jobs.slowEcho(1);
  // @ts-expect-error exports that are not jobs are not methods
  void jobs.helper(1);
  // @ts-expect-error ... nor are constants
  void jobs.VERSION;
  // @ts-expect-error the job's arguments are required
  void jobs.increment();
  // @ts-expect-error ... and checked
  void jobs.increment('41');
  // @ts-expect-error ... and so are the options
  void jobs.increment(41, { cpus: 1 });
  // @ts-expect-error a record needs its index
  void jobs.record({ runs: new Int32Array(1) });
  // @ts-expect-error the handle is read-only
  jobs.increment = jobs.increment;

  // A job that declares no arguments may be called without.
  const pings = rt.jobs<Ping>();
  expectType<ReturnType<typeof pings.ping>, Promise<'pong'>>(true);
  void pings.ping();

  // Untyped, every name is a method that resolves with unknown.
  const any = rt.jobs();
  expectType<ReturnType<typeof any.whatever>, Promise<unknown>>(true);
  expectType<JobHandle<Ping>, { readonly ping: (args?: unknown, options?: import('../../src/index.js').QueueWorkOptions) => Promise<'pong'> }>(true);
}

export function queueWorkByModule(rt: Runtime): void {
  const sum = rt.queueWork<Jobs, 'increment'>('increment', 1);
  expectType<typeof sum, Promise<number>>(true);
  // @ts-expect-error the name must be the one given as the type argument
  void rt.queueWork<Jobs, 'increment'>('record', 1);
  // @ts-expect-error ... and a job of the module
  void rt.queueWork<Jobs, 'slowEcho'>('slowEcho', 1);
  // @ts-expect-error ... not another export
  void rt.queueWork<Jobs, 'helper'>('helper', 1);
  // @ts-expect-error the arguments are required
  void rt.queueWork<Jobs, 'increment'>('increment');
  // @ts-expect-error ... and checked
  void rt.queueWork<Jobs, 'increment'>('increment', 'one');
}

export function queueWorkByDefinition(rt: Runtime): void {
  const sum = rt.queueWork<Jobs['increment']>('increment', 1);
  expectType<typeof sum, Promise<number>>(true);
  // @ts-expect-error the arguments are required, typed by one job's definition too
  void rt.queueWork<Jobs['increment']>('increment');
  // @ts-expect-error ... and checked
  void rt.queueWork<Jobs['increment']>('increment', 'one');
  // @ts-expect-error only a job's definition types it
  void rt.queueWork<Jobs['helper']>('helper', 1);
}

export function queueWorkUntyped(rt: Runtime, name: string): void {
  // Untyped, any name and any arguments compile, and the result is unknown.
  const result = rt.queueWork(name, { anything: true }, { cpu: 0 });
  expectType<typeof result, Promise<unknown>>(true);
  void rt.queueWork(name);
  // @ts-expect-error the options are still checked
  void rt.queueWork(name, 1, { affinty: 'strict' });
}
