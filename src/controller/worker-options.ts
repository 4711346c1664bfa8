/**
 * RuntimeOptions.workerOptions: the part of Node's WorkerOptions (node:worker_threads) that
 * every CPU worker is started with. The runtime owns the rest: how a worker is started
 * (`eval`), what it is given (`workerData`, `transferList`), its name, and its streams. Those
 * keys are refused with what to do instead; any other unknown key is refused too.
 *
 * `resourceLimits` is read here and checked by options.ts, which checks the top-level
 * resourceLimits option the same way.
 */

import { SHARE_ENV, type ResourceLimits } from 'node:worker_threads';
import { ConfigError } from '../errors.js';
import { allKeys, describeValue, errorText, readArray, readOptions } from './arguments.js';

export interface WorkerThreadOptions {
  /** Appended to each worker's process.argv, as Node's `argv`. Strings only. */
  readonly argv?: readonly string[];
  /**
   * Each worker's process.env: an object of string values, copied once by Runtime.start (a
   * later change to it reaches no worker), or SHARE_ENV (node:worker_threads) to share the
   * process's own. Default: a copy of process.env as each worker starts, as Node's.
   */
  readonly env?: Readonly<Record<string, string>> | typeof SHARE_ENV;
  /**
   * Node's command-line flags for each worker, as Node's `execArgv`; a flag Node refuses in
   * a worker (a V8 or per-process flag such as --max-old-space-size) is a ConfigError from
   * Runtime.start. Default: the process's own flags, as Node's default, except `--input-type`,
   * which Node refuses in a worker (so `node --input-type=module -e ...` can start a runtime).
   */
  readonly execArgv?: readonly string[];
  /** As RuntimeOptions.resourceLimits (pass one of the two, not both). */
  readonly resourceLimits?: ResourceLimits;
  /** As Node's `trackUnmanagedFds`: a worker's raw file descriptors are closed when it exits. Default true. */
  readonly trackUnmanagedFds?: boolean;
}

/** What each CPU worker is started with, besides what the runtime owns. */
export interface ResolvedWorkerOptions {
  readonly argv: readonly string[] | undefined;
  readonly env: Readonly<Record<string, string>> | typeof SHARE_ENV | undefined;
  /** undefined: the process's own, as Node's default. */
  readonly execArgv: readonly string[] | undefined;
  readonly trackUnmanagedFds: boolean | undefined;
}

const CALL = 'Runtime.start(options)';
const ARG = 'options.workerOptions';

export const WORKER_OPTION_KEYS = allKeys<WorkerThreadOptions>()(['argv', 'env', 'execArgv', 'resourceLimits', 'trackUnmanagedFds']);

/** Node's WorkerOptions that the runtime sets itself, and what to do instead. */
const OWNED: Readonly<Record<string, string>> = {
  eval: 'the runtime starts each worker from its own entry file; pass your code as a module in options.modules',
  workerData: "the runtime passes its shared memory and ports this way; give a thread its data with kthreadCreateOnCpu(cpu, fn, { data }) and a job its args",
  transferList: "the runtime passes its shared memory and ports this way; transfer a job's buffers with transfer() (see queueWork)",
  name: 'the runtime names each worker after its CPU (cpu0, cpu1, ...)',
  stdin: "the runtime does not hand out its workers' streams; a worker's console output goes to the process's own stdout and stderr",
  stdout: "the runtime does not hand out its workers' streams; a worker's console output goes to the process's own stdout and stderr",
  stderr: "the runtime does not hand out its workers' streams; a worker's console output goes to the process's own stdout and stderr",
};

/** Reads options.workerOptions (its resourceLimits unchecked: options.ts checks them). */
export function readWorkerOptions(value: unknown): { worker: ResolvedWorkerOptions; resourceLimits: unknown } {
  refuseOwnedKeys(value);
  const o = readOptions(CALL, ARG, value, WORKER_OPTION_KEYS);
  if (o.trackUnmanagedFds !== undefined && typeof o.trackUnmanagedFds !== 'boolean') {
    throw new ConfigError(`${CALL}: ${ARG}.trackUnmanagedFds must be true or false, or left out; got ${describeValue(o.trackUnmanagedFds)}`);
  }
  return {
    worker: {
      argv: o.argv === undefined ? undefined : strings('argv', o.argv, 'an array of strings, appended to process.argv in each worker'),
      env: env(o.env),
      execArgv: o.execArgv === undefined ? inheritedExecArgv() : strings('execArgv', o.execArgv, "an array of Node's command-line flags, such as ['--enable-source-maps']"),
      trackUnmanagedFds: o.trackUnmanagedFds,
    },
    resourceLimits: o.resourceLimits,
  };
}

