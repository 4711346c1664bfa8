/**
 * What `cpuhp demo` does: start a runtime with the demo kthreads, take random CPUs down and
 * up under them, park single threads, and check after every step what the design promises
 * (invariants 1 to 3 of docs/design.md). The checks are the ones torture and the tests make
 * (common/invariants.ts); the demo adds its own watch of a down CPU's heartbeat and of what
 * each spinner returns. It returns the figures and every failed check; it prints nothing,
 * so the report can be rendered as tables or JSON.
 */

import { setTimeout as sleep } from 'node:timers/promises';
import { BUILTIN_STATES, Runtime, type CpuStateName, type KthreadHandle, type KthreadInfo, type RuntimeStats, type StrategyName } from '../index.js';
import { plural } from '../common/format.js';
import { frozenProblems, offlineProblem, onlineProblem, readCpu, restProblem, resumeProblem, statsProblem, threadRecordProblems, workerViolationsProblem } from '../common/invariants.js';
import { mulberry32, type Random } from '../common/random.js';
import type { SpinnerData } from './demo-kthreads.js';

/** The embedded kthread module, compiled beside this file. */
const DEMO_MODULE = new URL('./demo-kthreads.js', import.meta.url);

/**
 * How long a CPU stays down, or a thread parked, while the demo watches it: five periods of
 * a worker's 5 ms heartbeat timer, so a worker that still ran JavaScript would show ticks.
 */
const DWELL_MS = 25;
/** How long a thread may take to run again after its CPU is up or it is unparked. */
const RESUME_TIMEOUT_MS = 5000;
/** One single-thread park/unpark after every this many CPU cycles (and after the last). */
const PARK_EVERY = 10;
/** The runtime's default number of kthread slots; the demo asks for more only if it needs them. */
const DEFAULT_KTHREAD_SLOTS = 256;
/** The demo adds no hotplug state: a CPU that is up has run the built-in ones, up to the last. */
const LAST_STEP: string = BUILTIN_STATES[BUILTIN_STATES.length - 1];

export interface DemoSettings {
  readonly cpus: number;
  /** Spinner kthreads per CPU; each CPU also gets one per-CPU kworker. */
  readonly threadsPerCpu: number;
  /** CPU down/up cycles. */
  readonly cycles: number;
  readonly seed: number;
}

export interface CpuRow {
  readonly cpu: number;
  readonly state: CpuStateName;
  readonly downs: number;
  readonly ups: number;
  readonly rollbacks: number;
  /** Of this CPU's downs, how many found its worker dormant with its heartbeat standing still. */
  readonly dormantChecks: { readonly passed: number; readonly total: number };
  readonly threads: number;
  readonly iterationsBeforeFirstDown: number;
  readonly iterationsAtEnd: number;
}

export interface ThreadRow {
  readonly name: string;
  readonly cpu: number;
  readonly fn: string;
  readonly iterations: number;
  readonly parks: number;
  /** What rt.kthreadStop() returned: a spinner's kt.data; nothing for a per-CPU thread. */
  readonly result: unknown;
}

export interface DemoReport {
  readonly settings: DemoSettings;
  readonly strategy: StrategyName;
  readonly cores: number;
  readonly singleParks: number;
  /** CPU down/up cycles done: fewer than settings.cycles when the demo was interrupted. */
  readonly cyclesDone: number;
  /** The demo was asked to stop early (Ctrl-C): it stopped between cycles and made its end checks. */
  readonly interrupted: boolean;
  readonly cpus: readonly CpuRow[];
  readonly threads: readonly ThreadRow[];
  readonly latency: RuntimeStats['latency'];
  /** Invariant violations counted by the CPU workers themselves. */
  readonly violations: number;
  /** One sentence per failed check; empty when the demo passed. */
  readonly failures: readonly string[];
  readonly elapsedMs: number;
}

/** Single-thread park/unpark rounds a run of `cycles` CPU cycles does. */
export function singleParksFor(cycles: number): number {
  return Math.ceil(cycles / PARK_EVERY);
}

/** Kthread slots the demo needs: its spinners plus one kworker per CPU. */
export function kthreadSlotsFor(settings: Pick<DemoSettings, 'cpus' | 'threadsPerCpu'>): number {
  return settings.cpus * (settings.threadsPerCpu + 1);
}

/**
 * `stop` ends the cycles early (Ctrl-C): the demo stops after the cycle under way and still
 * makes its end checks, which take milliseconds. `onCycle` is told each cycle done.
 * `onStart` is given the runtime once it is up, before the demo creates its threads (to serve
 * a dashboard for it); if it throws, the runtime is shut down and runDemo rejects with it.
 */
