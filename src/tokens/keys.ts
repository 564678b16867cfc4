/**
 * The token keys as the record store keeps them (sealed) and as Tokens uses them (opened once,
 * with everything a signature or a MAC needs prepared up front: login is the hot path).
 */
import type { KeyRecords } from '../store/index.ts';
import {
  createPrivateKey,
  createPublicKey,
  createSecretKey,
  generateKeyPairSync,
  hkdfSync,
  type KeyObject,
  randomBytes,
  randomUUID,
} from 'node:crypto';
import { exportJWK, type JWK } from 'jose';
import type { TokenAlgorithm } from '../config/index.ts';
import { Sealer } from '../secrets/index.ts';
import type { MacKey, SigningKey } from './records.ts';
import { type PayloadSigner, payloadSigner, type SigningMaterial } from './jws.ts';

/** What Tokens needs of the record store: its keys, and adding the first ones. */
export type TokenKeyStore = Pick<
  KeyRecords,
  | 'signingKeys'
  | 'addFirstSigningKey'
  | 'resealSigningKey'
  | 'retireSigningKeys'
  | 'macKeys'
  | 'addFirstMacKey'
  | 'addMacKey'
  | 'retireMacKeys'
>;

/**
 * How long a superseded key may still be in use for issuing: a node rereads its keys at least
 * this often (Tokens' reload interval, with room to spare), so tokens it issued under the old key
 * are at most this much younger than the rotation.
 */
export const KEY_PICKUP_MS = 60_000;

/**
 * When a key superseded at `takenOver` can go: every token it made (valid for at most `graceMs`,
 * and made at most KEY_PICKUP_MS after the takeover) has expired by then.
 */
export const retireAfter = (takenOver: number, graceMs: number): number =>
  takenOver + graceMs + KEY_PICKUP_MS;

/** The lifetimes that say how long a superseded key must keep verifying. */
export interface TokenLifetimes {
  accessTtlSeconds: number;
  refreshTtlSeconds: number;
  resumeTtlSeconds: number;
}

export const ACCESS_TYP = 'at+jwt';

/**
 * The MAC key of refresh and resume tokens issued before key ids (`rt.<family>.<gen>.<mac>`),
 * derived as that code did from the signing key it found at upgrade, and kept sealed under this
 * kid so those tokens still verify until it is retired like any other MAC key.
 */
export const LEGACY_MAC_KID = 'legacy';

export const signingContext = (kid: string): string => `signing-key:${kid}`;
export const macContext = (kid: string): string => `mac-key:${kid}`;

export interface LoadedSigningKey {
  kid: string;
  alg: TokenAlgorithm;
  /** The key as a signing worker is handed it (in memory, by postMessage). */
  material: SigningMaterial;
  /** Signs on the calling thread: no pool, or a batch whose worker went away. */
  signHere: PayloadSigner;
  publicKey: KeyObject;
  jwk: JWK;
  /** When it stops verifying, if it is retiring (then it no longer signs); null while it signs. */
  retiresAt: number | null;
}

export interface LoadedMacKey {
  kid: string;
  /**
   * A KeyObject, not a Buffer: Node re-imports a Buffer key on every createHmac, which made one
   * HMAC cost ~25 µs instead of ~5 µs (measured: a 100k-session kick mints 100k tokens).
   */
  key: KeyObject;
  /** When it stops verifying, if it is retiring (then it no longer MACs); null while it MACs. */
  retiresAt: number | null;
}

/** A new signing key of `alg`, sealed for the store. */
export function newSigningKey(alg: TokenAlgorithm, sealer: Sealer, now: number): SigningKey {
  const { privateKey } =
    alg === 'ES256' ? generateKeyPairSync('ec', { namedCurve: 'P-256' }) : generateKeyPairSync('ed25519');
  const kid = `k-${randomUUID()}`;
  const pem = privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  return { kid, alg, sealedKey: sealer.seal(pem, signingContext(kid)), createdAt: now, retiredAt: null };
}

