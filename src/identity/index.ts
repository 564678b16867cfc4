/**
 * The identity port: who is this player? Lifeline asks only at login; refresh and rejoin never
 * do, which is what keeps sessions alive while the identity backend is down.
 */
import { createRemoteJWKSet, errors as joseErrors, jwtVerify } from 'jose';
import { LifelineError } from '../errors/index.ts';
import { isDnsFailure } from '../probes/index.ts';

export interface Credential {
  playerId?: string;
  idToken?: string;
}

export interface IdentityProvider {
  readonly kind: string;
  /** Resolves to the verified player id, or throws IDENTITY_REJECTED / IDENTITY_UNAVAILABLE. */
  verify(credential: Credential): Promise<{ playerId: string }>;
}

/** Accepts any player id: for local runs and demos. Refuses to exist in production. */
export class DevIdentity implements IdentityProvider {
  readonly kind = 'dev';

  constructor(environment: string) {
    if (environment === 'production') throw new LifelineError('DEV_IDENTITY_IN_PRODUCTION');
  }

  async verify(credential: Credential): Promise<{ playerId: string }> {
    if (credential.playerId === undefined) {
      throw new LifelineError(
        'IDENTITY_REJECTED',
        'The dev identity provider takes a playerId, not an idToken',
      );
    }
    return { playerId: credential.playerId };
  }
}

/**
 * Asks a studio's verifier over HTTP: POST the credential as JSON, 200 `{playerId}` means yes,
 * 401/403 means no, anything else (or no answer in time) means the upstream is unavailable.
 */
export class HttpIdentity implements IdentityProvider {
  readonly kind = 'http';
  readonly #url: string;
  readonly #timeoutMs: number;

  constructor(url: string, timeoutMs: number) {
    this.#url = url;
    this.#timeoutMs = timeoutMs;
  }

  async verify(credential: Credential): Promise<{ playerId: string }> {
    let res: Response;
    try {
      res = await fetch(this.#url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(credential),
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
    } catch (err) {
      // A name that no longer resolves is its own failure (seed 001 was a deleted NS record).
      if (isDnsFailure(err))
        throw new LifelineError('UPSTREAM_DNS_FAILURE', undefined, {
          cause: err,
          details: { upstream: 'identity' },
        });
      throw new LifelineError('IDENTITY_UNAVAILABLE', undefined, { cause: err });
    }
    if (res.status === 401 || res.status === 403) {
      await res.body?.cancel();
      throw new LifelineError('IDENTITY_REJECTED');
    }
    if (!res.ok) {
      await res.body?.cancel();
      throw new LifelineError('IDENTITY_UNAVAILABLE', `The identity provider answered ${res.status}`);
    }
    const body = (await res.json().catch(() => null)) as { playerId?: unknown } | null;
    if (typeof body?.playerId !== 'string' || body.playerId === '') {
      throw new LifelineError('IDENTITY_UNAVAILABLE', 'The identity provider answered without a playerId');
    }
    return { playerId: body.playerId };
  }
}

export interface OidcSettings {
  issuer: string;
  audience: string;
  jwksUrl: string;
  /** The claim that names the player. @defaultValue "sub" */
  playerClaim: string;
  /** @defaultValue 30 */
  clockToleranceSeconds: number;
  /** Least time between two JWKS fetches (an unknown key id triggers one). @defaultValue 30 */
  jwksCooldownSeconds: number;
}

/**
 * Verifies OIDC ID tokens against the provider's JWKS: signature, issuer, audience, expiry. The
 * key set is cached without an age limit and refetched only for an unknown key id (rotation), at
 * most every `jwksCooldownSeconds`: so a JWKS outage stops no login signed with a key already seen, and a rotated
 * key works once the provider publishes it and the cooldown since the last fetch has passed.
 */
export class OidcIdentity implements IdentityProvider {
  readonly kind = 'oidc';
  readonly #s: OidcSettings;
  readonly #keys: ReturnType<typeof createRemoteJWKSet>;

  constructor(settings: OidcSettings) {
    this.#s = settings;
    this.#keys = createRemoteJWKSet(new URL(settings.jwksUrl), {
      cacheMaxAge: Number.POSITIVE_INFINITY,
      cooldownDuration: settings.jwksCooldownSeconds * 1000,
      timeoutDuration: 2000,
    });
  }

  async verify(credential: Credential): Promise<{ playerId: string }> {
    if (credential.idToken === undefined)
      throw new LifelineError('IDENTITY_REJECTED', 'This identity provider takes an idToken');
    let payload: Record<string, unknown>;
    try {
      ({ payload } = await jwtVerify(credential.idToken, this.#keys, {
        issuer: this.#s.issuer,
        audience: this.#s.audience,
        clockTolerance: this.#s.clockToleranceSeconds,
      }));
    } catch (err) {
      throw oidcError(err);
    }
    const playerId = payload[this.#s.playerClaim];
    if (typeof playerId !== 'string' || playerId === '') {
      throw new LifelineError('ID_TOKEN_INVALID', `The ID token has no "${this.#s.playerClaim}" claim`);
    }
    return { playerId };
  }
}

function oidcError(err: unknown): LifelineError {
  if (err instanceof joseErrors.JWTExpired)
    return new LifelineError('ID_TOKEN_EXPIRED', undefined, { cause: err });
  if (err instanceof joseErrors.JWTClaimValidationFailed) {
    if (err.claim === 'iss') return new LifelineError('ID_TOKEN_ISSUER', undefined, { cause: err });
    if (err.claim === 'aud') return new LifelineError('ID_TOKEN_AUDIENCE', undefined, { cause: err });
    return new LifelineError('ID_TOKEN_INVALID', err.message, { cause: err });
  }
  if (err instanceof joseErrors.JWSSignatureVerificationFailed) {
    return new LifelineError('ID_TOKEN_SIGNATURE', undefined, { cause: err });
  }
  // No key with that id, and the key set could not be fetched: the provider is the problem.
  if (err instanceof joseErrors.JWKSNoMatchingKey)
    return new LifelineError('ID_TOKEN_SIGNATURE', 'No identity provider key matches the token', {
      cause: err,
    });
  // jose reports a non-200 JWKS answer as a bare JOSEError with this message; a refused
  // connection arrives as fetch's TypeError.
  const jwksDown =
    err instanceof Error && err.message.startsWith('Expected 200 OK from the JSON Web Key Set');
  if (
    jwksDown ||
    err instanceof joseErrors.JWKSTimeout ||
    err instanceof joseErrors.JWKSInvalid ||
    err instanceof TypeError
  ) {
    return new LifelineError('IDENTITY_UNAVAILABLE', 'The identity provider keys cannot be fetched', {
      cause: err,
    });
  }
  if (err instanceof joseErrors.JOSEError)
    return new LifelineError('ID_TOKEN_INVALID', undefined, { cause: err });
  return new LifelineError('IDENTITY_UNAVAILABLE', undefined, { cause: err });
}

export type IdentitySpec = {
  provider: 'dev' | 'http' | 'oidc';
  http: { url: string; timeoutMs: number };
  oidc: OidcSettings;
};

export function createIdentity(spec: IdentitySpec, environment: string): IdentityProvider {
  switch (spec.provider) {
    case 'dev':
      return new DevIdentity(environment);
    case 'http':
      return new HttpIdentity(spec.http.url, spec.http.timeoutMs);
    case 'oidc':
      return new OidcIdentity(spec.oidc);
  }
}
