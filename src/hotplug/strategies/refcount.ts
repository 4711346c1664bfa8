/**
 * Mainline get_online_cpus() of 2012, with Steven Rostedt's multi-phase CPU down from the
 * seed. Every unit of work of a per-CPU thread takes and drops one global refcount
 * (hotplug-lock.ts); the writer:
 *
 *   down, phase 1 (begin): announce itself and wait for the refcount to reach zero while
 *                readers keep running everywhere, pinned ones included;
 *   down, phase 2: the teardown callbacks run (the state machine's steps above smpboot);
 *   down, phase 3 (quiesce): block new readers on every CPU, wait for zero again, then park
 *                the dying CPU's threads; readers elsewhere stay blocked until the end. If
 *                the drain or the park times out, phase 3 is withdrawn (the CPU rolls back
 *                to phase 2, readers running) and readers backed off on it are woken.
 *   up (begin):  mainline cpu_hotplug_begin(): block readers and wait for zero, for the
 *                whole operation.
 *
 * The refcount reaches zero only at an instant when no CPU is inside a unit, so a busy
 * system can starve the writer: that is a measured outcome, reported by the timeout.
 */

import { HotplugError } from '../../errors.js';
import { kickReaders, releaseReaders, Writer } from '../../protocol/hotplug-lock.js';
import { GLOBAL_REFCOUNT, GLOBAL_WRITER } from '../../protocol/layout.js';
import { waitForWord } from '../../protocol/wait.js';
import type { StrategyFactory } from './strategy.js';

export const refcountStrategy: StrategyFactory = ({ words, threads }) => {
  const drained = (timeoutMs: number): Promise<boolean> => waitForWord(words, GLOBAL_REFCOUNT, (v) => v === 0, timeoutMs);
  const starved = (cpu: number, step: string, timeoutMs: number): HotplugError =>
    new HotplugError(
      `writer starved: the global hotplug refcount did not reach zero within ${timeoutMs} ms (${Atomics.load(words, GLOBAL_REFCOUNT)} readers inside); ` +
        'with the refcount strategy, busy readers on any CPU can hold CPU hotplug off: retry, or use the park strategy',
      { code: 'ERR_CPUHP_WRITER_STARVED', cpu, step },
    );
  const end = (): void => releaseReaders(words);
  return {
    name: 'refcount',
    recreatesWorkers: false,
    async begin(cpu, direction, timeoutMs) {
      const bits = direction === 'up' ? Writer.WRITER_WAITING | Writer.READERS_BLOCKED : Writer.WRITER_WAITING;
      Atomics.or(words, GLOBAL_WRITER, bits);
      if (!(await drained(timeoutMs))) {
        end();
        throw starved(cpu, 'refcount:begin', timeoutMs);
      }
    },
    end,
    async quiesce(cpu, timeoutMs) {
      const phase3 = Writer.WRITER_WAITING | Writer.READERS_BLOCKED;
      // Only the flags begin() did not raise are phase 3's own (an up's rollback comes here
      // with both held already): on failure those, and no more, are withdrawn.
      const own = phase3 & ~Atomics.or(words, GLOBAL_WRITER, phase3);
      if (!(await drained(timeoutMs))) {
        const holders = Atomics.load(words, GLOBAL_REFCOUNT);
        releaseReaders(words, own);
        return [`${holders} holders of the global hotplug refcount`];
      }
      // Readers of this CPU backed off on the writer word: the kick makes them see CPU_PARK.
      const parked = threads.parkCpu(cpu, timeoutMs);
      kickReaders(words);
      const unresponsive = await parked;
      if (unresponsive.length > 0) releaseReaders(words, own);
      return unresponsive;
    },
    release: (cpu) => threads.unparkCpu(cpu),
  };
};
