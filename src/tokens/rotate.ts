/**
 * Key rotation, as `lifeline keys rotate` runs it on the store: a new signing key and a new MAC
 * key become the newest (running nodes pick them up within their reload interval, or at once on
 * the first token naming them), and keys no valid token can need any more are retired.
 */
import type { KeyRecords } from '../store/index.ts';
import type { TokenAlgorithm } from '../config/index.ts';
import type { Sealer } from '../secrets/index.ts';
import { newMacKey, newSigningKey, retireAfter, sealPlainKeys } from './keys.ts';

/** What rotation needs of the record store. */
export type KeyRotationStore = Pick<
  KeyRecords,
  | 'signingKeys'
  | 'addFirstSigningKey'
  | 'addSigningKey'
  | 'resealSigningKey'
  | 'retireSigningKeys'
  | 'macKeys'
  | 'addFirstMacKey'
  | 'addMacKey'
  | 'retireMacKeys'
>;

export interface RotateOptions {
  algorithm: TokenAlgorithm;
  accessTtlSeconds: number;
  refreshTtlSeconds: number;
  resumeTtlSeconds: number;
  now: number;
  /**
   * Retire every older key at once (a key believed stolen): tokens issued under them stop
   * verifying, so players refresh into a new login.
   */
  retirePrevious?: boolean;
}

export interface Rotation {
  signing: { kid: string; alg: TokenAlgorithm };
  mac: { kid: string };
  retiredSigning: string[];
  retiredMac: string[];
}

/**
 * The kids of keys whose successors have been issuing for longer than `graceMs`: every token they
 * made has expired. `rows` are newest first; `succeeds(newer, older)` says whether `newer` took
 * over `older`'s work.
 */
function superseded<K extends { kid: string; createdAt: number; retiredAt: number | null }>(
  rows: readonly K[],
  succeeds: (newer: K, older: K) => boolean,
  graceMs: number,
  now: number,
  all: boolean,
  keep: string,
): string[] {
  const out: string[] = [];
  for (const [i, k] of rows.entries()) {
    // A key retiring later (one kept in clear before an upgrade) can still be cut off now.
    if ((k.retiredAt !== null && k.retiredAt <= now) || k.kid === keep) continue;
    if (all) {
      out.push(k.kid);
      continue;
    }
    const takenOver = rows
      .slice(0, i)
      .filter((n) => succeeds(n, k))
      .reduce((at, n) => Math.min(at, n.createdAt), Number.POSITIVE_INFINITY);
    if (retireAfter(takenOver, graceMs) <= now) out.push(k.kid);
  }
  return out;
}

/** Adds a new signing key (of `algorithm`) and MAC key, and retires what no token can need. */
export async function rotateKeys(
  store: KeyRotationStore,
  sealer: Sealer,
  o: RotateOptions,
): Promise<Rotation> {
  await sealPlainKeys(store, sealer, o.now, o);
  const signing = newSigningKey(o.algorithm, sealer, o.now);
  const mac = newMacKey(sealer, o.now);
  await store.addSigningKey(signing);
  await store.addMacKey(mac);
  const all = o.retirePrevious === true;
  // A key is taken over by a newer one of its own algorithm, or of the algorithm nodes now sign with.
  const retiredSigning = superseded(
    await store.signingKeys(),
    (n, k) => n.alg === k.alg || n.alg === o.algorithm,
    o.accessTtlSeconds * 1000,
    o.now,
    all,
    signing.kid,
  );
  const retiredMac = superseded(
    await store.macKeys(),
    () => true,
    Math.max(o.refreshTtlSeconds, o.resumeTtlSeconds) * 1000,
    o.now,
    all,
    mac.kid,
  );
  await store.retireSigningKeys(retiredSigning, o.now);
  await store.retireMacKeys(retiredMac, o.now);
  return {
    signing: { kid: signing.kid, alg: o.algorithm },
    mac: { kid: mac.kid },
    retiredSigning,
    retiredMac,
  };
}
