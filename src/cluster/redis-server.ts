/**
 * A throw-away redis-server on a free loopback port, with persistence off: what the cluster
 * torture, the cluster benchmark and the tests run against when they are not given a Redis
 * URL. It is a child process of the caller, stopped by stop() or when the caller exits.
 */

import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { ClusterError, ERROR_CODES } from '../errors.js';
import { errorText } from '../controller/arguments.js';

export interface LocalRedis {
  /** redis://127.0.0.1:<port> */
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  /** Stops the server (SIGTERM, then SIGKILL after 2 s); resolves once it has exited. */
  stop(): Promise<void>;
}

/** How long a fresh redis-server may take to say it is ready. */
const READY_TIMEOUT_MS = 10_000;

/** A free TCP port on 127.0.0.1, as the OS hands one out. */
export async function freeLoopbackPort(): Promise<number> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  await once(server, 'close');
  if (address === null || typeof address === 'string') throw new ClusterError('the OS gave no TCP port on 127.0.0.1 for a local redis-server', { code: ERROR_CODES.REDIS_START_FAILED });
  return address.port;
}

/**
 * Starts `redis-server` (found on PATH, or `program`) on 127.0.0.1 at a free port, with no
 * RDB snapshots and no append-only file, and resolves once it accepts connections.
 */
export async function startLocalRedis(program = 'redis-server'): Promise<LocalRedis> {
  const port = await freeLoopbackPort();
  const child = spawn(program, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'yes', '--daemonize', 'no'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group: a terminal's Ctrl-C must reach only the caller, which stops it
    // once it has wound down (a Redis gone first would fail that wind-down).
    detached: true,
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let output = '';
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new ClusterError(`redis-server did not say it was ready within ${READY_TIMEOUT_MS} ms on port ${port}; its output: ${output.slice(-500) || '(none)'}`, { code: ERROR_CODES.REDIS_START_FAILED })), READY_TIMEOUT_MS);
      const settle = (error?: ClusterError): void => {
        clearTimeout(timer);
        if (error) reject(error);
        else resolve();
      };
      child.once('error', (error: NodeJS.ErrnoException) => {
        settle(
          error.code === 'ENOENT'
            ? new ClusterError(`the redis-server program is not installed (or not on PATH): install it (Debian/Ubuntu: \`sudo apt-get install redis-server\`), or pass the URL of a Redis that runs`, { code: ERROR_CODES.REDIS_MISSING, cause: error })
            : new ClusterError(`redis-server could not be started: ${errorText(error)}`, { code: ERROR_CODES.REDIS_START_FAILED, cause: error }),
        );
      });
      child.once('exit', (code, signal) => settle(new ClusterError(`redis-server exited at start (${signal ?? `code ${String(code)}`}); its output: ${output.slice(-500) || '(none)'}`, { code: ERROR_CODES.REDIS_START_FAILED })));
      child.stdout?.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('Ready to accept connections')) settle();
      });
      child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    });
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  // Keep draining its output so that it never blocks on a full pipe; the output is not needed.
  child.stdout?.resume();
  child.stderr?.resume();
  const killAtExit = (): void => void child.kill('SIGKILL');
  process.once('exit', killAtExit);
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    pid: child.pid ?? -1,
    stop: () => stopChild(child, exited, killAtExit),
  };
}

async function stopChild(child: ChildProcess, exited: Promise<void>, killAtExit: () => void): Promise<void> {
  process.removeListener('exit', killAtExit);
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 2_000);
  await exited;
  clearTimeout(timer);
}
