/**
 * The identity port: who is this player? Lifeline asks only at login; refresh and rejoin never
 * do, which is what keeps sessions alive while the identity backend is down.
 */
import { LifelineError } from '../errors/index.ts';

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

export type IdentitySpec = { provider: 'dev' | 'http'; http: { url: string; timeoutMs: number } };

export function createIdentity(spec: IdentitySpec, environment: string): IdentityProvider {
  switch (spec.provider) {
    case 'dev':
      return new DevIdentity(environment);
    case 'http':
      return new HttpIdentity(spec.http.url, spec.http.timeoutMs);
  }
}
