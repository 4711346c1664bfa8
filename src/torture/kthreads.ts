/**
 * The module `cpuhp torture` loads into its CPU workers: its kthreads and its jobs. Faults
 * the run injects from inside the threads are decided here, from a seed in each thread's
 * data, so that a seed reproduces the same choices (though not the same timings).
 */

import { defineCpuCallback, defineJob, defineKthread, definePerCpuThread } from '../kthread/define.js';
import { mulberry32 } from '../common/random.js';
import { actHostile, type HostileKind } from './hostile.js';

export interface TortureData {
  /** Seed of this thread's own choices. */
  readonly seed: number;
  /** Chance, every DECIDE_MS of running, of starting a deaf spell: not polling for park at all. */
  readonly deafChance: number;
  /** How long a deaf spell lasts; longer than the hotplug timeout, so a CPU down must roll back. */
  readonly deafMs: number;
  units: number;
  deafSpells: number;
}

/** Deaf spells are decided by time, not per unit: units run millions of times a second. */
const DECIDE_MS = 100;
/** The clock is read once per this many units (a power of two). */
const CLOCK_EVERY = 1024;

/**
 * A bound kthread that polls boundShouldStop() every unit, except during deaf spells,
 * when it keeps working and yielding but ignores park requests (it still honours stop).
 */
export const torturer = defineKthread<TortureData, TortureData>(async (kt) => {
  const random = mulberry32(kt.data.seed);
  let deafUntil = 0;
  let decideAt = performance.now() + DECIDE_MS;
  while (!kt.shouldStop()) {
    let deaf = false;
    if (deafUntil > 0) {
      if (performance.now() < deafUntil) deaf = true;
      else deafUntil = 0; // the spell is over: back to one load per unit
    }
    if (!deaf && kt.boundShouldStop()) {
      await kt.parkme();
      continue;
    }
    if (kt.data.deafChance > 0 && (kt.data.units & (CLOCK_EVERY - 1)) === 0 && performance.now() >= decideAt) {
      decideAt = performance.now() + DECIDE_MS;
      if (!deaf && random.next() < kt.data.deafChance) {
        deafUntil = performance.now() + kt.data.deafMs;
        kt.data.deafSpells++;
      }
    }
    kt.data.units++;
    await kt.schedule();
  }
  return kt.data;
});

/** A kthread that does a few units and then throws: the runtime must survive it. */
export const crasher = defineKthread(async (kt) => {
  for (let i = 0; i < 100 && !kt.shouldStop(); i++) await kt.schedule();
  throw new Error('torture: a kthread that throws (injected fault)');
});

/** A per-CPU thread with an endless queue, created again for every CPU that comes up. */
export const tortureKworker = definePerCpuThread<{ items: number }>({
  setup: (kt) => {
    kt.data = { items: 0 };
  },
  shouldRun: () => true,
  run: (kt) => {
    kt.data.items++;
  },
});

export interface TortureJobArgs {
  /** One counter per job of the run, shared with the controller: exactly-once is checked on it. */
  readonly runs: Int32Array;
  readonly index: number;
  /** Work to do, in trivial units. */
  readonly units: number;
  /** If above 0, the job awaits a timer this long: a CPU going down must wait for it. */
  readonly sleepMs: number;
}

/** A torture job: counts its run first (so a second run would show), works, maybe awaits. */
export const tortureJob = defineJob<TortureJobArgs, number>(async ({ runs, index, units, sleepMs }, ctx) => {
  Atomics.add(runs, index, 1);
  let x = index;
  for (let i = 0; i < units; i++) x = (Math.imul(x, 1664525) + 1013904223) | 0;
  if (sleepMs > 0) await new Promise((resolve) => setTimeout(resolve, sleepMs));
  return ctx.cpu + (x & 0); // x & 0 keeps the loop's result live, so the work is not optimised away
});

export type KillHow = 'exit' | 'uncaught' | 'oom';

