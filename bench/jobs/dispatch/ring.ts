/**
 * A single-producer single-consumer byte ring in a SharedArrayBuffer, carrying values as
 * v8.serialize() bytes: the SharedArrayBuffer candidate of the dispatch paths. One ring
 * carries one direction; a transport uses two (requests in, results out).
 *
 * Layout (bytes):
 *
 *   0..63     HEAD, an Int32 at byte 0, alone on its 64-byte line. Written by the consumer only.
 *   64..127   TAIL, an Int32 at byte 64, alone on its 64-byte line. Written by the producer only.
 *   128..     the data: `capacity` bytes, a power of two.
 *
 * HEAD and TAIL count bytes consumed and published since the ring was made. They only grow,
 * and wrap at 2^32 like the Int32 words that hold them: differences are taken `>>> 0`, and
 * a count's place in the data is `count & (capacity - 1)`, which the wrap does not disturb
 * because capacity divides 2^32. Own lines for the two words keep the producer's stores to
 * TAIL from invalidating the line the consumer's HEAD sits on, and the other way round.
 *
 * A record is an Int32 length n, then n bytes of v8.serialize() output, padded to 4 bytes.
 * A length of WRAP says the next record did not fit before the end of the data: the
 * consumer skips to the start. Records are whole: none is split across the end.
 *
 * States, read from the two words: EMPTY when HEAD = TAIL; HOLDING when 0 < TAIL − HEAD;
 * FULL, for the producer, when the next record does not fit in capacity − (TAIL − HEAD).
 *
 * Publication: the producer writes records with plain stores, then publishes them all at
 * once with one Atomics.store of TAIL, and notifies TAIL. Atomics are sequentially
 * consistent, so a consumer whose Atomics.load reads that TAIL sees the bytes before it.
 * The consumer deserializes (copying the value out), then frees the space with one
 * Atomics.store of HEAD, and notifies HEAD; the producer never overwrites unread bytes.
 *
 * Waiting: a consumer that finds the ring EMPTY waits with Atomics.waitAsync on TAIL, for
 * the value it read; a producer that finds it FULL waits on HEAD likewise. Every wait has a
 * timeout that only bounds a wake-up that could be lost; the caller re-reads the words
 * after it, so a wait that times out costs latency, never correctness. There is no sleep.
 */

import { deserialize, serialize } from 'node:v8';

const HEAD = 0;
/** Int32 index of TAIL: byte 64, the start of the second line. */
const TAIL = 16;
const HEADER_BYTES = 128;
const LENGTH_BYTES = 4;
const WRAP = -1;
const MIN_CAPACITY = 1 << 16;

/** Longest single wait of either end; it only bounds a lost wake-up (the words are re-read after it). */
export const WAIT_SLICE_MS = 50;

/** Returned by pop() when the ring holds nothing published. */
export const EMPTY: unique symbol = Symbol('empty ring');

/** A ring with room for at least `bytes` of records. */
export function ringBuffer(bytes: number): SharedArrayBuffer {
  let capacity = MIN_CAPACITY;
  while (capacity < bytes) capacity *= 2;
  return new SharedArrayBuffer(HEADER_BYTES + capacity);
}

const padded = (n: number): number => (n + 3) & ~3;

abstract class RingEnd {
  protected readonly words: Int32Array;
  protected readonly data: Uint8Array;
  protected readonly view: DataView;
  protected readonly capacity: number;
  protected readonly mask: number;

  constructor(buffer: SharedArrayBuffer) {
    this.words = new Int32Array(buffer, 0, HEADER_BYTES / 4);
    this.data = new Uint8Array(buffer, HEADER_BYTES);
    this.view = new DataView(buffer, HEADER_BYTES);
    this.capacity = this.data.length;
    this.mask = this.capacity - 1;
  }

  /** Waits until `word` is no longer `seen`, or `timeoutMs` passes. */
  protected async waitWhile(word: number, seen: number, timeoutMs: number): Promise<void> {
    const wait = Atomics.waitAsync(this.words, word, seen, timeoutMs);
    if (wait.async) await wait.value;
  }
}

/** The producer's end: owns TAIL. */
export class RingWriter extends RingEnd {
  /** TAIL including the records pushed but not yet published. */
  private tail: number;

  constructor(buffer: SharedArrayBuffer) {
    super(buffer);
    this.tail = Atomics.load(this.words, TAIL);
  }

  /** Writes one record, unpublished; false when the ring is FULL for it. */
  push(value: unknown): boolean {
    const bytes = serialize(value);
    const size = LENGTH_BYTES + padded(bytes.length);
    if (size > this.capacity) throw new RangeError(`a record of ${size} bytes cannot fit a ring of ${this.capacity}`);
    const head = Atomics.load(this.words, HEAD);
    let at = this.tail & this.mask;
    const toEnd = this.capacity - at;
    const free = this.capacity - ((this.tail - head) >>> 0);
    // A record that does not fit before the end also uses up the bytes it skips.
    if ((size <= toEnd ? size : toEnd + size) > free) return false;
    if (size > toEnd) {
      this.view.setInt32(at, WRAP, true);
      this.tail = (this.tail + toEnd) | 0;
      at = 0;
    }
    this.view.setInt32(at, bytes.length, true);
    this.data.set(bytes, at + LENGTH_BYTES);
    this.tail = (this.tail + size) | 0;
    return true;
  }

  /** Makes every record pushed so far visible to the consumer, and wakes it. */
  publish(): void {
    if (Atomics.load(this.words, TAIL) === this.tail) return;
    Atomics.store(this.words, TAIL, this.tail);
    Atomics.notify(this.words, TAIL);
  }

  /** Waits for the consumer to free space (HEAD to move), at most `timeoutMs`. */
  waitForSpace(timeoutMs: number): Promise<void> {
    return this.waitWhile(HEAD, Atomics.load(this.words, HEAD), timeoutMs);
  }
}

/** The consumer's end: owns HEAD. */
export class RingReader extends RingEnd {
  /** HEAD including the records read but not yet released. */
  private head: number;
  /** The last TAIL read; records up to it are published. */
  private seenTail: number;

  constructor(buffer: SharedArrayBuffer) {
    super(buffer);
    this.head = Atomics.load(this.words, HEAD);
    this.seenTail = Atomics.load(this.words, TAIL);
  }

  /** The next published value, or EMPTY. Its space is kept until release(). */
  pop(): unknown {
    if (this.head === this.seenTail) {
      this.seenTail = Atomics.load(this.words, TAIL);
      if (this.head === this.seenTail) return EMPTY;
    }
    let at = this.head & this.mask;
    let length = this.view.getInt32(at, true);
    if (length === WRAP) {
      this.head = (this.head + (this.capacity - at)) | 0;
      at = 0;
      length = this.view.getInt32(0, true);
    }
    const value: unknown = deserialize(this.data.subarray(at + LENGTH_BYTES, at + LENGTH_BYTES + length));
    this.head = (this.head + LENGTH_BYTES + padded(length)) | 0;
    return value;
  }

  /** Gives the space of every record read so far back to the producer, and wakes it. */
  release(): void {
    if (Atomics.load(this.words, HEAD) === this.head) return;
    Atomics.store(this.words, HEAD, this.head);
    Atomics.notify(this.words, HEAD);
  }

  /** Waits for the producer to publish (TAIL to move past what was read), at most `timeoutMs`. */
  waitForData(timeoutMs: number): Promise<void> {
    const tail = Atomics.load(this.words, TAIL);
    if (tail !== this.head) return Promise.resolve();
    return this.waitWhile(TAIL, tail, timeoutMs);
  }
}
