/**
 * The checks every public call runs on its arguments before it changes anything. Each
 * failure is a ConfigError whose message names the call and the argument, says what was
 * given (describeValue, which never throws) and what to pass instead, so a user can fix
 * the call from the message alone.
 *
 * `call` is the call's signature as the user sees it, e.g. "cpuDown(cpu)", and `name` the
 * argument or option, e.g. "cpu" or "options.timeoutMs".
 */

import { whyUnwritable } from '../common/writable.js';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TransferListItem } from 'node:worker_threads';
import { closest, distance } from 'fastest-levenshtein';
import { ConfigError } from '../errors.js';
import { describeValue } from '../describe-value.js';

export { describeValue };

/** The largest value of an Int32Array word: counters in shared memory never pass it. */
export const MAX_WORD = 2 ** 31 - 1;

function refuse(call: string, name: string, expected: string, value: unknown): never {
  throw new ConfigError(`${call}: ${name} must be ${expected}, got ${describeValue(value)}`);
}

/** A whole number from `min` to `max`. -0 is taken as 0. */
export function wholeNumber(call: string, name: string, value: unknown, min: number, max: number, why = ''): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    refuse(call, name, `a whole number from ${min} to ${max}${why}`, value);
  }
  return value === 0 ? 0 : value;
}

/** A whole number from `min` up, or Infinity, which `infinity` says the meaning of ("no limit"). */
export function wholeNumberOrInfinity(call: string, name: string, value: unknown, min: number, infinity: string): number {
  if (value === Infinity) return Infinity;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) refuse(call, name, `a whole number from ${min} up, or Infinity for ${infinity}`, value);
  return value === 0 ? 0 : value;
}

/** A CPU of a runtime with `cpus` CPUs. */
export function cpuNumber(call: string, name: string, value: unknown, cpus: number): number {
  return wholeNumber(call, name, value, 0, cpus - 1, ` (this runtime has CPUs 0 to ${cpus - 1})`);
}

/**
 * A timeout in milliseconds: a positive number (0 too when `allowZero`, meaning "check
 * once"), or Infinity for none. Fractions are fine: timers round them.
 */
export function timeoutMs(call: string, name: string, value: unknown, allowZero: boolean): number {
  if (typeof value !== 'number' || Number.isNaN(value) || value < 0 || (value === 0 && !allowZero)) {
    refuse(call, name, `${allowZero ? 'a number of milliseconds from 0 up' : 'a positive number of milliseconds'}, or Infinity for no timeout`, value);
  }
  return value === 0 ? 0 : value;
}

/** A string that is not empty. */
export function nonEmptyString(call: string, name: string, value: unknown, example: string): string {
  if (typeof value !== 'string' || value.length === 0) refuse(call, name, `a non-empty string such as ${JSON.stringify(example)}`, value);
  return value;
}

/**
 * The path of a file to write: a non-empty string or a file: URL, which names no directory,
 * in a directory that exists and may be written. Resolved to an absolute path.
 */
export function writableFile(call: string, name: string, value: unknown): string {
  const expected = 'the path or file: URL of a file to write';
  let isUrl = false;
  try {
    isUrl = value instanceof URL;
  } catch {
    // A Proxy whose getPrototypeOf trap throws: not a URL.
  }
  if (!(typeof value === 'string' && value.length > 0) && !isUrl) refuse(call, name, expected, value);
  let path: string;
  try {
    path = typeof value === 'string' && !value.startsWith('file:') ? resolve(value) : fileURLToPath(value as string | URL);
  } catch (error) {
    throw new ConfigError(`${call}: ${name} is not a file path or file: URL (${errorText(error)}); pass ${expected}`);
  }
  const why = whyUnwritable(path);
  if (why?.kind === 'directory') throw new ConfigError(`${call}: ${name}: ${path} is a directory; pass ${expected}`);
  if (why !== undefined) {
    throw new ConfigError(`${call}: ${name}: ${why.kind === 'file-not-writable' ? `${path} is not writable` : `the directory ${why.dir} does not exist or is not writable`}; pass ${expected}`);
  }
  return path;
}

/** One of a few strings. */
export function oneOf<T extends string>(call: string, name: string, value: unknown, choices: readonly T[]): T {
  const found = choices.find((choice) => choice === value);
  if (found === undefined) {
    const suggestion = typeof value === 'string' ? didYouMean(value, choices) : '';
    throw new ConfigError(`${call}: ${name} must be one of ${choices.map((c) => `'${c}'`).join(', ')}, got ${describeValue(value)}${suggestion}`);
  }
  return found;
}

/**
 * The name of one of `known` (an export, a state): a ConfigError that lists them, and
 * suggests the closest one when `value` looks like a typo of it.
 */
export function knownName(call: string, name: string, value: unknown, known: readonly string[], what: string, hint: string): string {
  if (typeof value === 'string' && known.includes(value)) return value;
  const list = `${what}s are: ${known.length > 0 ? known.join(', ') : 'none'}${hint}`;
  if (typeof value !== 'string' || value === '') throw new ConfigError(`${call}: ${name} must be the name of a ${what}, got ${describeValue(value)}; ${list}`);
  throw new ConfigError(`${call}: ${name}: no ${what} named ${describeValue(value)}${didYouMean(value, known)}; ${list}`);
}

