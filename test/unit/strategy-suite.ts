/**
 * One suite for every hotplug strategy, as async-mutex runs one suite against each of its
 * implementations: strategySuite(name) registers the tests of strategy `name`, and each
 * strategy-<name>.test.ts calls it once.
 *
 * The write side (begin, end, quiesce, release) is the strategy STRATEGY_FACTORIES builds,
 * over real shared memory from createSharedMemory() and a scripted smpboot side. The read
 * side is the lock READ_LOCK_FACTORIES gives a CPU's worker, taken on the test's thread
 * where one thread shows the property exactly, and by real worker threads
 * (strategy-reader.ts) over the same SharedArrayBuffer where concurrency matters.
 *
 * What each strategy promises is written down once, in SPECS, from the kernel's semantics
 * (cpus_read_lock()/cpus_write_lock() over percpu-rwsem; get_online_cpus() and
 * cpu_hotplug_begin() of 2012 with Rostedt's phases) and the park design of the 2012 LKML proposal. Race tests
 * assert invariants, never timings: a timeout in them is either a bound on something that must
 * happen, or one that must expire because a reader holds on until it has.
 */

import fc from 'fast-check';
import t from 'tap';
import { HotplugError } from '../../src/errors.js';
import { STRATEGIES, type HotplugDirection, type StrategyName } from '../../src/hotplug/strategies/index.js';
import { backOff, READ_LOCK_FACTORIES, releaseReaders, Writer, type ReadLock } from '../../src/protocol/hotplug-lock.js';
import { cpuBase, CPU_READERS, CPU_READ_HELD, GLOBAL_REFCOUNT, GLOBAL_WRITER, type Layout } from '../../src/protocol/layout.js';
import { PATIENCE_MS } from '../helpers.js';
import { DONE, ENTERED, EXITED, LOCK, NO_LOCK, REFUSED, store, VIOLATIONS, WRITER_IN } from './strategy-control.js';
import { changedWords, fixture, kicks, over, Readers, Tracked, within, writerFlags, type Fixture } from './strategy-harness.js';

const { WRITER_WAITING, READERS_BLOCKED } = Writer;
const DIRECTIONS: readonly HotplugDirection[] = ['down', 'up'];
const CPUS = 3;
/** A writer timeout that must expire: the reader holding the writer off stays until it has. */
const SHORT_MS = 5;
/**
 * A backOff() slice or writer timeout no test waits out: a backed-off reader that wakes, or
 * a waiting writer that is granted, within PATIENCE_MS was notified.
 */
const LONG_SLICE_MS = 3 * PATIENCE_MS;
/** Writer timeout where readers may legitimately starve the writer (they run on while it waits). */
const STARVABLE_MS = 2000;
const RACE_RUNS = 8;
/** Runs of the hammer race, each up to HAMMER_ROUNDS writer rounds against two hammering readers. */
const HAMMER_RUNS = 12;
const HAMMER_ROUNDS = 32;
/** Runs of the writer-speed hammer race, each RAW_ROUNDS synchronous raise-and-read rounds. */
const RAW_RUNS = 12;
const RAW_ROUNDS = 4000;
const MODEL_RUNS = 100;

type ReadSide = 'none' | 'refcount' | 'percpu-rwsem';

/** What a strategy promises; the suite holds its implementation to it. */
interface Spec {
  /** The read lock its per-CPU threads take around each unit of work. */
  readonly readSide: ReadSide;
  /** The writer flags begin(direction) raises and holds until end(); READERS_BLOCKED shuts new readers out. */
  readonly beginFlags: Readonly<Record<HotplugDirection, number>>;
  /** quiesce() itself shuts readers out and waits for them to drain before it parks (refcount's phase 3). */
  readonly drainsInQuiesce: boolean;
  /** What quiesce() asks of the smpboot side. */
  readonly quiesces: 'parkCpu' | 'stopCpu';
  readonly recreatesWorkers: boolean;
}

const SPECS: Readonly<Record<StrategyName, Spec>> = {
  // The 2012 LKML park design: nothing on the fast path, no writer side; only the going-down CPU's threads park.
  park: { readSide: 'none', beginFlags: { down: 0, up: 0 }, drainsInQuiesce: false, quiesces: 'parkCpu', recreatesWorkers: false },
  // get_online_cpus() of 2012 with Rostedt's phases: a down lets readers run until phase 3
  // (quiesce); an up is mainline cpu_hotplug_begin(), readers out for the whole operation.
  refcount: {
    readSide: 'refcount',
    beginFlags: { down: WRITER_WAITING, up: WRITER_WAITING | READERS_BLOCKED },
    drainsInQuiesce: true,
    quiesces: 'parkCpu',
    recreatesWorkers: false,
  },
  // cpus_write_lock() is percpu_down_write(): readers out for the whole operation, either way.
  'percpu-rwsem': {
    readSide: 'percpu-rwsem',
    beginFlags: { down: READERS_BLOCKED, up: READERS_BLOCKED },
    drainsInQuiesce: false,
    quiesces: 'parkCpu',
    recreatesWorkers: false,
  },
  // Before 2012: the threads are stopped and made again; nothing on the fast path either.
  recreate: { readSide: 'none', beginFlags: { down: 0, up: 0 }, drainsInQuiesce: false, quiesces: 'stopCpu', recreatesWorkers: true },
};

