/**
 * Waiting on a stop request, and bounding a wind-down: what demo, torture and the benchmarks
 * share when a command is interrupted (cli/interrupt.ts) and must stop its work in time.
 */

/** Resolves when `signal` aborts (at once if it has); never rejects. Without a signal, never. */
export function aborted(signal: AbortSignal | undefined): Promise<void> {
  if (signal === undefined) return new Promise(() => undefined);
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}

/**
 * Waits for `work` at most `ms`: true if it settled in time (a rejection counts as settled;
 * it is the caller's to observe through `work`), false if the bound came first.
 */
export async function settledWithin(work: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([work.then(
      () => true,
      () => true,
    ), bound]);
  } finally {
    clearTimeout(timer);
  }
}
