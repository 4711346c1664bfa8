/**
 * An application that scales its CPUs with its load, on cpuhp's job runtime.
 *
 * It starts a runtime of 4 CPUs and runs CPU-bound hashing jobs for clients that come in
 * phases: a few quiet ones, a burst of many, a handful of busy ones, a few quiet ones again.
 * Meanwhile an autoscaler looks at the backlog every 150 ms, takes CPUs down while there is
 * little waiting and brings them up when jobs pile up. Jobs handed to a CPU that goes down
 * move to the others; the one it is running finishes first. At the end the application
 * checks, from a counter each job keeps in shared memory, that every job ran exactly once
 * and resolved exactly once.
 *
 *   npm run example        (builds, then runs dist/examples/autoscale.js)
 *
 * Exit status: 0 if every check passed, 1 if one failed (each failure is printed on stderr).
 */

import { availableParallelism } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { HotplugError, Runtime, type CpuStats, type RuntimeStats } from 'cpuhp';
import { hashRounds, type HashResult, type hashBlock } from './autoscale-jobs.js';

const CPUS = 4;
/** Size each job to take about this long here, whatever the machine. */
const TARGET_JOB_MS = 1.5;
const SCALE_EVERY_MS = 150;
/** Bring a CPU up when more than this many jobs wait per online CPU (some 40 ms of work). */
const UP_BACKLOG_PER_CPU = 25;
/** Take a CPU down when fewer than this many wait per online CPU, on consecutive looks... */
const DOWN_BACKLOG_PER_CPU = 2;
/** ...this many of them, so that one lull does not shed a CPU that is needed again at once. */
const CALM_LOOKS_BEFORE_DOWN = 3;
/**
 * Every job is queued with this timeout, so the runtime settles each client's wait within
 * it even if a job never finished: no wait in this program is unbounded.
 */
const JOB_TIMEOUT_MS = 10_000;
const DRAIN_TIMEOUT_MS = 10_000;
/** Failures listed on stderr at the most; the count says how many there were in all. */
const MAX_LISTED = 5;

/**
 * A stretch of load. Each client submits a job, waits for its result, thinks, and again:
 * like users of a service, they send less when it is slow, so the backlog a phase builds
 * depends on its number of clients, not on how fast this machine is.
 */
interface Phase {
  readonly name: string;
  readonly seconds: number;
  readonly clients: number;
  readonly thinkMs: number;
}

const PHASES: readonly Phase[] = [
  { name: 'quiet', seconds: 3, clients: 2, thinkMs: 25 },
  // Far more jobs outstanding than 4 CPUs can hold: the backlog says "more CPUs".
  { name: 'burst', seconds: 3, clients: 200, thinkMs: 0 },
  // Enough to keep every CPU busy, with a short queue: the CPUs that go down hold work.
  { name: 'busy', seconds: 3, clients: 6, thinkMs: 0 },
  { name: 'quiet', seconds: 3, clients: 2, thinkMs: 25 },
];

const started = performance.now();

function elapsed(): string {
  return `${((performance.now() - started) / 1000).toFixed(2).padStart(6)} s`;
}

function log(line: string): void {
  console.log(`${elapsed()}  ${line}`);
}

function count(n: number): string {
  return n.toLocaleString('en-US');
}

