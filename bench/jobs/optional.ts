/**
 * Loading a benchmark peer that may not be installed. piscina, poolifier and tinypool are
 * devDependencies of cpuhp, there for the job benchmark only: a user install without them
 * still runs `bench-jobs`, with a note in place of their rows, rather than failing.
 */

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { errorCode } from '../../src/common/errors.js';

export type Optional<T> = { readonly module: T } | { readonly missing: string };

/** What the report says of a peer that is not installed. */
export function missingNote(name: string): string {
  return `${name} is not installed (a devDependency of cpuhp, for this benchmark only: npm install ${name} to compare with it); its rows are skipped`;
}

/** `load()` is a dynamic import of `name`; a module that is not found is reported missing, any other error thrown. */
export async function loadOptional<T>(name: string, load: () => Promise<T>): Promise<Optional<T>> {
  try {
    return { module: await load() };
  } catch (error) {
    if (errorCode(error) === 'ERR_MODULE_NOT_FOUND') return { missing: missingNote(name) };
    throw error;
  }
}

/** The version of the installed package `name`, from its package.json next to its entry point. */
export function installedVersion(name: string): string {
  let dir = dirname(createRequire(import.meta.url).resolve(name));
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: unknown; version?: unknown };
      if (pkg.name === name && typeof pkg.version === 'string') return pkg.version;
    } catch (error) {
      if (errorCode(error) !== 'ENOENT') throw error;
    }
    const up = dirname(dir);
    if (up === dir) return 'unknown';
    dir = up;
  }
}
