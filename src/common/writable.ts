/**
 * Whether a file can be written where a path names it, checked before any work that ends by
 * writing it: the CLI's output flags (cli/flags.ts) and rt.recordTrace({ path })
 * (controller/arguments.ts) ask the same question and word the answer each in their own way.
 */

import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { dirname } from 'node:path';

export type Unwritable =
  /** The path names a directory. */
  | { readonly kind: 'directory' }
  /** The file exists and cannot be written. */
  | { readonly kind: 'file-not-writable' }
  /** The file does not exist, and its directory is missing or cannot be written. */
  | { readonly kind: 'directory-not-writable'; readonly dir: string };

/** Why the absolute `path` cannot be written, or undefined when it can. */
export function whyUnwritable(path: string): Unwritable | undefined {
  const exists = existsSync(path);
  if (exists && statSync(path).isDirectory()) return { kind: 'directory' };
  try {
    accessSync(exists ? path : dirname(path), constants.W_OK);
    return undefined;
  } catch {
    return exists ? { kind: 'file-not-writable' } : { kind: 'directory-not-writable', dir: dirname(path) };
  }
}
