/**
 * The typed job handle, `rt.jobs<typeof import('./jobs.js')>()`: one method per defineJob
 * export of a job module, each `(args, options?) => Promise<result>`, so the compiler checks
 * the job's name, its arguments and its result, where `rt.queueWork(name, args)` checks none.
 *
 * At run time the handle is built from the job names the runtime loaded, not from the type:
 * a name the runtime did not load is refused with the same ConfigError as queueWork's, at the
 * property access, naming it and listing the loaded ones (the type and the modules passed to
 * Runtime.start can disagree, and a typo in untyped code should not pass as `undefined`).
 */

import { knownName } from '../controller/arguments.js';
import type { JobDefinition } from '../kthread/define.js';
import type { QueueWorkOptions } from './job.js';

/** Any defineJob export, whatever its arguments and result (both are covariant). */
type AnyJob = JobDefinition<unknown, unknown>;

/** The arguments a defineJob export takes. */
export type JobArgs<J> = J extends JobDefinition<infer A, unknown> ? A : never;
/** What a defineJob export's promise resolves with. */
export type JobResult<J> = J extends JobDefinition<unknown, infer R> ? R : never;

/**
 * The parameters after the name: `args` (optional when the job takes undefined, as one that
 * declares no arguments does), then the options.
 */
export type JobParams<J> = undefined extends JobArgs<J> ? [args?: JobArgs<J>, options?: QueueWorkOptions] : [args: JobArgs<J>, options?: QueueWorkOptions];

/** The names of a module's defineJob exports (its other exports are not jobs). */
export type JobNames<M> = { [K in keyof M]: M[K] extends AnyJob ? K : never }[keyof M] & string;

/** One method per defineJob export of the module type `M`; see Runtime.jobs(). */
export type JobHandle<M> = { readonly [K in JobNames<M>]: (...params: JobParams<M[K]>) => Promise<JobResult<M[K]>> };

/** What the handle of a runtime calls: queueWork. */
export type QueueWork = (name: string, args: unknown, options: unknown) => Promise<unknown>;

const CALL = 'jobs()';

/**
 * A handle over the runtime's loaded job names. Probes that are not job lookups answer as
 * for a plain object without the name rather than throw: symbols (inspection, coercion), and
 * `then` (so that returning the handle from an async function, or awaiting it, does not call
 * a job), `toJSON`. `name in handle` tests a name without throwing.
 */
export function makeJobHandle(jobNames: ReadonlySet<string>, queueWork: QueueWork): object {
  const methods: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  for (const name of jobNames) {
    methods[name] = (args?: unknown, options?: unknown): Promise<unknown> => queueWork(name, args, options);
  }
  Object.freeze(methods);
  const known = [...jobNames];
  return new Proxy(methods, {
    get(target, key) {
      if (typeof key === 'symbol' || key in target || NOT_LOOKUPS.has(key)) return Reflect.get(target, key);
      // Throws: the name is not one the runtime loaded.
      knownName(CALL, `jobs.${key}`, key, known, 'job', ' (the defineJob exports of the modules passed to Runtime.start({ modules }))');
      return undefined;
    },
  });
}

/** Property reads that probe an object rather than look a job up. */
const NOT_LOOKUPS: ReadonlySet<string> = new Set(['then', 'toJSON']);