function refuseOwnedKeys(value: unknown): void {
  if (typeof value !== 'object' || value === null) return; // readOptions says what it must be
  for (const [key, instead] of Object.entries(OWNED)) {
    let present: boolean;
    try {
      present = Object.prototype.hasOwnProperty.call(value, key);
    } catch (error) {
      throw new ConfigError(`${CALL}: the keys of ${ARG} could not be listed (${errorText(error)}); pass a plain object`, { cause: error });
    }
    if (present) throw new ConfigError(`${CALL}: ${ARG}.${key} is the runtime's own and cannot be set: ${instead}`);
  }
}

function strings(key: string, value: unknown, expected: string): string[] {
  const items = readArray(CALL, `${ARG}.${key}`, value, expected);
  const bad = items.findIndex((item) => typeof item !== 'string' || item.length === 0);
  if (bad >= 0) throw new ConfigError(`${CALL}: ${ARG}.${key}[${bad}] must be a non-empty string, got ${describeValue(items[bad])}; pass ${expected}`);
  return items as string[];
}

/** An env object is copied now, so every worker of this runtime gets the same one. */
function env(value: unknown): ResolvedWorkerOptions['env'] {
  if (value === undefined || value === SHARE_ENV) return value;
  const expected = 'an object of string values, or SHARE_ENV from node:worker_threads';
  let entries: Array<[string | symbol, unknown]>;
  try {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ConfigError(`${CALL}: ${ARG}.env must be ${expected}, got ${describeValue(value)}`);
    entries = Reflect.ownKeys(value).map((key) => [key, (value as Record<string | symbol, unknown>)[key]]);
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError(`${CALL}: ${ARG}.env could not be read (${errorText(error)}); pass ${expected}`, { cause: error });
  }
  const copy: Record<string, string> = {};
  for (const [key, entry] of entries) {
    if (typeof key === 'symbol') throw new ConfigError(`${CALL}: ${ARG}.env has a Symbol key ${describeValue(key)}; an environment has string names only`);
    if (typeof entry !== 'string') {
      throw new ConfigError(`${CALL}: ${ARG}.env.${key} must be a string, got ${describeValue(entry)}; an environment holds strings only (pass String(value) if that is what you mean)`);
    }
    copy[key] = entry;
  }
  return Object.freeze(copy);
}

/**
 * The flags a worker gets by default: Node's default (undefined: the process's own, which a
 * worker inherits whole, per-process flags included), unless they hold `--input-type`. That
 * flag only applies to code given with --eval or on stdin, and a worker that inherits it
 * exits at once, so then the process's flags less it are passed, as a list (in which Node
 * would refuse per-process flags: execArgvRefused says so).
 */
function inheritedExecArgv(): string[] | undefined {
  const flags = process.execArgv;
  if (!flags.some((flag) => flag === '--input-type' || flag.startsWith('--input-type='))) return undefined;
  const out: string[] = [];
  for (let i = 0; i < flags.length; i++) {
    const flag = flags[i]!;
    if (flag === '--input-type') i++;
    else if (!flag.startsWith('--input-type=')) out.push(flag);
  }
  return out;
}

/** Node refused a flag of execArgv when the first worker was made: the caller's mistake, named. */
export function execArgvRefused(error: unknown): ConfigError | undefined {
  if (!(error instanceof Error) || (error as { code?: unknown }).code !== 'ERR_WORKER_INVALID_EXEC_ARGV') return undefined;
  return new ConfigError(
    `${CALL}: ${ARG}.execArgv (when left out under --input-type, the process's own flags): ${error.message}; pass only flags that Node accepts in a worker (V8 and per-process flags such as --max-old-space-size or --title apply to the whole process and are refused)`,
    {
      cause: error,
    },
  );
}
