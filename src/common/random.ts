/**
 * A seeded pseudo-random generator (mulberry32), so that `--seed` reproduces every random
 * choice a command makes (the demo, torture's actors and the threads it loads into the
 * CPU workers). Not for cryptography: 32 bits of state, fast and good enough to
 * pick CPUs and threads.
 */

export interface Random {
  /** A float in [0, 1). */
  next(): number;
  /** An integer in [0, n). */
  below(n: number): number;
  /** One element of a non-empty array. */
  pick<T>(items: readonly T[]): T;
}

/** Largest seed accepted; seeds are 32-bit unsigned integers. */
export const MAX_SEED = 0xffff_ffff;

export function mulberry32(seed: number): Random {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 0x1_0000_0000;
  };
  const below = (n: number): number => Math.floor(next() * n);
  return {
    next,
    below,
    pick<T>(items: readonly T[]): T {
      if (items.length === 0) throw new RangeError('pick() needs at least one item');
      return items[below(items.length)]!;
    },
  };
}
