/**
 * showTorture(dashboard, view): a torture run that has a page makes every snapshot carry
 * `torture: view()` (its counters, its violation) and /metrics cpuhp_torture_violations.
 * Internal (the torture command's, not exported from the package): `view` is called once per
 * snapshot and per scrape, so it must be cheap; one that throws shows no torture panel.
 */

import { ConfigError } from '../errors.js';
import type { TortureView } from './protocol.js';
import { serverOf } from './server.js';
import type { Dashboard } from './types.js';

export function showTorture(dashboard: Dashboard, view: () => TortureView): void {
  const server = serverOf(dashboard);
  if (server === undefined) throw new ConfigError('showTorture(dashboard, view): dashboard must be one rt.serveDashboard() returned');
  if (typeof view !== 'function') throw new ConfigError('showTorture(dashboard, view): view must be a function () => TortureView');
  server.showTorture(view);
}
