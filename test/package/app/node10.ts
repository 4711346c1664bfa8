/**
 * Type-checked with moduleResolution node10 in the installed-package app
 * (test/package/install.test.ts): both entry points resolve through main/types and
 * typesVersions, for a project that cannot use exports yet.
 */

import { ConfigError, Runtime, type RuntimeOptions } from 'cpuhp';
import { defineJob, defineKthread, type JobDefinition, type KthreadDefinition } from 'cpuhp/kthread';

export const options: RuntimeOptions = { cpus: 2, modules: ['./dist/jobs.js'] };
export const double: JobDefinition<{ readonly n: number }, number> = defineJob((args: { readonly n: number }) => args.n * 2);
export const idle: KthreadDefinition = defineKthread(async (kt) => {
  while (!kt.shouldStop()) await kt.sleep(10);
});
export const start: (options: RuntimeOptions) => Promise<Runtime> = Runtime.start;
export const isConfigError = (error: unknown): boolean => error instanceof ConfigError;
