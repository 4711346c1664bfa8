/**
 * Ending a machine's process: close the node (down() first, so running jobs finish), then
 * exit. Closing needs Redis (to finish and hand back jobs); with Redis gone it would wait for
 * ever for ioredis to reconnect, so it is bounded: down()'s own bound plus a grace for the
 * CPUs and the connections, after which the process exits anyway. What it could not finish
 * is then the broker's to recover, as after a crash: the locks expire and the jobs run again.
 */

/** Time for close() beyond down()'s bound: taking the CPUs down and closing the connections. */
export const CLOSE_GRACE_MS = 10_000;

export function closeThenExit(close: () => Promise<void>, code: number, downTimeoutMs: number): void {
  if (Number.isFinite(downTimeoutMs)) setTimeout(() => process.exit(code), downTimeoutMs + CLOSE_GRACE_MS).unref();
  void close()
    .catch(() => undefined)
    .finally(() => process.exit(code));
}
