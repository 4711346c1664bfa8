/**
 * The parent's side of the benchmark's client (client.ts): starts it for an open round, waits
 * for its first snapshot (so a round measures a page that is open, not one connecting), and
 * stops it at the round's end with its tally.
 */

import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ClientMessage, ClientTally } from './client.js';

const CLIENT = fileURLToPath(new URL('./client.js', import.meta.url));
/** A loaded 2-core machine starts a Node process in well under this. */
const READY_BOUND_MS = 30_000;

export class Reader {
  private constructor(
    private readonly child: ChildProcess,
    private readonly messages: ClientMessage[],
    private readonly waiters: Set<() => void>,
  ) {}

  /** Forks the client against the dashboard on `port`; resolves once it has read a snapshot. */
  static async start(port: number, token: string, scrapeEveryMs: number): Promise<Reader> {
    const child = fork(CLIENT, [String(port), token, String(scrapeEveryMs)], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    const messages: ClientMessage[] = [];
    const waiters = new Set<() => void>();
    const wake = (): void => {
      for (const w of waiters) w();
      waiters.clear();
    };
    child.on('message', (m: ClientMessage) => {
      messages.push(m);
      wake();
    });
    child.on('exit', wake);
    const reader = new Reader(child, messages, waiters);
    await reader.until((m) => 'ready' in m, 'its first snapshot');
    return reader;
  }

  /** Stops the client and returns what it read. */
  async stop(): Promise<ClientTally> {
    this.child.send('stop');
    const message = await this.until((m) => 'tally' in m, 'its tally');
    return (message as { tally: ClientTally }).tally;
  }

  /** Kills the client whatever its state (an interrupted run). */
  kill(): void {
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
  }

  private async until(test: (m: ClientMessage) => boolean, what: string): Promise<ClientMessage> {
    const deadline = performance.now() + READY_BOUND_MS;
    for (;;) {
      const found = this.messages.find(test);
      if (found !== undefined) return found;
      if (this.child.exitCode !== null || performance.now() > deadline) {
        this.kill();
        throw new Error(`the benchmark's page client did not send ${what} (${this.child.exitCode === null ? `within ${READY_BOUND_MS} ms` : `it exited with ${this.child.exitCode}`})`);
      }
      await new Promise<void>((resolve) => {
        this.waiters.add(resolve);
        setTimeout(resolve, 500).unref();
      });
    }
  }
}
