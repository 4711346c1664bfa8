/**
 * The work of the job benchmark, as plain functions. The cpuhp job module and the piscina
 * task files both call these, so the two runtimes run the same code and differ only in how
 * a job reaches a thread and its result comes back.
 */

export interface TrivialArgs {
  readonly x: number;
}

/** The trivial job: nothing but the round trip is measured. */
export function increment({ x }: TrivialArgs): number {
  return x + 1;
}

export interface SpinArgs {
  readonly ms: number;
}

/**
 * The CPU-bound job: keeps its thread busy for `ms` of wall time and never yields. It spins
 * on the clock rather than a fixed loop count so a job costs the same on any machine; the
 * count it returns keeps the loop from being optimised away, and is at least 1.
 */
export function spin({ ms }: SpinArgs): number {
  const end = performance.now() + ms;
  let loops = 1;
  while (performance.now() < end) loops++;
  return loops;
}