/** A new random MAC key, sealed for the store. Its kid is short: every refresh token carries it. */
export function newMacKey(sealer: Sealer, now: number): MacKey {
  const kid = `m${randomBytes(6).toString('hex')}`;
  return { kid, sealedKey: sealer.seal(randomBytes(32), macContext(kid)), createdAt: now, retiredAt: null };
}

export async function openSigningKey(row: SigningKey, sealer: Sealer): Promise<LoadedSigningKey> {
  const alg: TokenAlgorithm = row.alg === 'ES256' ? 'ES256' : 'EdDSA';
  const privateKey = createPrivateKey(sealer.openText(row.sealedKey, signingContext(row.kid)));
  const publicKey = createPublicKey(privateKey);
  const jwk = { ...(await exportJWK(publicKey)), kid: row.kid, alg, use: 'sig' };
  const header = Buffer.from(JSON.stringify({ alg, kid: row.kid, typ: ACCESS_TYP })).toString('base64url');
  const material: SigningMaterial = { kid: row.kid, alg, header, privateKey };
  return {
    kid: row.kid,
    alg,
    material,
    signHere: payloadSigner(material),
    publicKey,
    jwk,
    retiresAt: row.retiredAt,
  };
}

export function openMacKey(row: MacKey, sealer: Sealer): LoadedMacKey {
  return {
    kid: row.kid,
    key: createSecretKey(sealer.open(row.sealedKey, macContext(row.kid))),
    retiresAt: row.retiredAt,
  };
}

/**
 * Converts a store written before keys were sealed. Those keys sat in clear in the database (and
 * in every backup of it), so they must not go on making tokens: each plain PEM row is scheduled
 * to retire once the access tokens it signed have expired, the MAC key the old code derived from
 * the newest of them is kept (sealed) as the legacy MAC key, scheduled likewise after the longest
 * refresh or resume lifetime, and a fresh MAC key is added; Tokens.load then adds a fresh signing
 * key, since no unscheduled one is left. Tokens issued before the upgrade verify until they expire.
 *
 * The plain rows are sealed last: a node that stops halfway redoes the rest at its next start.
 * Idempotent, and safe when several nodes do it at once: a retirement keeps its earliest time,
 * the legacy key's insert does nothing if it is there, each node's sealed text opens under the
 * shared KEK, and the fresh keys go in through addFirst*, which only one node wins.
 */
export async function sealPlainKeys(
  store: TokenKeyStore,
  sealer: Sealer,
  now: number,
  ttl: TokenLifetimes,
): Promise<number> {
  const plain = (await store.signingKeys()).filter((k) => !Sealer.isSealed(k.sealedKey));
  const newest = plain[0];
  if (!newest) return 0;
  await store.retireSigningKeys(
    plain.map((k) => k.kid),
    retireAfter(now, ttl.accessTtlSeconds * 1000),
  );
  // The first regular MAC key goes in before the legacy one: a store holding only the legacy key
  // would never get a first key (addFirstMacKey adds only to an empty table).
  await store.addFirstMacKey(newMacKey(sealer, now));
  const legacy = hkdfSync(
    'sha256',
    createPrivateKey(newest.sealedKey).export({ format: 'der', type: 'pkcs8' }),
    'lifeline',
    'opaque-token-mac',
    32,
  );
  await store.addMacKey({
    kid: LEGACY_MAC_KID,
    sealedKey: sealer.seal(Buffer.from(legacy), macContext(LEGACY_MAC_KID)),
    createdAt: newest.createdAt,
    retiredAt: null,
  });
  await store.retireMacKeys(
    [LEGACY_MAC_KID],
    retireAfter(now, Math.max(ttl.refreshTtlSeconds, ttl.resumeTtlSeconds) * 1000),
  );
  for (const k of plain) await store.resealSigningKey(k.kid, sealer.seal(k.sealedKey, signingContext(k.kid)));
  return plain.length;
}