export async function runDemo(
  settings: DemoSettings,
  stop?: AbortSignal,
  onCycle?: (done: number) => void,
  onStart?: (rt: Runtime) => void | Promise<void>,
): Promise<DemoReport> {
  const started = performance.now();
  const rt = await Runtime.start({
    cpus: settings.cpus,
    strategy: 'park',
    modules: [DEMO_MODULE],
    maxKthreads: Math.max(DEFAULT_KTHREAD_SLOTS, kthreadSlotsFor(settings)),
  });
  try {
    await onStart?.(rt);
    const report = await new DemoRun(rt, settings).run(stop, onCycle);
    return { ...report, elapsedMs: performance.now() - started };
  } finally {
    await rt.shutdown();
  }
}

class DemoRun {
  private readonly random: Random;
  private readonly failures: string[] = [];
  private readonly dormantChecks: Array<{ passed: number; total: number }>;
  private singleParks = 0;

  constructor(
    private readonly rt: Runtime,
    private readonly settings: DemoSettings,
  ) {
    this.random = mulberry32(settings.seed);
    this.dormantChecks = Array.from({ length: settings.cpus }, () => ({ passed: 0, total: 0 }));
  }

  private fail(...problems: ReadonlyArray<string | undefined>): void {
    for (const problem of problems) if (problem !== undefined) this.failures.push(problem);
  }

  async run(stop?: AbortSignal, onCycle?: (done: number) => void): Promise<Omit<DemoReport, 'elapsedMs'>> {
    const { rt, settings } = this;
    await this.createThreads();
    await this.expectRunning(rt.kthreadList().map((t) => rt.kthreadInfo(t)), 'after it was created');
    const before = iterationsByCpu(rt.stats().kthreads, settings.cpus);

    let cyclesDone = 0;
    for (; cyclesDone < settings.cycles && stop?.aborted !== true; cyclesDone++) {
      await this.cycleCpu();
      if ((cyclesDone + 1) % PARK_EVERY === 0 || cyclesDone === settings.cycles - 1) await this.parkOneThread();
      onCycle?.(cyclesDone + 1);
    }

    const end = rt.stats();
    const online = rt.onlineCpus();
    for (const cpu of end.cpus) {
      const reading = readCpu(rt, cpu.cpu, { stats: end, online });
      const problem = statsProblem(reading) ?? onlineProblem(reading, LAST_STEP) ?? restProblem(reading);
      if (problem !== undefined) this.fail(`at the end, every cpuDown having been followed by a cpuUp: ${problem}`);
    }
    const threads = await this.stopAll(end.kthreads);
    const final = rt.stats();
    this.fail(workerViolationsProblem(final.violations));
    const after = iterationsByCpu(end.kthreads, settings.cpus);
    return {
      settings,
      strategy: final.strategy,
      cores: final.cores,
      singleParks: this.singleParks,
      cyclesDone,
      interrupted: cyclesDone < settings.cycles,
      cpus: end.cpus.map((cpu) => ({
        cpu: cpu.cpu,
        state: cpu.state,
        downs: cpu.downs,
        ups: cpu.ups,
        rollbacks: cpu.rollbacks,
        dormantChecks: { ...this.dormantChecks[cpu.cpu]! },
        threads: cpu.threads,
        iterationsBeforeFirstDown: before[cpu.cpu]!,
        iterationsAtEnd: after[cpu.cpu]!,
      })),
      threads,
      latency: final.latency,
      violations: final.violations,
      failures: this.failures,
    };
  }

  /** K spinners bound to each CPU, then the per-CPU kworkers (smpboot threads). */
  private async createThreads(): Promise<void> {
    const { rt, settings } = this;
    for (let cpu = 0; cpu < settings.cpus; cpu++) {
      for (let k = 0; k < settings.threadsPerCpu; k++) {
        const data: SpinnerData = { units: 0 };
        await rt.kthreadCreateOnCpu(cpu, 'spinner', { name: `spinner/${cpu}.${k}`, data });
      }
    }
    await rt.registerPerCpuThread('kworker', { name: 'kworker/%u' });
  }

