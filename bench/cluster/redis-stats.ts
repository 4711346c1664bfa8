/**
 * What one row cost Redis, read from Redis itself before and after the row's measured loop:
 * INFO commandstats (calls per command; commands that BullMQ's Lua scripts call are counted
 * under their own names as well as the EVALSHA that ran them, so "commands" is every command
 * Redis executed) and INFO cpu (the server's own CPU time). Divided by the jobs of the row,
 * they give what one job costs the broker, from which its ceiling follows (ceiling.ts).
 * The benchmark's own INFO calls are left out.
 */

import type { Redis } from 'ioredis';

export interface RedisSnapshot {
  /** Calls per command name, as commandstats names them (e.g. "evalsha", "xread"). */
  readonly calls: ReadonlyMap<string, number>;
  /** used_cpu_user + used_cpu_sys, in seconds. */
  readonly cpuS: number;
}

/** Per job of a row: every command Redis executed, the scripts among them (one round trip each), and Redis's CPU time. */
export interface RedisCost {
  readonly commandsPerJob: number;
  readonly scriptCallsPerJob: number;
  readonly redisCpuUsPerJob: number;
  /** The five commands called most per job, for the report. */
  readonly topCommands: readonly { readonly command: string; readonly perJob: number }[];
}

/** The benchmark's own calls, not the row's. */
const OWN = new Set(['info', 'config|resetstat', 'ping']);
const SCRIPTS = new Set(['evalsha', 'eval', 'evalsha_ro', 'eval_ro', 'fcall']);

export async function snapshot(client: Redis): Promise<RedisSnapshot> {
  const [commandstats, cpu] = await Promise.all([client.info('commandstats'), client.info('cpu')]);
  const calls = new Map<string, number>();
  for (const match of commandstats.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) calls.set(match[1]!, Number(match[2]));
  const field = (name: string): number => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(cpu)?.[1] ?? Number.NaN);
  return { calls, cpuS: field('used_cpu_user') + field('used_cpu_sys') };
}

export function costPerJob(before: RedisSnapshot, after: RedisSnapshot, jobs: number): RedisCost {
  const deltas: { command: string; calls: number }[] = [];
  for (const [command, calls] of after.calls) {
    if (OWN.has(command)) continue;
    const delta = calls - (before.calls.get(command) ?? 0);
    if (delta > 0) deltas.push({ command, calls: delta });
  }
  const total = deltas.reduce((sum, d) => sum + d.calls, 0);
  const scripts = deltas.filter((d) => SCRIPTS.has(d.command)).reduce((sum, d) => sum + d.calls, 0);
  return {
    commandsPerJob: total / jobs,
    scriptCallsPerJob: scripts / jobs,
    redisCpuUsPerJob: ((after.cpuS - before.cpuS) * 1e6) / jobs,
    topCommands: deltas
      .sort((a, b) => b.calls - a.calls)
      .slice(0, 5)
      .map((d) => ({ command: d.command, perJob: d.calls / jobs })),
  };
}
