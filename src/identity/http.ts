import type { Fetch } from '../dns/index.ts';
import { LifelineError } from '../errors/index.ts';
import { isDnsFailure } from '../probes/index.ts';
import type { Credential, IdentityProvider } from './port.ts';

/**
 * Asks a studio's verifier over HTTP: POST the credential as JSON, 200 `{playerId}` means yes,
 * 401/403 means no, anything else (or no answer in time) means the upstream is unavailable.
 */
export class HttpIdentity implements IdentityProvider {
  readonly kind = 'http';
  readonly #url: string;
  readonly #timeoutMs: number;
  readonly #fetch: Fetch;

  /** `fetchImpl` resolves the URL's host as `dns` in the config says (src/dns). @defaultValue the global fetch */
  constructor(url: string, timeoutMs: number, fetchImpl: Fetch = fetch) {
    this.#url = url;
    this.#timeoutMs = timeoutMs;
    this.#fetch = fetchImpl;
  }

  async verify(credential: Credential): Promise<{ playerId: string }> {
    let res: Response;
    try {
      res = await this.#fetch(this.#url, {
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
