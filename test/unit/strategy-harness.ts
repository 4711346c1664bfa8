/**
 * What the strategy suite builds a strategy from and watches it with: real shared memory,
 * a scripted smpboot side (CpuThreadSet), reader workers, and a bound for every wait.
 */

import { Worker } from 'node:worker_threads';
import { STRATEGY_FACTORIES, type CpuThreadSet, type Strategy, type StrategyName } from '../../src/hotplug/strategies/index.js';
import { kickReaders, READ_LOCK_FACTORIES, Writer, type ReadLock } from '../../src/protocol/hotplug-lock.js';
import { createSharedMemory, GLOBAL_WRITER, layoutFor, type Layout } from '../../src/protocol/layout.js';
import { waitForWord } from '../../src/protocol/wait.js';
import { PATIENCE_MS } from '../helpers.js';
import { CMD, controlWords, DONE, ENTERED, EXITED, PONG, readerWord, RELEASE, STOP, store, type ReaderData, type ReaderMode } from './strategy-control.js';

/** One call the strategy made of the thread set, with the writer word as it was at the call. */
export type ThreadCall =
  | { readonly op: 'parkCpu' | 'stopCpu'; readonly cpu: number; readonly timeoutMs: number; readonly writerWord: number }
  | { readonly op: 'unparkCpu'; readonly cpu: number };

/**
 * The smpboot side, scripted: it records every call and answers as told. Like the real set
 * (src/controller/kthreads.ts), it makes its request synchronously, before its promise
 * settles, and withdraws a park request that timed out.
 */
export class ScriptedThreads implements CpuThreadSet {
  readonly calls: ThreadCall[] = [];
  /** The threads the next parkCpu or stopCpu reports as not having answered; [] means all did. */
  unanswered: string[] = [];
  /** CPUs whose threads are asked to park or stop: what a backed-off reader's own check sees. */
  readonly requested = new Set<number>();

  constructor(private readonly words: Int32Array) {}

  parkCpu(cpu: number, timeoutMs: number): Promise<string[]> {
    this.calls.push({ op: 'parkCpu', cpu, timeoutMs, writerWord: Atomics.load(this.words, GLOBAL_WRITER) });
    this.requested.add(cpu);
    const unanswered = [...this.unanswered];
    if (unanswered.length > 0) this.requested.delete(cpu);
    return Promise.resolve(unanswered);
  }

  unparkCpu(cpu: number): void {
    this.calls.push({ op: 'unparkCpu', cpu });
    this.requested.delete(cpu);
  }

  stopCpu(cpu: number, timeoutMs: number): Promise<string[]> {
    this.calls.push({ op: 'stopCpu', cpu, timeoutMs, writerWord: Atomics.load(this.words, GLOBAL_WRITER) });
    this.requested.add(cpu); // a stop cannot be withdrawn
    return Promise.resolve([...this.unanswered]);
  }
}

export interface Fixture {
  readonly name: StrategyName;
  readonly words: Int32Array;
  readonly layout: Layout;
  readonly threads: ScriptedThreads;
  readonly strategy: Strategy;
  /** The read lock a worker of `cpu` takes under this strategy, from the worker side's table. */
  lock(cpu: number): ReadLock | undefined;
}

/** A strategy as the runtime builds it, over fresh shared memory and a scripted thread set. */
export function fixture(name: StrategyName, ncpus: number): Fixture {
  const layout = layoutFor(ncpus, 1, 1);
  const words = createSharedMemory(layout, name);
  return over(name, words, layout);
}

/** Strategy `name` over existing memory, with a thread set of its own. */
export function over(name: StrategyName, words: Int32Array, layout: Layout): Fixture {
  const threads = new ScriptedThreads(words);
  const strategy = STRATEGY_FACTORIES[name]({ words, layout, threads });
  return { name, words, layout, threads, strategy, lock: (cpu) => READ_LOCK_FACTORIES[name](words, layout, cpu) };
}

export function writerFlags(words: Int32Array): number {
  return Atomics.load(words, GLOBAL_WRITER) & Writer.FLAGS;
}

/** The kick count of a writer word: it only ever grows (modulo 2^24). */
export function kicks(writerWord: number): number {
  return writerWord >>> 8;
}

