/**
 * The cpuhp command as a child process, for the command-line tests: run it to its end, or
 * signal it once it has shown that its work started (a line on its output, never a timer).
 */

import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const CLI = fileURLToPath(new URL('../src/cli.js', import.meta.url));

/** A guard against a hang, far above what any run here takes on a loaded 2-core machine. */
export const CLI_PATIENCE_MS = 180_000;

export interface CliRun {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface Signalling {
  /** Sent once `ready` matches the output so far. */
  readonly ready: (output: { readonly stdout: string; readonly stderr: string }) => boolean;
  readonly signals: readonly NodeJS.Signals[];
}

/**
 * Runs `cpuhp <args>` in `cwd`; with `signalling`, sends its signals, one after another as
 * each previous one was seen to arrive (the command's "stopping" line), once `ready` matches.
 */
export function runCli(
  args: readonly string[],
  options: { readonly cwd?: string; readonly signalling?: Signalling; readonly onOutput?: (output: { readonly stdout: string; readonly stderr: string }) => void } = {},
): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let sent = 0;
    const guard = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`cpuhp ${args.join(' ')} did not end within ${CLI_PATIENCE_MS} ms; stderr so far:\n${stderr}`));
    }, CLI_PATIENCE_MS);
    const maybeSignal = (): void => {
      options.onOutput?.({ stdout, stderr });
      const s = options.signalling;
      if (s === undefined || sent >= s.signals.length) return;
      if (sent === 0 && !s.ready({ stdout, stderr })) return;
      // A later signal only once the command has said it is stopping, so each one is seen.
      if (sent > 0 && !/: SIG(INT|TERM): stopping/.test(stderr)) return;
      child.kill(s.signals[sent++]);
      maybeSignal();
    };
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      maybeSignal();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      maybeSignal();
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(guard);
      resolve({ code, signal, stdout, stderr });
    });
  });
}
