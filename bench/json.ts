/** How the benchmarks write their results as JSON. */

/** Three decimals is a picosecond of ns, a microsecond of ms: below the measurements' resolution. */
export function roundNumbers(_key: string, value: unknown): unknown {
  return typeof value === 'number' && !Number.isInteger(value) ? Math.round(value * 1000) / 1000 : value;
}
