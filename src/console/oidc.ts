/**
 * Operator single sign-on through the studio's OpenID Connect provider: authorization code with
 * PKCE (S256), state and nonce, through `openid-client`. The provider says who the person is and
 * which groups they are in; `console.oidc.roles` maps a group to a role. The person must also be
 * an active Lifeline operator of the same name, so every action is audited under one identity and
 * TOTP step-up still uses their own secret.
 */
import * as client from 'openid-client';
import type { ConsoleConfig } from '../config/index.ts';
import { LifelineError } from '../errors/index.ts';
import type { Role } from '../operators/records.ts';

/** Strongest first: a person in several mapped groups gets the strongest role. */
const ranking: readonly Role[] = ['admin', 'operator', 'auditor', 'viewer'];

/** The role a groups claim maps to, or null when no group is mapped. */
export function roleFromGroups(groups: unknown, mapping: Readonly<Record<string, Role>>): Role | null {
  const list = Array.isArray(groups) ? groups : typeof groups === 'string' ? [groups] : [];
  const mapped = new Set<Role>();
  for (const g of list)
    if (typeof g === 'string' && Object.hasOwn(mapping, g)) mapped.add(mapping[g] as Role);
  return ranking.find((r) => mapped.has(r)) ?? null;
}

/** One sign-in in flight, kept server-side between the redirect and the callback. */
interface Pending {
  verifier: string;
  nonce: string;
  expiresAt: number;
}

const PENDING_MS = 10 * 60 * 1000;
const MAX_PENDING = 1000;

/** The console's OIDC client; discovery happens on the first sign-in, and again after a failure. */
export class OperatorSso {
  readonly #o: ConsoleConfig['oidc'];
  readonly #clock: () => number;
  readonly #pending = new Map<string, Pending>();
  #config: Promise<client.Configuration> | null = null;

  constructor(oidc: ConsoleConfig['oidc'], clock: () => number) {
    this.#o = oidc;
    this.#clock = clock;
  }

  get enabled(): boolean {
    return this.#o.issuer !== '';
  }

  #discover(): Promise<client.Configuration> {
    if (!this.#config) {
      const issuer = new URL(this.#o.issuer);
      const insecure = issuer.protocol === 'http:';
      this.#config = client
        .discovery(
          issuer,
          this.#o.clientId,
          this.#o.clientSecret === '' ? undefined : this.#o.clientSecret,
          this.#o.clientSecret === '' ? client.None() : undefined,
          insecure ? { execute: [client.allowInsecureRequests] } : undefined,
        )
        .catch((err: unknown) => {
          this.#config = null;
          throw new LifelineError('CONSOLE_SSO_FAILED', 'The OpenID provider could not be reached', {
            cause: err,
          });
        });
    }
    return this.#config;
  }

  /** The provider's authorization URL for a new sign-in (state, nonce and PKCE verifier kept here). */
  async start(): Promise<URL> {
    if (!this.enabled) throw new LifelineError('CONSOLE_SSO_DISABLED');
    const config = await this.#discover();
    this.#sweep();
    const state = client.randomState();
    const verifier = client.randomPKCECodeVerifier();
    const nonce = client.randomNonce();
    this.#pending.set(state, { verifier, nonce, expiresAt: this.#clock() + PENDING_MS });
    return client.buildAuthorizationUrl(config, {
      redirect_uri: this.#o.redirectUri,
      scope: 'openid profile groups',
      code_challenge: await client.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    });
  }

  /** Completes a sign-in from the callback's query; the person's name and mapped role. */
  async finish(query: URLSearchParams): Promise<{ name: string; role: Role }> {
    if (!this.enabled) throw new LifelineError('CONSOLE_SSO_DISABLED');
    const state = query.get('state') ?? '';
    const pending = this.#pending.get(state);
    this.#pending.delete(state);
    if (!pending || pending.expiresAt <= this.#clock())
      throw new LifelineError('CONSOLE_SSO_FAILED', 'Unknown or expired sign-in: start again');
    const config = await this.#discover();
    const url = new URL(this.#o.redirectUri);
    url.search = query.toString();
    let claims: client.IDToken | undefined;
    try {
      const tokens = await client.authorizationCodeGrant(config, url, {
        pkceCodeVerifier: pending.verifier,
        expectedState: state,
        expectedNonce: pending.nonce,
      });
      claims = tokens.claims();
    } catch (err) {
      throw new LifelineError('CONSOLE_SSO_FAILED', 'The provider refused the sign-in', { cause: err });
    }
    const name = claims?.[this.#o.usernameClaim];
    if (typeof name !== 'string' || name === '')
      throw new LifelineError('CONSOLE_SSO_FAILED', `The ID token has no ${this.#o.usernameClaim} claim`);
    const role = roleFromGroups(claims?.[this.#o.groupsClaim], this.#o.roles);
    if (role === null) throw new LifelineError('CONSOLE_SSO_NO_ROLE');
    return { name, role };
  }

  #sweep(): void {
    const now = this.#clock();
    for (const [k, p] of this.#pending) if (p.expiresAt <= now) this.#pending.delete(k);
    while (this.#pending.size >= MAX_PENDING) {
      const oldest = this.#pending.keys().next().value;
      if (oldest === undefined) break;
      this.#pending.delete(oldest);
    }
  }
}
