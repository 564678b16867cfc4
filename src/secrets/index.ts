/**
 * Secrets at rest: envelope encryption under a key-encryption key (KEK) kept outside the record
 * store. A copy of the database alone then holds no key that mints a token Lifeline accepts.
 *
 * Each sealed value has its own random data key (AES-256-GCM), wrapped by the KEK (AES-256-GCM
 * too), so that a later KEK rotation rewraps 32-byte data keys and never touches the payloads.
 * The caller's context (say `signing-key:k-…`) is authenticated with the payload, so a sealed
 * value copied into another row does not open there.
 */
import { chmodSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { LifelineError } from '../errors/index.ts';

const PREFIX = 'enc1';
const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** Where the KEK comes from: the variable wins; otherwise the file, created on first start. */
export interface KekSource {
  /** Base64 of 32 bytes, from `secrets.key` (set it with `LIFELINE_SECRETS__KEY`). Empty: use the file. */
  key: string;
  /** An absolute path outside the data directory; created with mode 0600 when missing. */
  keyFile: string;
}

/** What `loadKek` did, for the start-up log (never the key itself). */
export interface KekOrigin {
  from: 'variable' | 'file' | 'new-file';
  /** Set when the file's mode was looser than 0600 and was tightened. */
  repairedMode?: string;
}

function decodeKey(text: string, where: string): Buffer {
  const key = Buffer.from(text.trim(), 'base64');
  if (key.length !== KEY_BYTES)
    throw new LifelineError('SECRETS_KEY_INVALID', `${where} must hold base64 of ${KEY_BYTES} bytes`, {
      details: { source: where },
    });
  return key;
}

/** Reads the KEK, creating the key file (0600, never overwritten) when neither source has one. */
export function loadKek(source: KekSource): { kek: Buffer; origin: KekOrigin } {
  if (source.key !== '') return { kek: decodeKey(source.key, 'secrets.key'), origin: { from: 'variable' } };
  if (!existsSync(source.keyFile)) {
    const kek = randomBytes(KEY_BYTES);
    // 'wx': two processes starting together never overwrite each other's key.
    try {
      writeFileSync(source.keyFile, `${kek.toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
      return { kek, origin: { from: 'new-file' } };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw unreadable(source.keyFile, err);
    }
  }
  let origin: KekOrigin = { from: 'file' };
  try {
    const mode = statSync(source.keyFile).mode & 0o777;
    if ((mode & 0o077) !== 0) {
      chmodSync(source.keyFile, 0o600);
      origin = { from: 'file', repairedMode: mode.toString(8).padStart(4, '0') };
    }
    return { kek: decodeKey(readFileSync(source.keyFile, 'utf8'), source.keyFile), origin };
  } catch (err) {
    if (err instanceof LifelineError) throw err;
    throw unreadable(source.keyFile, err);
  }
}

function unreadable(file: string, cause: unknown): LifelineError {
  return new LifelineError('SECRETS_KEY_INVALID', `the key file ${file} cannot be read or written`, {
    cause,
    details: { source: file, reason: (cause as NodeJS.ErrnoException).code ?? String(cause) },
  });
}

function gcmSeal(key: Buffer, plain: Buffer, aad: Buffer): Buffer {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(aad);
  const body = Buffer.concat([cipher.update(plain), cipher.final()]);
  return Buffer.concat([iv, body, cipher.getAuthTag()]);
}

function gcmOpen(key: Buffer, sealed: Buffer, aad: Buffer): Buffer {
  if (sealed.length < IV_BYTES + TAG_BYTES) throw new Error('sealed value too short');
  const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, IV_BYTES));
  decipher.setAAD(aad);
  decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
  return Buffer.concat([
    decipher.update(sealed.subarray(IV_BYTES, sealed.length - TAG_BYTES)),
    decipher.final(),
  ]);
}

/**
 * Seals and opens secrets with one KEK. Sealed text reads
 * `enc1.<kek id>.<wrapped data key>.<payload>` (base64url parts); the KEK id is the first 16 hex
 * digits of its SHA-256, so a value sealed under another KEK is told apart from a corrupt one.
 */
export class Sealer {
  readonly kekId: string;
  readonly #kek: Buffer;

  constructor(kek: Buffer) {
    if (kek.length !== KEY_BYTES) throw new LifelineError('SECRETS_KEY_INVALID');
    this.#kek = Buffer.from(kek);
    this.kekId = createHash('sha256').update(kek).digest('hex').slice(0, 16);
  }

  /** True for text `seal` made (under any KEK); false for a value stored before encryption. */
  static isSealed(text: string): boolean {
    return text.startsWith(`${PREFIX}.`);
  }

  seal(plain: string | Buffer, context: string): string {
    const aad = Buffer.from(context, 'utf8');
    const dataKey = randomBytes(KEY_BYTES);
    const wrapped = gcmSeal(this.#kek, dataKey, aad);
    const payload = gcmSeal(dataKey, typeof plain === 'string' ? Buffer.from(plain, 'utf8') : plain, aad);
    return [PREFIX, this.kekId, wrapped.toString('base64url'), payload.toString('base64url')].join('.');
  }

  /** Opens what `seal` made with the same context; a coded error for another KEK or a changed byte. */
  open(sealed: string, context: string): Buffer {
    const parts = sealed.split('.');
    if (parts.length !== 4 || parts[0] !== PREFIX)
      throw new LifelineError('SECRET_CORRUPT', undefined, { details: { context } });
    if (parts[1] !== this.kekId)
      throw new LifelineError('SECRETS_KEY_MISMATCH', undefined, {
        details: { context, sealedWith: parts[1], loaded: this.kekId },
      });
    try {
      const aad = Buffer.from(context, 'utf8');
      const dataKey = gcmOpen(this.#kek, Buffer.from(parts[2] ?? '', 'base64url'), aad);
      return gcmOpen(dataKey, Buffer.from(parts[3] ?? '', 'base64url'), aad);
    } catch (cause) {
      throw new LifelineError('SECRET_CORRUPT', undefined, { cause, details: { context } });
    }
  }

  openText(sealed: string, context: string): string {
    return this.open(sealed, context).toString('utf8');
  }
}
