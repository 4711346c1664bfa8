/**
 * How the server answers: the headers every answer carries, JSON bodies, and errors as
 * ErrorAnswer (protocol.ts). No answer ever carries an Access-Control-* header: without one,
 * a browser lets no other site read an answer, nor send a request with a custom header
 * (the token's) or a JSON body, which needs a preflight this server never grants.
 */

import type { ServerResponse } from 'node:http';
import type { ErrorAnswer } from './protocol.js';

/** On every answer. */
export const COMMON_HEADERS: Readonly<Record<string, string>> = {
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
};

/** On every answer carrying data: never cached (it is live, and may need the token). */
export const API_HEADERS: Readonly<Record<string, string>> = { ...COMMON_HEADERS, 'Cache-Control': 'no-store' };

/**
 * The server's own codes in an ErrorAnswer, for what is about the request rather than the
 * runtime (a malformed control is the runtime's ERR_CPUHP_INVALID_ARG, as a bad argument to
 * the call itself would be; a refused one is the runtime's own error's code).
 */
export const ANSWER_CODES = {
  FORBIDDEN: 'FORBIDDEN',
  NOT_FOUND: 'NOT_FOUND',
  METHOD_NOT_ALLOWED: 'METHOD_NOT_ALLOWED',
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  UNSUPPORTED_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  MISDIRECTED: 'MISDIRECTED_REQUEST',
  INTERNAL: 'INTERNAL',
} as const;

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Readonly<Record<string, string>> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { ...API_HEADERS, 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': String(Buffer.byteLength(text)), ...headers });
  res.end(text);
}

export function sendError(res: ServerResponse, status: number, code: string, message: string, headers: Readonly<Record<string, string>> = {}): void {
  sendJson(res, status, { error: { code, message } } satisfies ErrorAnswer, headers);
}
