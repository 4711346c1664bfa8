/**
 * Counts of what went wrong, by kind: a benchmark says what happened, not only how often.
 * Errors are told apart by code (or class, for an error without a code: errors.ts), never by
 * message; each kind is labelled with the message of its first error, as an example.
 */

import { errorKind } from '../errors.js';

/** Distinct kinds kept; more would only repeat the same story. */
const MAX_KINDS = 8;

export class Tally {
  private readonly kinds = new Map<string, { readonly example: string; count: number }>();

  /** `source`, if given, stands before each label: where these errors came from. */
  constructor(private readonly source?: string) {}

  add(error: unknown): void {
    const kind = errorKind(error);
    const known = this.kinds.get(kind);
    if (known !== undefined) known.count++;
    else if (this.kinds.size < MAX_KINDS) this.kinds.set(kind, { example: error instanceof Error ? error.message : String(error), count: 1 });
  }

  get size(): number {
    return this.kinds.size;
  }

  /** Each kind, labelled `[source: ]KIND (e.g. 'first message')`, and how many errors it had. */
  toJSON(): Record<string, number> {
    const from = this.source === undefined ? '' : `${this.source}: `;
    return Object.fromEntries([...this.kinds].map(([kind, { example, count }]) => [`${from}${kind} (e.g. '${example}')`, count]));
  }
}
