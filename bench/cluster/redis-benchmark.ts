/**
 * Redis's own limit on this machine: redis-benchmark (shipped with redis-server) against the
 * run's local Redis, one command per request and then 16 pipelined, for the simple commands
 * BullMQ's scripts are made of. A missing redis-benchmark is said, not a failure.
 */

import { spawn } from 'node:child_process';

export const REDIS_BENCHMARK_TESTS = ['set', 'get', 'lpush', 'rpop'] as const;
export const PIPELINE = 16;
export const CLIENTS = 50;

export interface RedisBenchmarkRun {
  /** The command line, to repeat it. */
  readonly command: string;
  readonly pipeline: number;
  /** Requests per second by test, as redis-benchmark names it (SET, GET, ...). */
  readonly requestsPerSecond: Readonly<Record<string, number>>;
  /** The mean of the tests': the figure the ceiling divides. */
  readonly meanRequestsPerSecond: number;
}

export type RedisBenchmarkResult = { readonly runs: readonly RedisBenchmarkRun[] } | { readonly missing: string };

export async function runRedisBenchmark(port: number, requests: number): Promise<RedisBenchmarkResult> {
  const runs: RedisBenchmarkRun[] = [];
  for (const pipeline of [1, PIPELINE]) {
    const args = ['-p', String(port), '-q', '-c', String(CLIENTS), '-n', String(requests), '-t', REDIS_BENCHMARK_TESTS.join(','), ...(pipeline > 1 ? ['-P', String(pipeline)] : [])];
    const output = await run('redis-benchmark', args);
    if (output === undefined) return { missing: 'redis-benchmark is not installed (it comes with redis-server; Debian/Ubuntu: the redis-tools package): Redis’s own limit was not measured' };
    const requestsPerSecond = parse(output);
    const values = Object.values(requestsPerSecond);
    if (values.length === 0) throw new Error(`redis-benchmark ${args.join(' ')} printed no "requests per second": ${output.slice(-300)}`);
    runs.push({ command: `redis-benchmark ${args.join(' ')}`, pipeline, requestsPerSecond, meanRequestsPerSecond: values.reduce((a, b) => a + b, 0) / values.length });
  }
  return { runs };
}

/** "SET: 98231.83 requests per second, p50=0.263 msec" lines; -q redraws progress with \r, so lines are split on both. */
function parse(output: string): Record<string, number> {
  const found: Record<string, number> = {};
  for (const line of output.split(/[\r\n]+/)) {
    const match = /^\s*([A-Z][A-Z_ ()0-9]*?):\s+([\d.]+) requests per second/.exec(line);
    if (match !== null) found[match[1]!.trim()] = Number(match[2]);
  }
  return found;
}

/** The program's stdout, or undefined when it is not installed. */
function run(program: string, args: readonly string[]): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', (error: NodeJS.ErrnoException) => (error.code === 'ENOENT' ? resolve(undefined) : reject(error)));
    child.once('exit', (code) => (code === 0 ? resolve(stdout) : reject(new Error(`${program} exited with ${String(code)}: ${stderr.trim().slice(-300) || stdout.slice(-300)}`))));
  });
}
