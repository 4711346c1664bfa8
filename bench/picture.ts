/**
 * Draws a picture from a file the tools wrote, without running anything again:
 *
 *   node dist/bench/picture.js <input.json> <output.svg>
 *
 * The input says what it is: a `cpuhp bench --out` result (command 'bench'), a `cpuhp
 * bench-jobs --out` result (command 'bench-jobs'), or a Chrome Trace Event file such as
 * `cpuhp torture --trace` writes (traceEvents). Exit status: 0 when the picture was written;
 * 1 when vega and vega-lite are not installed (said in one line); 2 for a bad invocation or
 * an input that is none of the three.
 */

import { readFileSync, realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { TopLevelSpec } from 'vega-lite';
import { errorCode } from '../src/common/errors.js';
import type { JobBenchResult } from './jobs/run.js';
import type { StrategyBenchResult } from './strategies.js';
import { writeSvg, type VegaLoader } from './svg.js';

const USAGE = 'usage: node dist/bench/picture.js <input.json> <output.svg>  (input: a bench or bench-jobs --out result, or a --trace file)';

/** Why a picture could not be drawn from the input, said to the person who ran the command. */
export class PictureInputError extends Error {
  override readonly name = 'PictureInputError';
  readonly code = 'ERR_PICTURE_INPUT';
}

/** The spec for whatever `input` (parsed JSON) is; throws PictureInputError when it is none of the three. */
export async function pictureSpec(input: unknown, source: string): Promise<TopLevelSpec> {
  if (typeof input !== 'object' || input === null) throw new PictureInputError(`${source} is not a JSON object or array: expected a bench or bench-jobs result, or a trace file`);
  // A trace file is an object with traceEvents, or (the format's other form) the array of events itself.
  if (Array.isArray(input) || ('traceEvents' in input && Array.isArray(input.traceEvents))) {
    const { traceSpec, parseTrace } = await import('./trace-picture.js');
    return traceSpec(parseTrace(input), source);
  }
  const command = (input as { command?: unknown }).command;
  // The result files are the benchmarks' own JSON (report.ts renderJson): trusted as their type once their command matches.
  if (command === 'bench') return (await import('./chart.js')).chartSpec(input as StrategyBenchResult);
  if (command === 'bench-jobs') return (await import('./jobs/chart.js')).jobChartSpec(input as JobBenchResult);
  throw new PictureInputError(`${source} has neither traceEvents nor a command of 'bench' or 'bench-jobs': it is not a file cpuhp wrote`);
}

/** Where the program's lines go: stdout and stderr unless a test listens. */
export interface PictureIo {
  readonly say: (line: string) => void;
  readonly complain?: (line: string) => void;
}

const STDIO: PictureIo = { say: (line) => process.stdout.write(`${line}\n`), complain: (line) => process.stderr.write(`${line}\n`) };

export async function main(args: readonly string[], io: PictureIo = STDIO, load?: VegaLoader): Promise<number> {
  const complain = io.complain ?? io.say;
  if (args.length !== 2) {
    complain(USAGE);
    return 2;
  }
  const [source, target] = args as [string, string];
  let spec: TopLevelSpec;
  try {
    spec = await pictureSpec(JSON.parse(readFileSync(source, 'utf8')) as unknown, source);
  } catch (error) {
    // What the person can fix (the file's name or contents) is said; anything else is a bug and thrown.
    if (!(error instanceof PictureInputError || error instanceof SyntaxError || errorCode(error) === 'ENOENT')) throw error;
    complain(`picture: ${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  const written = await writeSvg(target, spec, { command: 'picture', what: 'picture', warn: complain, ...(load === undefined ? {} : { load }) });
  if (written) io.say(`picture: ${target}`);
  return written ? 0 : 1;
}

// Run as a program (not when a test imports it).
if (process.argv[1] !== undefined && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = await main(process.argv.slice(2));
}