/** The strategies whose per-CPU threads take a read lock, by the name of that lock's entry. */
const READ_SIDES: readonly Exclude<ReadSide, 'none'>[] = ['refcount', 'percpu-rwsem'];

/** The words a reader of `cpu` under `side` adds one to while inside its section. */
function readWords(side: ReadSide, layout: Layout, cpu: number): number[] {
  switch (side) {
    case 'none':
      return [];
    case 'refcount':
      return [GLOBAL_REFCOUNT, cpuBase(layout, cpu) + CPU_READ_HELD];
    case 'percpu-rwsem':
      return [cpuBase(layout, cpu) + CPU_READERS];
  }
}

/** The words a writer of `side` reads until they are zero, for readers of `cpus`: what "drained" means. */
function drainWords(side: ReadSide, layout: Layout, cpus: readonly number[]): number[] {
  switch (side) {
    case 'none':
      return [];
    case 'refcount':
      return [GLOBAL_REFCOUNT];
    case 'percpu-rwsem':
      return cpus.map((cpu) => cpuBase(layout, cpu) + CPU_READERS);
  }
}

function shutsOut(flags: number): boolean {
  return (flags & READERS_BLOCKED) !== 0;
}

function isStarved(error: unknown, cpu: number): boolean {
  return error instanceof HotplugError && error.code === 'ERR_CPUHP_WRITER_STARVED' && error.cpu === cpu;
}

/** How a promise settled, for a rejection that is the expected outcome. */
async function outcome(promise: Promise<unknown>): Promise<{ readonly ok: true } | { readonly ok: false; readonly error: unknown }> {
  try {
    await promise;
    return { ok: true };
  } catch (error) {
    return { ok: false, error };
  }
}

