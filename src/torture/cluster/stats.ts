/**
 * The on/off statistics of the cluster torture, as torture's onoff statistics: attempts and
 * successes per action, with the min/avg/max time an action took (its whole round trip to
 * the machine process, or the fork and start of a restart).
 */

export const ACTIONS = ['CPU offline', 'CPU online', 'machine down', 'machine up', 'machine kill', 'machine restart'] as const;
export type ActionName = (typeof ACTIONS)[number];

export interface ActionCount {
  readonly attempts: number;
  readonly successes: number;
  /** Over every attempt; null before the first. */
  readonly minMs: number | null;
  readonly avgMs: number | null;
  readonly maxMs: number | null;
}

export class ActionStats {
  private readonly counts = new Map<ActionName, { attempts: number; successes: number; total: number; min: number; max: number }>();

  record(action: ActionName, ms: number, ok: boolean): void {
    const c = this.counts.get(action) ?? { attempts: 0, successes: 0, total: 0, min: Infinity, max: 0 };
    c.attempts++;
    if (ok) c.successes++;
    c.total += ms;
    c.min = Math.min(c.min, ms);
    c.max = Math.max(c.max, ms);
    this.counts.set(action, c);
  }

  /** Every action, those never attempted included (as zeros), in ACTIONS order. */
  snapshot(): Record<ActionName, ActionCount> {
    const out = {} as Record<ActionName, ActionCount>;
    for (const action of ACTIONS) {
      const c = this.counts.get(action);
      out[action] =
        c === undefined
          ? { attempts: 0, successes: 0, minMs: null, avgMs: null, maxMs: null }
          : { attempts: c.attempts, successes: c.successes, minMs: round(c.min), avgMs: round(c.total / c.attempts), maxMs: round(c.max) };
    }
    return out;
  }
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}
