/**
 * The parent's side of a machine process: forks `cpuhp cluster-node` with an IPC channel,
 * waits for it to be ready, and calls its node (machine-protocol.ts). Used by the cluster
 * torture, the cluster benchmark and the tests, which need machines they can SIGKILL.
 */

import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ClusterError, ERROR_CODES } from '../errors.js';
import type { ClusterNodeStats } from './node.js';
import { isMachineMessage, type MachineReady, type MachineRequest } from './machine-protocol.js';

export interface MachineSpec {
  readonly redis: string;
  readonly queue: string;
  readonly name: string;
  readonly modules: readonly string[];
  readonly cpus: number;
  readonly strategy?: string;
  readonly jobsPerCpu?: number;
  readonly lockDurationMs?: number;
  readonly stalledIntervalMs?: number;
  readonly maxStalledCount?: number;
  readonly downTimeoutMs?: number;
  /** Extra environment for the machine (its jobs see it in process.env). */
  readonly env?: Readonly<Record<string, string>>;
}

/** How long a machine may take to start and be ready. */
const READY_TIMEOUT_MS = 60_000;

type Op = MachineRequest['op'];

export class MachineProcess {
  readonly name: string;
  readonly pid: number;
  /** Resolves with the exit code (or the signal's name) once the process has exited. */
  readonly exited: Promise<number | string>;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (stats: ClusterNodeStats) => void; reject: (error: unknown) => void; op: Op }>();

  private constructor(
    private readonly child: ChildProcess,
    ready: MachineReady,
    exited: Promise<number | string>,
  ) {
    this.name = ready.name;
    this.pid = ready.pid;
    this.exited = exited;
    child.on('message', (message: unknown) => {
      if (!isMachineMessage(message) || message.type !== 'reply') return;
      const waiter = this.pending.get(message.id);
      if (waiter === undefined) return;
      this.pending.delete(message.id);
      if (message.ok) waiter.resolve(message.stats);
      else waiter.reject(new ClusterError(`machine ${this.name}: ${waiter.op} failed: ${message.message}`, { code: ERROR_CODES.CLUSTER_CLOSED, cause: { code: message.code, message: message.message } }));
    });
    void exited.then((how) => {
      for (const [, waiter] of this.pending) waiter.reject(new ClusterError(`machine ${this.name} exited (${how}) before it answered ${waiter.op}`, { code: ERROR_CODES.CLUSTER_CLOSED }));
      this.pending.clear();
    });
  }

  /** Forks the machine and resolves once its node takes jobs. */
  static async start(spec: MachineSpec): Promise<MachineProcess> {
    const cli = fileURLToPath(new URL('../cli.js', import.meta.url));
    const args = ['cluster-node', '--redis', spec.redis, '--queue', spec.queue, '--name', spec.name, '--cpus', String(spec.cpus), '--modules', ...spec.modules];
    if (spec.strategy !== undefined) args.push('--strategy', spec.strategy);
    if (spec.jobsPerCpu !== undefined) args.push('--jobs-per-cpu', String(spec.jobsPerCpu));
    if (spec.lockDurationMs !== undefined) args.push('--lock-duration', `${spec.lockDurationMs}ms`);
    if (spec.stalledIntervalMs !== undefined) args.push('--stalled-interval', `${spec.stalledIntervalMs}ms`);
    if (spec.maxStalledCount !== undefined) args.push('--max-stalled', String(spec.maxStalledCount));
    if (spec.downTimeoutMs !== undefined) args.push('--down-timeout', `${spec.downTimeoutMs}ms`);
    // detached: its own process group, so a terminal's Ctrl-C reaches only the parent, which
    // winds the machine down itself (a machine also exits when its parent goes away).
    const child = fork(cli, args, { stdio: ['ignore', 'ignore', 'pipe', 'ipc'], env: { ...process.env, ...spec.env, NODE_NO_WARNINGS: '1' }, detached: true });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2000)));
    const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(signal ?? code ?? -1)));
    const ready = await new Promise<MachineReady>((resolve, reject) => {
      const timer = setTimeout(() => reject(new ClusterError(`machine ${spec.name} was not ready within ${READY_TIMEOUT_MS} ms: ${stderr.trim() || '(no output)'}`, { code: ERROR_CODES.CLUSTER_CLOSED })), READY_TIMEOUT_MS);
      child.on('message', (message: unknown) => {
        if (isMachineMessage(message) && message.type === 'ready') {
          clearTimeout(timer);
          resolve(message);
        }
      });
      void exited.then((how) => {
        clearTimeout(timer);
        reject(new ClusterError(`machine ${spec.name} exited (${how}) at start: ${stderr.trim() || '(no output)'}`, { code: ERROR_CODES.CLUSTER_CLOSED }));
      });
    }).catch((error: unknown) => {
      child.kill('SIGKILL');
      throw error;
    });
    return new MachineProcess(child, ready, exited);
  }

  cpuDown(cpu: number): Promise<ClusterNodeStats> {
    return this.call({ op: 'cpuDown', cpu });
  }
  cpuUp(cpu: number): Promise<ClusterNodeStats> {
    return this.call({ op: 'cpuUp', cpu });
  }
  down(): Promise<ClusterNodeStats> {
    return this.call({ op: 'down' });
  }
  up(): Promise<ClusterNodeStats> {
    return this.call({ op: 'up' });
  }
  stats(): Promise<ClusterNodeStats> {
    return this.call({ op: 'stats' });
  }
  /** Closes the node (down() first) and resolves once the process has exited. */
  async close(): Promise<ClusterNodeStats> {
    const stats = await this.call({ op: 'close' });
    await this.exited;
    return stats;
  }
  /** A crash: SIGKILL, no down(), no lock released. Resolves once the process has exited. */
  async kill(): Promise<void> {
    this.child.kill('SIGKILL');
    await this.exited;
  }
  /** SIGTERM: the node goes down, closes, and the process exits 143. */
  async terminate(): Promise<number | string> {
    this.child.kill('SIGTERM');
    return this.exited;
  }

  private call(request: { op: 'cpuDown' | 'cpuUp'; cpu: number } | { op: 'down' | 'up' | 'stats' | 'close' }): Promise<ClusterNodeStats> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      if (!this.child.connected) {
        reject(new ClusterError(`machine ${this.name} has exited; it cannot ${request.op}`, { code: ERROR_CODES.CLUSTER_CLOSED }));
        return;
      }
      this.pending.set(id, { resolve, reject, op: request.op });
      this.child.send({ type: 'request', id, ...request } as MachineRequest);
    });
  }
}
