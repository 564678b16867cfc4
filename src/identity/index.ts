/**
 * The identity port: who is this player? Lifeline asks only at login; refresh and rejoin never
 * do, which is what keeps sessions alive while the identity backend is down.
 */
import type { Fetch } from '../dns/index.ts';
import { DevIdentity } from './dev.ts';
import { HttpIdentity } from './http.ts';
import { type OidcSettings, OidcIdentity } from './oidc.ts';
import type { IdentityProvider } from './port.ts';

export { DevIdentity } from './dev.ts';
export { HttpIdentity } from './http.ts';
export { OidcIdentity, type OidcSettings } from './oidc.ts';
export type { Credential, IdentityProvider } from './port.ts';

export type IdentitySpec = {
  provider: 'dev' | 'http' | 'oidc';
  http: { url: string; timeoutMs: number };
  oidc: OidcSettings;
};

/** `fetchImpl` is what the http and oidc providers call their upstream with (src/dns). */
export function createIdentity(spec: IdentitySpec, environment: string, fetchImpl?: Fetch): IdentityProvider {
  switch (spec.provider) {
    case 'dev':
      return new DevIdentity(environment);
    case 'http':
      return new HttpIdentity(spec.http.url, spec.http.timeoutMs, fetchImpl);
    case 'oidc':
      return new OidcIdentity(spec.oidc, fetchImpl);
  }
}
