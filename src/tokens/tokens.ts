/**
 * Lifeline's own tokens. Access tokens are JWTs (EdDSA or ES256) game servers can verify with our
 * JWKS; refresh tokens are opaque to clients and checked against the durable grant (rotation,
 * reuse); resume tokens let a kicked client come back to the same place later.
 */
import { createHmac, type KeyObject, timingSafeEqual } from 'node:crypto';
import { errors as joseErrors, type JWK, type JWTHeaderParameters, jwtVerify } from 'jose';
import type { TokenAlgorithm } from '../config/index.ts';
import { LifelineError } from '../errors/index.ts';
import { Sealer } from '../secrets/index.ts';
import {
  ACCESS_TYP,
  LEGACY_MAC_KID,
  type LoadedMacKey,
  type LoadedSigningKey,
  newMacKey,
  newSigningKey,
  openMacKey,
  openSigningKey,
  sealPlainKeys,
  type TokenKeyStore,
} from './keys.ts';
import { SignPool } from './sign-pool.ts';

export interface TokenSettings {
  issuer: string;
  audience: string;
  accessTtlSeconds: number;
  refreshTtlSeconds: number;
  resumeTtlSeconds: number;
  /** What new access tokens are signed with; keys of the other algorithm still verify. */
  algorithm: TokenAlgorithm;
  /**
   * Worker threads that sign access tokens, so logins use the node's other cores; 0 (or absent)
   * signs on the calling thread.
   */
  signingWorkers?: number;
}

/** What Tokens.load may be told besides its settings. */
export interface TokensOptions {
  /** Told when a signing worker fails; its tokens were signed on the main thread instead. */
  onSignerError?: (err: Error) => void;
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

/**
 * A token naming a kid this node has not loaded makes it reread the keys (another node or the CLI
 * rotated them), at most this often: a stream of made-up kids costs one small read a second.
 */
const UNKNOWN_KID_RELOAD_MS = 1000;

/** Clock skew allowed between the node that issued an access token and the one checking it. */
const ACCESS_SKEW_SECONDS = 60;

function mapJoseError(err: unknown): LifelineError {
  if (err instanceof LifelineError) return err;
  if (err instanceof joseErrors.JWTExpired)
    return new LifelineError('TOKEN_EXPIRED', undefined, { cause: err });
  return new LifelineError('TOKEN_INVALID', undefined, { cause: err });
}

/**
 * Holds the token keys (kept sealed in the record store, so tokens survive a restart and every
 * node signs with the same keys) and issues and checks tokens. Keys rotate without ending
 * sessions: every unretired key verifies, the newest signs.
 */
export class Tokens {
  readonly settings: TokenSettings;
  readonly #store: TokenKeyStore;
  readonly #sealer: Sealer;
  readonly #clock: () => number;
  #signing = new Map<string, LoadedSigningKey>();
  #current!: LoadedSigningKey;
  #macs = new Map<string, LoadedMacKey>();
  #currentMac!: LoadedMacKey;
  #jwks: { keys: JWK[] } = { keys: [] };
  #reloading: Promise<void> | null = null;
  #lastUnknownReload = Number.NEGATIVE_INFINITY;
  #pool: SignPool | null = null;

  private constructor(store: TokenKeyStore, sealer: Sealer, settings: TokenSettings, clock: () => number) {
    this.#store = store;
    this.#sealer = sealer;
    this.settings = settings;
    this.#clock = clock;
  }

