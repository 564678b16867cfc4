/**
 * An OpenID Connect issuer, as src/identity/oidc.ts sees one: a JWKS endpoint (`/jwks`, and a
 * discovery document) serving the public keys, and ID tokens minted with iss, aud, sub, exp and
 * the signing key's kid. Faults apply to the JWKS endpoint, which is the only thing Lifeline fetches.
 */
import { type CryptoKey, exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import { Upstream, type UpstreamOptions } from './upstream.ts';

export interface OidcOptions extends Omit<UpstreamOptions, 'name' | 'handler'> {
  /** The `iss` of minted tokens. @defaultValue the issuer's own URL */
  issuer?: string;
  /** The `aud` of minted tokens. @defaultValue "lifeline" */
  audience?: string;
}

export interface MintClaims {
  /** @defaultValue "player-1" */
  sub?: string;
  iss?: string;
  aud?: string;
  /** A jose duration ("5m") or seconds since the epoch. @defaultValue "5m" */
  exp?: string | number;
  /** The key to sign with. @defaultValue the newest key */
  kid?: string;
}

export type OidcIssuer = Upstream & {
  readonly issuer: string;
  readonly audience: string;
  readonly jwksUrl: string;
  /** Publishes a new Ed25519 key (the provider rotating) and returns its kid. */
  addKey(kid?: string): Promise<string>;
  /** Stops publishing a key; tokens it signed no longer verify once Lifeline refetches. */
  removeKey(kid: string): void;
  mint(claims?: MintClaims): Promise<string>;
};

export async function oidcIssuer(options: OidcOptions = {}): Promise<OidcIssuer> {
  const keys = new Map<string, { jwk: JWK; privateKey: CryptoKey }>();
  const doc = { issuer: '', jwks_uri: '' };
  const up = await Upstream.start({
    ...options,
    name: 'oidc',
    handler: ({ path }) => {
      if (path === '/jwks') return { status: 200, body: { keys: [...keys.values()].map((k) => k.jwk) } };
      if (path === '/.well-known/openid-configuration') return { status: 200, body: doc };
      return { status: 404 };
    },
  });
  doc.issuer = options.issuer ?? up.url;
  doc.jwks_uri = `${up.url}/jwks`;
  const audience = options.audience ?? 'lifeline';
  let counter = 0;
  const addKey = async (kid = `k${++counter}`) => {
    const { publicKey, privateKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
    keys.set(kid, { jwk: { ...(await exportJWK(publicKey)), kid, alg: 'EdDSA', use: 'sig' }, privateKey });
    return kid;
  };
  const mint = async (claims: MintClaims = {}) => {
    const kid = claims.kid ?? [...keys.keys()].at(-1) ?? (await addKey());
    const key = keys.get(kid);
    if (!key) throw new Error(`the lab's OIDC issuer has no key ${kid}`);
    return new SignJWT({})
      .setProtectedHeader({ alg: 'EdDSA', kid })
      .setSubject(claims.sub ?? 'player-1')
      .setIssuer(claims.iss ?? doc.issuer)
      .setAudience(claims.aud ?? audience)
      .setIssuedAt()
      .setExpirationTime(claims.exp ?? '5m')
      .sign(key.privateKey);
  };
  return Object.assign(up, {
    issuer: doc.issuer,
    audience,
    jwksUrl: doc.jwks_uri,
    addKey,
    removeKey: (kid: string) => void keys.delete(kid),
    mint,
  });
}