export function strategySuite(name: StrategyName): void {
  const spec = SPECS[name];
  const hasWriter = spec.readSide !== 'none';
  const title = (what: string): string => `${name}: ${what}`;
  /** A direction whose begin() shuts readers out for the whole operation, if the strategy has one. */
  const exclusiveDirection = DIRECTIONS.find((direction) => shutsOut(spec.beginFlags[direction]));

  t.test(title('is the strategy its name says; recreatesWorkers only for recreate; a read lock only where the spec has one'), async (t) => {
    t.same(Object.keys(SPECS).sort(), [...STRATEGIES].sort(), 'the suite has a spec for every strategy');
    const f = fixture(name, CPUS);
    t.equal(f.strategy.name, name);
    t.equal(f.strategy.recreatesWorkers, name === 'recreate', 'recreatesWorkers is true only for recreate');
    t.equal(f.strategy.recreatesWorkers, spec.recreatesWorkers);
    for (let cpu = 0; cpu < CPUS; cpu++) {
      t.equal(f.lock(cpu) === undefined, !hasWriter, `CPU ${cpu}: ${hasWriter ? 'a read lock' : 'no read lock'} from the worker side's table`);
    }
  });

  t.test(title('a reader writes only its own words while inside, and leaves them as it found them'), async (t) => {
    const f = fixture(name, CPUS);
    const initial = f.words.slice();
    for (let cpu = 0; cpu < CPUS; cpu++) {
      const lock = f.lock(cpu);
      if (lock === undefined) continue;
      t.ok(lock.tryEnter(), `CPU ${cpu}: with no writer, a reader enters`);
      const own = readWords(spec.readSide, f.layout, cpu).sort((a, b) => a - b);
      t.same(changedWords(initial, f.words), own, `CPU ${cpu}: entering wrote only its own words`);
      t.same(own.map((word) => Atomics.load(f.words, word)), own.map(() => 1), `CPU ${cpu}: each counts this one reader`);
      lock.exit();
      t.same(changedWords(initial, f.words), [], `CPU ${cpu}: leaving restored them`);
    }
    if (!hasWriter) t.same(changedWords(initial, f.words), [], 'no read side, nothing written');
  });

  t.test(title('with no reader inside, begin() takes the write side at once and end() gives it back'), async (t) => {
    for (const direction of DIRECTIONS) {
      const f = fixture(name, CPUS);
      const initial = f.words.slice();
      await within(f.strategy.begin(0, direction, 0), PATIENCE_MS, `begin(0, '${direction}', 0) with no reader`);
      t.equal(writerFlags(f.words), spec.beginFlags[direction], `${direction}: begin raised the flags of its spec`);
      t.same(changedWords(initial, f.words), hasWriter ? [GLOBAL_WRITER] : [], `${direction}: begin wrote no word but the writer word`);
      const lock = f.lock(1);
      if (lock !== undefined) {
        const entered = lock.tryEnter();
        t.equal(entered, !shutsOut(spec.beginFlags[direction]), `${direction}: a new reader is ${entered ? 'let in' : 'shut out'} while the writer holds its side`);
        if (entered) lock.exit();
      }
      f.strategy.end(0);
      t.equal(writerFlags(f.words), 0, `${direction}: end() cleared every flag`);
      if (lock !== undefined) {
        t.ok(lock.tryEnter(), `${direction}: after end() a reader enters`);
        lock.exit();
      }
      t.same(f.threads.calls, [], `${direction}: begin and end ask nothing of the threads`);
    }
  });

  if (!hasWriter) {
    t.test(title('takes nothing on the read side: its workers take no lock, and its writer waits for no reader'), async (t) => {
      const f = fixture(name, 2);
      const readers = new Readers(f, 1);
      t.teardown(() => readers.close());
      readers.start(0, 1, 'hold');
      t.ok(await readers.until(0, LOCK, (v) => v !== 0), 'the worker chose its read side');
      t.equal(readers.word(0, LOCK), NO_LOCK, 'a worker of this strategy takes no read lock');
      // The other strategies' readers, inside on every CPU: this writer waits for none of them.
      const held: ReadLock[] = [];
      for (const side of READ_SIDES) {
        for (let cpu = 0; cpu < 2; cpu++) {
          const lock = READ_LOCK_FACTORIES[side](f.words, f.layout, cpu)!;
          t.ok(lock.tryEnter());
          held.push(lock);
        }
      }
      for (const direction of DIRECTIONS) {
        await within(f.strategy.begin(0, direction, 0), PATIENCE_MS, `begin(0, '${direction}', 0)`);
        f.strategy.end(0);
      }
      t.pass('begin() with a timeout of 0 was granted in both directions');
      for (const lock of held) lock.exit();
      await readers.close();
      t.same(readers.errors, []);
    });
  }

  if (hasWriter) {
    t.test(title('the writer never proceeds while a reader on another CPU holds the read side; end() lets in the readers it shut out'), async (t) => {
      for (const direction of DIRECTIONS) {
        await t.test(direction, async (t) => {
          const f = fixture(name, 2);
          const readers = new Readers(f, 2);
          t.teardown(() => readers.close());
          readers.start(0, 1, 'hold');
          t.ok(await readers.until(0, ENTERED, (v) => v === 1), 'a reader holds the read side on CPU 1');

          let exitedAtGrant: number[] = [];
          // Its own timeout is longer than the bound on the wait below: only a notify grants it in time.
          const begin = new Tracked(f.strategy.begin(0, direction, LONG_SLICE_MS).then(() => (exitedAtGrant = [readers.word(0, EXITED), readers.word(1, EXITED)])));
          t.equal(writerFlags(f.words), spec.beginFlags[direction], 'begin() raised its flags before it first waited');
          const shutOut = shutsOut(spec.beginFlags[direction]);
          readers.start(1, 0, 'hold');
          if (shutOut) {
            t.ok(await readers.until(1, REFUSED, (v) => v >= 1), 'a new reader on CPU 0 is refused while the writer waits');
          } else {
            t.ok(await readers.until(1, ENTERED, (v) => v === 1), 'a new reader on CPU 0 still enters while this writer waits (phase 1)');
          }
          t.ok(await readers.ping(0), 'the reader on CPU 1 answered from inside its section');
          t.notOk(begin.settled, 'so the writer has not proceeded');
          readers.release(0);
          if (!shutOut) {
            t.ok(await readers.until(0, DONE, (v) => v === 1), 'the first reader left');
            t.ok(await readers.ping(1), 'the reader that came in meanwhile answered from inside');
            t.notOk(begin.settled, 'so the writer still waits');
            readers.release(1);
          }
          await within(begin.promise, PATIENCE_MS, 'begin() once the readers left');
          t.same(exitedAtGrant, shutOut ? [1, 0] : [1, 1], 'the writer proceeded only once every reader inside had left');
          if (shutOut) {
            store(readers.control, WRITER_IN, 1);
            t.equal(readers.inside(1), 0, 'the refused reader is not inside');
            t.equal(readers.word(1, ENTERED), 0, 'and has not entered');
            store(readers.control, WRITER_IN, 0);
            f.strategy.end(0);
            t.ok(await readers.until(1, ENTERED, (v) => v === 1), 'end() let the refused reader in (its back-off slice is far longer than this wait)');
            readers.release(1);
          } else {
            f.strategy.end(0);
          }
          await readers.close();
          t.same([readers.word(0, VIOLATIONS), readers.word(1, VIOLATIONS)], [0, 0], 'no reader saw the writer holding the lock while inside');
          t.same(readers.errors, []);
        });
      }
    });

    t.test(title('a writer that times out withdraws its request, fails with ERR_CPUHP_WRITER_STARVED, and lets readers in again'), async (t) => {
      for (const direction of DIRECTIONS) {
        const f = fixture(name, CPUS);
        const holder = f.lock(1)!;
        t.ok(holder.tryEnter(), `${direction}: a reader holds the read side on CPU 1`);
        const begin = f.strategy.begin(0, direction, SHORT_MS);
        const late = f.lock(2)!;
        const shutOut = shutsOut(spec.beginFlags[direction]);
        t.equal(late.tryEnter(), !shutOut, `${direction}: a reader on CPU 2 is ${shutOut ? 'refused' : 'let in'} while the writer waits`);
        const woke = shutOut ? backOff(f.words, () => false, LONG_SLICE_MS) : undefined;
        if (!shutOut) late.exit();
        const result = await outcome(within(begin, PATIENCE_MS, 'the starved begin()'));
        t.notOk(result.ok, `${direction}: begin() failed`);
        if (!result.ok) {
          t.ok(result.error instanceof HotplugError, `${direction}: with a HotplugError`);
          t.ok(isStarved(result.error, 0), `${direction}: code ERR_CPUHP_WRITER_STARVED, for CPU 0`);
        }
        t.equal(writerFlags(f.words), 0, `${direction}: the writer withdrew its flags`);
        if (woke !== undefined) await within(woke, PATIENCE_MS, `${direction}: the backed-off reader woke`);
        t.ok(late.tryEnter(), `${direction}: readers are let in again`);
        late.exit();
        holder.exit();
        await within(f.strategy.begin(0, direction, 0), PATIENCE_MS, 'the next begin() with no reader inside');
        f.strategy.end(0);
        t.same(f.threads.calls, [], `${direction}: nothing was asked of the threads`);
      }
    });

    t.test(title('end() wakes the readers that backed off while the writer held its side'), async (t) => {
      for (const direction of DIRECTIONS) {
        const f = fixture(name, CPUS);
        await within(f.strategy.begin(0, direction, 0), PATIENCE_MS, 'begin()');
        // refcount's down shuts readers out only in phase 3.
        if (!shutsOut(writerFlags(f.words)) && spec.drainsInQuiesce) t.same(await f.strategy.quiesce(0, 0), []);
        const lock = f.lock(2)!;
        t.notOk(lock.tryEnter(), `${direction}: a reader is shut out`);
        const woke = new Tracked(backOff(f.words, () => false, LONG_SLICE_MS));
        t.notOk(woke.settled);
        f.strategy.end(0);
        await within(woke.promise, PATIENCE_MS, `${direction}: the backed-off reader woke`);
        t.ok(lock.tryEnter(), `${direction}: and enters`);
        lock.exit();
      }
    });
  }

  t.test(title('quiesce() asks the smpboot side about the going-down CPU only, and returns the threads that did not answer'), async (t) => {
    const f = fixture(name, CPUS);
    await within(f.strategy.begin(1, 'down', 0), PATIENCE_MS, 'begin()');
    t.same(await within(f.strategy.quiesce(1, PATIENCE_MS), PATIENCE_MS, 'quiesce()'), [], 'every thread answered');
    const [call, ...more] = f.threads.calls;
    t.equal(call?.op, spec.quiesces, `it asked ${spec.quiesces}`);
    t.equal(call?.cpu, 1, 'for CPU 1');
    t.ok(call !== undefined && call.op !== 'unparkCpu' && call.timeoutMs > 0 && call.timeoutMs <= PATIENCE_MS, 'within the timeout it was given');
    t.same(more, [], 'and nothing else');

    f.threads.unanswered = ['deaf (7) on CPU 1'];
    t.same(await within(f.strategy.quiesce(1, PATIENCE_MS), PATIENCE_MS, 'quiesce()'), ['deaf (7) on CPU 1'], 'the thread that did not answer is returned');

    f.threads.calls.length = 0;
    const before = f.words.slice();
    f.strategy.release(1);
    t.same(f.threads.calls, [{ op: 'unparkCpu', cpu: 1 }], 'release() lets the threads of that CPU run, once');
    t.same(changedWords(before, f.words), [], 'release() writes no shared word');
    f.strategy.end(1);
    t.equal(writerFlags(f.words), 0);
  });

  t.test(title('quiesce() that times out withdraws its own request, and only its own'), async (t) => {
    for (const direction of DIRECTIONS) {
      // An up calls quiesce() only to roll back; begin()'s hold on the lock must outlive it.
      const f = fixture(name, CPUS);
      await within(f.strategy.begin(1, direction, 0), PATIENCE_MS, 'begin()');
      const held = writerFlags(f.words);
      f.threads.unanswered = ['deaf (2) on CPU 1'];
      t.same(await within(f.strategy.quiesce(1, PATIENCE_MS), PATIENCE_MS, 'quiesce()'), ['deaf (2) on CPU 1'], `${direction}: the thread that did not answer`);
      t.equal(writerFlags(f.words), held, `${direction}: the writer flags are what begin() left`);
      const lock = f.lock(2);
      if (lock !== undefined) {
        const entered = lock.tryEnter();
        t.equal(entered, !shutsOut(held), `${direction}: readers are ${entered ? 'let in again' : 'still held off by begin()'}`);
        if (entered) lock.exit();
      }
      f.strategy.end(1);
      t.equal(writerFlags(f.words), 0);
    }

    if (spec.drainsInQuiesce) {
      const f = fixture(name, CPUS);
      await within(f.strategy.begin(1, 'down', 0), PATIENCE_MS, 'begin()');
      const held = writerFlags(f.words);
      const holder = f.lock(0)!;
      t.ok(holder.tryEnter(), 'phase 2: a reader on CPU 0 enters and stays');
      const quiesce = f.strategy.quiesce(1, SHORT_MS);
      const late = f.lock(2)!;
      t.notOk(late.tryEnter(), 'phase 3: a new reader is shut out while the writer drains');
      const woke = backOff(f.words, () => false, LONG_SLICE_MS);
      const unanswered = await within(quiesce, PATIENCE_MS, 'the draining quiesce()');
      t.ok(unanswered.length > 0, 'the drain that timed out is reported as not answering');
      t.same(f.threads.calls, [], 'no thread was asked to park');
      t.equal(writerFlags(f.words), held, 'phase 3 was withdrawn: the flags are what begin() left');
      await within(woke, PATIENCE_MS, 'the reader backed off in phase 3 woke');
      t.ok(late.tryEnter(), 'readers are let in again');
      late.exit();
      holder.exit();
      f.strategy.end(1);
      t.equal(writerFlags(f.words), 0);
    }
  });

  if (exclusiveDirection !== undefined) {
    t.test(title('quiesce() wakes the readers backed off on the writer word after it asked their threads to park'), async (t) => {
      const f = fixture(name, CPUS);
      await within(f.strategy.begin(1, exclusiveDirection, 0), PATIENCE_MS, 'begin()');
      const lock = f.lock(1)!;
      t.notOk(lock.tryEnter(), 'a reader of CPU 1 is shut out');
      let requestedAtWake = false;
      const woke = backOff(f.words, () => f.threads.requested.has(1), LONG_SLICE_MS).then(() => (requestedAtWake = f.threads.requested.has(1)));
      t.same(await within(f.strategy.quiesce(1, PATIENCE_MS), PATIENCE_MS, 'quiesce()'), []);
      await within(woke, PATIENCE_MS, 'the backed-off reader of CPU 1 woke');
      t.ok(requestedAtWake, 'and its own check then sees its park request');
      const call = f.threads.calls[0];
      t.ok(call !== undefined && call.op === 'parkCpu' && kicks(Atomics.load(f.words, GLOBAL_WRITER)) > kicks(call.writerWord), 'the kick came after the request');
      f.strategy.end(1);
    });
  }

  t.test(title('a strategy not under test is unaffected: this one writes no word of theirs, and leaves the lock free'), async (t) => {
    const f = fixture(name, CPUS);
    const initial = f.words.slice();
    // A down, a down rolled back at smpboot, an up, and (with a writer) a starved writer.
    await within(f.strategy.begin(1, 'down', 0), PATIENCE_MS, 'begin()');
    t.same(await within(f.strategy.quiesce(1, PATIENCE_MS), PATIENCE_MS, 'quiesce()'), []);
    f.strategy.end(1);
    f.threads.unanswered = ['deaf (2) on CPU 1'];
    await within(f.strategy.begin(1, 'down', 0), PATIENCE_MS, 'begin()');
    t.same(await within(f.strategy.quiesce(1, PATIENCE_MS), PATIENCE_MS, 'quiesce()'), ['deaf (2) on CPU 1']);
    f.strategy.release(1);
    f.strategy.end(1);
    f.threads.unanswered = [];
    await within(f.strategy.begin(1, 'up', 0), PATIENCE_MS, 'begin()');
    f.strategy.release(1);
    f.strategy.end(1);
    if (hasWriter) {
      const holder = f.lock(0)!;
      t.ok(holder.tryEnter());
      const starved = await outcome(within(f.strategy.begin(1, 'up', SHORT_MS), PATIENCE_MS, 'the starved begin()'));
      t.ok(!starved.ok && isStarved(starved.error, 1), 'the writer starved');
      holder.exit();
    }
    const changed = changedWords(initial, f.words);
    t.same(changed, hasWriter ? changed.filter((word) => word === GLOBAL_WRITER) : [], hasWriter ? 'it wrote no word but the writer word' : 'it wrote no word at all');
    t.equal(writerFlags(f.words), 0, 'no writer flag is left up');
    for (const other of STRATEGIES.filter((s) => s !== name)) {
      const o = over(other, f.words, f.layout);
      for (let cpu = 0; cpu < CPUS; cpu++) {
        const lock = o.lock(cpu);
        if (lock === undefined) continue;
        t.ok(lock.tryEnter(), `${other}: a reader enters on CPU ${cpu}`);
        lock.exit();
      }
      for (const direction of DIRECTIONS) {
        await within(o.strategy.begin(0, direction, 0), PATIENCE_MS, `${other}: begin(0, '${direction}', 0)`);
        o.strategy.end(0);
      }
    }
  });

  if (hasWriter) {
    t.test(title('under real concurrency no reader is inside while the writer holds the lock, and every reader gets back in'), async (t) => {
      const f = fixture(name, 2);
      const readers = new Readers(f, 2);
      t.teardown(() => readers.close());
      const everyone = [0, 1];
      const counts = (word: number): number[] => everyone.map((reader) => readers.word(reader, word));
      const progressed = async (word: number, since: readonly number[]): Promise<boolean> =>
        (await Promise.all(everyone.map((reader) => readers.until(reader, word, (v) => v > since[reader]!)))).every(Boolean);
      readers.start(0, 0, 'churn');
      readers.start(1, 1, 'churn');
      t.ok(await progressed(ENTERED, [0, 0]), 'both readers run');

      const writerOp = fc.record({ cpu: fc.integer({ min: 0, max: 1 }), direction: fc.constantFrom<HotplugDirection>(...DIRECTIONS), quiesce: fc.boolean() });
      await fc.assert(
        fc.asyncProperty(fc.array(writerOp, { minLength: 1, maxLength: 4 }), async (ops) => {
          for (const { cpu, direction, quiesce } of ops) {
            const refused = counts(REFUSED);
            const flags = spec.beginFlags[direction];
            const begun = await outcome(within(f.strategy.begin(cpu, direction, shutsOut(flags) ? PATIENCE_MS : STARVABLE_MS), 2 * PATIENCE_MS, 'begin()'));
            if (!begun.ok) {
              // Only a writer that lets readers in while it waits can be starved by readers that
              // finish their units; it must then have withdrawn its flags.
              if (shutsOut(flags) || !isStarved(begun.error, cpu)) throw begun.error;
              if (writerFlags(f.words) !== 0) throw new Error('a starved writer left its flags up');
              continue;
            }
            let exclusive = shutsOut(flags);
            if (quiesce) {
              const unanswered = await within(f.strategy.quiesce(cpu, PATIENCE_MS), 2 * PATIENCE_MS, 'quiesce()');
              if (unanswered.length > 0) throw new Error(`quiesce(${cpu}) reported ${unanswered.join(', ')}`);
              exclusive ||= spec.drainsInQuiesce;
            }
            if (exclusive) {
              store(readers.control, WRITER_IN, 1);
              const inside = everyone.map((reader) => readers.inside(reader));
              if (inside.some((n) => n !== 0)) throw new Error(`the writer holds the lock with readers inside: ${inside.join(', ')}`);
              // Each reader comes back for its next section and is refused: it tried while the lock was held.
              if (!(await progressed(REFUSED, refused))) throw new Error('a reader was never refused while the writer held the lock');
              store(readers.control, WRITER_IN, 0);
            } else if (!(await progressed(ENTERED, counts(ENTERED)))) {
              throw new Error('the readers did not run on while this writer let them');
            }
            const entered = counts(ENTERED);
            f.strategy.end(cpu);
            if (writerFlags(f.words) !== 0) throw new Error('end() left a writer flag up');
            if (!(await progressed(ENTERED, entered))) throw new Error('end() did not let every reader in again');
          }
        }),
        { numRuns: RACE_RUNS },
      );
      await readers.close();
      t.same(counts(VIOLATIONS), [0, 0], 'no reader ever saw the writer holding the lock while it was inside');
      t.same(readers.errors, []);
    });
  }

  if (exclusiveDirection !== undefined) {
    // The store-buffering race of the read side (protocol/hotplug-lock.ts) on real threads:
    // each reader stores its count and then loads the writer word, millions of times a
    // second, while begin() raises the flag and then loads every count. Whatever order the
    // two threads' accesses fall in, a writer that got through must not have a reader inside.
    // It catches a read side that skips or misplaces its re-check at once. It cannot be relied
    // on to catch a plain (non-SC) store of the count: on x86 that lets the store wait in the
    // store buffer past the reader's load, a window of nanoseconds that this test, tried with
    // such a store, did not hit; the SC accesses are argued for in hotplug-lock.ts instead.
    t.test(title('against readers hammering the read side on other threads, a writer that read every count drained after raising its flag never has a reader inside'), async (t) => {
      const f = fixture(name, 2);
      const readers = new Readers(f, 2);
      t.teardown(() => readers.close());
      const everyone = [0, 1];
      const counts = (word: number): number[] => everyone.map((reader) => readers.word(reader, word));
      readers.start(0, 0, 'hammer');
      readers.start(1, 1, 'hammer');
      for (const reader of everyone) t.ok(await readers.until(reader, ENTERED, (v) => v > 0), `reader ${reader} hammers the read side of CPU ${reader}`);
      // Sections past their re-check (ENTERED - EXITED); the writer holds the lock exclusively here.
      const noneInside = (when: string): void => {
        const inside = everyone.map((reader) => readers.inside(reader));
        if (inside.some((n) => n !== 0)) throw new Error(`${when}: the writer holds the lock with readers inside: ${inside.join(', ')}`);
      };
      const hold = async (cpu: number, checks: number): Promise<void> => {
        await within(f.strategy.begin(cpu, exclusiveDirection, PATIENCE_MS), 2 * PATIENCE_MS, 'begin() against hammering readers');
        store(readers.control, WRITER_IN, 1);
        for (let i = 0; i < checks; i++) noneInside(`check ${i} of the hold of CPU ${cpu}`);
      };
      const release = (cpu: number): void => {
        store(readers.control, WRITER_IN, 0);
        f.strategy.end(cpu);
      };

      // `lead` loads of a reader's word before begin() shift where in the readers' loops the flag lands.
      const round = fc.record({ cpu: fc.integer({ min: 0, max: 1 }), lead: fc.integer({ min: 0, max: 4096 }), checks: fc.integer({ min: 1, max: 512 }) });
      await fc.assert(
        fc.asyncProperty(fc.array(round, { minLength: 1, maxLength: HAMMER_ROUNDS }), async (rounds) => {
          for (const { cpu, lead, checks } of rounds) {
            for (let i = 0; i < lead; i++) readers.word(cpu, ENTERED);
            await hold(cpu, checks);
            release(cpu);
          }
        }),
        { numRuns: HAMMER_RUNS },
      );

      // The writer's half at its own speed: raise the flags and read every drain word in one
      // synchronous step, thousands of times a run, so that the raise lands between a
      // reader's store and its load of the writer word as often as the threads allow.
      const flags = spec.beginFlags[exclusiveDirection];
      const drain = drainWords(spec.readSide, f.layout, everyone);
      let drained = 0;
      await fc.assert(
        fc.asyncProperty(fc.integer({ min: 0, max: 64 }), fc.integer({ min: 1, max: 64 }), async (lead, checks) => {
          for (let r = 0; r < RAW_ROUNDS; r++) {
            for (let i = 0; i < lead; i++) readers.word(r & 1, ENTERED);
            Atomics.or(f.words, GLOBAL_WRITER, flags);
            if (drain.every((word) => Atomics.load(f.words, word) === 0)) {
              drained++;
              Atomics.store(readers.control, WRITER_IN, 1);
              for (let i = 0; i < checks; i++) noneInside(`check ${i} of raw round ${r}`);
              Atomics.store(readers.control, WRITER_IN, 0);
            }
            releaseReaders(f.words, flags);
          }
          await new Promise<void>((resolve) => setImmediate(resolve));
        }),
        { numRuns: RAW_RUNS },
      );
      t.ok(drained > 0, `the writer found the read side drained in ${drained} of ${RAW_RUNS * RAW_ROUNDS} raw rounds, and never a reader inside then`);

      // One more hold, kept until each reader has been refused: the readers did race this writer.
      const refused = counts(REFUSED);
      await hold(0, 1);
      for (const reader of everyone) t.ok(await readers.until(reader, REFUSED, (v) => v > refused[reader]!), `reader ${reader} was refused while the writer held the lock`);
      noneInside('after both readers were refused');
      const entered = counts(ENTERED);
      release(0);
      for (const reader of everyone) t.ok(await readers.until(reader, ENTERED, (v) => v > entered[reader]!), `reader ${reader} enters again after end()`);
      await readers.close();
      t.same(counts(VIOLATIONS), [0, 0], 'no reader saw the writer holding the lock while it was inside');
      t.same(readers.errors, []);
    });
  }

  t.test(title('any interleaving of readers and writer steps keeps the shared words what the spec says'), async (t) => {
    await fc.assert(fc.asyncProperty(fc.array(modelOp, { maxLength: 30 }), (ops) => runModel(name, spec, ops)), { numRuns: MODEL_RUNS });
    t.pass(`${MODEL_RUNS} random interleavings`);
  });
}