/** "; did you mean 'x'?" when one of `known` is a plausible typo of `word`, else "". */
export function didYouMean(word: string, known: readonly string[]): string {
  // Nobody typos a long word into a key; and distance() is quadratic in the length.
  if (known.length === 0 || word.length === 0 || word.length > 100) return '';
  const best = closest(word, [...known]);
  // Two edits (a swap of two letters is two), or a third of the longer word: 'nmae' -> 'name',
  // 'affinty' -> 'affinity', but not 'x' -> 'cpu'.
  const limit = Math.max(2, Math.floor(Math.max(word.length, best.length) / 3));
  return distance(word.toLowerCase(), best.toLowerCase()) <= limit ? `; did you mean '${best}'?` : '';
}

/**
 * The keys of an options type, as a list: `allKeys<QueueWorkOptions>()(['cpu', ...])`. The
 * compiler refuses a list that misses a key of T or names another, so a key added to the
 * type cannot be forgotten by the check that refuses unknown keys.
 */
export function allKeys<T>() {
  return <const K extends readonly (keyof T & string)[]>(keys: K & ([Exclude<keyof T, K[number]>] extends [never] ? unknown : never)): K => keys;
}

/** An options object's values, by known key; keys the caller did not set are undefined. */
export type OptionValues<K extends string> = { readonly [P in K]: unknown };

/**
 * Reads an options object: undefined (all defaults), or a non-null, non-array object whose
 * own keys are all known. Each known key is read once, here, so a getter cannot answer one
 * thing to the check and another to the use; a getter or Proxy trap that throws becomes a
 * ConfigError naming the key. `arg` is the argument as the signature names it ("options",
 * or "options.resourceLimits" for a nested one).
 */
export function readOptions<K extends string>(call: string, arg: string, value: unknown, keys: readonly K[]): OptionValues<K> {
  const out = {} as Record<K, unknown>;
  if (value === undefined) return out;
  const isArray = guardedIsArray(call, arg, value);
  if (typeof value !== 'object' || value === null || isArray) {
    throw new ConfigError(`${call}: ${arg} must be an object with any of ${keys.join(', ')}, or left out; got ${describeValue(value)}`);
  }
  let own: (string | symbol)[];
  try {
    own = Reflect.ownKeys(value);
  } catch (error) {
    throw new ConfigError(`${call}: the keys of ${arg} could not be listed (${errorText(error)}); pass a plain object`, { cause: error });
  }
  // "queueWork options", or the nested object's own path.
  const where = arg.includes('.') ? arg : `${call.slice(0, call.indexOf('('))} ${arg}`;
  for (const key of own) {
    if (typeof key === 'string' && (keys as readonly string[]).includes(key)) continue;
    const shown = typeof key === 'symbol' ? `[${describeValue(key)}]` : describeValue(key);
    const suggestion = typeof key === 'string' ? didYouMean(key, keys) : '';
    throw new ConfigError(`${call}: unknown option ${shown} in ${where}${suggestion}; the options are: ${keys.join(', ')}`);
  }
  for (const key of keys) {
    try {
      out[key] = (value as Record<string, unknown>)[key];
    } catch (error) {
      throw new ConfigError(`${call}: ${arg}.${key} could not be read (${errorText(error)}); pass a plain value`, { cause: error });
    }
  }
  return out;
}

/** An array argument, read once into a copy (a Proxy's traps run here, once, or become a ConfigError). */
export function readArray(call: string, name: string, value: unknown, expected: string): unknown[] {
  try {
    if (!Array.isArray(value)) throw new ConfigError(`${call}: ${name} must be ${expected}, got ${describeValue(value)}`);
    return [...(value as unknown[])];
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError(`${call}: ${name} could not be read (${errorText(error)}); pass ${expected}`, { cause: error });
  }
}

/**
 * A transfer list: an array of objects. Whether each can be transferred (an ArrayBuffer not
 * detached, listed once) is known only when it is posted, and reported then.
 */
export function transferList(call: string, name: string, value: unknown, inside: string): readonly TransferListItem[] {
  const items = readArray(call, name, value, `an array of the ArrayBuffers (or MessagePorts) inside ${inside}`);
  const bad = items.findIndex((item) => typeof item !== 'object' || item === null);
  if (bad >= 0) throw new ConfigError(`${call}: ${name}[${bad}] must be an ArrayBuffer or a MessagePort, got ${describeValue(items[bad])}`);
  return items as TransferListItem[];
}

function guardedIsArray(call: string, arg: string, value: unknown): boolean {
  try {
    return Array.isArray(value);
  } catch (error) {
    // Array.isArray throws only for a revoked Proxy.
    throw new ConfigError(`${call}: ${arg} cannot be inspected (${errorText(error)}); pass a plain object`, { cause: error });
  }
}

/** An error's message for another message; the error may be anything a user's code threw. */
export function errorText(error: unknown): string {
  try {
    if (error instanceof Error) return `${String(error.name)}: ${String(error.message)}`;
  } catch {
    // A Proxy or a message with a throwing toString: describe it from outside instead.
  }
  return describeValue(error);
}

/**
 * Runs a promise-returning call's checks and body so that any throw, even from a check,
 * becomes a rejection: callers of a promise-returning call handle errors in one place.
 */
export function rejecting<T>(body: () => Promise<T>): Promise<T> {
  try {
    return body();
  } catch (error) {
    return Promise.reject(error);
  }
}
