/** The controller's claim slots (src/jobs/slots.ts): a CPU's lead grows only when it ran dry after a full refill. */

import t from 'tap';
import { Job } from '../../src/jobs/job.js';
import { INITIAL_AVERAGE_US, TARGET_HANDED_US } from '../../src/jobs/placement.js';
import { CpuSlots } from '../../src/jobs/slots.js';
import { createSharedMemory, layoutFor } from '../../src/protocol/layout.js';

const CPUS = 2;
const SLOTS = 64;

function setup(): CpuSlots {
  const layout = layoutFor(CPUS, 4, SLOTS);
  return new CpuSlots({ words: createSharedMemory(layout, 'park'), layout, freed: () => undefined });
}

let nextId = 1;
function job(): Job {
  const ignore = (): void => undefined;
  return new Job(nextId++, 'test', undefined, undefined, undefined, false, false, ignore, ignore);
}

/** One hand-over round as handover.ts runs it: refilling, `count` jobs offered, refilled. */
function refill(slots: CpuSlots, cpu: number, count: number): Job[] {
  slots.refilling(cpu);
  const jobs = Array.from({ length: count }, () => job());
  for (const j of jobs) slots.offer(cpu, j);
  slots.refilled(cpu);
  return jobs;
}

// Before any outcome a CPU's average is INITIAL_AVERAGE_US, so its window is the lead's worth of those.
const START = TARGET_HANDED_US / INITIAL_AVERAGE_US;

t.test('a CPU given its full window that comes back empty ran dry: its window doubles', async (t) => {
  const slots = setup();
  t.equal(slots.window(0), START);
  const first = refill(slots, 0, START);
  for (const j of first) slots.release(j);
  refill(slots, 0, 0);
  t.equal(slots.window(0), START * 2, 'the refill found nothing handed: the lead doubled');
  t.equal(slots.window(1), START, "another CPU's lead is its own");
});

t.test('a CPU that was short of jobs, or still busy at its refill, keeps its lead', async (t) => {
  const slots = setup();
  const short = refill(slots, 0, START - 1);
  for (const j of short) slots.release(j);
  refill(slots, 0, 0);
  t.equal(slots.window(0), START, 'handed less than its window (the queues ran out), then idle: not dry');
  const busy = refill(slots, 1, START);
  for (const j of busy.slice(1)) slots.release(j);
  refill(slots, 1, 0);
  t.equal(slots.window(1), START, 'a job still handed at the refill: in time');
});

t.test('a grown lead eases back at refills in time, and a CPU emptied on purpose does not count as dry', async (t) => {
  const slots = setup();
  for (const j of refill(slots, 0, START)) slots.release(j);
  const grown = refill(slots, 0, START * 2);
  t.equal(slots.window(0), START * 2);
  for (const j of grown.slice(1)) slots.release(j);
  let refills = 0;
  // Bounded: a lead that never got back would fail here rather than hang.
  while (slots.window(0) > START && refills < 10_000) {
    refill(slots, 0, 0);
    refills++;
  }
  t.equal(slots.window(0), START, `eased back to ${START} jobs over ${refills} refills in time`);
  t.ok(refills > 1, 'not all at once');
  // Fill it, then take everything back as a CPU going down does: the next refill is no dry run.
  refill(slots, 0, slots.window(0) - slots.inflight(0));
  const { unstarted } = slots.revokeAll(0);
  t.ok(unstarted.length > 0, 'the jobs were revoked');
  t.equal(slots.inflight(0), 0, 'every one of them');
  refill(slots, 0, 0);
  t.equal(slots.window(0), START, 'revoked, not run dry: the lead stays');
});