  /**
   * Loads the keys from the store: seals a store's plain keys left by an older Lifeline, and
   * creates the first signing key (of the configured algorithm) and MAC key when there are none.
   */
  static async load(
    store: TokenKeyStore,
    sealer: Sealer,
    settings: TokenSettings,
    clock: () => number,
    options: TokensOptions = {},
  ): Promise<Tokens> {
    await sealPlainKeys(store, sealer, clock(), settings);
    const tokens = new Tokens(store, sealer, settings, clock);
    await tokens.reload();
    // Started once the keys opened: a KEK that does not open them leaves no thread behind.
    const size = settings.signingWorkers ?? 0;
    if (size > 0) {
      tokens.#pool = new SignPool({
        size,
        ...(options.onSignerError ? { onError: options.onSignerError } : {}),
      });
      tokens.#pool.retain([tokens.#current.kid]);
    }
    return tokens;
  }

  /** How access tokens are being signed: null without workers, else the pool's counts. */
  signerStats(): ReturnType<SignPool['stats']> | null {
    return this.#pool?.stats() ?? null;
  }

  /** Stops the signing workers (tokens asked for later are signed on the calling thread). */
  async close(): Promise<void> {
    await this.#pool?.close();
  }

  /**
   * Rereads the keys: new ones (a rotation by the CLI or another node) are opened, retired ones
   * dropped. Keys already open are kept as they are, so this is a read and nothing more.
   */
  async reload(): Promise<void> {
    this.#reloading ??= this.#reload().finally(() => {
      this.#reloading = null;
    });
    return this.#reloading;
  }

  async #reload(): Promise<void> {
    const now = this.#clock();
    let rows = await this.#store.signingKeys();
    // A key retiring later still verifies, but only a key not retiring signs or MACs.
    const usable = (r: { retiredAt: number | null; sealedKey: string }) =>
      (r.retiredAt === null || r.retiredAt > now) && Sealer.isSealed(r.sealedKey);
    const issuing = (r: { retiredAt: number | null; sealedKey: string }) =>
      r.retiredAt === null && Sealer.isSealed(r.sealedKey);
    if (!rows.some((r) => issuing(r) && r.alg === this.settings.algorithm)) {
      await this.#store.addFirstSigningKey(newSigningKey(this.settings.algorithm, this.#sealer, now));
      rows = await this.#store.signingKeys();
    }
    let macRows = await this.#store.macKeys();
    if (!macRows.some((r) => issuing(r) && r.kid !== LEGACY_MAC_KID)) {
      const key = newMacKey(this.#sealer, now);
      await (macRows.length === 0 ? this.#store.addFirstMacKey(key) : this.#store.addMacKey(key));
      macRows = await this.#store.macKeys();
    }

    const signing = new Map<string, LoadedSigningKey>();
    for (const row of rows.filter(usable)) {
      const open = this.#signing.get(row.kid);
      signing.set(
        row.kid,
        open ? { ...open, retiresAt: row.retiredAt } : await openSigningKey(row, this.#sealer),
      );
    }
    const macs = new Map<string, LoadedMacKey>();
    for (const row of macRows.filter(usable)) {
      const open = this.#macs.get(row.kid);
      macs.set(row.kid, open ? { ...open, retiresAt: row.retiredAt } : openMacKey(row, this.#sealer));
    }

    // Rows come newest first: the newest of the configured algorithm signs, the newest MAC key MACs.
    const current = [...signing.values()].find(
      (k) => k.alg === this.settings.algorithm && k.retiresAt === null,
    );
    const currentMac = [...macs.values()].find((k) => k.kid !== LEGACY_MAC_KID && k.retiresAt === null);
    // Unreachable unless the store loses rows between the add and the read above.
    if (!current || !currentMac) throw new Error('the record store holds no usable token key');
    this.#signing = signing;
    this.#current = current;
    this.#macs = macs;
    this.#currentMac = currentMac;
    this.#jwks = { keys: [...signing.values()].map((k) => k.jwk) };
    // Only the newest key signs: the workers may drop the private keys of the others.
    this.#pool?.retain([current.kid]);
  }

  /** A reload because a token named a kid this node does not hold; rate-limited. */
  async #reloadForUnknown(): Promise<void> {
    const at = performance.now();
    if (this.#reloading === null && at - this.#lastUnknownReload < UNKNOWN_KID_RELOAD_MS) return;
    this.#lastUnknownReload = at;
    await this.reload().catch(() => {});
  }

  /** The key, unless its retirement time has come (checked here: reloads happen only so often). */
  #live<K extends { retiresAt: number | null }>(key: K | undefined): K | undefined {
    return key && (key.retiresAt === null || key.retiresAt > this.#clock()) ? key : undefined;
  }

  /** The public keys of every unretired signing key, for `/.well-known/jwks.json`. */
  jwks(): { keys: JWK[] } {
    return this.#jwks;
  }

  /** The kids new tokens are issued under, for logs and the CLI. */
  currentKids(): { signing: string; alg: TokenAlgorithm; mac: string } {
    return { signing: this.#current.kid, alg: this.#current.alg, mac: this.#currentMac.kid };
  }

  /**
   * Signs an access token (a compact JWS). Signed with node:crypto rather than jose's SignJWT:
   * measured on the login bench, jose's WebCrypto path cost ~135 µs a token against ~50 µs for
   * crypto.sign, and login is the hot path. With signing workers the signature runs on one of
   * them (see SignPool); jose still verifies.
   */
  async issueAccess(claims: AccessClaims): Promise<string> {
    const key = this.#current;
    const iat = Math.floor(this.#clock() / 1000);
    const payload = JSON.stringify({
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
    });
    return this.#pool ? this.#pool.sign(key, payload) : key.signHere(payload);
  }

  /**
   * Checks signature, issuer, audience, type and expiry. A token without `exp` or `iat`, issued in
   * the future, or made to last longer than access tokens do is refused: whoever holds an old key
   * cannot mint one that outlives the key's retirement.
   */
  async verifyAccess(token: string): Promise<AccessClaims> {
    try {
      const { payload } = await jwtVerify(token, (header) => this.#verifyKey(header), {
        issuer: this.settings.issuer,
        audience: this.settings.audience,
        typ: ACCESS_TYP,
        algorithms: ['EdDSA', 'ES256'],
        requiredClaims: ['exp', 'iat', 'sub', 'sid'],
        // The clock tokens are issued on, so that a drill's or a test's virtual clock applies here too.
        currentDate: new Date(this.#clock()),
      });
      if (typeof payload.sub !== 'string' || typeof payload.sid !== 'string')
        throw new Error('claims missing');
      const { iat, exp } = payload as { iat: number; exp: number };
      if (
        exp - iat > this.settings.accessTtlSeconds + ACCESS_SKEW_SECONDS ||
        iat > this.#clock() / 1000 + ACCESS_SKEW_SECONDS
      )
        throw new Error('the token claims a lifetime Lifeline never gives');
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

  async #verifyKey(header: JWTHeaderParameters): Promise<KeyObject> {
    const kid = header.kid;
    let key = kid === undefined ? undefined : this.#live(this.#signing.get(kid));
    if (!key && kid !== undefined) {
      await this.#reloadForUnknown();
      key = this.#live(this.#signing.get(kid));
    }
    if (!key || key.alg !== header.alg)
      throw new LifelineError('TOKEN_INVALID', 'The token was signed by a key Lifeline does not know');
    return key.publicKey;
  }

  /**
   * A resume token names a disruption record and when the offer lapses. It is a MAC, not a
   * JWT: a bulk kick issues one per session, and an HMAC costs microseconds where a signature
   * costs tens of them. Only Lifeline reads it. `rs.<mac kid>.<disruption>.<exp>.<mac>`.
   */
  issueResume(disruptionId: string, now: number): string {
    const key = this.#currentMac;
    const body = `rs.${key.kid}.${disruptionId}.${Math.floor(now / 1000) + this.settings.resumeTtlSeconds}`;
    return `${body}.${mac(key, body)}`;
  }

  async parseResume(token: string, now: number): Promise<{ disruptionId: string }> {
    const [disruptionId, exp] = await this.#checkMac(token, 'rs');
    if (!/^\d{1,12}$/.test(exp)) throw new LifelineError('TOKEN_INVALID');
    if (Number(exp) * 1000 <= now) throw new LifelineError('TOKEN_EXPIRED', 'The resume token has expired');
    return { disruptionId };
  }

  /**
   * A refresh token names its family and generation and carries a MAC over both, so it cannot be
   * forged or advanced by hand; whether that generation is still the valid one is the grant's call.
   * `rt.<mac kid>.<family>.<generation>.<mac>`.
   */
  issueRefresh(familyId: string, generation: number): string {
    const key = this.#currentMac;
    const body = `rt.${key.kid}.${familyId}.${generation}`;
    return `${body}.${mac(key, body)}`;
  }

  async parseRefresh(token: string): Promise<{ familyId: string; generation: number }> {
    const [familyId, gen] = await this.#checkMac(token, 'rt');
    if (!/^\d{1,9}$/.test(gen)) throw new LifelineError('TOKEN_INVALID');
    return { familyId, generation: Number(gen) };
  }

  /**
   * Splits `<kind>.<kid>.<a>.<b>.<mac>` (or a pre-kid `<kind>.<a>.<b>.<mac>`, checked under the
   * legacy key while it lasts) and checks the MAC; throws TOKEN_INVALID on any mismatch.
   */
  async #checkMac(token: string, kind: string): Promise<[string, string]> {
    const parts = token.split('.');
    if (parts[0] !== kind || (parts.length !== 5 && parts.length !== 4))
      throw new LifelineError('TOKEN_INVALID');
    const legacy = parts.length === 4;
    const kid = legacy ? LEGACY_MAC_KID : (parts[1] as string);
    if (!legacy && kid === LEGACY_MAC_KID) throw new LifelineError('TOKEN_INVALID');
    let key = this.#live(this.#macs.get(kid));
    if (!key && !legacy) {
      await this.#reloadForUnknown();
      key = this.#live(this.#macs.get(kid));
    }
    if (!key) throw new LifelineError('TOKEN_INVALID');
    const given = Buffer.from(parts[parts.length - 1] as string);
    const expected = Buffer.from(mac(key, parts.slice(0, -1).join('.')));
    if (given.length !== expected.length || !timingSafeEqual(given, expected))
      throw new LifelineError('TOKEN_INVALID');
    return legacy ? [parts[1] as string, parts[2] as string] : [parts[2] as string, parts[3] as string];
  }
}

function mac(key: LoadedMacKey, body: string): string {
  return createHmac('sha256', key.key).update(body).digest('base64url');
}
