/**
 * The audit signing key: Ed25519, apart from the token keys, so that whoever can mint tokens
 * cannot also vouch for the audit chain, and the other way round. It lives in the anchor
 * directory, outside the record store: the private key sealed under the KEK
 * (`audit-key.sealed`), the public key in clear (`audit-key.pub`) for offline verifiers.
 */
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  type KeyObject,
  sign,
  verify,
} from 'node:crypto';
import { existsSync, linkSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LifelineError } from '../errors/index.ts';
import type { Sealer } from '../secrets/index.ts';

export const PRIVATE_KEY_FILE = 'audit-key.sealed';
export const PUBLIC_KEY_FILE = 'audit-key.pub';
const SEAL_CONTEXT = 'audit-key';

/** A public key that verifies checkpoints and export manifests. */
export interface AuditPublicKey {
  /** First 16 hex digits of the SHA-256 of the key's SPKI DER: names the key in what it signs. */
  readonly id: string;
  readonly key: KeyObject;
  readonly pem: string;
}

/** The audit key of this deployment: signs checkpoints and export manifests. */
export interface AuditSigner {
  readonly publicKey: AuditPublicKey;
  sign(data: string): string;
}

function publicKeyOf(key: KeyObject): AuditPublicKey {
  const der = key.export({ type: 'spki', format: 'der' });
  return {
    id: createHash('sha256').update(der).digest('hex').slice(0, 16),
    key,
    pem: key.export({ type: 'spki', format: 'pem' }).toString(),
  };
}

function invalid(message: string, details: Record<string, unknown>, cause?: unknown): LifelineError {
  return new LifelineError('AUDIT_ANCHOR_INVALID', message, { details, cause });
}

/**
 * Opens the audit key in `dir`, creating it on first start. Creation goes through a temporary
 * file and `link`, which fails when the name exists: nodes sharing one anchor directory and
 * starting together end up with the one key that won, never a half-written file.
 *
 * @throws LifelineError `AUDIT_ANCHOR_INVALID` when the files cannot be written or read, or the
 *   public key file does not match the private key (someone replaced it).
 */
export function openAuditKey(dir: string, sealer: Sealer): AuditSigner {
  const privFile = join(dir, PRIVATE_KEY_FILE);
  const pubFile = join(dir, PUBLIC_KEY_FILE);
  if (!existsSync(privFile)) {
    const { privateKey } = generateKeyPairSync('ed25519');
    const sealed = sealer.seal(privateKey.export({ type: 'pkcs8', format: 'der' }), SEAL_CONTEXT);
    const tmp = `${privFile}.${process.pid}.${Date.now()}.tmp`;
    try {
      writeFileSync(tmp, `${sealed}\n`, { mode: 0o600, flag: 'wx' });
      try {
        linkSync(tmp, privFile);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
    } catch (err) {
      throw invalid(
        `cannot create the audit key in ${dir}`,
        { dir, reason: (err as NodeJS.ErrnoException).code },
        err,
      );
    } finally {
      rmSync(tmp, { force: true });
    }
  }
  let privateKey: KeyObject;
  try {
    const der = sealer.open(readFileSync(privFile, 'utf8').trim(), SEAL_CONTEXT);
    privateKey = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  } catch (err) {
    if (err instanceof LifelineError && err.code !== 'SECRET_CORRUPT') throw err;
    throw invalid(`the audit key ${privFile} cannot be opened`, { file: privFile }, err);
  }
  const publicKey = publicKeyOf(createPublicKey(privateKey));
  if (existsSync(pubFile)) {
    const stored = readPublicKeyFile(pubFile);
    if (stored.id !== publicKey.id)
      throw invalid(`${pubFile} is not the public half of the audit key`, { file: pubFile });
  } else {
    writeFileSync(pubFile, publicKey.pem, { mode: 0o644 });
  }
  return {
    publicKey,
    sign: (data) => sign(null, Buffer.from(data, 'utf8'), privateKey).toString('base64url'),
  };
}

/** Reads a PEM public key (the anchor's `audit-key.pub`, or a copy an operator pinned). */
export function readPublicKeyFile(file: string): AuditPublicKey {
  try {
    const key = createPublicKey(readFileSync(file, 'utf8'));
    if (key.asymmetricKeyType !== 'ed25519') throw new Error('not an Ed25519 key');
    return publicKeyOf(key);
  } catch (err) {
    throw invalid(`${file} is not an Ed25519 public key in PEM`, { file }, err);
  }
}

/** True when `signature` (base64url) is `key`'s signature of `data`. Never throws. */
export function verifySignature(key: AuditPublicKey, data: string, signature: unknown): boolean {
  if (typeof signature !== 'string') return false;
  try {
    return verify(null, Buffer.from(data, 'utf8'), key.key, Buffer.from(signature, 'base64url'));
  } catch {
    return false;
  }
}
