/**
 * The header's facts: strategy, cores, CPUs online of total, violations (red above 0), the
 * stream's connection state and the latest snapshot's seq (which tests and people watch to
 * see that the page is live).
 */

import type { DashboardSnapshot } from './wire.js';
import { byId, setClass, setText } from './dom.js';

export type Connection = 'connecting' | 'live' | 'reconnecting' | 'closed';

/** index.html gives each fact an id equal to its data-testid. */
export class Header {
  private readonly strategy = byId('strategy');
  private readonly cores = byId('cores');
  private readonly online = byId('cpus-online');
  private readonly violations = byId('violations');
  private readonly connection = byId('connection');
  private readonly seq = byId('seq');

  update(snapshot: DashboardSnapshot): void {
    setText(this.strategy, snapshot.strategy);
    setText(this.cores, String(snapshot.cores));
    const online = snapshot.cpus.filter((c) => c.state === 'online').length;
    setText(this.online, `${online} / ${snapshot.cpus.length}`);
    setText(this.violations, String(snapshot.violations));
    setClass(this.violations, 'bad', snapshot.violations > 0);
    setText(this.seq, String(snapshot.seq));
  }

  setConnection(state: Connection): void {
    setText(this.connection, state);
    for (const s of ['connecting', 'live', 'reconnecting', 'closed'] as const) setClass(this.connection, `conn-${s}`, s === state);
  }
}
