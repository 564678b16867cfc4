/**
 * The compact JWS of an access token, made the same way on the main thread and in a signing
 * worker: both import this file, so a token does not depend on where it was signed.
 */
import { type KeyObject, sign } from 'node:crypto';
import type { TokenAlgorithm } from '../config/index.ts';

/**
 * What signing needs of a key, in a form a worker thread can be handed: a KeyObject is cloned
 * across threads in memory by postMessage, so the private key is never exported or written.
 */
export interface SigningMaterial {
  kid: string;
  alg: TokenAlgorithm;
  /** The base64url JWS header for tokens signed with this key, encoded once. */
  header: string;
  privateKey: KeyObject;
}

/** Turns a payload (its JSON) into a compact JWS under `m`; everything per key is prepared once. */
export type PayloadSigner = (payloadJson: string) => string;

export function payloadSigner(m: SigningMaterial): PayloadSigner {
  // Ed25519 takes no digest; ES256 takes SHA-256 and the raw r||s signature encoding JWS wants.
  const digest = m.alg === 'ES256' ? 'sha256' : null;
  const key = m.alg === 'ES256' ? { key: m.privateKey, dsaEncoding: 'ieee-p1363' as const } : m.privateKey;
  return (payloadJson) => {
    const input = `${m.header}.${Buffer.from(payloadJson).toString('base64url')}`;
    return `${input}.${sign(digest, Buffer.from(input), key).toString('base64url')}`;
  };
}
