/**
 * serveDashboard(options): defaults and validation, before anything listens. Every bad value
 * is a ConfigError naming the option (the runtime's own argument checks, controller/arguments.ts),
 * unknown keys are refused, and each option is read once.
 */

import { randomBytes } from 'node:crypto';
import { ConfigError } from '../errors.js';
import { allKeys, describeValue, readOptions, wholeNumber } from '../controller/arguments.js';
import type { DashboardOptions } from './types.js';

export const CALL = 'serveDashboard(options)';
const KEYS = allKeys<DashboardOptions>()(['port', 'host', 'token', 'publicView', 'intervalMs']);

export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_INTERVAL_MS = 250;
export const MIN_INTERVAL_MS = 50;
export const MAX_INTERVAL_MS = 10_000;
/** A token is a header value, a cookie value and a query parameter as it is: no escaping needed. */
export const TOKEN_PATTERN = /^[A-Za-z0-9_-]{16,256}$/;
/** A host name or an IP address (v6 in brackets or not, with a zone): what listen() may be given. */
const HOST_PATTERN = /^[A-Za-z0-9._:%[\]-]{1,253}$/;

export interface ResolvedDashboardOptions {
  readonly port: number;
  readonly host: string;
  readonly token: string;
  readonly publicView: boolean;
  readonly intervalMs: number;
}

export function resolveDashboardOptions(options: unknown): ResolvedDashboardOptions {
  const o = readOptions(CALL, 'options', options, KEYS);
  const port = o.port === undefined ? 0 : wholeNumber(CALL, 'options.port', o.port, 0, 65535, ' (0 takes any free port)');
  let host = DEFAULT_HOST;
  if (o.host !== undefined) {
    if (typeof o.host !== 'string' || !HOST_PATTERN.test(o.host)) {
      throw new ConfigError(`${CALL}: options.host must be a host name or IP address to bind, such as '127.0.0.1' (this machine only) or '0.0.0.0' (every interface), got ${describeValue(o.host)}`);
    }
    host = o.host;
  }
  let token: string;
  if (o.token === undefined) token = randomBytes(16).toString('hex');
  else if (typeof o.token === 'string' && TOKEN_PATTERN.test(o.token)) token = o.token;
  // A bad token is still a secret someone meant: the message says what it is, not what it says.
  else throw new ConfigError(`${CALL}: options.token must be 16 to 256 characters of A-Z, a-z, 0-9, '_' and '-', or left out for a random one; got ${typeof o.token === 'string' ? `a string of ${o.token.length} characters${o.token.length >= 16 && o.token.length <= 256 ? ' with others among them' : ''}` : describeValue(o.token)}`);
  if (o.publicView !== undefined && typeof o.publicView !== 'boolean') {
    throw new ConfigError(`${CALL}: options.publicView must be true (anyone who reaches the port may read) or false (reads need the token), got ${describeValue(o.publicView)}`);
  }
  const intervalMs = o.intervalMs === undefined ? DEFAULT_INTERVAL_MS : wholeNumber(CALL, 'options.intervalMs', o.intervalMs, MIN_INTERVAL_MS, MAX_INTERVAL_MS, ' (ms between snapshots)');
  return { port, host, token, publicView: o.publicView === true, intervalMs };
}
