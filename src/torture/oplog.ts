/**
 * The operations of a torture run, numbered. On a violation the run reports the operations
 * since the last point at which it had found everything consistent: the shortest trace it
 * can name of what led there.
 */

export interface OpRecord {
  readonly seq: number;
  /** ms since the run started. */
  readonly at: number;
  readonly actor: string;
  readonly op: string;
  outcome: string;
  /** ms since the run started, once it ended. */
  endedAt?: number;
}

const KEEP = 4096;

export class OpLog {
  private seq = 0;
  private readonly records: OpRecord[] = [];
  private checkpoint = 0;
  private readonly running = new Set<OpRecord>();

  constructor(private readonly epoch: number) {}

  get count(): number {
    return this.seq;
  }

  begin(actor: string, op: string): OpRecord {
    const record: OpRecord = { seq: ++this.seq, at: performance.now() - this.epoch, actor, op, outcome: 'running' };
    this.records.push(record);
    if (this.records.length > KEEP) this.records.shift();
    this.running.add(record);
    return record;
  }

  end(record: OpRecord, outcome: string): void {
    record.outcome = outcome;
    record.endedAt = performance.now() - this.epoch;
    this.running.delete(record);
  }

  /**
   * Everything finished so far was checked and found consistent. An operation still
   * running may yet be the cause of a later violation, so the point stays before it.
   */
  markConsistent(): void {
    let oldest = this.seq + 1;
    for (const record of this.running) oldest = Math.min(oldest, record.seq);
    this.checkpoint = oldest - 1;
  }

  /** The operations kept (the most recent 4096). */
  all(): readonly OpRecord[] {
    return this.records;
  }

  /** Operations after the last consistent point (at least the last one). */
  sinceConsistent(): OpRecord[] {
    const from = Math.min(this.checkpoint, this.seq - 1);
    return this.records.filter((r) => r.seq > from);
  }
}
