/** The settings the torture tests start from, and the fault kinds torture had at first. */

import { ALL_FAULTS, type TortureSettings } from '../../src/torture/settings.js';
import type { FaultName } from '../../src/torture/faults.js';

export const base: TortureSettings = {
  strategy: 'park',
  cpus: 3,
  threadsPerCpu: 2,
  durationMs: undefined,
  ops: 60,
  onoffIntervalMs: 5,
  onoffHoldoffMs: 0,
  failRate: 0,
  seed: 1,
  hotplugTimeoutMs: 5000,
  plantedRace: false,
  keepTrace: false,
  watchdog: true,
  faults: ALL_FAULTS,
  plantedHang: false,
};

/** The faults torture injected before it had the state, hostile-job, listener, watchdog, long-job and forged-handle faults. */
export const ORIGINAL_FAULTS: readonly FaultName[] = ['hotplug-failures', 'deaf', 'crashers', 'kills'];