/** An injected fault: a job that kills the worker running it. */
export const killWorker = defineJob<{ how: KillHow }, never>(({ how }) => {
  if (how === 'exit') process.exit(70);
  if (how === 'uncaught') {
    setTimeout(() => {
      throw new Error('torture: an uncaught error in a job (injected fault)');
    }, 0);
    return new Promise<never>(() => undefined);
  }
  const hoard: unknown[][] = [];
  for (;;) hoard.push(new Array<unknown>(100_000).fill(hoard));
});

/**
 * Where a tracked job records itself, in memory shared with the controller: `runs[index]`
 * counts its runs (exactly-once is checked on it), `cpus[index]` is the CPU it ran on + 1.
 */
export interface TrackedJobArgs {
  readonly runs: Int32Array;
  readonly cpus: Int32Array;
  readonly index: number;
}

function track({ runs, cpus, index }: TrackedJobArgs, cpu: number): void {
  Atomics.store(cpus, index, cpu + 1);
  Atomics.add(runs, index, 1);
  Atomics.notify(runs, index); // the controller may wait for this job to start (FaultJobsHost.waitStarted)
}

/** An injected fault: a job that returns, throws or rejects with a hostile value (hostile.ts). */
export const hostileJob = defineJob<TrackedJobArgs & { readonly kind: HostileKind }, unknown>((args, ctx) => {
  track(args, ctx.cpu);
  return actHostile(args.kind);
});

/**
 * An injected fault: a job that never yields, a soft lockup of its CPU. The runtime's
 * watchdog must end it; `capMs` only makes sure a run without a watchdog still ends.
 */
export const spinJob = defineJob<TrackedJobArgs & { readonly capMs: number }, string>((args, ctx) => {
  track(args, ctx.cpu);
  const until = performance.now() + args.capMs;
  while (performance.now() < until);
  return `spun for ${args.capMs} ms on CPU ${ctx.cpu}: nothing stopped it`;
});

/** A job that awaits a timer for `ms`, longer than the hotplug timeout: a CPU down must wait for it, or time out. */
export const longJob = defineJob<TrackedJobArgs & { readonly ms: number }, number>(async (args, ctx) => {
  track(args, ctx.cpu);
  await new Promise((resolve) => setTimeout(resolve, args.ms));
  return ctx.cpu;
});

/**
 * Hotplug callbacks that run on the CPU itself, each with a fixed behaviour: a callback
 * receives only its CPU, and a worker shares no module state with the controller, so the
 * controller knows what each does from its name alone (cpuCallbackFails).
 */
const CPU_CALLBACK_FAILS = {
  okOnEveryCpu: () => false,
  failOnEvenCpu: (cpu: number) => cpu % 2 === 0,
  failOnOddCpu: (cpu: number) => cpu % 2 === 1,
  failOnCpu0: (cpu: number) => cpu === 0,
  spinBriefly: () => false,
} as const;

export type CpuCallbackName = keyof typeof CPU_CALLBACK_FAILS;
export const CPU_CALLBACK_NAMES = Object.keys(CPU_CALLBACK_FAILS) as CpuCallbackName[];

/** Whether the CPU callback export `name` throws on `cpu`. */
export function cpuCallbackFails(name: CpuCallbackName, cpu: number): boolean {
  return CPU_CALLBACK_FAILS[name](cpu);
}

function failIf(name: CpuCallbackName, cpu: number): void {
  if (cpuCallbackFails(name, cpu)) throw new Error(`torture: ${name} fails on CPU ${cpu} (injected)`);
}

/** How long spinBriefly holds its CPU: a callback that does real work without yielding. */
const SPIN_BRIEFLY_MS = 20;

export const okOnEveryCpu = defineCpuCallback((cpu) => failIf('okOnEveryCpu', cpu));
export const failOnEvenCpu = defineCpuCallback((cpu) => failIf('failOnEvenCpu', cpu));
export const failOnOddCpu = defineCpuCallback((cpu) => failIf('failOnOddCpu', cpu));
export const failOnCpu0 = defineCpuCallback((cpu) => failIf('failOnCpu0', cpu));
export const spinBriefly = defineCpuCallback(() => {
  const until = performance.now() + SPIN_BRIEFLY_MS;
  while (performance.now() < until);
});
