/**
 * Where Redis is, and whether it answers. Every cluster node and queue is given a `redis://`
 * URL; before anything starts, one connection pings it, so that a Redis that is not there is
 * one clear ClusterError (REDIS_UNREACHABLE, saying how to start one) rather than ioredis
 * retrying in the background for ever.
 */

import { ClusterError, ConfigError, ERROR_CODES } from '../errors.js';
import { describeValue, errorText } from '../controller/arguments.js';
import type { Broker } from './broker.js';

/** What BullMQ is given to make its own connections (ioredis options, from the URL). */
export interface RedisConnection {
  readonly host: string;
  readonly port: number;
  readonly db: number;
  readonly username?: string;
  readonly password?: string;
  readonly tls?: Record<string, never>;
  /** BullMQ's workers block on Redis: ioredis must not fail their commands after N retries. */
  readonly maxRetriesPerRequest: null;
}

/** How long the first ping may take before Redis is called unreachable. */
export const CONNECT_TIMEOUT_MS = 5_000;

/** A `redis://` or `rediss://` URL (string or URL), read into connection options. */
export function readRedisUrl(call: string, name: string, value: unknown): { readonly url: string; readonly connection: RedisConnection } {
  const expected = `a redis:// URL such as "redis://127.0.0.1:6379" (a string or a URL)`;
  const refuse = (): never => {
    throw new ConfigError(`${call}: ${name} must be ${expected}, got ${describeValue(value)}`);
  };
  if (typeof value !== 'string' && !(value instanceof URL)) refuse();
  let url = new URL('redis://127.0.0.1');
  try {
    url = new URL(String(value));
  } catch {
    refuse();
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') throw new ConfigError(`${call}: ${name} must be ${expected}, got ${describeValue(String(value))}`);
  const port = url.port === '' ? 6379 : Number(url.port);
  const path = url.pathname.replace(/^\//, '');
  const db = path === '' ? 0 : Number(path);
  if (!Number.isInteger(db) || db < 0 || db > 15) throw new ConfigError(`${call}: ${name}'s database (the URL's path) must be a number from 0 to 15, got ${describeValue(path)}`);
  const connection: RedisConnection = {
    host: url.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1',
    port,
    db,
    ...(url.username === '' ? {} : { username: decodeURIComponent(url.username) }),
    ...(url.password === '' ? {} : { password: decodeURIComponent(url.password) }),
    ...(url.protocol === 'rediss:' ? { tls: {} } : {}),
    maxRetriesPerRequest: null,
  };
  // The URL as shown in messages, without its password.
  if (url.password !== '') url.password = '***';
  return { url: url.toString(), connection };
}

/** How to get a Redis, for messages that say one was not there. */
export const START_REDIS_HINT =
  'start one (Debian/Ubuntu: `sudo apt-get install redis-server`, then `redis-server --port 6379 --save "" --appendonly no`), or pass the URL of one that runs';

/** Pings Redis once, within CONNECT_TIMEOUT_MS; a REDIS_UNREACHABLE ClusterError otherwise. */
export async function checkRedis(broker: Broker, url: string, connection: RedisConnection): Promise<void> {
  const client = new broker.Redis({ ...connection, lazyConnect: true, connectTimeout: CONNECT_TIMEOUT_MS, retryStrategy: () => null, maxRetriesPerRequest: 0, enableOfflineQueue: false });
  client.on('error', () => {
    // Reported by the ping's rejection below; an unheard 'error' would crash the process.
  });
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      client.connect().then(() => client.ping()),
      new Promise<never>((_, reject) => {
        const message = `Redis at ${url} did not answer within ${CONNECT_TIMEOUT_MS} ms: ${START_REDIS_HINT}`;
        timer = setTimeout(() => reject(new ClusterError(message, { code: ERROR_CODES.REDIS_UNREACHABLE })), CONNECT_TIMEOUT_MS);
      }),
    ]);
  } catch (error) {
    if (error instanceof ClusterError) throw error;
    throw new ClusterError(`Redis at ${url} did not answer (${errorText(error)}): ${START_REDIS_HINT}`, { code: ERROR_CODES.REDIS_UNREACHABLE, cause: error });
  } finally {
    clearTimeout(timer);
    client.disconnect();
  }
}
