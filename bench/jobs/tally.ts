/** Counts of what went wrong, by message: a benchmark says what happened, not only how often. */

/** Distinct messages kept; more would only repeat the same story with other ids. */
const MAX_KINDS = 8;

export class Tally {
  private readonly counts = new Map<string, number>();

  add(message: string): void {
    if (this.counts.has(message) || this.counts.size < MAX_KINDS) this.counts.set(message, (this.counts.get(message) ?? 0) + 1);
  }

  get size(): number {
    return this.counts.size;
  }

  toJSON(): Record<string, number> {
    return Object.fromEntries(this.counts);
  }
}
