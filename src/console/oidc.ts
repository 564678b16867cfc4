/**
 * Operator single sign-on through the studio's OpenID Connect provider: authorization code with
 * PKCE (S256), state and nonce, through `openid-client`. The provider says who the person is and
 * which groups they are in; `console.oidc.roles` maps a group to a role. The person must also be
 * an active Lifeline operator of the same name, so every action is audited under one identity and
 * TOTP step-up still uses their own secret.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import * as oidc from 'openid-client';
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
  /** Where the provider sends the code: the console's callback, or a CLI's loopback listener. */
  redirectUri: string;
  /** Who started it: a sign-in is finished only by the same kind of client. */
  client: SsoClient;
  /** SHA-256 of a secret only the starter holds (the CLI's finish key), or null (the console's cookie binds it). */
  binding: Buffer | null;
  expiresAt: number;
}

const sha256 = (text: string): Buffer => createHash('sha256').update(text).digest();

/** Whether `given` is the secret the sign-in was started with (constant time). */
function bound(pending: Pending, given: string | undefined): boolean {
  if (pending.binding === null) return true;
  return given !== undefined && timingSafeEqual(pending.binding, sha256(given));
}

/** The console (a browser, cookie session) or the CLI (loopback redirect, bearer token). */
export type SsoClient = 'console' | 'cli';

/**
 * A CLI's redirect URI, if it is a loopback one (RFC 8252 §7.3): plain http to 127.0.0.1 or
 * [::1] with an explicit port. `localhost` is refused (it may resolve elsewhere, §8.3), and so is
 * anything else: the code must never travel to a host other than the operator's own machine.
 */
export function loopbackRedirect(value: string): string {
  const url = URL.parse(value);
  const ok =
    url !== null &&
    url.protocol === 'http:' &&
    (url.hostname === '127.0.0.1' || url.hostname === '[::1]') &&
    url.port !== '' &&
    url.username === '' &&
    url.password === '' &&
    url.search === '' &&
    url.hash === '';
  if (!ok) throw new LifelineError('SSO_REDIRECT_REFUSED', undefined, { details: { redirectUri: value } });
  return url.href;
}

const PENDING_MS = 10 * 60 * 1000;
const MAX_PENDING = 1000;

/** The console's OIDC client; discovery happens on the first sign-in, and again after a failure. */
export class OperatorSso {
  readonly #o: ConsoleConfig['oidc'];
  readonly #clock: () => number;
  readonly #pending = new Map<string, Pending>();
  #config: Promise<oidc.Configuration> | null = null;

  constructor(settings: ConsoleConfig['oidc'], clock: () => number) {
    this.#o = settings;
    this.#clock = clock;
  }

  get enabled(): boolean {
    return this.#o.issuer !== '';
  }

  #discover(): Promise<oidc.Configuration> {
    if (!this.#config) {
      const issuer = new URL(this.#o.issuer);
      const insecure = issuer.protocol === 'http:';
      this.#config = oidc
        .discovery(
          issuer,
          this.#o.clientId,
          this.#o.clientSecret === '' ? undefined : this.#o.clientSecret,
          this.#o.clientSecret === '' ? oidc.None() : undefined,
          insecure ? { execute: [oidc.allowInsecureRequests] } : undefined,
        )
        .catch((err: unknown) => {
          this.#config = null;
          throw new LifelineError('SSO_PROVIDER_ERROR', 'The OpenID provider could not be reached', {
            cause: err,
          });
        });
    }
    return this.#config;
  }

  /**
   * The provider's authorization URL for a new sign-in (state, nonce and PKCE verifier kept here);
   * a CLI's sign-in names its own (loopback) redirect URI, checked by the caller, and a secret
   * its finish must repeat: whoever else catches the code on the loopback cannot finish it.
   */
  async start(
    client: SsoClient = 'console',
    redirectUri = this.#o.redirectUri,
    binding?: string,
  ): Promise<URL> {
    if (!this.enabled) throw new LifelineError('CONSOLE_SSO_DISABLED');
    const config = await this.#discover();
    this.#sweep();
    const state = oidc.randomState();
    const verifier = oidc.randomPKCECodeVerifier();
    const nonce = oidc.randomNonce();
    this.#pending.set(state, {
      verifier,
      nonce,
      redirectUri,
      client,
      binding: binding === undefined ? null : sha256(binding),
      expiresAt: this.#clock() + PENDING_MS,
    });
    return oidc.buildAuthorizationUrl(config, {
      redirect_uri: redirectUri,
      scope: 'openid profile groups',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    });
  }

  /** Completes a sign-in from the callback's query; the person's name and mapped role. */
  async finish(
    query: URLSearchParams,
    client: SsoClient = 'console',
    binding?: string,
  ): Promise<{ name: string; role: Role }> {
    if (!this.enabled) throw new LifelineError('CONSOLE_SSO_DISABLED');
    const state = query.get('state') ?? '';
    const pending = this.#pending.get(state);
    this.#pending.delete(state);
    if (
      !pending ||
      pending.client !== client ||
      pending.expiresAt <= this.#clock() ||
      !bound(pending, binding)
    )
      throw new LifelineError('SSO_STATE_INVALID');
    const config = await this.#discover();
    const url = new URL(pending.redirectUri);
    url.search = query.toString();
    let claims: oidc.IDToken | undefined;
    try {
      const tokens = await oidc.authorizationCodeGrant(config, url, {
        pkceCodeVerifier: pending.verifier,
        expectedState: state,
        expectedNonce: pending.nonce,
      });
      claims = tokens.claims();
    } catch (err) {
      // The provider's own error (access_denied, a spent code) or a token that does not verify.
      const said = (err as { error?: unknown }).error;
      throw new LifelineError('SSO_PROVIDER_ERROR', undefined, {
        cause: err,
        ...(typeof said === 'string' ? { details: { providerError: said } } : {}),
      });
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
