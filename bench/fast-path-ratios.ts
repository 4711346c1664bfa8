/**
 * The fast-path ratios the benchmark decides goals on, each taken round by round (both sides
 * measured in the same round, the series taking turns) and summarised over the rounds with
 * its spread (spread.ts):
 * - each strategy's smpboot loop ÷ the no-check loop (`baseline`), against the smpboot goal;
 * - a bound kthread's own loop (`bound`) ÷ the no-check loop, against the bound-kthread goal;
 * - percpu-rwsem ÷ park, against the read-side goal;
 * - recreate ÷ park, with no goal: the two run the same per-unit code, so this ratio's spread
 *   is the noise floor of the method, shown beside the others so a reader can see what a
 *   difference smaller than it is worth.
 */

import type { StrategyName } from '../src/index.js';
import type { FastPathResult } from './fast-path.js';
import { REFERENCE_STRATEGY, type FastPathGoals } from './settings.js';
import { decide, perRoundRatios, ratioSpread, type Decision, type RatioSpread } from './spread.js';

/** The loop with no check at all, as the ratios name it. */
export const NO_CHECK = 'no-check loop';
/** A kthread created on a CPU that polls boundShouldStop() in its own loop. */
export const BOUND = 'bound kthread';

/** The strategy that runs park's per-unit code and differs only on the hotplug path. */
const SAME_CODE_AS_REFERENCE: StrategyName = 'recreate';
const READ_SIDE: StrategyName = 'percpu-rwsem';

export type RatioRole = 'goal' | 'noise floor';

export interface FastPathRatio {
  readonly cpus: number;
  /** A strategy's smpboot loop, BOUND, or a strategy against the reference. */
  readonly numerator: string;
  /** NO_CHECK or the reference strategy. */
  readonly denominator: string;
  readonly role: RatioRole;
  /** At most this much, for role 'goal'; null for the noise floor. */
  readonly goal: number | null;
  /** numerator ÷ denominator in each round, by round number (index 0 is round 1); null where a side failed. */
  readonly perRound: readonly (number | null)[];
  /** Null when no round gave a ratio. */
  readonly spread: RatioSpread | null;
  /** Whether the median ratio is within the goal, given the spread; null for the noise floor or without a spread. */
  readonly decided: Decision | null;
}

/** The fast-path figures of one CPU count: each series in the same rounds. */
export interface FastPathSeries {
  readonly cpus: number;
  readonly noCheck: FastPathResult | null;
  readonly bound: FastPathResult | null;
  readonly strategies: ReadonlyMap<StrategyName, FastPathResult | null>;
}

function ratio(cpus: number, numerator: string, denominator: string, top: FastPathResult | null, bottom: FastPathResult | null, goal: number | null): FastPathRatio {
  const perRound = top === null || bottom === null ? [] : perRoundRatios(top.roundMedians, bottom.roundMedians);
  const spread = ratioSpread(perRound.filter((r): r is number => r !== null)) ?? null;
  return {
    cpus,
    numerator,
    denominator,
    role: goal === null ? 'noise floor' : 'goal',
    goal,
    perRound,
    spread,
    decided: goal === null || spread === null ? null : decide(spread, goal),
  };
}

export function fastPathRatios(series: readonly FastPathSeries[], goals: FastPathGoals): FastPathRatio[] {
  return series.flatMap((s) => {
    const rows: FastPathRatio[] = [];
    for (const [strategy, result] of s.strategies) rows.push(ratio(s.cpus, strategy, NO_CHECK, result, s.noCheck, goals.smpbootVsNoCheck));
    rows.push(ratio(s.cpus, BOUND, NO_CHECK, s.bound, s.noCheck, goals.boundVsNoCheck));
    const reference = s.strategies.get(REFERENCE_STRATEGY) ?? null;
    const readSide = s.strategies.get(READ_SIDE);
    if (readSide !== undefined) rows.push(ratio(s.cpus, READ_SIDE, REFERENCE_STRATEGY, readSide, reference, goals.readSideVsPark));
    const sameCode = s.strategies.get(SAME_CODE_AS_REFERENCE);
    if (sameCode !== undefined) rows.push(ratio(s.cpus, SAME_CODE_AS_REFERENCE, REFERENCE_STRATEGY, sameCode, reference, null));
    return rows;
  });
}

/** The noise-floor rows whose interval does not hold 1: identical code measured as different, so the method is biased there. */
export function biasedFloors(ratios: readonly FastPathRatio[]): FastPathRatio[] {
  return ratios.filter((r) => r.role === 'noise floor' && r.spread !== null && r.spread.rounds > 1 && (r.spread.interval.low > 1 || r.spread.interval.high < 1));
}
