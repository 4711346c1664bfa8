/**
 * What the dispatch-path transports carry, and the main thread's table of jobs waiting for
 * their result. Every transport carries the same two shapes, so they differ only in how.
 */

import type { Worker } from 'node:worker_threads';
import type { TrivialArgs } from '../work.js';

export interface Request {
  readonly id: number;
  readonly a: TrivialArgs;
}

export interface Result {
  readonly id: number;
  readonly r: number;
}

/** One transport under test: a raw worker and the main thread's side of its channel. */
export interface Transport {
  submit(args: unknown): Promise<unknown>;
  /** Ends the worker; jobs still waiting are rejected. */
  close(): Promise<void>;
}

interface Waiter {
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
}

export class PendingJobs {
  private readonly waiting = new Map<number, Waiter>();
  private nextId = 1;

  get size(): number {
    return this.waiting.size;
  }

  add(): { readonly id: number; readonly promise: Promise<unknown> } {
    const id = this.nextId++;
    const promise = new Promise<unknown>((resolve, reject) => this.waiting.set(id, { resolve, reject }));
    return { id, promise };
  }

  resolve(id: number, value: unknown): void {
    const waiter = this.waiting.get(id);
    this.waiting.delete(id);
    waiter?.resolve(value);
  }

  reject(id: number, error: unknown): void {
    const waiter = this.waiting.get(id);
    this.waiting.delete(id);
    waiter?.reject(error);
  }

  rejectAll(error: unknown): void {
    for (const id of [...this.waiting.keys()]) this.reject(id, error);
  }
}

/** A worker that fails or exits rejects every job waiting on it: a transport loses nothing silently. */
export function rejectOnExit(worker: Worker, pending: PendingJobs): void {
  worker.on('error', (error) => pending.rejectAll(error));
  worker.on('exit', (code) => pending.rejectAll(new Error(`the dispatch worker exited (code ${code})`)));
}

/** The trivial job's answer, as each worker computes it. */
export function answer(request: Request, run: (args: TrivialArgs) => number): Result {
  return { id: request.id, r: run(request.a) };
}