/** The indices where `words` now differs from `before`. */
export function changedWords(before: Int32Array, words: Int32Array): number[] {
  const changed: number[] = [];
  for (let i = 0; i < words.length; i++) if (Atomics.load(words, i) !== before[i]) changed.push(i);
  return changed;
}

/**
 * `promise`, or a rejection if `ms` pass first: the bound on a wait that must end. The
 * deadline is a timer, not a waitAsync: a pending Atomics.waitAsync does not keep Node's
 * event loop alive (Node 20 exits with the wait unsettled), while a timer does, so a test
 * whose only pending work is the strategy's waitAsync still runs until it settles.
 */
export async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, expired]);
  } finally {
    clearTimeout(timer);
  }
}

/** A promise that says whether it has settled yet, and never goes unhandled. */
export class Tracked<T> {
  private done = false;
  readonly promise: Promise<T>;

  constructor(promise: Promise<T>) {
    this.promise = promise;
    promise.then(
      () => (this.done = true),
      () => (this.done = true),
    );
  }

  get settled(): boolean {
    return this.done;
  }
}

/** The reader workers of one test (strategy-reader.ts) and their control words. */
export class Readers {
  readonly control: Int32Array;
  readonly errors: unknown[] = [];
  private readonly workers = new Map<number, { readonly worker: Worker; readonly exited: Promise<unknown> }>();

  /** `sliceMs` bounds one backOff() of a reader: long, so that only a notify wakes it in time. */
  constructor(
    private readonly fixture: Fixture,
    count: number,
    private readonly sliceMs = 3 * PATIENCE_MS,
  ) {
    this.control = controlWords(count);
  }

  start(reader: number, cpu: number, mode: ReaderMode): void {
    const data: ReaderData = { memory: this.fixture.words.buffer as SharedArrayBuffer, control: this.control.buffer as SharedArrayBuffer, reader, cpu, mode, sliceMs: this.sliceMs };
    const worker = new Worker(new URL('./strategy-reader.js', import.meta.url), { workerData: data });
    worker.on('error', (error) => this.errors.push(error));
    this.workers.set(reader, { worker, exited: new Promise((resolve) => worker.once('exit', resolve)) });
  }

  word(reader: number, word: number): number {
    return Atomics.load(this.control, readerWord(reader, word));
  }

  /** Sections the reader is inside now; never more than it really holds (EXITED is read first). */
  inside(reader: number): number {
    const exited = this.word(reader, EXITED);
    return this.word(reader, ENTERED) - exited;
  }

  /** Resolves true once the reader's `word` satisfies `done`, false after PATIENCE_MS. */
  async until(reader: number, word: number, done: (value: number) => boolean): Promise<boolean> {
    // The timer only keeps the event loop alive for the waitAsync inside waitForWord (see within()).
    const keepAlive = setTimeout(() => undefined, PATIENCE_MS);
    try {
      return await waitForWord(this.control, readerWord(reader, word), done, PATIENCE_MS);
    } finally {
      clearTimeout(keepAlive);
    }
  }

  /** A round trip through a holding reader: true once it answered, so it is still holding. */
  async ping(reader: number): Promise<boolean> {
    const index = readerWord(reader, CMD);
    const sent = Atomics.add(this.control, index, 1) + 1;
    Atomics.notify(this.control, index);
    return this.until(reader, PONG, (v) => v === sent);
  }

  release(reader: number): void {
    const index = readerWord(reader, CMD);
    Atomics.or(this.control, index, RELEASE);
    Atomics.notify(this.control, index);
  }

  /** Stops every reader and waits for each to end; one that does not within the bound is terminated. */
  async close(): Promise<void> {
    store(this.control, STOP, 1);
    kickReaders(this.fixture.words);
    for (const reader of this.workers.keys()) this.release(reader);
    for (const [reader, { worker, exited }] of this.workers) {
      this.workers.delete(reader);
      if (!(await this.until(reader, DONE, (v) => v === 1))) this.errors.push(new Error(`reader ${reader} did not end`));
      await worker.terminate();
      await exited;
    }
  }
}
