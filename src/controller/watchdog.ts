/**
 * The soft-lockup detector, after kernel/watchdog.c. In the kernel a per-CPU hrtimer checks,
 * every softlockup_thresh / 5, that the CPU's highest-priority task has run and touched its
 * timestamp lately; if it has not for softlockup_thresh, the CPU is stuck in kernel code that
 * never schedules ("BUG: soft lockup - CPU#n stuck for 22s!").
 *
 * Here the touch is CPU_HEARTBEAT, which each CPU worker's own 5 ms interval timer advances:
 * the timer runs only when the worker's event loop does, so a heartbeat that stands still
 * means the worker is stuck in synchronous code (a job, kthread or CPU callback that never
 * awaits) or blocked in a synchronous Atomics.wait that is not the dormancy handshake. The
 * check runs on the controller's own timer, never on a CPU's path, and reads one word per
 * watched CPU per sample.
 *
 * Why it does not fire on a merely busy machine: the heartbeat counts timer callbacks that
 * ran, not time. On a loaded machine the worker's timer fires late, but it fires; it stands
 * still for a whole threshold only if the worker's event loop never turns in that time. A
 * late controller does not fire it either: a lockup needs the same heartbeat value at two
 * samples a threshold apart, and a controller that was itself held up sees the worker's
 * progress when it looks again.
 */

/** What the watchdog needs of the runtime. */
export interface WatchdogHost {
  readonly ncpus: number;
  /** The CPU's heartbeat word (advanced by its worker's timer). */
  heartbeat(cpu: number): number;
  /** Whether the CPU should be making progress now: online or going down, awake, alive. */
  watched(cpu: number): boolean;
  /** The CPU's heartbeat has stood still for `stuckMs` (at least the threshold). */
  lockup(cpu: number, stuckMs: number): void;
}

/** The kernel samples five times per threshold (sample_period = softlockup_thresh / 5). */
const SAMPLES_PER_THRESHOLD = 5;

interface Watch {
  /** The heartbeat at the last sample, or undefined when the CPU was not watched then. */
  beat: number | undefined;
  /** When a sample last saw the heartbeat move (or the CPU start being watched). */
  movedAt: number;
  /** A lockup was reported for the current stillness; reported again only after it moves. */
  reported: boolean;
}

export class SoftLockupWatchdog {
  private readonly watches: Watch[];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly host: WatchdogHost,
    /** softlockup_thresh, in ms. */
    private readonly thresholdMs: number,
  ) {
    this.watches = Array.from({ length: host.ncpus }, () => ({ beat: undefined, movedAt: 0, reported: false }));
  }

  start(): void {
    if (this.timer !== undefined) return;
    this.timer = setInterval(() => this.sample(), Math.max(1, Math.floor(this.thresholdMs / SAMPLES_PER_THRESHOLD)));
    // The watchdog watches work; it is not work: it never holds the process open by itself.
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One sample of every CPU: hrtimer watchdog_timer_fn, for all CPUs at once. */
  sample(now = performance.now()): void {
    for (let cpu = 0; cpu < this.host.ncpus; cpu++) {
      const watch = this.watches[cpu]!;
      if (!this.host.watched(cpu)) {
        watch.beat = undefined;
        continue;
      }
      const beat = this.host.heartbeat(cpu);
      if (watch.beat === undefined || beat !== watch.beat) {
        // Moved since the last sample (or just started being watched): it last ticked after
        // the previous sample, so stillness is measured from this one.
        watch.beat = beat;
        watch.movedAt = now;
        watch.reported = false;
        continue;
      }
      const stuckMs = now - watch.movedAt;
      if (stuckMs >= this.thresholdMs && !watch.reported) {
        watch.reported = true;
        this.host.lockup(cpu, stuckMs);
      }
    }
  }
}