function messageOf(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/**
 * Times the job's work on this thread and returns the rounds that take about TARGET_JOB_MS.
 * Done before the runtime starts, so its workers do not compete with the measurement.
 */
function calibrateRounds(): { rounds: number; jobMs: number } {
  const probe = 8;
  hashRounds(probe, 0); // warm up: the first call pays for loading the hash
  const samples = Array.from({ length: 15 }, (_, i) => {
    const t = performance.now();
    hashRounds(probe, i);
    return performance.now() - t;
  }).sort((a, b) => a - b);
  const probeMs = samples[Math.floor(samples.length / 2)]!;
  const rounds = Math.max(1, Math.min(256, Math.round((probe * TARGET_JOB_MS) / Math.max(probeMs, 0.001))));
  return { rounds, jobMs: (probeMs * rounds) / probe };
}

/** Counters per shared-memory chunk of the ledger, which grows a chunk at a time. */
const LEDGER_CHUNK = 4096;

/**
 * Every job the application submitted and how it ended. `runs` lives in shared memory: job
 * i adds 1 at its own place when it runs, on whichever CPU that is. `resolved` is counted
 * here, when its promise resolves.
 */
class JobLedger {
  private readonly runs: Int32Array[] = [];
  private readonly resolved: number[] = [];
  private readonly settlements: Promise<void>[] = [];
  readonly failures: string[] = [];
  readonly ranOn = new Array<number>(CPUS).fill(0);

  constructor(private readonly rounds: number) {}

  get submitted(): number {
    return this.settlements.length;
  }

  /** Queues one job; the promise settles when the job does and never rejects (failures are kept). */
  submit(rt: Runtime): Promise<void> {
    const index = this.settlements.length;
    if (index % LEDGER_CHUNK === 0) this.runs.push(new Int32Array(new SharedArrayBuffer(LEDGER_CHUNK * Int32Array.BYTES_PER_ELEMENT)));
    this.resolved.push(0);
    const args = { runs: this.runs[this.runs.length - 1]!, index: index % LEDGER_CHUNK, rounds: this.rounds };
    const settled = rt.queueWork<typeof hashBlock>('hashBlock', args, { timeoutMs: JOB_TIMEOUT_MS }).then(
      (result) => this.onResolved(index, result),
      (error: unknown) => this.onRejected(index, error),
    );
    this.settlements.push(settled);
    return settled;
  }

  private onResolved(index: number, result: HashResult): void {
    this.resolved[index]!++;
    this.ranOn[result.cpu]!++;
  }

  private onRejected(index: number, error: unknown): void {
    this.failures.push(`job ${index} rejected: ${messageOf(error)}`);
  }

  private runsOf(index: number): number {
    return this.runs[Math.floor(index / LEDGER_CHUNK)]![index % LEDGER_CHUNK]!;
  }

  /** Resolves once every submitted job has settled; call it only once rt.drain() has resolved. */
  async settled(): Promise<void> {
    await Promise.all(this.settlements);
  }

  /** Every way a job missed "ran once, resolved once". */
  problems(): string[] {
    const problems = [...this.failures];
    for (let i = 0; i < this.submitted; i++) {
      if (this.runsOf(i) !== 1) problems.push(`job ${i} ran ${this.runsOf(i)} times`);
      if (this.resolved[i] !== 1) problems.push(`job ${i} resolved ${this.resolved[i]} times`);
    }
    return problems;
  }
}

/** One client: a job, its result, a pause to think, and again, until the phase ends. */
async function client(rt: Runtime, ledger: JobLedger, phase: Phase, endsAt: number): Promise<void> {
  while (performance.now() < endsAt) {
    await ledger.submit(rt); // settles within JOB_TIMEOUT_MS, by the runtime's timeout
    if (phase.thinkMs > 0) await sleep(phase.thinkMs);
  }
}

/** Runs a phase's clients until it ends; returns how many jobs they submitted. */
async function runPhase(rt: Runtime, ledger: JobLedger, phase: Phase): Promise<number> {
  const think = phase.thinkMs > 0 ? `, ${phase.thinkMs} ms between jobs` : ', no pause';
  log(`phase ${phase.name}: ${phase.clients} clients for ${phase.seconds} s${think}`);
  const first = ledger.submitted;
  const endsAt = performance.now() + phase.seconds * 1000;
  await Promise.all(Array.from({ length: phase.clients }, () => client(rt, ledger, phase, endsAt)));
  return ledger.submitted - first;
}

/** Jobs not yet run: waiting in the runtime's queues, or handed to a CPU and not finished. */
function backlogOf(stats: RuntimeStats): number {
  return stats.jobs.queued + stats.jobs.handed;
}

/** One character per CPU: '#' online, '.' not. */
function cpuMap(rt: Runtime): string {
  const online = new Set(rt.onlineCpus());
  return Array.from({ length: rt.cpuCount }, (_, cpu) => (online.has(cpu) ? '#' : '.')).join('');
}

type Decision = { readonly action: 'up' | 'down'; readonly cpu: number; readonly why: string } | undefined;

/** Looks at the backlog every SCALE_EVERY_MS and takes one CPU down or up when it should. */
class Autoscaler {
  ups = 0;
  downs = 0;
  private calmLooks = 0;
  private stopping = false;

  constructor(private readonly rt: Runtime) {}

  async run(): Promise<void> {
    while (!this.stopping) {
      await sleep(SCALE_EVERY_MS);
      if (!this.stopping) await this.look();
    }
  }

  stop(): void {
    this.stopping = true;
  }

  private decide(stats: RuntimeStats, online: readonly number[]): Decision {
    const perCpu = backlogOf(stats) / online.length;
    if (perCpu > UP_BACKLOG_PER_CPU && online.length < this.rt.cpuCount) {
      this.calmLooks = 0;
      const cpu = stats.cpus.findIndex((c) => c.state === 'offline');
      return cpu < 0 ? undefined : { action: 'up', cpu, why: `${perCpu.toFixed(1)} per online CPU > ${UP_BACKLOG_PER_CPU}` };
    }
    // At least one CPU stays online: the runtime refuses to take the last one down anyway.
    if (perCpu >= DOWN_BACKLOG_PER_CPU || online.length === 1) {
      this.calmLooks = 0;
      return undefined;
    }
    if (++this.calmLooks < CALM_LOOKS_BEFORE_DOWN) return undefined;
    this.calmLooks = 0;
    // The highest-numbered CPU goes first, so CPU 0 stays online, as in Linux. The jobs
    // handed to it that have not started move to the others; a running one finishes first.
    const cpu = online[online.length - 1]!;
    const handed = stats.cpus[cpu]!.jobs.handed;
    return { action: 'down', cpu, why: `${perCpu.toFixed(1)} per online CPU < ${DOWN_BACKLOG_PER_CPU}; ${handed} on CPU ${cpu}` };
  }

  private async look(): Promise<void> {
    const stats = this.rt.stats();
    const decision = this.decide(stats, this.rt.onlineCpus());
    if (decision === undefined) return;
    const before = `[${cpuMap(this.rt)}] queued ${String(stats.jobs.queued).padStart(3)} handed ${String(stats.jobs.handed).padStart(2)}`;
    const t = performance.now();
    try {
      await (decision.action === 'up' ? this.rt.cpuUp(decision.cpu) : this.rt.cpuDown(decision.cpu));
    } catch (error) {
      // A hotplug step that fails rolls the CPU back to where it was: the application goes on.
      if (!(error instanceof HotplugError)) throw error;
      log(`${before}  ${decision.action} CPU ${decision.cpu} failed and rolled back: ${error.message}`);
      return;
    }
    if (decision.action === 'up') this.ups++;
    else this.downs++;
    const took = (performance.now() - t).toFixed(1);
    log(`${before}  ${decision.action.padEnd(4)} CPU ${decision.cpu} (${took.padStart(4)} ms) -> [${cpuMap(this.rt)}]  backlog ${decision.why}`);
  }
}

function sumOf(cpus: readonly CpuStats[], field: 'downs' | 'ups' | 'rollbacks'): number {
  return cpus.reduce((sum, cpu) => sum + cpu[field], 0);
}

/** Prints what happened and returns every check that failed (none: all passed). */
function summarise(stats: RuntimeStats, ledger: JobLedger, scaler: Autoscaler, perPhase: readonly number[]): string[] {
  const { jobs } = stats;
  const downs = sumOf(stats.cpus, 'downs');
  const ups = sumOf(stats.cpus, 'ups');
  console.log('');
  console.log(`jobs:    ${count(ledger.submitted)} submitted, ${count(jobs.completed)} completed, ${count(jobs.migrated)} migrated off CPUs going down, ${count(ledger.failures.length)} failed`);
  console.log(`phases:  ${perPhase.map((n, i) => `${PHASES[i]!.name} ${count(n)}`).join(', ')} jobs`);
  console.log(`ran on:  ${ledger.ranOn.map((n, cpu) => `CPU ${cpu} ${count(n)}`).join(', ')}`);
  console.log(`hotplug: ${downs} CPU downs, ${ups} ups, ${sumOf(stats.cpus, 'rollbacks')} rollbacks; cpuDown median ${stats.latency.cpuDown.medianMs.toFixed(2)} ms, cpuUp median ${stats.latency.cpuUp.medianMs.toFixed(2)} ms`);
  console.log(`latency: queueWork to result median ${jobs.latency.medianMs.toFixed(1)} ms, p99 ${jobs.latency.p99Ms.toFixed(1)} ms, max ${jobs.latency.maxMs.toFixed(1)} ms`);
  const problems = ledger.problems();
  if (jobs.submitted !== ledger.submitted) problems.push(`the runtime counted ${jobs.submitted} jobs submitted, the application ${ledger.submitted}`);
  if (jobs.completed !== ledger.submitted) problems.push(`${jobs.completed} of ${ledger.submitted} jobs completed`);
  if (downs !== scaler.downs || ups !== scaler.ups) problems.push(`the runtime counted ${downs} downs and ${ups} ups, the autoscaler made ${scaler.downs} and ${scaler.ups}`);
  if (stats.violations !== 0) problems.push(`the workers counted ${stats.violations} invariant violations`);
  return problems;
}

function report(problems: readonly string[], submitted: number): void {
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  if (problems.length === 0) {
    console.log(`ok: each of the ${count(submitted)} jobs ran exactly once and resolved exactly once; ${seconds} s`);
    return;
  }
  for (const problem of problems.slice(0, MAX_LISTED)) console.error(`FAILED: ${problem}`);
  if (problems.length > MAX_LISTED) console.error(`FAILED: ... and ${problems.length - MAX_LISTED} more`);
  console.error(`${problems.length} checks failed; ${seconds} s`);
  process.exitCode = 1;
}

async function main(): Promise<void> {
  const { rounds, jobMs } = calibrateRounds();
  const ledger = new JobLedger(rounds);
  console.log(`autoscale: ${CPUS} CPUs on ${availableParallelism()} cores; each job hashes ${rounds} x 64 KiB (~${jobMs.toFixed(1)} ms here)`);
  console.log(`every ${SCALE_EVERY_MS} ms: up when backlog > ${UP_BACKLOG_PER_CPU} jobs per online CPU, down after ${CALM_LOOKS_BEFORE_DOWN} looks under ${DOWN_BACKLOG_PER_CPU}`);

  const rt = await Runtime.start({ cpus: CPUS, modules: [new URL('./autoscale-jobs.js', import.meta.url)] });
  const scaler = new Autoscaler(rt);
  const scaling = scaler.run();
  scaling.catch(() => undefined); // awaited below; this only keeps an early failure from being unhandled meanwhile
  const problems: string[] = [];
  const perPhase: number[] = [];
  try {
    for (const phase of PHASES) perPhase.push(await runPhase(rt, ledger, phase));
    await rt.drain({ timeoutMs: DRAIN_TIMEOUT_MS }); // the clients awaited their jobs; this checks none still runs
    await ledger.settled(); // drain() resolved: every job has settled, so this returns at once
  } catch (error) {
    problems.push(messageOf(error));
  }
  scaler.stop();
  // A look in progress finishes first: each hotplug step is bounded by hotplugTimeoutMs.
  await scaling.catch((error: unknown) => problems.push(`the autoscaler stopped: ${messageOf(error)}`));
  log(`all jobs settled; CPUs [${cpuMap(rt)}]`);
  problems.unshift(...summarise(rt.stats(), ledger, scaler, perPhase));
  await rt.shutdown();
  report(problems, ledger.submitted);
}

await main();
