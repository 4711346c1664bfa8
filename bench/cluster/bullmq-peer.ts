/**
 * The plain BullMQ rows: N processes of bullmq-worker.ts, each one BullMQ Worker with a
 * cpuhp machine's concurrency (cpus × jobsPerCpu) running the same work inline, so that the
 * comparison with the cpuhp rows is process for process at the same total concurrency. What
 * the peer lacks is what cpuhp adds: the work runs on the worker's event loop, so a
 * CPU-bound job holds the whole process, whatever its concurrency.
 */

import { fork, type ChildProcess, type ForkOptions } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Workers } from './broker-row.js';
import { forget, track, type Child } from './children.js';
import { machineConcurrency, type ClusterBenchSettings } from './settings.js';

const SCRIPT = fileURLToPath(new URL('./bullmq-worker.js', import.meta.url));
const READY_TIMEOUT_MS = 30_000;

class PeerProcess implements Child {
  private readonly exited: Promise<void>;
  private stderr = '';

  constructor(private readonly child: ChildProcess) {
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    child.stderr?.on('data', (chunk: Buffer) => (this.stderr = (this.stderr + chunk.toString()).slice(-2000)));
  }

  ready(): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`a plain BullMQ worker was not ready within ${READY_TIMEOUT_MS} ms: ${this.stderr.trim() || '(no output)'}`)), READY_TIMEOUT_MS);
      this.child.on('message', (m: unknown) => {
        if ((m as { type?: unknown } | null)?.type !== 'ready') return;
        clearTimeout(timer);
        resolve();
      });
      void this.exited.then(() => {
        clearTimeout(timer);
        reject(new Error(`a plain BullMQ worker exited at start: ${this.stderr.trim() || '(no output)'}`));
      });
    });
  }

  /** Closes the worker (its running jobs finish) and resolves with the jobs it completed once the process has exited. */
  async close(): Promise<number> {
    const closed = new Promise<number>((resolve) => {
      this.child.on('message', (m: unknown) => {
        if ((m as { type?: unknown } | null)?.type === 'closed') resolve(Number((m as { completed?: unknown }).completed));
      });
      void this.exited.then(() => resolve(Number.NaN));
    });
    this.child.send({ type: 'close' });
    const completed = await closed;
    await this.exited;
    return completed;
  }

  async kill(): Promise<void> {
    this.child.kill('SIGKILL');
    await this.exited;
  }
}

export async function startBullmqPeers(settings: ClusterBenchSettings, count: number, redisUrl: string, queue: string): Promise<Workers> {
  // detached: its own process group, as the machines are (MachineProcess), so that a terminal's
  // Ctrl-C reaches only the benchmark, which stops them itself; a peer also exits when its parent goes away.
  const options: ForkOptions = { stdio: ['ignore', 'ignore', 'pipe', 'ipc'], env: { ...process.env, NODE_NO_WARNINGS: '1' }, detached: true };
  const peers = Array.from({ length: count }, () => track(new PeerProcess(fork(SCRIPT, [redisUrl, queue, String(machineConcurrency(settings))], options))));
  const ready = await Promise.allSettled(peers.map((p) => p.ready()));
  const failed = ready.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed !== undefined) {
    await Promise.allSettled(peers.map((p) => p.kill().finally(() => forget(p))));
    throw failed.reason;
  }
  return { stop: () => Promise.all(peers.map((p) => p.close().finally(() => forget(p)))) };
}