// ---------------------------------------------------------------- the model-based property

type ModelOp =
  | { readonly kind: 'enter' | 'exit'; readonly cpu: number }
  | { readonly kind: 'begin' | 'starve'; readonly cpu: number; readonly direction: HotplugDirection }
  | { readonly kind: 'quiesce'; readonly answered: boolean }
  | { readonly kind: 'end' };

const cpuArb = fc.integer({ min: 0, max: CPUS - 1 });
const directionArb = fc.constantFrom<HotplugDirection>(...DIRECTIONS);
const modelOp: fc.Arbitrary<ModelOp> = fc.oneof(
  fc.record({ kind: fc.constantFrom('enter' as const, 'exit' as const), cpu: cpuArb }),
  fc.record({ kind: fc.constantFrom('begin' as const, 'starve' as const), cpu: cpuArb, direction: directionArb }),
  fc.record({ kind: fc.constant('quiesce' as const), answered: fc.boolean() }),
  fc.record({ kind: fc.constant('end' as const) }),
);

interface WriterModel {
  readonly cpu: number;
  readonly direction: HotplugDirection;
  readonly begin: Tracked<void>;
  granted: boolean;
  /** refcount's phase 3 is up: quiesce() shut readers out. */
  phase3: boolean;
}

/**
 * Runs `ops` on one thread against the real write and read sides over real memory, and
 * after every step compares the shared words with a model of who is inside and what the
 * writer holds. On one thread each step is atomic, so every interleaving of whole steps is
 * reachable; the writer's waits resolve through the same Atomics.notify as across threads.
 */
