/**
 * Placement: where a job waits in the controller, and which CPUs get the shared jobs and
 * how many each may hold, as pure functions over per-CPU loads. Nothing here reads shared
 * memory or keeps state; the hand-over (handover.ts) gathers the loads and acts on the
 * answers, so each policy can be read, and tested, on its own.
 */

/**
 * Hand each CPU about this much work (by its recent job times), at least: enough to cover the
 * round trip from a job's outcome to the hand-over it frees room for. A CPU is refilled at half
 * its window, so half of this covers it: 2 ms, about how long a controller woken by an outcome
 * may wait for a core held by busy CPU workers (on 2 cores with 2 CPUs, measured with 1 ms
 * jobs: at 2 ms in all, a CPU ran dry 10 to 30 times a second). A CPU's lead grows past
 * this when the controller answers later still.
 */
export const TARGET_HANDED_US = 4000;
/**
 * The most work a CPU's lead grows to. A controller that lags more than this behind its
 * CPUs (a machine far busier than it has cores) leaves them idle now and then; a larger lead
 * would only hold more jobs on one CPU that another might run sooner.
 */
export const MAX_HANDED_US = 32_000;
/** The share of its lead a CPU gives up at each refill in time, down to TARGET_HANDED_US. */
export const LEAD_EASE = 1 / 256;
/** The smallest window, whatever the job times: one job running and one ready behind it. */
export const MIN_WINDOW = 2;
/** Weight of the newest job time in a CPU's running average. */
export const EWMA_WEIGHT = 0.1;
/** A CPU's running average before its first outcome (a window of 4 jobs, slots allowing). */
export const INITIAL_AVERAGE_US = TARGET_HANDED_US / 4;

/**
 * How many jobs a CPU may hold, handed over and not yet reported: about `leadUs` of work
 * (TARGET_HANDED_US unless it grew, nextLeadUs) by its running average, at least
 * MIN_WINDOW, at most its claim slots.
 */
export function windowFor(averageUs: number, jobSlots: number, leadUs = TARGET_HANDED_US): number {
  const wanted = Math.max(MIN_WINDOW, Math.ceil(leadUs / Math.max(1, averageUs)));
  return Math.min(jobSlots, wanted);
}

/** The running average after a job that took `us` (an exponentially weighted moving average). */
export function nextAverageUs(averageUs: number, us: number): number {
  return averageUs * (1 - EWMA_WEIGHT) + us * EWMA_WEIGHT;
}

/**
 * A CPU's lead at a refill. `ranDry`: it had been handed all its window would take, and
 * every job of it came back before this refill, while more jobs waited: the controller
 * answered later than the lead covers (it did not get a core in time), and the CPU idled.
 * Then the lead doubles, up to MAX_HANDED_US. Otherwise the refill came in time, and the lead
 * eases back toward TARGET_HANDED_US, so a CPU holds more only while the controller lags.
 * Slowly: a lead that covers the lag is left to ease for a while before it runs dry again.
 */
export function nextLeadUs(leadUs: number, ranDry: boolean): number {
  if (ranDry) return Math.min(MAX_HANDED_US, leadUs * 2);
  // A share of the lead, not of its excess over the least: the lead gets back to the least
  // in a bounded number of refills (ln 8 / ln(256/255), about 530, from the most).
  return Math.max(TARGET_HANDED_US, leadUs * (1 - LEAD_EASE));
}

/**
 * A CPU is refilled once it has run down to half its window (or is idle), so hand-overs go
 * in batches rather than one message per finished job.
 */
export function wantsMore(handed: number, window: number): boolean {
  return handed === 0 || handed * 2 <= window;
}

/** What a job asks of placement: queueWork()'s cpu, affinity ('strict') and whenOffline ('wait'). */
export interface PlacementRequest {
  readonly cpu: number | undefined;
  readonly strict: boolean;
  readonly waitOffline: boolean;
}

/**
 * Where a job waits: `own`, the FIFO of the CPU it names; `shared`, the FIFO any online CPU
 * takes from; `refuse`, nowhere (a strict job whose CPU is not up and that may not wait).
 */
export type Queue = 'own' | 'shared' | 'refuse';

/**
 * The queue of a job whose CPU is up or not: at queueWork(), and again when its CPU goes
 * down, dies or is left part-way before the job started (then `cpuUp` is false). A
 * preferred job waits for its CPU only while that CPU is up; a strict one always does, or
 * is refused if it may not wait.
 */
export function queueFor(request: PlacementRequest, cpuUp: boolean): Queue {
  if (request.cpu === undefined) return 'shared';
  if (request.strict) return cpuUp || request.waitOffline ? 'own' : 'refuse';
  return cpuUp ? 'own' : 'shared';
}

/** One CPU open for jobs, as placement sees it. */
export interface CpuLoad {
  readonly cpu: number;
  /** Jobs handed to it now, taken or not. */
  readonly handed: number;
  /** The most it may hold (windowFor). */
  readonly window: number;
  /** Jobs waiting in the controller for this CPU in particular (its own FIFO). */
  readonly waiting: number;
}

/**
 * A policy for the shared jobs of one hand-over round, after piscina's load balancer: a
 * small function over the loads. Given the CPUs open for jobs, in ascending CPU order, and
 * at most how many shared jobs wait, it returns the CPU of each job in the order they are
 * to be handed out. It must never give a CPU more than its window. The round may end early
 * (the shared FIFO held jobs already settled), so the order matters, not only the counts.
 */
export type SharedPlacement = (open: readonly CpuLoad[], jobs: number) => number[];

/**
 * The default policy: deals the jobs out one at a time, in rounds over the open CPUs, least
 * loaded first, skipping a CPU whose window is full, until the jobs or the room run out. The
 * load is what a CPU held before the round (handed plus waiting for it); equal loads keep
 * CPU order. An idle CPU gets the first job, and a burst spreads evenly over the CPUs.
 */
export const leastLoadedFirst: SharedPlacement = (open, jobs) => {
  const order = [...open].sort((a, b) => a.handed + a.waiting - (b.handed + b.waiting)); // stable: ties keep CPU order
  const handed = order.map((load) => load.handed);
  const picks: number[] = [];
  for (let progress = true; progress && picks.length < jobs; ) {
    progress = false;
    for (let i = 0; i < order.length && picks.length < jobs; i++) {
      if (handed[i]! >= order[i]!.window) continue;
      handed[i]!++;
      picks.push(order[i]!.cpu);
      progress = true;
    }
  }
  return picks;
};

/** Jobs the CPUs could still be handed before their windows are full. */
export function handOverRoom(loads: readonly CpuLoad[]): number {
  let room = 0;
  for (const load of loads) room += Math.max(0, load.window - load.handed);
  return room;
}
