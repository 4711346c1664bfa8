/**
 * How a ratio measured once per round is summarised, and how a goal is decided from it.
 *
 * Each round gives one ratio (two figures measured in the same round, each in its own
 * runtime, the series taking turns), so what one round's machine weather does to both sides
 * cancels out, and what it does to one side only shows up as round-to-round spread. The
 * summary is the median of the per-round ratios, their min–max and interquartile range, and
 * a distribution-free confidence interval for the median: the sign-test interval
 * [x(k), x(n+1−k)] of the sorted ratios, which holds the true median with probability
 * 1 − 2·P(Binomial(n, ½) ≤ k − 1) whatever the ratios' distribution. A goal "≤ g" is decided
 * yes when the whole interval is at or below g, no when the whole of it is above g, and
 * undecided when g lies inside it: more rounds narrow it.
 */

/** The confidence the interval aims for; with fewer rounds than that needs, it is min–max with what confidence those give. */
export const TARGET_CONFIDENCE = 0.95;

export interface RatioSpread {
  /** Rounds that gave a ratio (a round where either side failed gives none). */
  readonly rounds: number;
  readonly median: number;
  readonly min: number;
  readonly max: number;
  /** First and third quartiles (linear interpolation between order statistics). */
  readonly q1: number;
  readonly q3: number;
  /** The sign-test confidence interval of the median, and the probability it holds it. */
  readonly interval: { readonly low: number; readonly high: number; readonly confidence: number };
}

export type Decision = 'yes' | 'no' | 'undecided';

/** P(Binomial(n, ½) ≤ k), exactly enough for the round counts a benchmark runs. */
function binomialHalfCdf(n: number, k: number): number {
  let term = 0.5 ** n; // C(n, 0) / 2^n
  let sum = term;
  for (let i = 1; i <= k; i++) {
    term = (term * (n - i + 1)) / i;
    sum += term;
  }
  return sum;
}

/** The quantile q of sorted values, interpolating linearly between neighbours. */
function quantile(sorted: readonly number[], q: number): number {
  const at = (sorted.length - 1) * q;
  const lo = Math.floor(at);
  const hi = Math.ceil(at);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (at - lo);
}

/** Undefined when no round gave a ratio. */
export function ratioSpread(ratios: readonly number[]): RatioSpread | undefined {
  const sorted = ratios.filter((r) => Number.isFinite(r)).sort((a, b) => a - b);
  const n = sorted.length;
  if (n === 0) return undefined;
  // The widest k whose interval still reaches the target; k = 1 (min–max) when none does.
  let k = 1;
  while (k + 1 <= Math.ceil(n / 2) && 1 - 2 * binomialHalfCdf(n, k) >= TARGET_CONFIDENCE) k++;
  const confidence = 1 - 2 * binomialHalfCdf(n, k - 1);
  return {
    rounds: n,
    median: quantile(sorted, 0.5),
    min: sorted[0]!,
    max: sorted[n - 1]!,
    q1: quantile(sorted, 0.25),
    q3: quantile(sorted, 0.75),
    interval: { low: sorted[k - 1]!, high: sorted[n - k]!, confidence },
  };
}

/** Whether the median ratio is at most `goal`, given the interval: undecided while the goal lies inside it. */
export function decide(spread: RatioSpread, goal: number): Decision {
  if (spread.interval.high <= goal) return 'yes';
  if (spread.interval.low > goal) return 'no';
  return 'undecided';
}

/** Ratios of two per-round series, round by round; a round missing on either side gives none. */
export function perRoundRatios(numerator: readonly (number | null)[], denominator: readonly (number | null)[]): (number | null)[] {
  return numerator.map((n, round) => {
    const d = denominator[round];
    return n === null || d === null || d === undefined || d === 0 ? null : n / d;
  });
}
