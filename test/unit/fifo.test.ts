/** The deque behind the controller's job queues (src/jobs/fifo.ts), against an array as its model. */

import fc from 'fast-check';
import t from 'tap';
import { Fifo } from '../../src/jobs/fifo.js';

t.test('items come out in the order they went in', async (t) => {
  const fifo = new Fifo<number>();
  for (let i = 0; i < 5; i++) fifo.push(i);
  t.equal(fifo.size, 5);
  t.same([fifo.shift(), fifo.shift()], [0, 1]);
  t.same(fifo.takeAll(), [2, 3, 4]);
  t.equal(fifo.size, 0);
  t.equal(fifo.shift(), undefined, 'an empty FIFO gives undefined');
});

t.test('unshift puts an item at the front, ahead of everything queued', async (t) => {
  const fifo = new Fifo<string>();
  fifo.push('b');
  fifo.push('c');
  fifo.unshift('a');
  t.same(fifo.takeAll(), ['a', 'b', 'c']);
  // How the workqueue moves revoked jobs back: unshift in reverse, so they keep their order.
  for (const item of ['x', 'y']) fifo.push(item);
  for (const item of ['c', 'b', 'a']) fifo.unshift(item);
  t.same(fifo.takeAll(), ['a', 'b', 'c', 'x', 'y']);
});

t.test('order survives growth past the first ring, with the head anywhere in it', async (t) => {
  const fifo = new Fifo<number>();
  for (let i = 0; i < 10; i++) fifo.push(i);
  for (let i = 0; i < 3; i++) fifo.shift(); // the head is now at index 3 of the ring of 16
  for (let i = 1; i <= 5; i++) fifo.unshift(-i); // and wraps below index 0, to the ring's end
  for (let i = 10; i < 40; i++) fifo.push(i); // 5 + 7 + 30 items: the ring grows twice
  t.equal(fifo.size, 42);
  t.same(fifo.takeAll(), [-5, -4, -3, -2, -1, ...Array.from({ length: 37 }, (_, i) => i + 3)]);
});

t.test('takeAll empties the FIFO, which is usable again', async (t) => {
  const fifo = new Fifo<number>();
  t.same(fifo.takeAll(), []);
  fifo.push(1);
  t.same(fifo.takeAll(), [1]);
  t.equal(fifo.size, 0);
  fifo.unshift(2);
  fifo.push(3);
  t.same(fifo.takeAll(), [2, 3]);
});

type Op = { kind: 'push' | 'unshift'; item: number } | { kind: 'shift' } | { kind: 'takeAll' };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constantFrom('push' as const, 'unshift' as const), item: fc.integer() }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('shift' as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('takeAll' as const) }) },
);

t.test('property: any mix of push, unshift, shift and takeAll behaves as an array', async (t) => {
  fc.assert(
    fc.property(fc.array(opArb, { maxLength: 300 }), (ops) => {
      const fifo = new Fifo<number>();
      const model: number[] = [];
      for (const op of ops) {
        switch (op.kind) {
          case 'push':
            fifo.push(op.item);
            model.push(op.item);
            break;
          case 'unshift':
            fifo.unshift(op.item);
            model.unshift(op.item);
            break;
          case 'shift':
            if (fifo.shift() !== model.shift()) return false;
            break;
          case 'takeAll':
            if (JSON.stringify(fifo.takeAll()) !== JSON.stringify(model.splice(0))) return false;
            break;
        }
        if (fifo.size !== model.length) return false;
      }
      return JSON.stringify(fifo.takeAll()) === JSON.stringify(model);
    }),
    { numRuns: 500 },
  );
  t.pass('the FIFO matched its model');
});
