/** The seeded PRNG (src/common/random.ts): a seed repeats its choices, and every choice is in range. */

import t from 'tap';
import { MAX_SEED, mulberry32 } from '../../src/common/random.js';

t.test('a seed repeats the same sequence; another seed makes another', async (t) => {
  const take = (seed: number): number[] => {
    const random = mulberry32(seed);
    return Array.from({ length: 8 }, () => random.next());
  };
  t.same(take(2012), take(2012), 'the same seed, the same numbers');
  t.not(take(2012).join(), take(2013).join(), 'a different seed, different numbers');
  t.same(take(MAX_SEED + 1), take(0), 'a seed is taken modulo 2^32');
});

t.test('next() is in [0, 1), below(n) in [0, n), pick() one of the items', async (t) => {
  const random = mulberry32(7);
  const items = ['a', 'b', 'c'] as const;
  const seen = new Set<string>();
  for (let i = 0; i < 1000; i++) {
    const x = random.next();
    if (!(x >= 0 && x < 1)) t.fail(`next() gave ${x}`);
    const n = random.below(5);
    if (!(Number.isInteger(n) && n >= 0 && n < 5)) t.fail(`below(5) gave ${n}`);
    seen.add(random.pick(items));
  }
  t.same([...seen].sort(), [...items], 'every item is picked in time');
  t.throws(() => random.pick([]), RangeError, 'pick() of nothing is refused');
});
