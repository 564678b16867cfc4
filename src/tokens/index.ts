/**
 * Lifeline's own tokens. Access tokens are EdDSA JWTs game servers can verify with our JWKS;
 * refresh tokens are opaque to clients and checked against the durable grant (rotation, reuse);
 * resume tokens let a kicked client come back to the same place later.
 */
import {
  createSecretKey,
  createHmac,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  hkdfSync,
  randomUUID,
  sign,
  timingSafeEqual,
} from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { errors as joseErrors, exportJWK, type JWK, jwtVerify } from 'jose';
import { LifelineError } from '../errors/index.ts';
import type { RecordStore } from '../store/index.ts';

export interface TokenSettings {
  issuer: string;
  audience: string;
  accessTtlSeconds: number;
  refreshTtlSeconds: number;
  resumeTtlSeconds: number;
}

/** Claims Lifeline puts in an access token, besides iss/aud/iat/exp. */
export interface AccessClaims {
  sub: string;
  sid: string;
  region: string;
  shard: string;
  zone: string | null;
  lic: string;
  prov: boolean;
}

interface LoadedKey {
  kid: string;
  /** The base64url JWS header for access tokens signed with this key, encoded once. */
  header: string;
  privateKey: KeyObject;
  publicKey: KeyObject;
  jwk: JWK;
}

const ACCESS_TYP = 'at+jwt';

function mapJoseError(err: unknown): LifelineError {
  if (err instanceof joseErrors.JWTExpired)
    return new LifelineError('TOKEN_EXPIRED', undefined, { cause: err });
  return new LifelineError('TOKEN_INVALID', undefined, { cause: err });
}

/**
 * Holds the signing keys (kept in the record store so tokens survive a restart and every node
 * signs with the same key) and issues and checks tokens.
 */
export class Tokens {
  readonly settings: TokenSettings;
  readonly #keys: LoadedKey[];
  readonly #byKid: Map<string, LoadedKey>;
  readonly #macKey: KeyObject;

  readonly #clock: () => number;