async function runModel(name: StrategyName, spec: Spec, ops: readonly ModelOp[]): Promise<void> {
  const f: Fixture = fixture(name, CPUS);
  const initial = f.words.slice();
  const locks = Array.from({ length: CPUS }, (_, cpu) => f.lock(cpu));
  const holders = Array.from({ length: CPUS }, () => 0);
  const inside = (): number => holders.reduce((a, b) => a + b, 0);
  const violations: string[] = [];
  let writer: WriterModel | undefined;

  const expectedFlags = (): number => (writer === undefined ? 0 : spec.beginFlags[writer.direction] | (writer.phase3 ? WRITER_WAITING | READERS_BLOCKED : 0));
  const check = (step: string): void => {
    if (violations.length > 0) throw new Error(`${step}: ${violations.join('; ')}`);
    if (writerFlags(f.words) !== expectedFlags()) throw new Error(`${step}: writer flags ${writerFlags(f.words)}, the model says ${expectedFlags()}`);
    for (const side of READ_SIDES) {
      for (let cpu = 0; cpu < CPUS; cpu++) {
        for (const word of readWords(side, f.layout, cpu)) {
          const expected = side !== spec.readSide ? 0 : word === GLOBAL_REFCOUNT ? inside() : holders[cpu]!;
          if (Atomics.load(f.words, word) !== expected) throw new Error(`${step}: ${side} word ${word} of CPU ${cpu} is ${Atomics.load(f.words, word)}, the model says ${expected}`);
        }
      }
    }
    if (spec.readSide === 'none' && changedWords(initial, f.words).length > 0) throw new Error(`${step}: a strategy with no read side wrote shared memory`);
  };
  const grant = async (): Promise<void> => {
    await within(writer!.begin.promise, PATIENCE_MS, 'the writer, once no reader was inside');
    writer!.granted = true;
  };

  const step = async (op: ModelOp): Promise<void> => {
    switch (op.kind) {
      case 'enter': {
        const lock = locks[op.cpu];
        if (lock === undefined) return;
        const admit = !shutsOut(expectedFlags());
        if (lock.tryEnter() !== admit) throw new Error(`a reader on CPU ${op.cpu} was ${admit ? 'refused' : 'let in'}`);
        if (admit) holders[op.cpu]!++;
        return;
      }
      case 'exit': {
        if (holders[op.cpu] === 0) return;
        locks[op.cpu]!.exit();
        holders[op.cpu]!--;
        if (writer !== undefined && !writer.granted && inside() === 0) await grant();
        return;
      }
      case 'begin': {
        if (writer !== undefined) return;
        const { cpu, direction } = op;
        const begin = new Tracked(
          f.strategy.begin(cpu, direction, LONG_SLICE_MS).then(() => {
            if (inside() > 0) violations.push(`begin(${cpu}, '${direction}') was granted with ${inside()} readers inside`);
          }),
        );
        writer = { cpu, direction, begin, granted: false, phase3: false };
        if (inside() === 0) await grant();
        return;
      }
      case 'starve': {
        if (writer !== undefined || inside() === 0) return;
        const starved = await outcome(within(f.strategy.begin(op.cpu, op.direction, SHORT_MS), PATIENCE_MS, 'the starved begin()'));
        if (starved.ok) throw new Error(`begin(${op.cpu}, '${op.direction}') was granted with ${inside()} readers inside`);
        if (!isStarved(starved.error, op.cpu)) throw starved.error;
        return;
      }
      case 'quiesce': {
        if (writer === undefined || !writer.granted) return;
        f.threads.unanswered = op.answered ? [] : [`deaf (1) on CPU ${writer.cpu}`];
        const calls = f.threads.calls.length;
        if (spec.drainsInQuiesce && inside() > 0) {
          const unanswered = await within(f.strategy.quiesce(writer.cpu, SHORT_MS), PATIENCE_MS, 'the draining quiesce()');
          if (unanswered.length === 0) throw new Error(`quiesce drained with ${inside()} readers inside`);
          if (f.threads.calls.length !== calls) throw new Error('quiesce asked threads to park with readers inside');
          return;
        }
        const unanswered = await within(f.strategy.quiesce(writer.cpu, PATIENCE_MS), PATIENCE_MS, 'quiesce()');
        if (unanswered.join() !== f.threads.unanswered.join()) throw new Error(`quiesce returned [${unanswered.join(', ')}]`);
        if (op.answered) writer.phase3 ||= spec.drainsInQuiesce;
        return;
      }
      case 'end': {
        if (writer === undefined || !writer.granted) return;
        f.strategy.end(writer.cpu);
        writer = undefined;
        return;
      }
    }
  };

  for (const op of ops) {
    await step(op);
    check(JSON.stringify(op));
  }
  // Every reader leaves; a writer still waiting must then be granted, and ends.
  for (let cpu = 0; cpu < CPUS; cpu++) while (holders[cpu]! > 0) await step({ kind: 'exit', cpu });
  if (writer !== undefined) await step({ kind: 'end' });
  check('the end');
  if (writerFlags(f.words) !== 0) throw new Error('a writer flag is left up');
}
