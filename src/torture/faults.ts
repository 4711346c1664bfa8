/**
 * The kinds of fault a torture run injects when its fail rate is above 0. All are on by
 * default; `--faults` picks some, to tell which kind of fault a violation needs, or to run
 * past one kind's known bug and look for others.
 */

export const FAULTS = {
  'hotplug-failures': 'a hotplug step made to fail once (injectFailure)',
  deaf: 'torture threads that ignore park requests for a while',
  crashers: 'threads that throw after a few units of work',
  kills: 'jobs that kill their worker (process.exit, an uncaught error, out of memory)',
  states: 'hotplug states added and removed, whose callbacks fail on some CPUs',
  rollbacks: "the run's own state's callbacks throwing on chosen calls, so that rollbacks fail too",
  hostile: 'jobs that return, throw or reject with hostile values',
  listener: 'a trace listener that throws',
  lockups: "jobs that spin forever, for the runtime's watchdog (needs the watchdog on)",
  'long-jobs': 'jobs longer than the hotplug timeout, with a cpuDown of their CPU meanwhile',
  forged: 'kthread calls with forged handles and handles of another runtime',
} as const;

export type FaultName = keyof typeof FAULTS;

export const FAULT_NAMES = Object.keys(FAULTS) as FaultName[];

export function isFaultName(name: string): name is FaultName {
  return Object.hasOwn(FAULTS, name);
}
