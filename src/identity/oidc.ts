/** OpenID Connect: an ID token verified in-process against the provider's published keys. */
import { createRemoteJWKSet, customFetch, errors as joseErrors, jwtVerify } from 'jose';
import type { Fetch } from '../dns/index.ts';
import { LifelineError } from '../errors/index.ts';
import { isDnsFailure } from '../probes/index.ts';
import type { Credential, IdentityProvider } from './port.ts';

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

  /** `fetchImpl` fetches the JWKS, resolving its host as `dns` in the config says. @defaultValue the global fetch */
  constructor(settings: OidcSettings, fetchImpl?: Fetch) {
    this.#s = settings;
    this.#keys = createRemoteJWKSet(new URL(settings.jwksUrl), {
      cacheMaxAge: Number.POSITIVE_INFINITY,
      cooldownDuration: settings.jwksCooldownSeconds * 1000,
      timeoutDuration: 2000,
      ...(fetchImpl ? { [customFetch]: fetchImpl } : {}),
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
  // The JWKS host does not resolve: the keys cannot be fetched, and DNS is why.
  if (isDnsFailure(err))
    return new LifelineError('UPSTREAM_DNS_FAILURE', undefined, {
      cause: err,
      details: { upstream: 'oidc' },
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