  private constructor(settings: TokenSettings, keys: LoadedKey[], clock: () => number) {
    this.settings = settings;
    this.#clock = clock;
    this.#keys = keys;
    this.#byKid = new Map(keys.map((k) => [k.kid, k]));
    const current = keys[0];
    if (!current) throw new Error('Tokens need at least one key');
    // The refresh MAC key is derived from the signing key, so a key rotation rotates both.
    // A KeyObject, not a Buffer: Node re-imports a Buffer key on every createHmac, which made
    // one HMAC cost ~25 µs instead of ~5 µs (measured: a 100k-session kick mints 100k tokens).
    this.#macKey = createSecretKey(
      Buffer.from(
        hkdfSync(
          'sha256',
          current.privateKey.export({ format: 'der', type: 'pkcs8' }),
          'lifeline',
          'opaque-token-mac',
          32,
        ),
      ),
    );
  }

  /** Loads the keys from the store, creating the first one on a new store. */
  static async load(store: RecordStore, settings: TokenSettings, clock: () => number): Promise<Tokens> {
    const now = clock();
    let stored = await store.signingKeys();
    if (stored.length === 0) {
      const { privateKey } = generateKeyPairSync('ed25519');
      await store.addFirstSigningKey({
        kid: `k-${randomUUID()}`,
        privatePem: privateKey.export({ format: 'pem', type: 'pkcs8' }).toString(),
        createdAt: now,
      });
      stored = await store.signingKeys();
    }
    const keys = await Promise.all(
      stored.map(async (k) => {
        const privateKey = createPrivateKey(k.privatePem);
        const publicKey = createPublicKey(privateKey);
        const jwk = { ...(await exportJWK(publicKey)), kid: k.kid, alg: 'EdDSA', use: 'sig' };
        const header = Buffer.from(JSON.stringify({ alg: 'EdDSA', kid: k.kid, typ: ACCESS_TYP })).toString(
          'base64url',
        );
        return { kid: k.kid, header, privateKey, publicKey, jwk };
      }),
    );
    return new Tokens(settings, keys, clock);
  }

  /** The public keys, for `/.well-known/jwks.json`. */
  jwks(): { keys: JWK[] } {
    return { keys: this.#keys.map((k) => k.jwk) };
  }

  #current(): LoadedKey {
    return this.#keys[0] as LoadedKey;
  }

  /**
   * Signs an access token (a compact JWS, EdDSA over Ed25519). Signed here with node:crypto
   * rather than jose's SignJWT: measured on the login bench, jose's WebCrypto path cost ~135 µs a
   * token against ~50 µs for crypto.sign, and login is the hot path. jose still verifies.
   */
  async issueAccess(claims: AccessClaims): Promise<string> {
    const key = this.#current();
    const iat = Math.floor(this.#clock() / 1000);
    const payload = {
      sid: claims.sid,
      region: claims.region,
      shard: claims.shard,
      zone: claims.zone,
      lic: claims.lic,
      prov: claims.prov,
      sub: claims.sub,
      iss: this.settings.issuer,
      aud: this.settings.audience,
      iat,
      exp: iat + this.settings.accessTtlSeconds,
    };
    const signingInput = `${key.header}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
    return `${signingInput}.${sign(null, Buffer.from(signingInput), key.privateKey).toString('base64url')}`;
  }

  async verifyAccess(token: string): Promise<AccessClaims> {
    try {
      const { payload } = await jwtVerify(token, (header) => this.#verifyKey(header.kid), {
        issuer: this.settings.issuer,
        audience: this.settings.audience,
        typ: ACCESS_TYP,
        algorithms: ['EdDSA'],
      });
      if (typeof payload.sub !== 'string' || typeof payload.sid !== 'string')
        throw new Error('claims missing');
      return {
        sub: payload.sub,
        sid: payload.sid,
        region: String(payload.region),
        shard: String(payload.shard),
        zone: typeof payload.zone === 'string' ? payload.zone : null,
        lic: String(payload.lic),
        prov: payload.prov === true,
      };
    } catch (err) {
      throw mapJoseError(err);
    }
  }

  /**
   * A resume token names a disruption record and when the offer lapses. It is a MAC, not a
   * JWT: a bulk kick issues one per session, and an HMAC costs microseconds where EdDSA costs
   * tens of them. Only Lifeline reads it.
   */
  issueResume(disruptionId: string, now: number): string {
    const body = `${disruptionId}.${Math.floor(now / 1000) + this.settings.resumeTtlSeconds}`;
    return `rs.${body}.${this.#mac(`rs.${body}`)}`;
  }

  parseResume(token: string, now: number): { disruptionId: string } {
    const [, disruptionId, exp] = this.#checkMac(token, 'rs');
    if (Number(exp) * 1000 <= now) throw new LifelineError('TOKEN_EXPIRED', 'The resume token has expired');
    return { disruptionId };
  }

  #verifyKey(kid: string | undefined): KeyObject {
    const key = kid === undefined ? undefined : this.#byKid.get(kid);
    if (!key)
      throw new LifelineError('TOKEN_INVALID', 'The token was signed by a key Lifeline does not know');
    return key.publicKey;
  }

  /**
   * A refresh token names its family and generation and carries a MAC over both, so it cannot be
   * forged or advanced by hand; whether that generation is still the valid one is the grant's call.
   */
  issueRefresh(familyId: string, generation: number): string {
    const body = `${familyId}.${generation}`;
    return `rt.${body}.${this.#mac(`rt.${body}`)}`;
  }

  parseRefresh(token: string): { familyId: string; generation: number } {
    const [, familyId, gen] = this.#checkMac(token, 'rt');
    const generation = Number(gen);
    if (!/^\d{1,9}$/.test(gen)) throw new LifelineError('TOKEN_INVALID');
    return { familyId, generation };
  }

  /** Splits `<kind>.<a>.<b>.<mac>` and checks the MAC; throws TOKEN_INVALID on any mismatch. */
  #checkMac(token: string, kind: string): [string, string, string, string] {
    const parts = token.split('.');
    if (parts.length !== 4 || parts[0] !== kind) throw new LifelineError('TOKEN_INVALID');
    const [, a, b, mac] = parts as [string, string, string, string];
    const expected = Buffer.from(this.#mac(`${kind}.${a}.${b}`));
    const given = Buffer.from(mac);
    if (given.length !== expected.length || !timingSafeEqual(given, expected))
      throw new LifelineError('TOKEN_INVALID');
    return parts as [string, string, string, string];
  }

  #mac(body: string): string {
    return createHmac('sha256', this.#macKey).update(body).digest('base64url');
  }
}
