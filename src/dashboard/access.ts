/**
 * Who may do what (protocol.ts, "Access"). Read access: the token in the X-Cpuhp-Token or
 * Authorization: Bearer header, the `token` query parameter, or the page's cookie; or nothing
 * with publicView. Control access: the token in a header only, never the cookie or the query,
 * which another site could make a browser send. Tokens are compared in constant time.
 *
 * The Host check, against DNS rebinding: a page of another site whose name is made to resolve
 * to 127.0.0.1 reaches this server as same-origin to that page, so it could read what the
 * server answers. Its requests carry that site's name in Host, though. So a server bound to a
 * loopback address answers only requests whose Host is one of its own loopback names with
 * its port (127.0.0.1:P, localhost:P, [::1]:P, the bound host:P), and refuses others with 421
 * Misdirected Request before anything else is read. A server bound to another address (an
 * embedder's choice, for access from elsewhere) cannot know the names it is reached by and
 * checks no Host; its token still guards controls and, without publicView, reads.
 */

import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { TOKEN_COOKIE, TOKEN_HEADER } from './protocol.js';

export type Access = 'none' | 'read' | 'control';

export class AccessCheck {
  private readonly digest: Buffer;
  /** The Host header values a loopback-bound server answers, or null for any. */
  private readonly hosts: ReadonlySet<string> | null;

  /** The page's cookie: TOKEN_COOKIE and `_PORT` (protocol.ts says why). */
  readonly cookie: string;

  constructor(token: string, private readonly publicView: boolean, host: string, port: number) {
    this.cookie = `${TOKEN_COOKIE}_${port}`;
    this.digest = sha256(token);
    this.hosts = isLoopback(host) ? loopbackHosts(host, port) : null;
  }

  /** Whether the request's Host header names this server (always true off loopback). */
  hostAllowed(req: IncomingMessage): boolean {
    if (this.hosts === null) return true;
    const host = req.headers.host;
    return host !== undefined && this.hosts.has(host.toLowerCase());
  }

  /** The token in a header: what a control needs. */
  headerToken(req: IncomingMessage): string | undefined {
    const header = req.headers[TOKEN_HEADER];
    if (typeof header === 'string') return header;
    const auth = req.headers.authorization;
    if (auth !== undefined) {
      const match = /^Bearer\s+(\S+)\s*$/i.exec(auth);
      if (match !== null) return match[1];
    }
    return undefined;
  }

  /** The token in the page's cookie. */
  cookieToken(req: IncomingMessage): string | undefined {
    return readCookie(req.headers.cookie, this.cookie);
  }

  /** Whether `given` is the token (constant time: both sides are hashed to one length first). */
  matches(given: string | undefined): boolean {
    return given !== undefined && timingSafeEqual(sha256(given), this.digest);
  }

  /** Whether the request holds the token anywhere read access may carry it. */
  holdsToken(req: IncomingMessage, url: URL): boolean {
    return this.matches(this.headerToken(req)) || this.matches(this.cookieToken(req)) || this.matches(url.searchParams.get('token') ?? undefined);
  }

  /** Read access: the token anywhere, or publicView. */
  canRead(req: IncomingMessage, url: URL): boolean {
    return this.publicView || this.holdsToken(req, url);
  }

  /** Control access: the token in a header. */
  canControl(req: IncomingMessage): boolean {
    return this.matches(this.headerToken(req));
  }
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/** One cookie's value from a Cookie header, or undefined. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

export function isLoopback(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

function loopbackHosts(host: string, port: number): Set<string> {
  const names = ['127.0.0.1', 'localhost', '[::1]', host.includes(':') && !host.startsWith('[') ? `[${host}]` : host];
  const out = new Set<string>();
  for (const name of names) {
    out.add(`${name.toLowerCase()}:${port}`);
    // A browser leaves the port out of Host when it is the scheme's default.
    if (port === 80) out.add(name.toLowerCase());
  }
  return out;
}
