/**
 * The broker's client libraries, bullmq and ioredis, loaded when a cluster node or queue is
 * first made. They are optional peer dependencies: an application that never uses
 * cpuhp/cluster does not install them, and importing cpuhp/cluster without them costs
 * nothing until a node or queue is made, which then says what to install.
 */

import { ClusterError, ERROR_CODES } from '../errors.js';

export type BullMQ = typeof import('bullmq');

export interface Broker {
  readonly bullmq: BullMQ;
  readonly Redis: typeof import('ioredis').Redis;
}

let loading: Promise<Broker> | undefined;

/** bullmq and ioredis, once loaded; a BROKER_MISSING ClusterError names the one that is missing. */
export function loadBroker(): Promise<Broker> {
  loading ??= load();
  // A failed load is not kept: installing the package and calling again works.
  loading.catch(() => (loading = undefined));
  return loading;
}

async function load(): Promise<Broker> {
  const bullmq = await importOrSay<BullMQ>('bullmq', () => import('bullmq'));
  const ioredis = await importOrSay('ioredis', () => import('ioredis'));
  return { bullmq, Redis: ioredis.Redis };
}

async function importOrSay<T>(name: string, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (error) {
    const missing = (error as { code?: unknown } | null)?.code === 'ERR_MODULE_NOT_FOUND';
    throw new ClusterError(
      missing
        ? `cpuhp/cluster needs the packages bullmq and ioredis, and ${name} is not installed: run \`npm install bullmq@6 ioredis@6\` in your application`
        : `cpuhp/cluster could not load ${name}; reinstall it with \`npm install bullmq@6 ioredis@6\``,
      { code: ERROR_CODES.BROKER_MISSING, cause: error },
    );
  }
}
