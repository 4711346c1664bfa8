/**
 * Today's cpus_read_lock(): a per-CPU rw-semaphore (kernel/locking/percpu-rwsem.c). Each
 * CPU counts its own readers on its own cache line, so the read side never bounces a
 * shared line; the writer sets one flag that readers check first, then waits until every
 * CPU's count has drained. It holds the lock for the whole up or down operation, so every
 * CPU's per-CPU threads wait meanwhile: cheap readers, an expensive writer.
 */

import { HotplugError } from '../../errors.js';
import { kickReaders, releaseReaders, Writer } from '../../protocol/hotplug-lock.js';
import { cpuBase, CPU_READERS, GLOBAL_WRITER } from '../../protocol/layout.js';
import { waitForWord } from '../../protocol/wait.js';
import type { StrategyFactory } from './strategy.js';

export const percpuRwsemStrategy: StrategyFactory = ({ words, layout, threads }) => {
  const end = (): void => releaseReaders(words);
  return {
    name: 'percpu-rwsem',
    recreatesWorkers: false,
    async begin(cpu, _direction, timeoutMs) {
      // The writer's half of the store-buffering pattern (protocol/hotplug-lock.ts): an SC
      // RMW of the flag, then SC loads of every count (waitForWord loads with Atomics.load).
      Atomics.or(words, GLOBAL_WRITER, Writer.READERS_BLOCKED);
      const deadline = performance.now() + timeoutMs;
      for (let reader = 0; reader < layout.ncpus; reader++) {
        const count = cpuBase(layout, reader) + CPU_READERS;
        if (!(await waitForWord(words, count, (v) => v === 0, Math.max(0, deadline - performance.now())))) {
          end();
          throw new HotplugError(
            `the readers of CPU ${reader} did not drain within ${timeoutMs} ms (${Atomics.load(words, count)} inside a unit of work); a per-CPU thread's run() may be too long`,
            { code: 'ERR_CPUHP_WRITER_STARVED', cpu, step: 'percpu-rwsem:write-lock' },
          );
        }
      }
    },
    end,
    quiesce: (cpu, timeoutMs) => {
      // This CPU's readers are backed off on the writer word: the kick makes them see CPU_PARK.
      const parked = threads.parkCpu(cpu, timeoutMs);
      kickReaders(words);
      return parked;
    },
    release: (cpu) => threads.unparkCpu(cpu),
  };
};
