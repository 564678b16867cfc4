/**
 * An OpenID Connect issuer, as src/identity/oidc.ts sees one: a JWKS endpoint (`/jwks`, and a
 * discovery document) serving the public keys, and ID tokens minted with iss, aud, sub, exp and
 * the signing key's kid. Faults apply to the JWKS endpoint, which is the only thing Lifeline fetches.
 * Another process (the fleet) mints over the control API: `POST /_lab/mint {sub, exp?, kid?}` →
 * `{idToken}`; faults never apply there, since players get ID tokens from the studio's own login.
 */
import { type CryptoKey, exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import { LifelineError } from '../errors/index.ts';
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

/** The control API's mint body: `sub` (required), `exp` and `kid` as MintClaims; nothing else. */
function mintClaims(body: unknown): MintClaims {
  const b = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  const bad = (field: string) =>
    new LifelineError('VALIDATION_FAILED', `mint: ${field}`, { details: { path: field } });
  if (typeof b.sub !== 'string' || b.sub.length === 0 || b.sub.length > 256)
    throw bad('sub must be 1-256 characters');
  const claims: MintClaims = { sub: b.sub };
  if (b.exp !== undefined) {
    if (typeof b.exp !== 'number' && (typeof b.exp !== 'string' || !/^\d{1,6}[smhd]$/.test(b.exp)))
      throw bad('exp must be seconds since the epoch or a duration like "5m"');
    claims.exp = b.exp;
  }
  if (b.kid !== undefined) {
    if (typeof b.kid !== 'string' || b.kid.length > 64) throw bad('kid must be a key id');
    claims.kid = b.kid;
  }
  return claims;
}

export async function oidcIssuer(options: OidcOptions = {}): Promise<OidcIssuer> {
  const keys = new Map<string, { jwk: JWK; privateKey: CryptoKey }>();
  const doc = { issuer: '', jwks_uri: '' };
  const up = await Upstream.start({
    ...options,
    name: 'oidc',
    controlRoutes: {
      'POST /_lab/mint': async (body) => {
        const claims = mintClaims(body);
        if (claims.kid !== undefined && !keys.has(claims.kid))
          throw new LifelineError('NOT_FOUND', `the issuer has no key ${claims.kid}`);
        return { idToken: await mint(claims) };
      },
    },
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
