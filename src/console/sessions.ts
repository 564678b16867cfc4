/**
 * The console's sign-in sessions: an operator token (or an SSO sign-in) exchanged for a random
 * session id kept in an HttpOnly, SameSite=Strict cookie, with a CSRF token the page must echo
 * in a header on every state-changing call. The id is never stored: only its SHA-256.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Role } from '../operators/records.ts';

/** The cookie carrying the session id. `__Host-` would demand `Secure`, which loopback HTTP lacks. */
export const SESSION_COOKIE = 'lifeline_console';
/** The header a state-changing call must carry, equal to the session's CSRF token. */
export const CSRF_HEADER = 'x-lifeline-csrf';

/** Who a console session acts as: an operator record, and the role an SSO group mapped to. */
export interface ConsoleSession {
  operatorId: string;
  operatorName: string;
  /** Set by an SSO sign-in: the role the groups claim mapped to, which replaces the record's. */
  role: Role | null;
  via: 'token' | 'sso';
  csrf: string;
  expiresAt: number;
}

const hash = (id: string): string => createHash('sha256').update(id).digest('hex');

/** In-process sessions of one node (a restart signs everyone out; see docs/CONSOLE.md). */
export class ConsoleSessions {
  readonly #byHash = new Map<string, ConsoleSession>();
  readonly #ttlMs: number;
  readonly #clock: () => number;

  constructor(options: { ttlSeconds: number; clock: () => number }) {
    this.#ttlMs = options.ttlSeconds * 1000;
    this.#clock = options.clock;
  }

  /** A new session; returns its id (for the cookie) and the session (its CSRF token for the page). */
  create(input: Pick<ConsoleSession, 'operatorId' | 'operatorName' | 'role' | 'via'>): {
    id: string;
    session: ConsoleSession;
  } {
    this.#sweep();
    const id = randomBytes(32).toString('base64url');
    const session: ConsoleSession = {
      ...input,
      csrf: randomBytes(32).toString('base64url'),
      expiresAt: this.#clock() + this.#ttlMs,
    };
    this.#byHash.set(hash(id), session);
    return { id, session };
  }

  /** The live session a cookie names, or null (unknown, malformed or expired). */
  find(id: string | undefined): ConsoleSession | null {
    if (id === undefined || !/^[A-Za-z0-9_-]{43}$/.test(id)) return null;
    const session = this.#byHash.get(hash(id));
    if (!session) return null;
    if (session.expiresAt <= this.#clock()) {
      this.#byHash.delete(hash(id));
      return null;
    }
    return session;
  }

  /** Ends a session (sign-out). */
  destroy(id: string | undefined): void {
    if (id !== undefined) this.#byHash.delete(hash(id));
  }

  /** Ends every session of an operator (used when their record is gone or revoked). */
  destroyFor(operatorId: string): void {
    for (const [key, s] of this.#byHash) if (s.operatorId === operatorId) this.#byHash.delete(key);
  }

  #sweep(): void {
    const now = this.#clock();
    for (const [key, s] of this.#byHash) if (s.expiresAt <= now) this.#byHash.delete(key);
  }
}

/** True when `given` is the session's CSRF token (constant time). */
export function csrfMatches(session: ConsoleSession, given: string | string[] | undefined): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(given);
  const b = Buffer.from(session.csrf);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The value of one cookie in a Cookie header, or undefined. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** The Set-Cookie value for a session id (empty id and max-age 0 clears it). */
export function sessionCookie(id: string, maxAgeSeconds: number, secure: boolean): string {
  const parts = [
    `${SESSION_COOKIE}=${id}`,
    'Path=/',
    'HttpOnly',
    'SameSite=Strict',
    `Max-Age=${maxAgeSeconds}`,
  ];
  if (secure) parts.push('Secure');
  return parts.join('; ');
}

/** Methods that change nothing and need no CSRF token. */
export function isSafeMethod(method: string): boolean {
  return method === 'GET' || method === 'HEAD' || method === 'OPTIONS';
}