  /**
   * One hotplug cycle on a random CPU: down, check that the worker is dormant and that its
   * threads are parked and do no work for DWELL_MS, then up, and check that they resume.
   */
  private async cycleCpu(): Promise<void> {
    const { rt } = this;
    const online = rt.onlineCpus();
    // Never take the last online CPU down; every cycle brings its CPU back, so this holds.
    if (online.length < 2) {
      this.fail(`only CPU ${online.join(', ')} was online at the start of a cycle; every earlier cycle should have brought its CPU back up`);
      return;
    }
    const cpu = this.random.pick(online);
    const threads = rt.kthreadList(cpu);

    await rt.cpuDown(cpu);
    const down = readCpu(rt, cpu);
    const frozen = threads.map((t) => rt.kthreadInfo(t));
    // This wait is also how long the CPU stays down: its heartbeat must not move meanwhile.
    const ticked = await rt.waitForHeartbeat(cpu, 1, DWELL_MS);
    const later = threads.map((t) => rt.kthreadInfo(t));

    const notDown = statsProblem(down) ?? offlineProblem(down);
    if (notDown !== undefined) this.fail(`cpuDown(${cpu}) resolved, but ${notDown}`);
    if (ticked) this.fail(`CPU ${cpu}: its worker's heartbeat timer ticked while the CPU was down, so the worker was still running JavaScript`);
    const checks = this.dormantChecks[cpu]!;
    checks.total++;
    if (notDown === undefined && !ticked) checks.passed++;
    frozen.forEach((before, i) => this.fail(...frozenProblems(before, later[i]!, `while CPU ${cpu} was down`)));

    await rt.cpuUp(cpu);
    const up = readCpu(rt, cpu);
    const notUp = statsProblem(up) ?? onlineProblem(up, LAST_STEP);
    if (notUp !== undefined) this.fail(`cpuUp(${cpu}) resolved, but ${notUp}`);
    await this.expectRunning(later, `after CPU ${cpu} came back up`);
  }

  /** kthreadPark one random thread, check it stays still, kthreadUnpark it, check it resumes. */
  private async parkOneThread(): Promise<void> {
    const { rt } = this;
    const thread = this.random.pick(rt.kthreadList());
    await rt.kthreadPark(thread);
    const frozen = rt.kthreadInfo(thread);
    await sleep(DWELL_MS);
    const later = rt.kthreadInfo(thread);
    this.fail(...frozenProblems(frozen, later, 'while it was parked with kthreadPark()'));
    await rt.kthreadUnpark(thread);
    await this.expectRunning([later], 'after kthreadUnpark()');
    this.singleParks++;
  }

  /** The handle of the thread an info snapshot describes: only handles name threads. */
  private handleOf(info: KthreadInfo): KthreadHandle {
    const handle = this.rt.kthreadList(info.cpu).find((t) => t.id === info.id);
    if (handle === undefined) throw new Error(`${info.name} (id ${info.id}) is no longer listed on CPU ${info.cpu}`);
    return handle;
  }

  /** Each thread gets past the iteration count it had in `from` within RESUME_TIMEOUT_MS. */
  private async expectRunning(from: readonly KthreadInfo[], when: string): Promise<void> {
    const problems = await Promise.all(from.map((thread) => resumeProblem(this.rt, this.handleOf(thread), thread, 1, RESUME_TIMEOUT_MS, when)));
    this.fail(...problems);
  }

  /**
   * kthreadStop every thread and check what came back: no violations, never on another
   * CPU, and a spinner's own count (kt.data) at least the runtime's count from just
   * before: its state survived every park.
   */
  private async stopAll(threads: readonly KthreadInfo[]): Promise<ThreadRow[]> {
    const rows: ThreadRow[] = [];
    for (const info of threads) {
      const result = await this.rt.kthreadStop(this.handleOf(info));
      this.fail(...threadRecordProblems(info));
      if (info.fn === 'spinner' && !(isSpinnerData(result) && result.units >= info.iterations)) {
        this.fail(`${info.name} returned ${JSON.stringify(result)}; expected { units: ${info.iterations} or more }, so its kt.data did not survive its ${plural(info.parks, 'park')}`);
      }
      rows.push({ name: info.name, cpu: info.cpu, fn: info.fn, iterations: info.iterations, parks: info.parks, result });
    }
    return rows;
  }
}

function isSpinnerData(value: unknown): value is SpinnerData {
  return typeof value === 'object' && value !== null && typeof (value as { units?: unknown }).units === 'number';
}

function iterationsByCpu(threads: readonly KthreadInfo[], cpus: number): number[] {
  const sums = new Array<number>(cpus).fill(0);
  for (const t of threads) sums[t.cpu]! += t.iterations;
  return sums;
}
